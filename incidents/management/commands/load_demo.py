"""`load_demo`: add the demo catalogue (fixtures/demo.json) to a database, never overwriting anything.

`make run` runs it every time. A demo row already in the database (a sector or company by its slug, any other
row by its number) is left exactly as it is, whatever editors did to it since: retracted, merged, corrected.
Only the rows that are missing are added, with the demo's own editorial dates; a case's derived fields
(rendered story, search text, delays, headline cost) are computed for the cases added, and for no other.
"""

from django.conf import settings
from django.core import serializers
from django.core.management import BaseCommand, CommandError
from django.db import transaction

from incidents.models import Incident


def present(obj):
    """Whether the database already holds this demo row: by natural key where the model has one, else by number."""
    model = type(obj)
    if hasattr(model.objects, "get_by_natural_key") and hasattr(obj, "natural_key"):
        return model.objects.filter(slug=obj.slug).exists()
    return model.objects.filter(pk=obj.pk).exists()


class Command(BaseCommand):
    help = "Add the demo catalogue's missing rows (fixtures/demo.json); rows already there are never changed."

    def add_arguments(self, parser):
        parser.add_argument("--fixture", default=str(settings.BASE_DIR / "fixtures" / "demo.json"))

    @transaction.atomic
    def handle(self, *args, fixture, **options):
        kept_cases = set()  # cases already there: their own rows (sources, costs, timeline) are theirs too
        added_cases, deferred, added = [], [], 0
        try:
            with open(fixture, encoding="utf-8") as handle:
                # One row at a time: a company names its sector by slug, which must be in the database first.
                for wrapped in serializers.deserialize("json", handle, handle_forward_references=True):
                    obj = wrapped.object
                    owner = getattr(obj, "incident_id", None)
                    if owner in kept_cases or present(obj):
                        if isinstance(obj, Incident):
                            kept_cases.add(obj.pk)
                        continue
                    wrapped.save()
                    added += 1
                    if wrapped.deferred_fields:
                        deferred.append(wrapped)
                    if isinstance(obj, Incident):
                        added_cases.append(obj)
        except (OSError, serializers.base.DeserializationError) as error:
            raise CommandError(f"Cannot read the demo catalogue {fixture}: {error}") from error
        for wrapped in deferred:
            wrapped.save_deferred_fields()
        # Derived fields need a real save; the demo's editorial dates are then put back as they were written.
        for demo_case in added_cases:
            case = Incident.objects.select_related("company").prefetch_related("company__aliases").get(pk=demo_case.pk)
            case.save()
            Incident.objects.filter(pk=case.pk).update(updated_at=demo_case.updated_at)
        total = Incident.objects.count()
        self.stdout.write(
            self.style.SUCCESS(f"Demo catalogue ready: {len(added_cases)} cases added, {total} in the database.")
        )
        if options["verbosity"] > 1:
            self.stdout.write(f"{added} rows added; rows already present were left as they are.")
