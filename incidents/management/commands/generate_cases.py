"""Fill the database with synthetic cases for load tests and benchmarks (never for a real catalogue)."""

from django.core.management import BaseCommand, CommandError
from tqdm import tqdm

from incidents.synthetic import generator


class Command(BaseCommand):
    help = (
        "Add COUNT synthetic cases (marked [synthetic], companies on example.org) for load tests, a third of them "
        "written in both languages; --delete removes exactly the synthetic data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=1000, help="How many cases to add (default 1000).")
        parser.add_argument("--seed", type=int, default=42, help="The same seed always gives the same catalogue.")
        parser.add_argument("--companies", type=int, default=2000, help="How many synthetic companies (default 2000).")
        parser.add_argument("--batch-size", type=int, default=2000, help="Cases built and inserted per transaction.")
        parser.add_argument("--delete", action="store_true", help="Remove every synthetic case, company and sector.")

    def handle(self, *args, count, seed, companies, batch_size, delete, **options):
        if delete:
            removed = generator.delete_synthetic()
            self.stdout.write(self.style.SUCCESS(f"Removed {removed} synthetic cases and their companies."))
            self._refresh_pages()
            return
        if count < 0 or companies < 1 or batch_size < 1:
            raise CommandError("--count must be positive, --companies and --batch-size at least 1.")
        quiet = options["verbosity"] == 0
        with tqdm(total=count, unit="case", disable=quiet, file=self.stderr._out) as bar:
            made = generator.generate(count, seed=seed, companies=companies, batch_size=batch_size, progress=bar.update)
        self._refresh_pages()
        if not quiet:
            self.stdout.write(self.style.SUCCESS(f"Added {made} synthetic cases."))

    def _refresh_pages(self):
        # bulk_create sends no signals: tell the page cache that the catalogue changed.
        from incidents.caching.generation import bump_generation

        bump_generation()
