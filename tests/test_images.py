"""The image pipeline with real files made by Pillow: formats, sizes, pixel bombs, metadata, renditions."""

import io
import os
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import ExifTags, Image

from incidents import images
from incidents.forms import IncidentImageForm
from incidents.models import IncidentImage
from tests import factories

pytestmark = pytest.mark.django_db

LEFT, RIGHT = (220, 20, 20), (20, 20, 220)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def encode(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def two_colour_image(width=40, height=20, mode="RGB"):
    """Left half red, right half blue: after a rotation we can tell which side went where."""
    image = Image.new(mode, (width, height), LEFT)
    image.paste(Image.new(mode, (width // 2, height), RIGHT), (width // 2, 0))
    return image


def jpeg_with_gps_and_orientation_6():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was turned: rotate 90° clockwise to view
    exif[ExifTags.Base.Make] = "Phone maker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 7.0)
    data = encode(two_colour_image(), "JPEG", exif=exif, quality=95)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test file really has GPS
    return data


def png_header_only(width, height):
    """A valid PNG signature and header announcing width × height, with a few bytes of pixel data."""

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def form_for(data, name, **fields):
    case = fields.pop("incident", None) or factories.draft()
    form = IncidentImageForm(
        data={"alt_text": "A description", "position": "0", **fields},
        files={"image": SimpleUploadedFile(name, data)},
        instance=IncidentImage(incident=case),
    )
    return form


def stored(name):
    from django.core.files.storage import default_storage

    with default_storage.open(name, "rb") as file:
        return file.read()


# Refusals -----------------------------------------------------------------------------------------------------


def test_a_tiff_renamed_png_is_refused_by_its_content():
    form = form_for(encode(two_colour_image(), "TIFF"), "holiday.png")
    assert not form.is_valid()
    assert form.errors["image"] == [
        "This file is a TIFF image, whatever its name says. Upload a JPEG, PNG or WebP image."
    ]


@pytest.mark.parametrize("image_format", ["GIF", "BMP", "ICO"])
def test_other_formats_are_refused(image_format):
    form = form_for(encode(two_colour_image(), image_format), "picture.jpg")
    assert not form.is_valid()
    assert f"This file is a {image_format} image" in form.errors["image"][0]


def test_a_file_that_is_no_image_is_refused():
    form = form_for(b"%PDF-1.7 not an image at all", "scan.jpg")
    assert not form.is_valid()
    assert form.errors["image"] == ["This file is not an image we can read. Upload a JPEG, PNG or WebP image."]


def test_a_pixel_bomb_is_refused_from_its_header_without_decoding():
    data = png_header_only(20_000, 20_000)
    assert len(data) < 200  # tiny file, 400 megapixels announced
    form = form_for(data, "bomb.png")
    assert not form.is_valid()
    assert form.errors["image"] == ["This image has far too many pixels; the limit is 40 megapixels."]
    assert not IncidentImage.objects.exists()


def test_an_image_just_over_40_megapixels_is_refused_with_its_size():
    form = form_for(png_header_only(8_000, 5_001), "big.png")
    assert not form.is_valid()
    assert form.errors["image"] == ["This image is 8000 × 5001 pixels (40.0 megapixels); the limit is 40 megapixels."]


def test_a_file_over_10_megabytes_is_refused():
    noise = Image.frombytes("RGB", (1900, 1900), os.urandom(1900 * 1900 * 3))
    data = encode(noise, "PNG", compress_level=0)
    assert len(data) > 10 * 1024 * 1024
    form = form_for(data, "noise.png")
    assert not form.is_valid()
    assert form.errors["image"] == ["This file is 10.3 MB; the limit is 10 MB."]


def test_a_truncated_image_is_refused():
    data = encode(two_colour_image(800, 600), "JPEG")[:2000]
    form = form_for(data, "cut.jpg")
    assert not form.is_valid()
    assert form.errors["image"] == ["This image is damaged or incomplete and cannot be read."]


# Accepted images ------------------------------------------------------------------------------------------------


def test_gps_exif_is_removed_from_every_stored_file_and_the_image_is_turned_upright():
    form = form_for(jpeg_with_gps_and_orientation_6(), "IMG_0001.JPG")
    assert form.is_valid(), form.errors
    image = form.save()
    image.refresh_from_db()

    original = stored(image.image.name)
    assert b"Exif" not in original and b"Phone maker" not in original
    opened = Image.open(io.BytesIO(original))
    assert opened.format == "JPEG"
    assert not opened.getexif()
    assert "exif" not in opened.info and "xmp" not in opened.info
    # 40 × 20 landscape with orientation 6 is a 20 × 40 portrait; the left (red) half is now on top.
    assert opened.size == (20, 40)
    assert (image.width, image.height) == (20, 40)
    top, bottom = opened.convert("RGB").getpixel((10, 3)), opened.convert("RGB").getpixel((10, 36))
    assert top[0] > 150 and top[2] < 100
    assert bottom[2] > 150 and bottom[0] < 100

    for key in ("webp", "jpeg"):
        for rendition in image.renditions[key]:
            data = stored(rendition["name"])
            assert b"Exif" not in data
            assert not Image.open(io.BytesIO(data)).getexif()


@pytest.mark.parametrize(("image_format", "extension"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_jpeg_png_and_webp_are_stored_with_renditions_under_the_real_extension(image_format, extension):
    form = form_for(encode(two_colour_image(2000, 1000), image_format), "upload.bin")
    assert form.is_valid(), form.errors
    image = form.save()
    assert image.image.name.endswith(f"upload.{extension}")
    assert Image.open(io.BytesIO(stored(image.image.name))).format == image_format
    renditions = image.renditions
    assert renditions["fallback"] == "jpeg"
    assert [(r["width"], r["height"]) for r in renditions["webp"]] == [(480, 240), (960, 480), (1600, 800)]
    assert [r["width"] for r in renditions["jpeg"]] == [480, 960, 1600]
    for rendition in renditions["webp"]:
        assert Image.open(io.BytesIO(stored(rendition["name"]))).format == "WEBP"
    for rendition in renditions["jpeg"]:
        assert Image.open(io.BytesIO(stored(rendition["name"]))).size == (rendition["width"], rendition["height"])


def test_renditions_are_never_wider_than_the_original():
    image = form_for(encode(two_colour_image(1200, 600), "JPEG"), "medium.jpg")
    assert image.is_valid()
    assert [r["width"] for r in image.save().renditions["webp"]] == [480, 960, 1200]
    small = form_for(encode(two_colour_image(300, 200), "JPEG"), "small.jpg")
    assert small.is_valid()
    assert [r["width"] for r in small.save().renditions["jpeg"]] == [300]


def test_a_transparent_png_falls_back_to_png_not_jpeg():
    picture = two_colour_image(600, 300, mode="RGBA")
    picture.putpixel((0, 0), (0, 0, 0, 0))
    form = form_for(encode(picture, "PNG"), "logo.png")
    assert form.is_valid(), form.errors
    image = form.save()
    assert image.renditions["fallback"] == "png"
    assert image.fallback_type == "image/png"
    assert Image.open(io.BytesIO(stored(image.renditions["png"][0]["name"]))).mode == "RGBA"


def test_srcset_helpers_for_the_picture_element(settings):
    form = form_for(encode(two_colour_image(1000, 500), "JPEG"), "photo.jpg")
    assert form.is_valid()
    image = form.save()
    webp = image.srcset("webp")
    assert webp.startswith(settings.MEDIA_URL)
    assert [part.rsplit(" ", 1)[1] for part in webp.split(", ")] == ["480w", "960w", "1000w"]
    assert all(".webp " in part for part in webp.split(", "))
    assert image.fallback_srcset.count(".jpg ") == 3
    assert image.src.endswith("-960w.jpg")
    assert image.fallback_type == "image/jpeg"

    from django.template import Context, Template

    html = Template("{% load images %}<source srcset=\"{{ image|srcset:'webp' }}\">").render(Context({"image": image}))
    assert f'srcset="{webp}"' in html


# Through the admin ----------------------------------------------------------------------------------------------


def _inline_post(client, case, upload, alt_text="Queue at the counter"):
    from tests.test_admin import admin_form_data

    url = reverse("admin:incidents_incident_change", args=[case.pk])
    data = admin_form_data(
        client.get(url),
        **{
            "images-TOTAL_FORMS": "1",
            "images-0-alt_text": alt_text,
            "images-0-position": "0",
        },
    )
    return client.post(url, {**data, "images-0-image": upload})


def test_admin_upload_shows_the_refusal_on_the_form(client):
    client.force_login(factories.editor())
    case = factories.draft()
    upload = SimpleUploadedFile("photo.png", encode(two_colour_image(), "TIFF"))
    response = _inline_post(client, case, upload)
    assert response.status_code == 200
    assert "This file is a TIFF image, whatever its name says." in response.text
    assert not case.images.exists()


def test_admin_upload_stores_a_clean_image_with_renditions(client):
    client.force_login(factories.editor())
    case = factories.draft()
    upload = SimpleUploadedFile("IMG_0001.JPG", jpeg_with_gps_and_orientation_6())
    response = _inline_post(client, case, upload)
    assert response.status_code == 302
    image = case.images.get()
    assert not Image.open(io.BytesIO(stored(image.image.name))).getexif()
    assert image.renditions["webp"]
    page = client.get(reverse("admin:incidents_incident_change", args=[case.pk]))
    assert image.src in page.text  # the inline shows a preview


# rebuild_renditions ---------------------------------------------------------------------------------------------


def test_rebuild_renditions_recreates_them_and_cleans_old_originals():
    from django.core.files.base import ContentFile

    case = factories.draft()
    legacy = IncidentImage(incident=case, alt_text="Stored before the pipeline")
    legacy.image.save("legacy.jpg", ContentFile(jpeg_with_gps_and_orientation_6()), save=False)
    legacy.save()
    assert legacy.renditions == {}
    out, err = io.StringIO(), io.StringIO()
    call_command("rebuild_renditions", stdout=out, stderr=err)
    assert "1 images rebuilt, 1 originals cleaned of metadata." in out.getvalue()
    legacy.refresh_from_db()
    assert not Image.open(io.BytesIO(stored(legacy.image.name))).getexif()
    assert (legacy.width, legacy.height) == (20, 40)
    assert [r["width"] for r in legacy.renditions["webp"]] == [20]
    first_names = [r["name"] for r in legacy.renditions["webp"]]
    call_command("rebuild_renditions", stdout=out, stderr=err)
    legacy.refresh_from_db()
    assert [r["name"] for r in legacy.renditions["webp"]] == first_names  # same names: old versions still work
    assert "0 originals cleaned" in out.getvalue().splitlines()[-1]


def test_image_helpers_know_the_limits():
    assert images.rendition_widths(5000) == [480, 960, 1600]
    assert images.rendition_widths(480) == [480]
    assert images.MAX_PIXELS == 40_000_000


def test_case_page_serves_renditions_with_srcset_and_dimensions(client):
    case = factories.incident()
    form = form_for(
        encode(two_colour_image(2000, 1000), "JPEG"), "photo.jpg", incident=case, alt_text="A broken guitar case"
    )
    assert form.is_valid(), form.errors
    form.save()
    page = client.get(case.get_absolute_url()).text
    assert '<source type="image/webp" srcset="' in page
    assert "480w" in page and "1600w" in page
    assert 'alt="A broken guitar case"' in page
    assert 'width="2000" height="1000"' in page
