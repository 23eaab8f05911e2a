"""Check the catalogue's source URLs and record on each source what was found (incidents/sources.py)."""

import re

from django.core.management import BaseCommand, CommandError
from tqdm import tqdm

from incidents import sources
from incidents.models import Incident


def case_number(value):
    """A case by its number (42) or its reference (SC-0042)."""
    match = re.fullmatch(r"(?:SC-?)?0*(\d{1,12})", value.strip().upper())
    if not match:
        raise ValueError(value)
    return int(match.group(1))


class Command(BaseCommand):
    help = (
        "Check every source URL (HEAD, then GET when HEAD is refused), following redirects, and record the status "
        "or the problem on each source. Never changes a case (docs/editors.md, Dead links)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout",
            type=float,
            default=sources.DEFAULT_TIMEOUT,
            help=f"Seconds to wait for each answer (default {sources.DEFAULT_TIMEOUT:g}).",
        )
        parser.add_argument(
            "--delay",
            type=float,
            default=sources.DEFAULT_DELAY,
            help=f"Seconds between two requests to the same host (default {sources.DEFAULT_DELAY:g}).",
        )
        parser.add_argument(
            "--only-dead", action="store_true", help="Check again only the links that failed last time."
        )
        parser.add_argument(
            "--older-than", type=int, metavar="DAYS", help="Skip the sources checked less than DAYS days ago."
        )
        parser.add_argument("--case", type=case_number, metavar="N", help="Only the sources of case N (42 or SC-0042).")

    def handle(self, *args, timeout, delay, only_dead, older_than, case, **options):
        if timeout <= 0 or delay < 0 or (older_than is not None and older_than < 0):
            raise CommandError("--timeout must be above 0, --delay and --older-than at least 0.")
        if case is not None and not Incident.objects.filter(pk=case).exists():
            raise CommandError(f"There is no case SC-{case:04d}.")
        links = sources.sources_to_check(only_dead=only_dead, older_than=older_than, case=case)
        quiet = options["verbosity"] == 0
        problems = []

        with tqdm(total=len(links), unit="link", disable=quiet, file=self.stderr._out) as bar:

            def progress(link, result):
                if result.error:
                    problems.append((link, result))
                bar.update()

            summary = sources.check_links(links, timeout=timeout, delay=delay, progress=progress)

        if quiet:
            return
        for link, result in sorted(problems, key=lambda problem: (problem[0].case, problem[0].source)):
            self.stdout.write(f"SC-{link.case:04d}  {result.error}  {link.url}")
        self.stdout.write(
            f"Checked {summary.checked} links: {summary.fine} fine, {summary.redirected} redirected, "
            f"{summary.dead} dead, {summary.errors} errors."
        )
