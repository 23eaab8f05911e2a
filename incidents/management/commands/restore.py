from django.core.management import BaseCommand, CommandError

from incidents.backups import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup into an empty database and the media folder (docs/operations.md)."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="A folder written by `manage.py backup`")

    def handle(self, *args, folder, **options):
        try:
            manifest = restore(folder)
        except BackupError as error:
            raise CommandError(str(error)) from None
        cases = manifest["rows"].get("incidents_incident", 0)
        self.stdout.write(self.style.SUCCESS(f"Restored {cases} cases and the media files from {folder}."))
