from django.core.management import BaseCommand, CommandError

from incidents.backups import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into a new folder (docs/operations.md)."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="A new folder, e.g. backups/2026-12-04")

    def handle(self, *args, folder, **options):
        try:
            manifest = backup(folder)
        except BackupError as error:
            raise CommandError(str(error)) from None
        cases = manifest["rows"].get("incidents_incident", 0)
        self.stdout.write(self.style.SUCCESS(f"Backed up {cases} cases and the media files into {folder}."))
