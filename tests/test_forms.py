"""The forms on their own: bound with data, what they accept, refuse and hand back (incidents/forms.py)."""

import io

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import inlineformset_factory, modelform_factory
from django.urls import reverse
from PIL import Image

from incidents.forms import (
    ImageFormSet,
    IncidentAdminForm,
    IncidentImageForm,
    MergeForm,
    OrderedSourceFormSet,
    ReferenceField,
    TipConvertForm,
    TipForm,
)
from incidents.models import Incident, IncidentImage, Source, Status
from tests import factories

pytestmark = pytest.mark.django_db

# The case form of the admin ---------------------------------------------------------------------------------

CASE_FIELDS = [
    "title",
    "slug",
    "status",
    "company",
    "summary",
    "story",
    "lesson",
    "country",
    "occurred_on",
    "retraction_reason",
]
MISSING_ALL = (
    "To be published, this case still needs: a summary, the story, the lesson, a company, the date it happened."
)
RETRACTION_REASON_NEEDED = "Say why the case is retracted: readers will see it."
EDITOR_HELP = "Move the case to “In review” when it is ready: a chief editor publishes it."


def case_form(user, data=None, *, instance=None, fields=CASE_FIELDS):
    """The case form as the admin builds it: the model form, with `user` set on its class."""
    form_class = modelform_factory(Incident, form=IncidentAdminForm, fields=fields)
    form_class.user = user
    return form_class(data, instance=instance)


def case_data(company, **overrides):
    return {
        "title": "Refund refused for a year",
        "slug": "refund-refused-for-a-year",
        "status": "draft",
        "company": str(company.pk),
        "summary": "The shop refused a refund for a year.",
        "story": "A customer asked for a refund and waited a year.",
        "lesson": "Answer the first letter.",
        "country": "FR",
        "occurred_on": "2024-03-01",
        "retraction_reason": "",
        **overrides,
    }


def data_of(case, **overrides):
    """The form data that posts `case` back unchanged, apart from `overrides`."""
    unchanged = {
        "title": case.title,
        "slug": case.slug,
        "status": case.status,
        "summary": case.summary,
        "story": case.story,
        "lesson": case.lesson,
        "country": case.country,
        "occurred_on": case.occurred_on.isoformat() if case.occurred_on else "",
        "retraction_reason": case.retraction_reason,
    }
    return case_data(case.company, **{**unchanged, **overrides})


def test_an_editor_chooses_between_draft_and_review_on_a_new_case():
    form = case_form(factories.editor())
    assert form.fields["status"].choices == [("draft", "Draft"), ("review", "In review")]
    assert form.fields["status"].help_text == EDITOR_HELP


def test_an_editor_cannot_take_a_published_case_out_of_publication():
    form = case_form(factories.editor(), instance=factories.incident())
    assert form.fields["status"].choices == [("published", "Published")]


def test_a_chief_editor_may_also_publish_and_retract_and_gets_no_advice():
    form = case_form(factories.chief_editor(), instance=factories.incident())
    assert form.fields["status"].choices == [
        ("draft", "Draft"),
        ("review", "In review"),
        ("published", "Published"),
        ("retracted", "Retracted"),
    ]
    assert form.fields["status"].help_text == ""


def test_without_a_user_the_form_offers_every_status():
    form = case_form(None, case_data(factories.company()))
    assert [value for value, _label in form.fields["status"].choices] == [
        "draft",
        "review",
        "published",
        "retracted",
        "merged",
    ]
    assert form.is_valid(), form.errors


def test_an_editor_saves_a_new_draft():
    form = case_form(factories.editor(), case_data(factories.company()))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["status"] == "draft"


def test_a_draft_may_be_incomplete():
    data = case_data(factories.company(), story="", lesson="", occurred_on="")
    form = case_form(factories.editor(), data)
    assert form.is_valid(), form.errors


def test_an_editor_posting_a_status_they_may_not_give_gets_a_field_error():
    form = case_form(factories.editor(), case_data(factories.company(), status="published"))
    assert form.errors == {
        "status": ["Select a valid choice. published is not one of the available choices."],
    }


def test_a_chief_editor_publishes_a_complete_new_case():
    company = factories.company()
    form = case_form(factories.chief_editor(), case_data(company, status="published"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["company"] == company


def test_publishing_an_empty_case_names_everything_it_lacks():
    data = case_data(factories.company(), status="published", summary="", story="", lesson="", occurred_on="")
    data["company"] = ""
    form = case_form(factories.chief_editor(), data)
    assert form.errors == {
        "__all__": [MISSING_ALL],
        "summary": ["This field is required."],
        "company": ["This field is required."],
    }


def test_publishing_without_story_lesson_or_date_names_those_three():
    data = case_data(factories.company(), status="published", story=" ", lesson="", occurred_on="")
    form = case_form(factories.chief_editor(), data)
    assert form.errors == {
        "__all__": ["To be published, this case still needs: the story, the lesson, the date it happened."],
    }


def test_an_editor_edits_a_published_case_and_keeps_it_published():
    case = factories.incident()
    form = case_form(factories.editor(), data_of(case, title="A better title"), instance=case)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["status"] == "published"


def test_a_published_case_is_checked_even_when_the_form_has_no_status_field():
    case = factories.incident()
    fields = [name for name in CASE_FIELDS if name != "status"]
    form = case_form(factories.editor(), data_of(case, story=""), instance=case, fields=fields)
    assert form.errors == {"__all__": ["To be published, this case still needs: the story."]}


def test_a_retraction_needs_its_reason_on_the_reason_field():
    case = factories.incident()
    form = case_form(factories.chief_editor(), data_of(case, status="retracted", retraction_reason="  "), instance=case)
    assert form.errors == {"retraction_reason": [RETRACTION_REASON_NEEDED]}


def test_a_retraction_with_its_reason_is_accepted():
    case = factories.incident()
    data = data_of(case, status="retracted", retraction_reason="The sources did not hold.")
    form = case_form(factories.chief_editor(), data, instance=case)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["retraction_reason"] == "The sources did not hold."


def test_without_the_reason_field_a_retracted_case_keeps_its_stored_reason():
    case = factories.incident(status=Status.RETRACTED, retraction_reason="The sources did not hold.")
    fields = [name for name in CASE_FIELDS if name != "retraction_reason"]
    data = data_of(case)
    del data["retraction_reason"]
    form = case_form(factories.chief_editor(), data, instance=case, fields=fields)
    assert form.is_valid(), form.errors


def test_without_the_reason_field_a_missing_reason_is_an_error_of_the_whole_form():
    case = factories.incident(status=Status.RETRACTED, retraction_reason="")
    fields = [name for name in CASE_FIELDS if name != "retraction_reason"]
    data = data_of(case)
    del data["retraction_reason"]
    form = case_form(factories.chief_editor(), data, instance=case, fields=fields)
    assert form.errors == {"__all__": [RETRACTION_REASON_NEEDED]}


def test_merged_cannot_be_chosen_in_the_form():
    form = case_form(None, case_data(factories.company(), status="merged"))
    assert form.errors == {"status": ["Use “Merge into another case” to merge a case."]}


def test_a_merged_case_is_saved_with_its_status():
    case = factories.incident(status=Status.MERGED, merged_into=factories.incident())
    form = case_form(factories.chief_editor(), data_of(case), instance=case)
    assert form.is_valid(), form.errors


# Sources, images and positions: the inline formsets ------------------------------------------------------------

SourceFormSet = inlineformset_factory(
    Incident, Source, formset=OrderedSourceFormSet, fields=["title", "publisher", "position"], extra=0
)
ImageRows = inlineformset_factory(
    Incident,
    IncidentImage,
    form=IncidentImageForm,
    formset=ImageFormSet,
    fields=["image", "alt_text", "caption", "credit", "position"],
    extra=0,
)
ONE_SOURCE_NEEDED = "To be published, this case still needs: at least one source."
ALT_TEXT_NEEDED = "To be published, this case still needs: alt text for every image."


def formset_data(prefix, rows, *, initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for number, row in enumerate(rows):
        data.update({f"{prefix}-{number}-{name}": value for name, value in row.items()})
    return data


def source_row(source=None, **fields):
    row = {"title": "", "publisher": "", "position": "0"}
    if source is not None:
        row.update(id=str(source.pk), incident=str(source.incident_id), title=source.title, publisher=source.publisher)
        row["position"] = str(source.position)
    return {**row, **fields}


def sources_formset(case, rows, *, initial=0):
    return SourceFormSet(formset_data("sources", rows, initial=initial), instance=case, prefix="sources")


def test_a_published_case_cannot_lose_its_last_source():
    case = factories.incident(sources=0)
    only = factories.source(incident=case)
    formset = sources_formset(case, [source_row(only, DELETE="on")], initial=1)
    assert not formset.is_valid()
    assert formset.non_form_errors() == [ONE_SOURCE_NEEDED]
    assert [error.code for error in formset.non_form_errors().as_data()] == ["publication"]


def test_a_published_case_may_lose_one_of_two_sources():
    case = factories.incident(sources=0)
    first, second = factories.source(incident=case), factories.source(incident=case, title="Another article")
    formset = sources_formset(case, [source_row(first, DELETE="on"), source_row(second)], initial=2)
    assert formset.is_valid(), (formset.errors, formset.non_form_errors())


def test_a_new_source_after_an_empty_row_counts():
    case = factories.incident(sources=0)
    rows = [source_row(), source_row(title="An interview", publisher="Radio Nord")]
    formset = sources_formset(case, rows)
    assert formset.is_valid(), (formset.errors, formset.non_form_errors())


def test_an_empty_row_is_not_a_source():
    case = factories.incident(sources=0)
    formset = sources_formset(case, [source_row()])
    assert formset.non_form_errors() == [ONE_SOURCE_NEEDED]


def test_a_draft_may_have_no_source():
    case = factories.draft(sources=0)
    formset = sources_formset(case, [source_row()])
    assert formset.is_valid(), formset.non_form_errors()


def test_a_new_source_left_at_position_0_goes_after_the_others():
    case = factories.incident(sources=0)
    first = factories.source(incident=case, title="First", position=1)
    second = factories.source(incident=case, title="Second", position=3)
    rows = [source_row(first), source_row(second), source_row(title="Third", publisher="Radio Nord")]
    formset = sources_formset(case, rows, initial=2)
    assert formset.is_valid(), formset.errors
    formset.save()
    assert list(case.sources.values_list("title", "position")) == [("First", 1), ("Second", 3), ("Third", 4)]


def test_a_new_source_keeps_the_position_it_was_given():
    case = factories.incident(sources=0)
    factories.source(incident=case, title="First", position=5)
    rows = [source_row(title="Before", publisher="Radio Nord", position="2")]
    formset = sources_formset(case, rows)
    assert formset.is_valid(), formset.errors
    formset.save()
    assert list(case.sources.values_list("title", "position")) == [("Before", 2), ("First", 5)]


def test_the_first_source_of_a_case_keeps_position_0():
    case = factories.draft(sources=0)
    formset = sources_formset(case, [source_row(title="Only", publisher="Radio Nord")])
    assert formset.is_valid(), formset.errors
    formset.save()
    assert list(case.sources.values_list("title", "position")) == [("Only", 0)]


def test_saving_sources_without_commit_writes_nothing():
    case = factories.incident(sources=0)
    factories.source(incident=case, title="First", position=1)
    formset = sources_formset(case, [source_row(title="Second", publisher="Radio Nord")])
    assert formset.is_valid(), formset.errors
    (new,) = formset.save(commit=False)
    assert list(case.sources.values_list("title", flat=True)) == ["First"]
    assert (new.pk, new.title, new.position) == (None, "Second", 2)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image_row(image, **fields):
    row = {
        "id": str(image.pk),
        "incident": str(image.incident_id),
        "alt_text": image.alt_text,
        "caption": "",
        "credit": "",
        "position": "0",
    }
    return {**row, **fields}


def jpeg_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (220, 20, 20)).save(buffer, format="JPEG")
    return buffer.getvalue()


def stored_image(case, **fields):
    image = IncidentImage(incident=case, **fields)
    image.image.save("queue.jpg", ContentFile(jpeg_bytes()), save=False)
    image.save()
    return image


def images_formset(case, rows):
    return ImageRows(formset_data("images", rows, initial=len(rows)), instance=case, prefix="images")


def test_every_image_of_a_published_case_needs_its_alt_text(media_root):
    case = factories.incident()
    described = stored_image(case, alt_text="A queue at the counter")
    bare = stored_image(case)
    formset = images_formset(case, [image_row(described), image_row(bare, alt_text=" ")])
    assert formset.errors == [{}, {"alt_text": [ALT_TEXT_NEEDED]}]


def test_a_published_case_with_described_images_is_valid(media_root):
    case = factories.incident()
    image = stored_image(case, alt_text="A queue at the counter")
    formset = images_formset(case, [image_row(image, caption="The queue")])
    assert formset.is_valid(), formset.errors


def test_a_draft_may_have_images_without_alt_text(media_root):
    case = factories.draft()
    image = stored_image(case)
    formset = images_formset(case, [image_row(image, caption="The queue")])
    assert formset.is_valid(), formset.errors


# The image form -------------------------------------------------------------------------------------------------


def jpeg_upload(name="IMG_0001.JPG"):
    return SimpleUploadedFile(name, jpeg_bytes())


def image_form(case, *, upload=None, instance=None, **fields):
    data = {"alt_text": "A queue at the counter", "caption": "", "credit": "", "position": "0", **fields}
    files = {"image": upload} if upload is not None else {}
    return IncidentImageForm(data, files, instance=instance or IncidentImage(incident=case))


def test_an_uploaded_image_is_stored_under_its_own_name_with_renditions(media_root):
    form = image_form(factories.draft(), upload=jpeg_upload("Queue at the counter.JPG"))
    assert form.is_valid(), form.errors
    image = form.save()
    stored = IncidentImage.objects.get()
    assert stored == image
    assert stored.image.name.startswith("cases/")
    assert stored.image.name.endswith("/Queue_at_the_counter.jpg")
    assert (stored.width, stored.height) == (40, 20)
    assert [rendition["width"] for rendition in stored.renditions["webp"]] == [40]


def test_an_image_saved_without_commit_is_not_written(media_root):
    form = image_form(factories.draft(), upload=jpeg_upload())
    assert form.is_valid(), form.errors
    image = form.save(commit=False)
    assert not IncidentImage.objects.exists()
    assert image.pk is None
    assert (image.width, image.height) == (40, 20)


def test_changing_the_alt_text_keeps_the_stored_file(media_root):
    case = factories.draft()
    image = stored_image(case, alt_text="A queue")
    form = image_form(case, instance=image, alt_text="A long queue at the counter")
    assert form.is_valid(), form.errors
    name = image.image.name
    form.save()
    image.refresh_from_db()
    assert (image.image.name, image.alt_text) == (name, "A long queue at the counter")
    assert sorted(path.name for path in media_root.rglob("*") if path.is_file()) == ["queue.jpg"]


# Merging: the reference of the case that stays, and what moves ---------------------------------------------------


def test_a_case_is_found_by_its_reference_or_its_number():
    target = factories.incident()
    field = ReferenceField()
    for typed in (target.reference, f"sc-{target.pk}", f"SC{target.pk}", f" {target.pk} ", f"000{target.pk}"):
        assert field.clean(typed) == target, typed


def test_an_optional_reference_left_empty_is_none():
    assert ReferenceField(required=False).clean("") is None


def test_the_company_of_the_case_found_comes_with_it(django_assert_num_queries):
    target = factories.incident()
    with django_assert_num_queries(1):
        found = ReferenceField().clean(target.reference)
        assert found.company.name == target.company.name


def merge_form(case, typed, **data):
    return MergeForm({"target": typed, **data}, case=case)


def test_the_merge_form_takes_the_case_that_stays():
    case, target = factories.incident(), factories.incident()
    form = merge_form(case, target.reference)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["target"] == target


def test_a_reference_that_is_not_one_is_refused():
    form = merge_form(factories.incident(), "case 42")
    assert form.errors == {"target": ["Type a case reference such as SC-0042."]}
    assert form.has_error("target", "invalid")


def test_a_reference_to_no_case_is_refused_with_what_was_typed():
    form = merge_form(factories.incident(), "sc-999999")
    assert form.errors == {"target": ["There is no case sc-999999."]}
    assert form.has_error("target", "missing")


def test_a_case_is_not_merged_into_itself():
    case = factories.incident()
    form = merge_form(case, case.reference)
    assert form.errors == {"target": ["Choose another case to merge into."]}
    assert form.has_error("target", "merge")


def test_only_the_sources_timeline_and_costs_of_the_case_can_move():
    case, target = factories.incident(sources=0), factories.incident(sources=0)
    source, event, cost = factories.source(incident=case), factories.event(case), factories.cost(case, "100")
    form = MergeForm(
        data={
            "target": target.reference,
            "sources": [str(source.pk)],
            "timeline": [str(event.pk)],
            "costs": [str(cost.pk)],
        },
        case=case,
    )
    assert form.is_valid(), form.errors
    assert list(form.cleaned_data["sources"]) == [source]
    assert list(form.cleaned_data["timeline"]) == [event]
    assert list(form.cleaned_data["costs"]) == [cost]

    other_source = factories.source(incident=target)
    other_event, other_cost = factories.event(target), factories.cost(target, "5")
    form = merge_form(
        case,
        target.reference,
        sources=[str(other_source.pk)],
        timeline=[str(other_event.pk)],
        costs=[str(other_cost.pk)],
    )
    assert form.errors == {
        name: [f"Select a valid choice. {pk} is not one of the available choices."]
        for name, pk in (("sources", other_source.pk), ("timeline", other_event.pk), ("costs", other_cost.pk))
    }


# Turning a tip into a draft ---------------------------------------------------------------------------------------


def test_the_convert_form_takes_its_data_and_initial_values():
    bank = factories.company(name="Some Bank")
    form = TipConvertForm({"company": str(bank.pk), "title": "Account frozen", "country": " be "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"company": bank, "title": "Account frozen", "country": "BE"}
    unbound = TipConvertForm(initial={"title": "Proposed title"})
    assert unbound["title"].value() == "Proposed title"


@pytest.mark.parametrize("typed", ["F1", "12", "é!"])
def test_a_country_is_two_letters(typed):
    form = TipConvertForm({"company": str(factories.company().pk), "title": "Account frozen", "country": typed})
    assert form.errors == {"country": ["Use a two-letter ISO 3166 country code, e.g. FR."]}


def test_in_the_admin_the_company_is_chosen_with_the_autocomplete():
    bank = factories.company(name="Some Bank")
    factories.company(name="Other Bank")
    form = TipConvertForm({"company": str(bank.pk), "title": "t", "country": "FR"}, admin_site=admin.site)
    html = str(form["company"])
    assert f'data-ajax--url="{reverse("admin:autocomplete")}"' in html
    assert 'data-app-label="incidents" data-model-name="incident" data-field-name="company"' in html
    assert f'<option value="{bank.pk}" selected>Some Bank</option>' in html
    assert "Other Bank" not in html  # the other companies are fetched as the editor types
    assert form.is_valid(), form.errors


def test_outside_the_admin_the_company_is_a_plain_list():
    bank = factories.company(name="Some Bank")
    factories.company(name="Other Bank")
    html = str(TipConvertForm({"company": str(bank.pk)})["company"])
    assert "data-ajax--url" not in html
    assert "Other Bank" in html


# The public tip form -----------------------------------------------------------------------------------------------

STORY = "The airline lost my wheelchair and told me to come back in a week."


def tip_data(**overrides):
    return {
        "what_happened": STORY,
        "company_name": "Fly Away",
        "when": "March 2024",
        "links": "",
        "contact_email": "",
        "website": "",
        **overrides,
    }


def test_a_tip_is_cleaned_into_plain_text():
    form = TipForm(
        tip_data(
            what_happened="  First line of the story.\r\nSecond line.\rThird line.\x07\u202e ",
            company_name=" Fly\u200b Away ",
            when=" March\x0c 2024 ",
        )
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["what_happened"] == "First line of the story.\nSecond line.\nThird line."
    assert form.cleaned_data["company_name"] == "Fly Away"
    assert form.cleaned_data["when"] == "March 2024"


@pytest.mark.parametrize(
    "link", ['https://example.org/">', "https://example.org/<script>", "https://example.org/a b", "https://e.org/{x}"]
)
def test_a_tip_link_with_characters_no_url_holds_is_refused(link):
    form = TipForm(tip_data(links=f"https://example.org/fine\n{link}"))
    assert not form.is_valid()
    assert "is not a web address" in str(form.errors["links"])


def test_text_is_normalised_to_composed_characters():
    form = TipForm(data=tip_data(company_name="Cafe\u0301 du Coin"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["company_name"] == "Caf\u00e9 du Coin"


def test_optional_fields_left_empty_stay_empty():
    form = TipForm(tip_data(when="", links=""))
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["when"], form.cleaned_data["links"]) == ("", "")


def test_a_story_of_30_characters_is_enough_and_29_is_not():
    assert TipForm(tip_data(what_happened="x" * 30)).is_valid()
    form = TipForm(tip_data(what_happened="x" * 29))
    assert form.errors == {"what_happened": ["Tell us a little more: at least 30 characters."]}


def test_links_are_kept_one_per_line_without_blank_lines():
    form = TipForm(tip_data(links=" https://example.org/a \r\n\r\n   \nhttp://example.org/b\n"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["links"] == "https://example.org/a\nhttp://example.org/b"


def test_ten_links_are_accepted_and_eleven_are_not():
    ten = "\n".join(f"https://example.org/{n}" for n in range(10))
    assert TipForm(tip_data(links=ten)).is_valid()
    form = TipForm(tip_data(links=ten + "\nhttps://example.org/10"))
    assert form.errors == {"links": ["At most 10 links, please."]}
    assert form.has_error("links", "too_many")


@pytest.mark.parametrize("link", ["ftp://example.org/file", "javascript:alert(1)", "example.org/article"])
def test_a_link_must_be_a_web_address(link):
    form = TipForm(tip_data(links=f"https://example.org/fine\n{link}"))
    assert form.errors == {"links": [f"“{link}” is not a web address (it should start with https://)."]}
    assert form.has_error("links", "invalid_link")


def test_a_long_wrong_link_is_quoted_on_its_first_100_characters():
    line = "see " + "x" * 150
    form = TipForm(tip_data(links=line))
    quoted = "see " + "x" * 96
    assert form.errors == {"links": [f"“{quoted}” is not a web address (it should start with https://)."]}


def test_the_honeypot_tells_robots_apart():
    assert TipForm(tip_data(website="http://spam.example")).is_robot
    assert not TipForm(tip_data()).is_robot


def test_a_tip_form_saves_the_cleaned_text():
    form = TipForm(tip_data(when=" Spring 2024\x00 "))
    assert form.errors == {"when": ["Null characters are not allowed."]}
    form = TipForm(tip_data(when=" Spring\x07 2024 "))
    tip = form.save()
    assert (tip.what_happened, tip.company_name, tip.when) == (STORY, "Fly Away", "Spring 2024")


def test_help_texts_with_figures_are_in_the_language_of_the_page_that_shows_them():
    """Put together when shown, not when forms.py is imported (they stayed English on /fr/ pages)."""
    from django.utils import translation

    with translation.override("fr"):
        assert str(TipForm().fields["links"].help_text) == (
            "Articles de presse, publications, documents\u202f: une adresse web par ligne, 10 au maximum."
        )
        assert str(IncidentImageForm().fields["image"].help_text).startswith("JPEG, PNG ou WebP, 10\u00a0Mo et ")
    with translation.override("en"):
        assert str(TipForm().fields["links"].help_text).endswith("one web address per line, at most 10.")
        assert str(IncidentImageForm().fields["image"].help_text).startswith("JPEG, PNG or WebP, at most 10 MB and ")
