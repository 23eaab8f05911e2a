from django.conf import settings
from django.core.management import BaseCommand, call_command
from django.db import transaction

from incidents.models import Incident


class Command(BaseCommand):
    help = "Load the demo catalogue (fixtures/demo.json) and compute each case's derived fields. Safe to rerun."

    def add_arguments(self, parser):
        parser.add_argument("--fixture", default=str(settings.BASE_DIR / "fixtures" / "demo.json"))

    @transaction.atomic
    def handle(self, *args, fixture, **options):
        call_command("loaddata", fixture, verbosity=options["verbosity"])
        # loaddata saves raw rows; derived fields (rendered story, search text, delays, costs) need a real save.
        count = 0
        for incident in Incident.objects.select_related("company").prefetch_related("company__aliases"):
            incident.save()
            count += 1
        self.stdout.write(self.style.SUCCESS(f"Demo catalogue ready: {count} cases."))
