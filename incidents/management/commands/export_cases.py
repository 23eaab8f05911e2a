"""manage.py export_cases [--format csv|json] [--output FILE] [--all]: the catalogue in the import format."""

import sys

from django.core.management.base import BaseCommand

from incidents.exchange.export import csv_chunks, iter_rows, json_chunks
from incidents.models import Incident


class Command(BaseCommand):
    help = (
        "Write the published cases (or --all of them) as CSV or JSON, in the columns import_cases reads: "
        "each text in the case's own language, then in English and in French."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--output", "-o", help="File to write (standard output when omitted).")
        parser.add_argument("--all", action="store_true", help="Every case, whatever its status.")
        parser.add_argument(
            "--base-url", default="", help="Prefix of the url column, e.g. https://sevicesclients.example"
        )

    def handle(self, *args, **options):
        cases = Incident.objects.all() if options["all"] else Incident.objects.published()
        rows = iter_rows(cases, base_url=options["base_url"])
        chunks = csv_chunks(rows) if options["format"] == "csv" else json_chunks(rows)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as output:
                output.writelines(chunks)
        else:
            sys.stdout.writelines(chunks)
