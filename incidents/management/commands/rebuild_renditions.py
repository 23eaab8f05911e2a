"""manage.py rebuild_renditions: write every image's renditions again (after changing widths or formats).

An original that still carries metadata (an image stored before the pipeline existed) is replaced by a
clean copy, so that no stored file keeps EXIF, GPS or XMP data.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from tqdm import tqdm

from incidents import images
from incidents.models import IncidentImage


class Command(BaseCommand):
    help = "Rebuild the WebP and JPEG/PNG renditions of every case image; strip metadata left in originals."

    def add_arguments(self, parser):
        parser.add_argument("--case", type=int, help="Only the images of this case number.")

    def handle(self, *args, **options):
        queryset = IncidentImage.objects.exclude(image="").order_by("pk")
        if options["case"]:
            queryset = queryset.filter(incident_id=options["case"])
        rebuilt = cleaned = 0
        failures = []
        for image in tqdm(
            queryset.iterator(chunk_size=100),
            total=queryset.count(),
            unit=" images",
            disable=None if options["verbosity"] >= 1 else True,
            file=self.stderr._out,
        ):
            try:
                cleaned += images.rebuild(image)
            except (OSError, ValidationError) as error:
                message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                failures.append(f"image {image.pk} ({image.image.name}): {message}")
                continue
            # Derived files only: no new version in the history, the original's name aside.
            IncidentImage.objects.filter(pk=image.pk).update(
                image=image.image.name, width=image.width, height=image.height, renditions=image.renditions
            )
            rebuilt += 1
        for failure in failures:
            self.stderr.write(failure)
        self.stdout.write(
            self.style.SUCCESS(f"{rebuilt} images rebuilt, {cleaned} originals cleaned of metadata.")
            + (f" {len(failures)} failed." if failures else "")
        )
