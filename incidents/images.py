"""The image pipeline: check an upload, strip its metadata, and store it with its renditions.

An upload is accepted only if Pillow recognises JPEG, PNG or WebP *content* (the name is ignored), if the
file is at most 10 MB and if its header announces at most 40 megapixels: the header is read before any
pixel is decoded, so a "pixel bomb" is refused cheaply. The image is then turned upright (EXIF orientation)
and re-encoded, so no EXIF, GPS or XMP block survives in any stored file, the "original" included.

Renditions (480, 960 and 1600 pixels wide, never wider than the original) are written once, on upload, in
WebP and in a fallback format (JPEG, or PNG for images with transparency), through the field's storage
(`default_storage`, configured by the STORAGES setting) so that a cloud backend can replace the disk.
They are described in `IncidentImage.renditions`:

    {"version": 1, "fallback": "jpeg",
     "webp": [{"width": 480, "height": 320, "name": "cases/2026/11/photo-480w.webp"}, ...],
     "jpeg": [{"width": 480, "height": 320, "name": "cases/2026/11/photo-480w.jpg"}, ...]}
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
RENDITION_WIDTHS = (480, 960, 1600)
# Pillow format name -> (file extension, MIME type). Nothing else is accepted.
ACCEPTED_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
RENDITION_FORMATS = {"webp": ("WEBP", "webp"), "jpeg": ("JPEG", "jpg"), "png": ("PNG", "png")}
FALLBACK_MIME = {"jpeg": "image/jpeg", "png": "image/png"}
RENDITIONS_VERSION = 1


@dataclass
class CleanImage:
    """An upload that passed the checks: upright, without metadata, re-encoded in its own format."""

    image: Image.Image
    format: str  # "JPEG", "PNG" or "WEBP"
    content: bytes  # the re-encoded "original"
    had_metadata: bool

    @property
    def extension(self):
        return ACCEPTED_FORMATS[self.format][0]

    @property
    def has_alpha(self):
        return self.image.mode in ("RGBA", "LA")


def _megapixels(width, height):
    return round(width * height / 1_000_000, 1)


def read_header(file):
    """Open the image lazily (no pixel is decoded) and check its format and size; returns the Pillow image."""
    try:
        with warnings.catch_warnings():
            # Above Image.MAX_IMAGE_PIXELS Pillow only warns: make that a refusal too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(file)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError(
            _("This image has far too many pixels; the limit is %(limit)s megapixels."),
            code="too_many_pixels",
            params={"limit": MAX_PIXELS // 1_000_000},
        ) from error
    except Exception as error:  # Pillow raises several types for content it cannot read.
        raise ValidationError(
            _("This file is not an image we can read. Upload a JPEG, PNG or WebP image."), code="not_an_image"
        ) from error
    if image.format not in ACCEPTED_FORMATS:
        raise ValidationError(
            _("This file is a %(format)s image, whatever its name says. Upload a JPEG, PNG or WebP image."),
            code="format",
            params={"format": image.format or _("unknown")},
        )
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ValidationError(
            _("This image is %(width)s × %(height)s pixels (%(mp)s megapixels); the limit is %(limit)s megapixels."),
            code="too_many_pixels",
            params={
                "width": width,
                "height": height,
                "mp": _megapixels(width, height),
                "limit": MAX_PIXELS // 1_000_000,
            },
        )
    return image


def clean_upload(file):
    """Check an uploaded file and return a `CleanImage`, or raise a ValidationError an editor can act on."""
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, os.SEEK_END)
        size = file.tell()
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("This file is %(size)s MB; the limit is %(limit)s MB."),
            code="too_big",
            params={"size": round(size / 1024 / 1024, 1), "limit": MAX_UPLOAD_BYTES // 1024 // 1024},
        )
    file.seek(0)
    image = read_header(file)
    image_format = image.format
    had_metadata = bool({"exif", "xmp", "XML:com.adobe.xmp"} & set(image.info)) or bool(image.getexif())
    try:
        image.seek(0)  # the first frame of an animation
        image.load()
        upright = ImageOps.exif_transpose(image)
    except Exception as error:
        raise ValidationError(_("This image is damaged or incomplete and cannot be read."), code="damaged") from error
    upright = _normalise_mode(upright, image_format)
    icc_profile = image.info.get("icc_profile")
    upright.info = {}  # drop EXIF, XMP, comments, text chunks...
    if icc_profile:
        upright.info["icc_profile"] = icc_profile  # colours, not metadata about the person
    return CleanImage(
        image=upright, format=image_format, content=encode(upright, image_format), had_metadata=had_metadata
    )


def _normalise_mode(image, image_format):
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if image_format == "JPEG" or not has_alpha:
        return image.convert("L") if image.mode in ("L", "1", "I;16") else image.convert("RGB")
    return image.convert("RGBA")


def encode(image, image_format):
    """Encode without metadata (only an ICC colour profile, when the original had one)."""
    buffer = io.BytesIO()
    options = {}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    if image_format == "JPEG":
        options.update(quality=88, optimize=True, progressive=True)
        image = image if image.mode in ("RGB", "L") else image.convert("RGB")
    elif image_format == "WEBP":
        options.update(quality=82, method=4)
        image = image if image.mode in ("RGB", "RGBA") else image.convert("RGB")
    elif image_format == "PNG":
        options.update(optimize=True)
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def rendition_widths(original_width):
    """480, 960 and 1600, never wider than the original; the original width closes the list when smaller."""
    widths = [width for width in RENDITION_WIDTHS if width < original_width]
    widths.append(min(original_width, RENDITION_WIDTHS[-1]))
    return sorted(set(widths))


def make_renditions(clean, base_name, storage):
    """Write every rendition of `clean` next to `base_name` (a name without extension); returns the JSON."""
    fallback = "png" if clean.has_alpha else "jpeg"
    renditions = {"version": RENDITIONS_VERSION, "fallback": fallback, "webp": [], fallback: []}
    width, height = clean.image.size
    for target in rendition_widths(width):
        target_height = max(1, round(height * target / width))
        resized = clean.image if target == width else clean.image.resize((target, target_height), Image.LANCZOS)
        resized.info = dict(clean.image.info)
        for key in ("webp", fallback):
            pillow_format, extension = RENDITION_FORMATS[key]
            name = storage.save(f"{base_name}-{target}w.{extension}", ContentFile(encode(resized, pillow_format)))
            renditions[key].append({"width": target, "height": target_height, "name": name})
    return renditions


def delete_renditions(renditions, storage):
    for key in ("webp", "jpeg", "png"):
        for rendition in (renditions or {}).get(key, []):
            if storage.exists(rendition["name"]):
                storage.delete(rendition["name"])


def store(instance, clean, filename):
    """Save the clean original into `instance.image` and write its renditions; the caller saves `instance`."""
    stem = os.path.splitext(get_valid_filename(os.path.basename(filename)))[0][:80] or "image"
    instance.image.save(f"{stem}.{clean.extension}", ContentFile(clean.content), save=False)
    instance.width, instance.height = clean.image.size
    base_name = os.path.splitext(instance.image.name)[0]
    instance.renditions = make_renditions(clean, base_name, instance.image.storage)
    return instance


def rebuild(instance):
    """Write the renditions of a stored image again; an original that still carries metadata is replaced.

    Returns True when the original had to be cleaned. The caller saves `instance`.
    """
    storage = instance.image.storage
    old_name = instance.image.name
    with storage.open(old_name, "rb") as file:
        clean = clean_upload(ContentFile(file.read(), name=old_name))
    cleaned_original = clean.had_metadata
    if cleaned_original:
        new_name = storage.save(
            f"{os.path.splitext(old_name)[0]}.{clean.extension}",
            ContentFile(clean.content),
        )
        instance.image.name = new_name
        storage.delete(old_name)
    delete_renditions(instance.renditions, storage)
    instance.width, instance.height = clean.image.size
    instance.renditions = make_renditions(clean, os.path.splitext(instance.image.name)[0], storage)
    return cleaned_original


def _storage():
    from django.core.files.storage import default_storage

    return default_storage


def srcset(renditions, image_format="webp"):
    """ "url 480w, url 960w" for one format: "webp", "fallback", "jpeg" or "png"; empty without renditions."""
    renditions = renditions or {}
    key = renditions.get("fallback", "jpeg") if image_format == "fallback" else image_format
    storage = _storage()
    return ", ".join(f"{storage.url(r['name'])} {r['width']}w" for r in renditions.get(key, []))


def fallback_type(renditions):
    return FALLBACK_MIME.get((renditions or {}).get("fallback", "jpeg"), "image/jpeg")


def default_src(renditions, preferred_width=960):
    """The URL of the widest fallback rendition not wider than `preferred_width` (or the narrowest)."""
    renditions = renditions or {}
    candidates = renditions.get(renditions.get("fallback", "jpeg"), [])
    if not candidates:
        return ""
    fitting = [r for r in candidates if r["width"] <= preferred_width] or candidates[:1]
    return _storage().url(fitting[-1]["name"])
