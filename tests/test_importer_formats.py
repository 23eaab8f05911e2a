"""The importer row by row: what read_csv() and read_json() yield, and what import_rows() does with each column."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.db import IntegrityError

from incidents.exchange import importer
from incidents.exchange.importer import ImportFormatError, import_rows, read_csv, read_json
from incidents.models import ApologyQuality, Company, CostEstimate, Incident, IncidentImage, Source, TimelineEvent
from tests import factories

pytestmark = pytest.mark.django_db

# Reading CSV ------------------------------------------------------------------------------------------------------


def test_csv_rows_come_with_the_line_they_start_on():
    text = 'title,story\nOne,"First line\nsecond line\nthird line"\nTwo,Short\n'
    assert list(read_csv(io.StringIO(text))) == [
        (2, {"title": "One", "story": "First line\nsecond line\nthird line"}),
        (5, {"title": "Two", "story": "Short"}),
    ]


def test_an_empty_csv_file_has_no_rows():
    assert list(read_csv(io.StringIO(""))) == []


def test_csv_columns_outside_the_schema_are_named():
    with pytest.raises(ImportFormatError) as error:
        list(read_csv(io.StringIO("title,colour,size\nx,blue,XL\n")))
    assert str(error.value) == "Unknown columns: colour, size."


# Reading JSON -----------------------------------------------------------------------------------------------------


def test_json_objects_come_with_the_line_they_start_on_and_exact_decimals():
    text = '[\n{"title": "One",\n "amount": 1.50},\n\n  {"title": "Two", "tags": [1, 2]}\n]\n'
    assert list(read_json(io.StringIO(text))) == [
        (2, {"title": "One", "amount": Decimal("1.50")}),
        (5, {"title": "Two", "tags": [1, 2]}),
    ]


def test_json_lines_count_lines_across_multi_line_objects():
    text = '{"title": "One",\n"story": "x"}\n{"title": "Two"}\n\n{"title": "Three"}\n'
    assert [line for line, _row in read_json(io.StringIO(text))] == [1, 3, 5]


def test_an_unclosed_json_list_is_refused():
    with pytest.raises(ImportFormatError) as error:
        list(read_json(io.StringIO('[{"title": "One"},\n')))
    assert str(error.value) == "The list of cases is not closed by “]”."


def test_text_after_the_end_of_the_json_list_is_refused():
    with pytest.raises(ImportFormatError) as error:
        list(read_json(io.StringIO('[\n{"title": "One"}\n]x')))
    assert str(error.value) == "Line 3: text after the end of the list."


def test_text_after_the_end_of_the_json_list_is_refused_however_far_it_is():
    reader = read_json(io.StringIO('[{"title": "One"}]' + " " * 100 + "\nx"), chunk_size=16)
    with pytest.raises(ImportFormatError) as error:
        list(reader)
    assert str(error.value) == "Line 1: text after the end of the list."


def test_a_json_list_followed_by_blank_lines_is_read():
    assert list(read_json(io.StringIO('[{"title": "One"}]\n\n  \n'), chunk_size=4)) == [(1, {"title": "One"})]


def test_invalid_json_is_refused_with_its_line():
    with pytest.raises(ImportFormatError) as error:
        list(read_json(io.StringIO('[\n{"title": "One"},\n{"title":\n }\n]')))
    assert str(error.value) == "Line 4: this is not valid JSON (Expecting value)."


def test_a_stray_letter_between_cases_is_not_json():
    with pytest.raises(ImportFormatError) as error:
        list(read_json(io.StringIO('[{"title": "One"}, X]')))
    assert str(error.value) == "Line 1: this is not valid JSON (Expecting value)."


def test_each_case_must_be_a_json_object():
    with pytest.raises(ImportFormatError) as error:
        list(read_json(io.StringIO('[\n{"title": "One"},\n["not", "a", "case"]\n]')))
    assert str(error.value) == "Line 3: each case must be a JSON object."


def test_a_json_object_is_read_in_chunks_not_the_whole_file_at_once():
    text = "[" + ",".join(json.dumps({"title": f"Case {n}", "story": "x" * 1000}) for n in range(20)) + "]"
    sizes = []

    class Reader(io.StringIO):
        def read(self, size=-1):
            sizes.append(size)
            return super().read(size)

    first = next(read_json(Reader(text), chunk_size=256))
    assert first == (1, {"title": "Case 0", "story": "x" * 1000})
    assert sizes == [256] * 5  # 1,280 characters: enough for the first case, not the 20,000 of the file


def test_a_case_larger_than_the_limit_is_refused():
    story = "x" * importer.MAX_JSON_OBJECT_CHARS
    reader = read_json(io.StringIO('{"story": "' + story + '"}'), chunk_size=1 << 20)
    with pytest.raises(ImportFormatError) as error:
        next(reader)
    assert str(error.value).startswith("Line 1: this is not valid JSON (Unterminated string")


# Importing rows -----------------------------------------------------------------------------------------------------


@pytest.fixture
def colis():
    return factories.company(name="Colis Express", slug="colis-express")


def new_row(**overrides):
    row = {
        "title": "Parcel lost",
        "company": "Colis Express",
        "country": "FR",
        "occurred_on": "2023-05-04",
        "summary": "A courier lost a parcel.",
        "story": "The whole story.",
        "lesson": "Refund first.",
    }
    row.update(overrides)
    return row


def import_one(row, **options):
    return import_rows([(2, row)], **options)


def counts(result):
    return result.created, result.updated, result.unchanged, result.error_count


def test_import_rows_defaults_import_for_real_under_no_one_and_create_no_company(colis):
    result = import_rows([(2, new_row()), (3, new_row(title="Other", company="Nowhere Ltd"))])
    assert result.errors == [
        "line 3: company: “Nowhere Ltd” is not in the catalogue (add it, or run with --create-companies)."
    ]
    result = import_rows([(2, new_row())])
    assert counts(result) == (1, 0, 0, 0)
    record = Incident.objects.get().history.get()
    assert (record.history_change_reason, record.history_user) == ("Imported", None)


def test_the_user_and_reason_go_into_the_history_of_the_case_and_of_its_rows(colis):
    editor = factories.editor()
    row = new_row(
        sources=[{"kind": "press", "title": "Lost", "publisher": "Le Parisien", "url": ""}],
        timeline=[{"date": "2023-05-10", "description": "Complaint"}],
    )
    import_one(row, user=editor, reason="Imported from cases.json")
    case = Incident.objects.get()
    records = [case.history.get(), Source.history.get(), TimelineEvent.history.get()]
    assert [(r.history_user, r.history_change_reason) for r in records] == [(editor, "Imported from cases.json")] * 3

    import_one({"reference": case.reference, "company": "Colis Express", "sources": []}, user=editor, reason="Again")
    removal = Source.history.order_by("history_id").last()
    assert (removal.history_type, removal.history_user, removal.history_change_reason) == ("-", editor, "Again")


def test_at_most_a_hundred_messages_are_kept_but_every_bad_row_is_counted():
    result = import_rows([(line, {"title": f"Case {line}"}) for line in range(2, 104)])
    assert result.error_count == 102
    assert len(result.errors) == 100
    assert result.errors[0] == "line 2: company: missing."
    assert result.errors[-1] == "line 101: company: missing."


def test_a_database_error_is_reported_on_its_line_and_the_next_rows_are_still_checked(colis, monkeypatch):
    save = Incident.save

    def failing_save(self, *args, **kwargs):
        if self.title == "Breaks":
            raise IntegrityError("duplicate key value violates unique constraint\nDETAIL: Key (slug) exists.")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Incident, "save", failing_save)
    result = import_rows([(2, new_row(title="Breaks")), (3, new_row(title="Fine")), (4, {"title": "No company"})])
    assert result.errors == [
        "line 2: duplicate key value violates unique constraint",
        "line 4: company: missing.",
    ]
    assert counts(result) == (1, 0, 0, 2)
    assert not Incident.objects.exists()


def test_json_columns_outside_the_schema_are_refused(colis):
    result = import_one(new_row(colour="blue", size="XL"))
    assert result.errors == ["line 2: unknown columns colour, size."]


# Identity: reference, id, company ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        ({"id": "abc"}, "id: “abc” is not a case number."),
        ({"id": "0"}, "id: “0” is not a case number."),
        ({"reference": "CASE-7"}, "reference: “CASE-7” is not a reference such as SC-0042."),
        ({"reference": "SC-7", "id": "8"}, "reference and id name two different cases."),
        (
            {"reference": "x", "id": "y"},
            "reference: “X” is not a reference such as SC-0042.; id: “y” is not a case number.",
        ),
    ],
)
def test_a_bad_reference_or_id_is_refused(colis, identity, message):
    assert import_one(new_row(**identity)).errors == [f"line 2: {part}" for part in message.split("; ")]


def test_an_id_of_one_is_a_case_number(colis):
    result = import_one(new_row(id="1"))
    assert counts(result) == (1, 0, 0, 0)
    assert Incident.objects.get().reference == "SC-0001"


def test_a_reference_and_an_id_of_the_same_case_agree(colis):
    result = import_one(new_row(reference=" sc-0007 ", id="7"))
    assert counts(result) == (1, 0, 0, 0)
    assert list(Incident.objects.values_list("pk", flat=True)) == [7]


def test_a_company_is_found_by_its_slug_first(colis):
    factories.company(name="Colis", slug="colis")
    import_one(new_row(company="Colis", company_slug="colis-express"))
    assert Incident.objects.get().company == colis


def test_a_company_slug_alone_is_enough(colis):
    import_one(new_row(company="", company_slug="colis-express"))
    assert Incident.objects.get().company == colis


def test_a_company_without_slug_is_found_by_its_name(colis):
    import_one(new_row(company="colis express"))
    assert Incident.objects.get().company == colis


@pytest.mark.parametrize(
    ("company", "message"),
    [
        ({"company": "", "company_slug": ""}, "company: missing."),
        (
            {"company": "Nowhere Ltd"},
            "company: “Nowhere Ltd” is not in the catalogue (add it, or run with --create-companies).",
        ),
        (
            {"company": "", "company_slug": "nowhere"},
            "company: “nowhere” is not in the catalogue (add it, or run with --create-companies).",
        ),
    ],
)
def test_a_missing_or_unknown_company_is_refused(colis, company, message):
    assert import_one(new_row(**company)).errors == [f"line 2: {message}"]


def test_a_new_company_takes_its_sector_by_slug_or_by_name():
    parcels = factories.sector(name="Parcel delivery", slug="parcels")
    rows = [
        (2, new_row(company="New Courier", sector="parcels")),
        (3, new_row(company="", company_slug="other-courier", sector="PARCEL DELIVERY")),
    ]
    result = import_rows(rows, create_companies=True)
    assert counts(result) == (2, 0, 0, 0), result.errors
    assert list(Company.objects.order_by("slug").values_list("name", "slug", "sector")) == [
        ("New Courier", "new-courier", parcels.pk),
        ("other-courier", "other-courier", parcels.pk),
    ]


def test_a_new_company_slug_is_cut_to_its_field(colis):
    factories.sector(slug="parcels")
    name = "\ufb01" * 150  # the "fi" ligature: 150 characters, 300 once slugified
    import_one(new_row(company=name, sector="parcels"), create_companies=True)
    assert Company.objects.get(name=name).slug == "fi" * 100


@pytest.mark.parametrize(
    ("sector", "message"),
    [
        ({}, "sector: “—” is not a sector; a new company needs one."),
        ({"sector": "boats"}, "sector: “boats” is not a sector; a new company needs one."),
    ],
)
def test_a_new_company_needs_a_known_sector(sector, message):
    factories.sector(name="Parcel delivery", slug="parcels")
    result = import_one(new_row(company="New Courier", **sector), create_companies=True)
    assert result.errors == [f"line 2: {message}"]
    assert not Company.objects.exists()


def test_a_new_company_is_checked_as_the_admin_would():
    factories.sector(slug="parcels")
    result = import_one(
        new_row(company="New Courier", company_slug="not a slug!", sector="parcels"), create_companies=True
    )
    assert result.errors == [
        "line 2: company: Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."
    ]


def test_a_case_can_move_to_another_company_by_reference(colis):
    case = factories.incident(title="Parcel lost")
    result = import_one({"reference": case.reference, "company": "Colis Express"})
    assert counts(result) == (0, 1, 0, 0), result.errors
    result = import_one({"reference": case.reference, "company": case.company.name, "title": "Parcel lost"})
    assert counts(result) == (0, 1, 0, 0), result.errors


def test_a_row_without_reference_updates_the_case_of_that_company_title_and_date(colis):
    other = factories.company(name="Other Express")
    mine = factories.draft(company=colis, title="Parcel lost", occurred_on=datetime.date(2023, 5, 4))
    factories.draft(company=other, title="Parcel lost", occurred_on=datetime.date(2023, 5, 4))
    factories.draft(company=colis, title="Parcel lost", occurred_on=datetime.date(2023, 5, 5))
    factories.draft(company=colis, title="Parcel found", occurred_on=datetime.date(2023, 5, 4))
    result = import_one(new_row(title="PARCEL LOST", lesson="Changed."))
    assert counts(result) == (0, 1, 0, 0), result.errors
    assert list(Incident.objects.filter(lesson="Changed.").values_list("pk", flat=True)) == [mine.pk]


def test_a_row_without_date_matches_the_case_without_date(colis):
    undated = factories.draft(company=colis, title="Parcel lost", occurred_on=None)
    result = import_one(new_row(occurred_on="", lesson="Changed."))
    assert counts(result) == (0, 1, 0, 0), result.errors
    assert Incident.objects.get(pk=undated.pk).lesson == "Changed."


def test_two_cases_with_the_same_company_title_and_date_need_the_reference(colis):
    for _ in range(2):
        factories.draft(company=colis, title="Parcel lost", occurred_on=datetime.date(2023, 5, 4))
    result = import_one(new_row())
    assert result.errors == ["line 2: two cases of this company have this title and date: give the reference."]


def test_an_impossible_date_is_refused_for_a_new_row(colis):
    assert import_one(new_row(occurred_on="2023-02-30")).errors == [
        "line 2: occurred_on: “2023-02-30” is not a date (YYYY-MM-DD)."
    ]


# The case's own columns ---------------------------------------------------------------------------------------------


def test_columns_are_cleaned_as_they_are_imported(colis):
    row = new_row(
        story="Line one\r\nline two",
        retraction_reason="  kept as written ",
        country=" fr ",
        language=" en ",
        apology_quality=" Formal ",
        customers_affected="1\u202f234 567",
        first_response_on="2023-05-06",
        first_response_precision="month",
        resolved_on="2023-06-01",
        published_at="2023-07-01T10:30:00+00:00",
    )
    result = import_one(row)
    assert counts(result) == (1, 0, 0, 0), result.errors
    case = Incident.objects.get()
    assert case.story == "Line one\nline two"
    assert case.retraction_reason == "  kept as written "
    assert (case.country, case.language, case.apology_quality) == ("FR", "en", ApologyQuality.FORMAL)
    assert case.customers_affected == 1234567
    assert (case.occurred_on, case.first_response_on, case.resolved_on) == (
        datetime.date(2023, 5, 4),
        datetime.date(2023, 5, 6),
        datetime.date(2023, 6, 1),
    )
    assert case.first_response_precision == "month"
    assert case.published_at == datetime.datetime(2023, 7, 1, 10, 30, tzinfo=datetime.UTC)
    assert case.slug == "parcel-lost"


def test_numbers_from_json_are_read_exactly(colis):
    row = new_row(customers_affected=Decimal("1.2E+3"), title=Decimal("1.50"))
    assert counts(import_one(row)) == (1, 0, 0, 0)
    case = Incident.objects.get()
    assert (case.customers_affected, case.title) == (1200, "1.50")


def test_a_json_null_is_an_empty_text(colis):
    assert counts(import_one(new_row(apology_text=None, story=None))) == (1, 0, 0, 0)
    case = Incident.objects.get()
    assert (case.apology_text, case.story) == ("", "")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"resolved_on": "soon"}, "resolved_on: “soon” is not a date (YYYY-MM-DD)."),
        (
            {"apology_quality": "grovelling"},
            "apology_quality: “grovelling” is not one of refused, none, non-apology, formal, sincere, exemplary.",
        ),
        ({"customers_affected": "about 300"}, "customers_affected: “about300” is not a whole number."),
        ({"customers_affected": "-3"}, "customers_affected: “-3” is not a whole number."),
        ({"published_at": "soon"}, "published_at: “soon” is not a date and time (ISO 8601)."),
        ({"merged_into": "SC-0099"}, "merged_into: there is no case SC-0099."),
        ({"harm_types": "lost;stolen;broken"}, "harm_types: unknown broken, stolen."),
        ({"lessons": ["say-sorry", " be-quick "]}, "lessons: unknown be-quick, say-sorry."),
    ],
)
def test_a_bad_value_is_refused_with_its_message(colis, fields, message):
    factories.harm_type(slug="lost")
    assert import_one(new_row(**fields)).errors == [f"line 2: {message}"]


def test_an_update_changes_only_the_columns_that_are_present(colis):
    case = factories.draft(
        company=colis,
        title="Parcel lost",
        slug="old-slug",
        customers_affected=300,
        resolved_on=datetime.date(2023, 6, 1),
        apology_quality=ApologyQuality.FORMAL,
        published_at=datetime.datetime(2023, 7, 1, tzinfo=datetime.UTC),
    )
    row = {
        "reference": case.reference,
        "company": "Colis Express",
        "status": "",
        "language": " ",
        "apology_quality": "",
        "published_at": "",
        "customers_affected": "",
        "resolved_on": "",
    }
    result = import_one(row)
    assert counts(result) == (0, 1, 0, 0), result.errors
    case.refresh_from_db()
    assert (case.status, case.language, case.apology_quality, case.slug) == (
        "draft",
        "en",
        ApologyQuality.FORMAL,
        "old-slug",
    )
    assert case.published_at == datetime.datetime(2023, 7, 1, tzinfo=datetime.UTC)
    assert (case.customers_affected, case.resolved_on) == (None, None)

    assert counts(import_one({"reference": case.reference, "company": "Colis Express", "slug": "new-slug"})) == (
        0,
        1,
        0,
        0,
    )
    assert Incident.objects.get(pk=case.pk).slug == "new-slug"
    import_one({"reference": case.reference, "company": "Colis Express", "slug": "", "title": "Parcel found"})
    assert Incident.objects.get(pk=case.pk).slug == "parcel-found"


def test_a_long_title_gives_a_slug_cut_to_its_field(colis):
    title = "\ufb01" * 150  # 150 characters, 300 once slugified
    assert counts(import_one(new_row(title=title))) == (1, 0, 0, 0)
    assert Incident.objects.get().slug == "fi" * 100


def test_harm_types_and_lessons_are_replaced_when_present(colis):
    lost, late = factories.harm_type(slug="lost"), factories.harm_type(slug="late")
    sorry = factories.lesson(slug="say-sorry")
    case = factories.draft(company=colis, harm_types=[lost])
    result = import_one({"reference": case.reference, "company": "Colis Express", "lessons": "say-sorry"})
    assert counts(result) == (0, 1, 0, 0), result.errors
    assert (list(case.harm_types.all()), list(case.lessons.all())) == ([lost], [sorry])

    result = import_one({"reference": case.reference, "company": "Colis Express", "harm_types": ["late", " ", "lost"]})
    assert counts(result) == (0, 1, 0, 0), result.errors
    assert set(case.harm_types.all()) == {lost, late}

    result = import_one({"reference": case.reference, "company": "Colis Express", "harm_types": ""})
    assert counts(result) == (0, 1, 0, 0), result.errors
    assert list(case.harm_types.all()) == []


# Publication ---------------------------------------------------------------------------------------------------------


def test_a_case_published_by_import_is_dated_now(colis):
    row = new_row(status="published", sources=[{"kind": "press", "title": "Lost", "publisher": "Le Monde", "url": ""}])
    result = import_one(row)
    assert counts(result) == (1, 0, 0, 0), result.errors
    assert Incident.objects.get().published_at is not None


def test_publishing_an_existing_draft_uses_its_sources(colis):
    with_sources = factories.draft(company=colis, title="Has sources")
    without = factories.draft(company=colis, title="Has none", sources=0)
    publish = [
        (2, {"reference": case.reference, "company": "Colis Express", "status": "published"})
        for case in (with_sources, without)
    ]
    result = import_rows(publish[:1])
    assert counts(result) == (0, 1, 0, 0), result.errors
    assert import_rows(publish[1:]).errors == ["line 2: status: a published case needs at least one source."]


def test_a_published_case_needs_alt_text_for_its_images(colis):
    case = factories.draft(company=colis)
    IncidentImage.objects.create(incident=case, image="cases/photo.jpg", width=10, height=10, alt_text="")
    result = import_one({"reference": case.reference, "company": "Colis Express", "status": "published"})
    assert result.errors == ["line 2: status: a published case needs alt text for every image."]


def test_a_new_published_case_lists_all_that_it_lacks(colis):
    result = import_one(new_row(status="published", story="", lesson=" "))
    assert result.errors == ["line 2: status: a published case needs the story, the lesson, at least one source."]
    result = import_one(new_row(status="published", sources="[]"))
    assert result.errors == ["line 2: status: a published case needs at least one source."]


def test_a_merged_case_is_checked_once(colis):
    case = factories.incident(pk=42, company=colis)
    result = import_one(
        {"reference": "SC-0042", "company": "Colis Express", "status": "merged", "merged_into": "SC-42"}
    )
    assert result.errors == ["line 2: merged_into: A case cannot be merged into itself."]
    assert Incident.objects.get(pk=case.pk).status == "published"


# Sources, timeline and costs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("sources", "[{", "sources: not a JSON list (Expecting property name enclosed in double quotes)."),
        ("sources", '{"title": "x"}', "sources: must be a JSON list of objects."),
        ("timeline", '["x"]', "timeline: must be a JSON list of objects."),
        ("costs", '"x"', "costs: must be a JSON list of objects."),
        (
            "sources",
            [{"title": "x", "colour": "red", "size": 1}, {"title": "y", "mood": "sad"}],
            "sources[0]: unknown keys colour, size.; sources[1]: unknown keys mood.",
        ),
        (
            "timeline",
            [{"date": "2023-05-10", "description": "x", "channel": "pigeon"}, {"date": "soon", "description": "y"}],
            "timeline[0].channel: Value 'pigeon' is not a valid choice.; "
            "timeline[1].date: “soon” value has an invalid date format. It must be in YYYY-MM-DD format.",
        ),
        (
            "costs",
            [{"kind": "fine", "amount_low": "-1", "currency": "EUR"}, {"kind": "fine", "amount_low": "x"}],
            "costs[0]: An amount cannot be negative.; costs[1].amount_low: “x” value must be a decimal number.",
        ),
        (
            "costs",
            [
                {"kind": "fine", "amount_low": "1", "source": -1},
                {"kind": "fine", "amount_low": "1", "source": "first"},
            ],
            "costs[0].source: must be the index of a source, from 0.; "
            "costs[1].source: must be the index of a source, from 0.",
        ),
        ("costs", [{"kind": "fine", "amount_low": "1", "source": 1}], "costs[0].source: there is no source 1."),
        (
            "timeline",
            [{"date": ["2023-05-10"], "description": "x"}],
            "timeline[0].date: “['2023-05-10']” value has an invalid date format. It must be in YYYY-MM-DD format.",
        ),
        (
            "timeline",
            [{"date": 2023, "description": "x"}],
            "timeline[0].date: “2023” value has an invalid date format. It must be in YYYY-MM-DD format.",
        ),
        (
            "costs",
            [{"kind": "fine", "amount_low": "10.000000000000000001"}],
            "costs[0].amount_low: Ensure that there are no more than 18 digits in total.",
        ),
    ],
)
def test_a_bad_list_is_refused_with_its_messages(colis, column, value, message):
    row = new_row(sources=[{"kind": "press", "title": "Lost", "publisher": "Le Monde", "url": ""}])
    row[column] = value
    assert import_one(row).errors == [f"line 2: {part}" for part in message.split("; ")]


def test_a_precise_amount_in_a_csv_cell_is_not_rounded_by_a_float(colis):
    row = new_row(costs='[{"kind": "fine", "amount_low": 10.000000000000000001}]')
    assert import_one(row).errors == [
        "line 2: costs[0].amount_low: Ensure that there are no more than 18 digits in total."
    ]


def test_a_precise_amount_in_json_is_not_rounded_by_a_float(colis, tmp_path):
    text = json.dumps(new_row(costs=[{"kind": "fine", "amount_low": "AMOUNT"}])).replace(
        '"AMOUNT"', "10.000000000000000001"
    )
    rows = list(read_json(io.StringIO(text)))
    assert import_rows(rows).errors == [
        "line 1: costs[0].amount_low: Ensure that there are no more than 18 digits in total."
    ]


def test_json_nulls_in_rows_take_the_field_default(colis):
    row = new_row(
        sources=[
            {
                "kind": "press",
                "title": "Lost",
                "publisher": "Le Monde",
                "url": None,
                "published_on": None,
                "language": None,
            }
        ],
        timeline=[{"date": "2023-05-10", "description": "Complaint", "precision": None, "channel": None}],
        costs=[{"kind": "fine", "amount_low": 12, "amount_high": None, "currency": "EUR", "source": None}],
    )
    result = import_one(row)
    assert counts(result) == (1, 0, 0, 0), result.errors
    assert list(Source.objects.values_list("url", "published_on", "language")) == [("", None, "en")]
    assert list(TimelineEvent.objects.values_list("precision", "channel")) == [("day", "")]
    assert list(CostEstimate.objects.values_list("amount_low", "amount_high", "source")) == [
        (Decimal("12.00"), None, None)
    ]


def case_with_rows(company):
    case = factories.draft(pk=42, company=company, sources=0, title="Parcel lost")
    first = factories.source(incident=case, title="First", position=0)
    factories.source(incident=case, title="Second", position=1)
    factories.cost(case, "100", kind="remedy", source=first, position=0)
    factories.event(case, date=datetime.date(2023, 5, 5), description="One", position=0)
    factories.event(case, date=datetime.date(2023, 5, 6), description="Two", position=1)
    return case


SOURCES = [
    {
        "kind": "press",
        "title": title,
        "publisher": "Le Monde",
        "url": "https://example.org/article",
        "published_on": "2020-02-01",
    }
    for title in ("First", "Second")
]


def history_counts(*objects):
    return [type(obj).history.filter(id=obj.pk).count() for obj in objects]


def test_changing_one_source_rewrites_that_one_only_and_costs_keep_their_source(colis):
    case_with_rows(colis)
    first, second = Source.objects.order_by("position")
    sources = [SOURCES[0], {**SOURCES[1], "title": "Second, corrected"}]
    costs = [{"kind": "remedy", "amount_low": "100", "currency": "EUR", "source": 0}]
    result = import_one({"reference": "SC-0042", "company": "Colis Express", "sources": sources, "costs": costs})
    assert counts(result) == (0, 1, 0, 0), result.errors
    assert history_counts(first, second) == [1, 2]
    assert list(Source.objects.order_by("position").values_list("pk", "title")) == [
        (first.pk, "First"),
        (second.pk, "Second, corrected"),
    ]
    assert CostEstimate.objects.get().source_id == first.pk


def test_a_cost_can_move_to_another_source(colis):
    case_with_rows(colis)
    cost = CostEstimate.objects.get()
    costs = [{"kind": "remedy", "amount_low": "100", "currency": "EUR", "source": 1}]
    result = import_one({"reference": "SC-0042", "company": "Colis Express", "costs": costs})
    assert counts(result) == (0, 1, 0, 0), result.errors
    assert CostEstimate.objects.get().source.title == "Second"
    assert history_counts(cost) == [2]


def test_a_cost_citing_a_source_that_does_not_exist_is_refused_even_if_nothing_else_changes(colis):
    case_with_rows(colis)
    costs = [{"kind": "remedy", "amount_low": "100", "currency": "EUR", "source": 5}]
    result = import_one({"reference": "SC-0042", "company": "Colis Express", "costs": costs})
    assert result.errors == ["line 2: costs[0].source: there is no source 5."]


def test_identical_rows_are_left_alone(colis):
    case_with_rows(colis)
    one, two = TimelineEvent.objects.order_by("position")
    timeline = [
        {"date": date, "description": description, "precision": "day", "channel": "", "is_turning_point": False}
        for date, description in (("2023-05-05", "One"), ("2023-05-06", "Two, corrected"))
    ]
    costs = [{"kind": "remedy", "amount_low": "100.00", "currency": "EUR", "method": "other", "source": 0}]
    row = {"reference": "SC-0042", "company": "Colis Express", "timeline": timeline, "costs": costs, "sources": SOURCES}
    result = import_one(row)
    assert counts(result) == (0, 1, 0, 0), result.errors
    assert history_counts(one, two, CostEstimate.objects.get(), *Source.objects.all()) == [1, 2, 1, 1, 1]
    assert counts(import_one(row)) == (0, 0, 1, 0)


def test_a_cost_cites_sources_in_their_order_position_then_date_then_number(colis):
    case = factories.draft(pk=42, company=colis, sources=0)
    factories.source(incident=case, title="Undated, made first", position=1, published_on=None)
    factories.source(incident=case, title="Later", position=0, published_on=datetime.date(2021, 1, 1))
    factories.source(incident=case, title="Undated, made next", position=1, published_on=None)
    factories.source(incident=case, title="Earlier", position=0, published_on=datetime.date(2020, 1, 1))
    costs = [{"kind": "fine", "amount_low": str(n), "currency": "EUR", "source": n} for n in range(4)]
    result = import_one({"reference": "SC-0042", "company": "Colis Express", "costs": costs})
    assert counts(result) == (0, 1, 0, 0), result.errors
    assert list(CostEstimate.objects.order_by("position").values_list("source__title", flat=True)) == [
        "Earlier",
        "Later",
        "Undated, made first",
        "Undated, made next",
    ]


# Case numbers ---------------------------------------------------------------------------------------------------------


def test_a_case_made_after_an_import_of_explicit_numbers_gets_a_later_number(colis):
    last = factories.draft(company=colis).pk
    assert counts(import_one(new_row(reference=f"SC-{last + 100}"))) == (1, 0, 0, 0)
    assert factories.draft(company=colis).pk == last + 101


def test_an_import_never_gives_out_the_number_of_a_deleted_case_again(colis):
    kept, deleted = factories.draft(company=colis), factories.draft(company=colis)
    number = deleted.pk
    deleted.delete()
    assert counts(import_one({"reference": kept.reference, "company": "Colis Express", "lesson": "New."})) == (
        0,
        1,
        0,
        0,
    )
    assert factories.draft(company=colis).pk > number


def test_a_cost_cannot_keep_citing_a_source_the_same_row_removes(colis):
    case_with_rows(colis)
    costs = [{"kind": "remedy", "amount_low": "100.00", "currency": "EUR", "method": "other", "source": 1}]
    import_one({"reference": "SC-0042", "company": "Colis Express", "costs": costs})
    result = import_one({"reference": "SC-0042", "company": "Colis Express", "sources": SOURCES[:1], "costs": costs})
    assert result.errors == ["line 2: costs[0].source: there is no source 1."]
    assert CostEstimate.objects.get().source.title == "Second"


# Texts in two languages --------------------------------------------------------------------------------------------


def french_case(company):
    """SC-0042, written in French and translated, with a timeline event and a cost line in both languages."""
    case = factories.draft(
        pk=42,
        company=company,
        language="fr",
        title="Colis perdu",
        summary="Un transporteur a perdu un colis.",
        title_en="Parcel lost",
        summary_en="A courier lost a parcel.",
    )
    factories.event(case, date=datetime.date(2023, 5, 5), description_fr="Plainte", description_en="Complaint")
    factories.event(case, date=datetime.date(2023, 5, 6), description_fr="Relance", description_en="Reminder")
    factories.cost(case, "49.90", kind="remedy", note_fr="Valeur du colis", note_en="Value of the parcel")
    return case


def test_per_language_columns_write_each_language_whatever_the_language_active(colis):
    from django.utils import translation

    row = {
        "company": "Colis Express",
        "country": "FR",
        "language": "fr",
        "title_fr": "Colis perdu",
        "title_en": "Parcel lost",
        "summary": "",  # left empty beside its per-language columns: nothing said
        "summary_fr": "Un transporteur a perdu un colis.",
        "summary_en": "",
        "story": "Le récit.",  # no per-language column: the case's language
        "timeline": [{"date": "2023-05-10", "description_fr": "Plainte", "description_en": "Complaint"}],
        "costs": [{"kind": "fine", "amount_low": "12", "note_en": "A fine", "claimed_by_fr": "La presse"}],
    }
    with translation.override("en"):  # the active language must not decide where a text goes
        result = import_one(row)
    assert counts(result) == (1, 0, 0, 0), result.errors
    case = Incident.objects.get()
    assert (case.title_fr, case.title_en, case.summary_fr, case.summary_en) == (
        "Colis perdu",
        "Parcel lost",
        "Un transporteur a perdu un colis.",
        None,
    )
    assert (case.story_fr, case.story_en) == ("Le récit.", None)
    assert case.slug == "colis-perdu"  # from the title in the case's own language
    assert list(TimelineEvent.objects.values_list("description_fr", "description_en")) == [("Plainte", "Complaint")]
    assert list(CostEstimate.objects.values_list("note_fr", "note_en", "claimed_by_fr", "claimed_by_en")) == [
        (None, "A fine", "La presse", None)
    ]


def test_a_file_without_per_language_columns_updates_the_case_s_language_and_keeps_the_other(colis):
    case = french_case(colis)
    events = list(TimelineEvent.objects.order_by("position"))
    row = {
        "reference": case.reference,
        "company": "Colis Express",
        "title": "Colis égaré",
        # An event added first, the others kept, one of them reworded: translations follow their original text.
        "timeline": [
            {"date": "2023-05-04", "description": "Dépôt du colis"},
            {"date": "2023-05-05", "description": "Plainte"},
            {"date": "2023-05-06", "description": "Relance, la deuxième"},
        ],
        "costs": [{"kind": "remedy", "amount_low": "49.90", "note": "Valeur du colis"}],
    }
    result = import_one(row)
    assert counts(result) == (0, 1, 0, 0), result.errors
    case.refresh_from_db()
    assert (case.title_fr, case.title_en, case.summary_en) == ("Colis égaré", "Parcel lost", "A courier lost a parcel.")
    assert list(TimelineEvent.objects.order_by("position").values_list("description_fr", "description_en")) == [
        ("Dépôt du colis", None),
        ("Plainte", "Complaint"),
        ("Relance, la deuxième", None),  # its English said something else
    ]
    assert list(CostEstimate.objects.values_list("note_fr", "note_en")) == [("Valeur du colis", "Value of the parcel")]
    assert history_counts(*events) == [2, 2]  # rewritten in place (positions moved), nothing lost


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"title": "Colis égaré", "title_fr": "Colis perdu", "title_en": "Parcel lost"},
            "title does not match title_en or title_fr: edit the text in the column of its language.",
        ),
        (
            {"timeline": [{"date": "2023-05-05", "description": "Plainte !", "description_fr": "Plainte"}]},
            "timeline[0].description does not match description_en or description_fr: "
            "edit the text in the column of its language.",
        ),
        (
            {"costs": [{"kind": "remedy", "amount_low": "1", "claimed_by": "Elle", "claimed_by_en": "She"}]},
            "costs[0].claimed_by does not match claimed_by_en or claimed_by_fr: "
            "edit the text in the column of its language.",
        ),
    ],
)
def test_an_unsuffixed_text_that_disagrees_with_its_languages_is_refused(colis, fields, message):
    """A spreadsheet edit of `title` next to an unchanged `title_fr` would otherwise be lost without a word."""
    case = french_case(colis)
    before = [model.history.count() for model in (Incident, TimelineEvent, CostEstimate)]
    result = import_one({"reference": case.reference, "company": "Colis Express", **fields})
    assert result.errors == [f"line 2: {message}"]
    assert [model.history.count() for model in (Incident, TimelineEvent, CostEstimate)] == before
    assert Incident.objects.get().title_fr == "Colis perdu"


def test_an_unsuffixed_text_may_repeat_either_language(colis):
    """As an export writes it, and after the case's language is corrected (its texts then stay where they are)."""
    case = french_case(colis)
    row = {
        "reference": case.reference,
        "company": "Colis Express",
        "title_fr": "Colis perdu",
        "title_en": "Parcel lost",
    }
    assert counts(import_one({**row, "title": "Colis perdu"})) == (0, 0, 1, 0)
    assert counts(import_one({**row, "title": "Parcel lost", "language": "en"})) == (0, 1, 0, 0)
    case.refresh_from_db()
    assert (case.language, case.title_en, case.title_fr) == ("en", "Parcel lost", "Colis perdu")


def test_a_row_without_reference_finds_its_case_by_a_title_in_either_language(colis):
    case = french_case(colis)
    row = {"company": "Colis Express", "title_en": "Parcel lost", "occurred_on": "2020-01-15", "lesson_en": "Pay."}
    assert counts(import_one(row)) == (0, 1, 0, 0)
    assert Incident.objects.get().lesson_en == "Pay."
    # A reference naming a case of another company is still refused, whatever the language of the title.
    other = factories.company(name="Other Express")
    result = import_one({"reference": case.reference, "company": other.name, "title_en": "Something else"})
    assert result.errors == [
        "line 2: SC-0042 here is “Colis perdu” (Colis Express), not this case: "
        "leave reference and id empty to import it as a new case."
    ]
    assert counts(import_one({"reference": case.reference, "company": other.name, "title_en": "Parcel lost"})) == (
        0,
        1,
        0,
        0,
    )


def test_an_unknown_language_is_refused_without_other_noise(colis):
    result = import_one(new_row(language="de"))
    assert result.errors == ["line 2: language: Value 'de' is not a valid choice."]


def test_an_image_needs_alt_text_in_one_language_to_be_published(colis):
    case = factories.draft(company=colis)
    image = IncidentImage.objects.create(incident=case, image="cases/photo.jpg", width=10, height=10)
    assert (image.alt_text_en, image.alt_text_fr) == (None, None)
    publish = {"reference": case.reference, "company": "Colis Express", "status": "published"}
    assert import_one(publish).errors == ["line 2: status: a published case needs alt text for every image."]
    IncidentImage.objects.filter(pk=image.pk).update(alt_text_fr="Un colis")
    result = import_one(publish)
    assert counts(result) == (0, 1, 0, 0), result.errors
