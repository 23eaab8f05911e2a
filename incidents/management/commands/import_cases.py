"""manage.py import_cases FILE: add or update cases from a CSV or JSON file in the export format.

Every row is checked with the admin's rules; one bad row and nothing is imported. Running it twice
changes nothing the second time: a row is matched to a case by its reference or id, else by its
company, title (in either language) and date. Texts go to the language their column names (`title_fr`);
a file without those columns puts them in the case's `language` (incidents/exchange/importer.py).
"""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from incidents.exchange.importer import ImportFormatError, import_rows, read_csv, read_json


class Command(BaseCommand):
    help = "Import cases from a CSV or JSON file with the columns of export_cases (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv, .json or .jsonl file.")
        parser.add_argument("--format", choices=["csv", "json"], help="Default: from the file's extension.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, import nothing.")
        parser.add_argument(
            "--create-companies", action="store_true", help="Create a company that is not in the catalogue yet."
        )
        parser.add_argument("--user", help="Username the history records the import under.")

    def handle(self, *args, **options):
        path = options["file"]
        file_format = options["format"] or ("csv" if path.lower().endswith(".csv") else "json")
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist as error:
                raise CommandError(f"No user {options['user']!r}.") from error
        try:
            with open(path, encoding="utf-8-sig", newline="") as text_file:
                rows = read_csv(text_file) if file_format == "csv" else read_json(text_file)
                progress = tqdm(
                    rows,
                    unit=" cases",
                    desc=os.path.basename(path),
                    disable=None if options["verbosity"] >= 1 else True,
                    file=self.stderr._out,
                )
                result = import_rows(
                    progress,
                    create_companies=options["create_companies"],
                    dry_run=options["dry_run"],
                    user=user,
                    reason=f"Imported from {os.path.basename(path)}",
                )
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        except (ImportFormatError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: {error} Nothing was imported.") from error
        if result.error_count:
            for message in result.errors:
                self.stderr.write(str(message))
            if result.error_count > len(result.errors):
                self.stderr.write(f"... and more: {result.error_count} rows have errors in all.")
            raise CommandError(
                f"{result.error_count} of {result.rows} rows have errors. Nothing was imported; fix them and run again."
            )
        summary = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged."
        if options["dry_run"]:
            self.stdout.write(f"Dry run: every row is valid; nothing was imported. It would have: {summary}")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {result.rows} rows: {summary}"))
