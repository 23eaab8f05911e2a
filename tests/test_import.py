"""import_cases / export_cases: the shared schema, all-or-nothing imports with line numbers, idempotence."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.dateparse import parse_datetime

from incidents.exchange import columns, importer
from incidents.exchange.export import iter_rows
from incidents.models import ApologyQuality, Company, CostEstimate, Incident, Source, Status, TimelineEvent
from tests import factories

pytestmark = pytest.mark.django_db


def run_import(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_cases", str(path), *args, stdout=out, stderr=err, verbosity=0)
    except CommandError as error:
        return None, err.getvalue() + str(error)
    return out.getvalue(), err.getvalue()


def export(tmp_path, *args, name="cases.csv"):
    path = tmp_path / name
    call_command("export_cases", "--output", str(path), *args)
    return path


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_json(path, rows):
    """One object per line, as the CSV has one row per line: line 2 is the first case in both."""
    path.write_text("[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n]\n")
    return path


def new_case_row(company, **overrides):
    row = {
        "title": "Parcel lost, refund refused",
        "status": "draft",
        "company": company.name,
        "country": "FR",
        "language": "fr",
        "occurred_on": "2023-05-04",
        "apology_quality": "non-apology",
        "summary": "A courier lost a parcel and refused to refund it.",
        "story": "The whole story.",
        "lesson": "Refund first.",
        "harm_types": "refund-refused;damaged-property",
        "sources": json.dumps([{"kind": "press", "title": "Lost parcel", "publisher": "Le Parisien", "url": ""}]),
        "timeline": json.dumps([{"date": "2023-05-10", "description": "Complaint", "channel": "customer_service"}]),
        "costs": json.dumps([{"kind": "remedy", "amount_low": "49.90", "currency": "EUR", "source": 0}]),
    }
    row.update(overrides)
    return row


# The schema ----------------------------------------------------------------------------------------------------


COLUMNS_IN_ORDER = [
    "reference", "id", "title", "slug", "status", "company", "company_slug", "sector", "country", "language",
    "occurred_on", "occurred_precision", "first_response_on", "first_response_precision", "resolved_on",
    "resolved_precision", "apology_quality", "customers_affected", "harm_types", "lessons", "summary", "story",
    "lesson", "apology_text", "response", "corrective_actions", "costs", "sources", "timeline", "published_at",
    "updated_at", "url", "retraction_reason", "merged_into",
    # Added once texts had two languages: each text in English and in French.
    "title_en", "title_fr", "summary_en", "summary_fr", "story_en", "story_fr", "lesson_en", "lesson_fr",
    "apology_text_en", "apology_text_fr", "response_en", "response_fr", "corrective_actions_en",
    "corrective_actions_fr", "retraction_reason_en", "retraction_reason_fr",
]  # fmt: skip


def test_the_schema_is_a_stable_documented_list():
    """Columns are never renamed, removed or reordered: a new one only ever comes at the end."""
    assert columns.COLUMN_NAMES[: len(COLUMNS_IN_ORDER)] == COLUMNS_IN_ORDER
    assert len(set(columns.COLUMN_NAMES)) == len(columns.COLUMNS)
    assert all(str(column.description) for column in columns.COLUMNS)


def test_every_text_written_in_two_languages_has_a_column_or_key_per_language():
    """A text registered for translation (incidents/translation.py) that the format carries is carried in both."""
    from modeltranslation.translator import translator

    carried = {"incident": columns.COLUMN_NAMES, **{kind: columns.ROW_FIELDS[kind] for kind in ("timeline", "costs")}}
    models = {"incident": Incident, "timeline": TimelineEvent, "costs": CostEstimate}
    for kind, model in models.items():
        for name in translator.get_options_for_model(model).fields:
            if name in carried[kind]:
                assert {f"{name}_en", f"{name}_fr"} <= set(carried[kind]), (kind, name)
    assert {"description_en", "description_fr"} <= set(columns.ROW_FIELDS["timeline"])
    assert {"claimed_by_en", "claimed_by_fr", "note_en", "note_fr"} <= set(columns.ROW_FIELDS["costs"])


def test_a_case_is_one_row_with_every_column():
    rail = factories.sector(name="Rail", slug="rail")
    sncf = factories.company(name="SNCF", slug="sncf", sector=rail)
    case = factories.incident(
        pk=42,
        sources=0,
        title="Fifteen hours to Port-Bou",
        slug="fifteen-hours-to-port-bou",
        company=sncf,
        country="ES",
        language="en",
        occurred_on=datetime.date(2020, 1, 15),
        first_response_on=datetime.date(2020, 2, 1),
        first_response_precision="month",
        resolved_on=datetime.date(2020, 6, 30),
        resolved_precision="year",
        apology_quality=ApologyQuality.FORMAL,
        customers_affected=300,
        summary="A night train stopped for fifteen hours.",
        story="The *whole* story.",
        lesson="Tell passengers what is happening.",
        apology_text="We regret the inconvenience.",
        response="A voucher.",
        corrective_actions="New procedure.",
        title_fr="Quinze heures pour Port-Bou",
        summary_fr="Un train de nuit est resté quinze heures à l’arrêt.",
        published_at=datetime.datetime(2021, 3, 4, 10, 30, tzinfo=datetime.UTC),
        harm_types=[factories.harm_type(slug="stranded"), factories.harm_type(slug="delay")],
        lessons=[factories.lesson(slug="say-what-is-happening")],
    )
    # Made out of order: the row lists sources by position, events by date, costs by position.
    inquiry = factories.source(
        incident=case,
        title="The inquiry",
        url="https://example.org/inquiry",
        published_on=datetime.date(2020, 3, 1),
        position=1,
        kind="report",
        language="fr",
    )
    factories.source(
        incident=case,
        title="Night train stuck",
        publisher="El País",
        url="",
        archive_url="https://archive.org/x",
        published_on=None,
        position=0,
    )
    factories.cost(case, "49.90", kind="remedy", position=1)
    factories.cost(
        case,
        "1000",
        currency="USD",
        amount_high=Decimal("2500"),
        method="media_value",
        claimed_by="An analyst",
        claimed_by_fr="Un analyste",
        note="Rough.",
        source=inquiry,
        position=0,
    )
    factories.event(case, date=datetime.date(2020, 1, 20), description="Refund refused", channel="customer_service")
    factories.event(
        case,
        date=datetime.date(2020, 1, 16),
        precision="month",
        description="Tweets",
        description_fr="Des tweets",
        channel="social_media",
        is_turning_point=True,
    )
    factories.incident(pk=43, sources=0, company=sncf, status=Status.MERGED, merged_into=case, title="Port-Bou again")

    rows = list(iter_rows(Incident.objects.all(), base_url="https://example.org/"))
    assert [list(row) for row in rows] == [COLUMNS_IN_ORDER, COLUMNS_IN_ORDER]
    row, merged = rows
    assert parse_datetime(row.pop("updated_at")) == Incident.objects.get(pk=42).updated_at
    assert row == {
        "reference": "SC-0042",
        "id": 42,
        "title": "Fifteen hours to Port-Bou",
        "slug": "fifteen-hours-to-port-bou",
        "status": "published",
        "company": "SNCF",
        "company_slug": "sncf",
        "sector": "rail",
        "country": "ES",
        "language": "en",
        "occurred_on": "2020-01-15",
        "occurred_precision": "day",
        "first_response_on": "2020-02-01",
        "first_response_precision": "month",
        "resolved_on": "2020-06-30",
        "resolved_precision": "year",
        "apology_quality": "formal",
        "customers_affected": 300,
        "harm_types": "delay;stranded",
        "lessons": "say-what-is-happening",
        "summary": "A night train stopped for fifteen hours.",
        "story": "The *whole* story.",
        "lesson": "Tell passengers what is happening.",
        "apology_text": "We regret the inconvenience.",
        "response": "A voucher.",
        "corrective_actions": "New procedure.",
        "costs": [
            {
                "kind": "bad_buzz",
                "amount_low": "1000.00",
                "amount_high": "2500.00",
                "currency": "USD",
                "method": "media_value",
                "claimed_by": "An analyst",
                "note": "Rough.",
                "source": 1,
                "claimed_by_en": "An analyst",
                "claimed_by_fr": "Un analyste",
                "note_en": "Rough.",
                "note_fr": "",
            },
            {
                "kind": "remedy",
                "amount_low": "49.90",
                "amount_high": None,
                "currency": "EUR",
                "method": "other",
                "claimed_by": "",
                "note": "",
                "source": None,
                "claimed_by_en": "",
                "claimed_by_fr": "",
                "note_en": "",
                "note_fr": "",
            },
        ],
        "sources": [
            {
                "kind": "press",
                "title": "Night train stuck",
                "publisher": "El País",
                "url": "",
                "archive_url": "https://archive.org/x",
                "published_on": None,
                "language": "en",
            },
            {
                "kind": "report",
                "title": "The inquiry",
                "publisher": "Le Monde",
                "url": "https://example.org/inquiry",
                "archive_url": "",
                "published_on": "2020-03-01",
                "language": "fr",
            },
        ],
        "timeline": [
            {
                "date": "2020-01-16",
                "precision": "month",
                "description": "Tweets",
                "channel": "social_media",
                "is_turning_point": True,
                "description_en": "Tweets",
                "description_fr": "Des tweets",
            },
            {
                "date": "2020-01-20",
                "precision": "day",
                "description": "Refund refused",
                "channel": "customer_service",
                "is_turning_point": False,
                "description_en": "Refund refused",
                "description_fr": "",
            },
        ],
        "published_at": "2021-03-04T10:30:00+00:00",
        "url": "https://example.org/cases/42/fifteen-hours-to-port-bou/",
        "retraction_reason": "",
        "merged_into": "",
        "title_en": "Fifteen hours to Port-Bou",
        "title_fr": "Quinze heures pour Port-Bou",
        "summary_en": "A night train stopped for fifteen hours.",
        "summary_fr": "Un train de nuit est resté quinze heures à l’arrêt.",
        "story_en": "The *whole* story.",
        "story_fr": "",
        "lesson_en": "Tell passengers what is happening.",
        "lesson_fr": "",
        "apology_text_en": "We regret the inconvenience.",
        "apology_text_fr": "",
        "response_en": "A voucher.",
        "response_fr": "",
        "corrective_actions_en": "New procedure.",
        "corrective_actions_fr": "",
        "retraction_reason_en": "",
        "retraction_reason_fr": "",
    }
    assert (merged["reference"], merged["status"], merged["merged_into"]) == ("SC-0043", "merged", "SC-0042")


def test_rows_are_generated_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    for n in range(30):
        case = factories.incident(title=f"Case {n:02d}", sources=2)
        factories.event(case)
        factories.cost(case, 100)
    with django_assert_max_num_queries(8):
        rows = list(iter_rows(Incident.objects.all(), chunk_size=100))
    assert [row["title"] for row in rows] == [f"Case {n:02d}" for n in range(30)]  # in number order
    assert {(len(row["sources"]), len(row["timeline"]), len(row["costs"])) for row in rows} == {(2, 1, 1)}


def test_export_writes_published_cases_only_unless_all(tmp_path):
    published = factories.incident(title="Published one")
    factories.draft(title="A draft")
    rows = read_csv(export(tmp_path))
    assert [row["reference"] for row in rows] == [published.reference]
    assert list(rows[0]) == columns.COLUMN_NAMES
    everything = json.loads(export(tmp_path, "--all", "--format", "json", name="all.json").read_text())
    assert {row["title"] for row in everything} == {"Published one", "A draft"}
    assert isinstance(everything[0]["sources"], list)


# Good files ------------------------------------------------------------------------------------------------------


def test_a_good_csv_file_creates_cases_with_their_rows(tmp_path):
    company = factories.company(name="Colis Express")
    path = write_csv(tmp_path / "new.csv", [new_case_row(company)])
    out, err = run_import(path)
    assert out == "Imported 1 rows: 1 created, 0 updated, 0 unchanged.\n", err
    # A file without per-language columns: its texts are in the case's language, here French.
    case = Incident.objects.get(title_fr="Parcel lost, refund refused")
    assert (case.language, case.title_en, case.summary_en, case.timeline.get().description_en) == (
        "fr",
        None,
        None,
        None,
    )
    assert case.timeline.get().description_fr == "Complaint"
    assert case.status == Status.DRAFT and case.company == company
    assert case.slug == "parcel-lost-refund-refused"
    assert sorted(case.harm_types.values_list("slug", flat=True)) == ["damaged-property", "refund-refused"]
    assert case.sources.get().publisher == "Le Parisien"
    assert case.timeline.get().channel == "customer_service"
    cost = case.costs.get()
    assert str(cost.amount_low) == "49.90" and cost.source == case.sources.get()
    record = case.history.get()
    assert record.history_change_reason == "Imported from new.csv"
    assert sorted(record.harm_types.values_list("harmtype__slug", flat=True)) == ["damaged-property", "refund-refused"]


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    company = factories.company(name="Colis Express")
    path = write_csv(tmp_path / "new.csv", [new_case_row(company)])
    run_import(path)
    versions = Incident.history.count(), Source.history.count()
    out, _err = run_import(path)
    assert out == "Imported 1 rows: 0 created, 0 updated, 1 unchanged.\n"
    assert Incident.objects.count() == 1 and Source.objects.count() == 1
    assert (Incident.history.count(), Source.history.count()) == versions  # no empty history either


def test_a_row_is_matched_by_reference_and_updated(tmp_path):
    case = factories.incident(title="Old title")
    path = write_csv(
        tmp_path / "update.csv",
        [{"reference": case.reference, "title": "New title", "company": case.company.name, "lesson": "Better."}],
    )
    out, _err = run_import(path)
    assert out == "Imported 1 rows: 0 created, 1 updated, 0 unchanged.\n"
    case.refresh_from_db()
    assert case.title == "New title" and case.lesson == "Better."
    assert case.sources.count() == 1  # an absent column leaves that part alone


def bilingual_case(**fields):
    """A case written in French and translated into English, with French and English rows, one left untranslated."""
    case = factories.incident(
        sources=2,
        language="fr",
        title="Électricité : une facture de 88 247 €",
        summary="EDF a facturé 88 247 € à une retraitée.",
        story="La facture d’électricité était *absurde*.",
        lesson="S’excuser tôt.",
        response="Un geste commercial.",
        title_en="Electricity: a bill of €88,247",
        summary_en="EDF billed a pensioner €88,247.",
        story_en="The electricity bill was *absurd*.",
        lesson_en="Apologise early.",
        **fields,
    )
    factories.event(case, description_fr="Premier courrier", description_en="First letter", channel="press")
    factories.event(case, description_fr="Réponse du médiateur", description_en=None, channel="regulator")
    factories.cost(case, "88247", note_fr="Montant facturé", note_en="Amount billed", claimed_by_fr="La cliente")
    return case


def test_round_trip_export_then_import_is_unchanged_and_restores_a_wiped_catalogue(tmp_path):
    for _ in range(3):
        case = factories.incident(sources=2, harm_types=[factories.harm_type()])
        factories.event(case, description="First answer", channel="social_media")
        factories.cost(case, "1250.50", currency="USD", source=case.sources.first())
    bilingual_case()
    path = export(tmp_path, "--all")
    before = read_csv(path)
    out, _err = run_import(path)
    assert out == "Imported 4 rows: 0 created, 0 updated, 4 unchanged.\n"

    Incident.objects.all().delete()
    out, _err = run_import(path)
    assert out == "Imported 4 rows: 4 created, 0 updated, 0 unchanged.\n"
    after = read_csv(export(tmp_path, "--all", name="again.csv"))
    for row in before + after:
        row.pop("updated_at")
    assert after == before  # same numbers, same rows, same everything
    highest = max(int(row["id"]) for row in before)
    assert factories.draft().pk > highest  # the sequence moved past the imported numbers

    # Both languages came back, each in its own column, and what had no translation still has none.
    case = Incident.objects.get(language="fr")
    assert (case.title_fr, case.title_en) == ("Électricité : une facture de 88 247 €", "Electricity: a bill of €88,247")
    assert (case.story_fr, case.story_en) == (
        "La facture d’électricité était *absurde*.",
        "The electricity bill was *absurd*.",
    )
    assert (case.response_fr, case.response_en, case.translated) == ("Un geste commercial.", None, True)
    assert list(case.timeline.values_list("description_fr", "description_en")) == [
        ("Premier courrier", "First letter"),
        ("Réponse du médiateur", None),
    ]
    assert list(case.costs.values_list("note_fr", "note_en", "claimed_by_fr", "claimed_by_en")) == [
        ("Montant facturé", "Amount billed", "La cliente", None)
    ]


def test_the_unsuffixed_columns_hold_the_case_in_its_original_language(tmp_path):
    case = bilingual_case()
    case.corrective_actions_en = "A new billing check."  # written in English only
    case.save()
    (row,) = read_csv(export(tmp_path))
    assert (row["language"], row["title"], row["title_fr"], row["title_en"]) == (
        "fr",
        "Électricité : une facture de 88 247 €",
        "Électricité : une facture de 88 247 €",
        "Electricity: a bill of €88,247",
    )
    assert (row["story"], row["lesson"], row["response"], row["response_en"]) == (
        "La facture d’électricité était *absurde*.",
        "S’excuser tôt.",
        "Un geste commercial.",
        "",
    )
    # A text the original language lacks is given in the other one rather than left out.
    assert (row["corrective_actions"], row["corrective_actions_fr"]) == ("A new billing check.", "")
    assert [(e["description"], e["description_fr"], e["description_en"]) for e in json.loads(row["timeline"])] == [
        ("Premier courrier", "Premier courrier", "First letter"),
        ("Réponse du médiateur", "Réponse du médiateur", ""),
    ]
    (cost,) = json.loads(row["costs"])
    assert (cost["note"], cost["note_en"], cost["claimed_by"], cost["claimed_by_en"]) == (
        "Montant facturé",
        "Amount billed",
        "La cliente",
        "",
    )


def test_json_lists_and_json_lines_are_read(tmp_path):
    company = factories.company(name="Colis Express")
    row = new_case_row(company)
    for key in ("sources", "timeline", "costs"):
        row[key] = json.loads(row[key])
    (tmp_path / "cases.json").write_text(json.dumps([row], indent=2))
    assert run_import(tmp_path / "cases.json")[0].startswith("Imported 1 rows: 1 created")
    (tmp_path / "cases.jsonl").write_text(json.dumps({**row, "lesson": "Changed."}) + "\n")
    assert run_import(tmp_path / "cases.jsonl")[0].startswith("Imported 1 rows: 0 created, 1 updated")


def test_create_companies_flag(tmp_path):
    sector = factories.sector(slug="parcels")
    row = new_case_row(Company(name="Brand New Courier"), company_slug="brand-new-courier", sector="parcels")
    path = write_csv(tmp_path / "new.csv", [row])
    _out, err = run_import(path)
    assert "company: “Brand New Courier” is not in the catalogue" in err
    assert not Company.objects.filter(name="Brand New Courier").exists()
    out, err = run_import(path, "--create-companies")
    assert out, err
    assert Company.objects.get(slug="brand-new-courier").sector == sector


# Bad files ---------------------------------------------------------------------------------------------------------


def test_a_bad_file_imports_nothing_and_says_which_line_is_wrong(tmp_path):
    company = factories.company(name="Colis Express")
    rows = [
        new_case_row(company, title="Good one"),
        new_case_row(company, title="Bad date", occurred_on="yesterday"),
        new_case_row(company, title="Good two"),
        new_case_row(
            company,
            title="Bad everything",
            apology_quality="grovelling",
            country="France",
            harm_types="no-such-harm",
            costs=json.dumps([{"kind": "fine", "amount_low": "-5", "currency": "EUR"}]),
        ),
        new_case_row(company, title="Published too early", status="published", story="", sources="[]"),
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    out, err = run_import(path)
    assert out is None
    assert "line 3: occurred_on: “yesterday” is not a date (YYYY-MM-DD)." in err
    assert "line 5: apology_quality: “grovelling” is not one of refused, none, non-apology" in err
    assert "line 5: harm_types: unknown no-such-harm." in err
    assert "line 5: costs[0]: An amount cannot be negative." in err
    assert "line 5: country: Ensure this value has at most 2 characters (it has 6)." in err
    assert "line 6: status: a published case needs the story, at least one source." in err
    assert "line 2" not in err and "line 4" not in err
    assert "3 of 5 rows have errors. Nothing was imported" in err
    assert not Incident.objects.exists()  # the good rows were not imported either


def test_line_numbers_count_multi_line_cells(tmp_path):
    company = factories.company(name="Colis Express")
    rows = [
        new_case_row(company, title="One", story="First line\nsecond line\nthird line"),
        new_case_row(company, title="Two", occurred_on="2023-13-45"),
    ]
    _out, err = run_import(write_csv(tmp_path / "multi.csv", rows))
    assert "line 5: occurred_on: “2023-13-45” is not a date" in err


def test_json_errors_give_the_line_of_the_object(tmp_path):
    company = factories.company(name="Colis Express")
    good = new_case_row(company)
    bad = new_case_row(company, title="Other", language="de")
    (tmp_path / "cases.json").write_text("[\n" + json.dumps(good) + ",\n" + json.dumps(bad) + "\n]\n")
    _out, err = run_import(tmp_path / "cases.json")
    assert "line 3: language: Value 'de' is not a valid choice." in err
    (tmp_path / "broken.json").write_text('[\n{"title": "x",\n "company": }\n]')
    _out, err = run_import(tmp_path / "broken.json")
    assert "Line 3: this is not valid JSON" in err and "Nothing was imported" in err


def test_unknown_columns_are_refused(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("title,colour\nx,blue\n")
    _out, err = run_import(path)
    assert "Unknown columns: colour." in err


def test_a_reference_pointing_at_another_case_is_refused(tmp_path):
    case = factories.incident(title="A bank story")
    other_company = factories.company(name="Colis Express")
    row = new_case_row(other_company, reference=case.reference)
    _out, err = run_import(write_csv(tmp_path / "clash.csv", [row]))
    assert f"{case.reference} here is “A bank story”" in err
    assert Incident.objects.get(pk=case.pk).title == "A bank story"


# Updates that replace a case's rows ----------------------------------------------------------------------------


def case_with_rows(**fields):
    """SC-0042, a draft of Colis Express with two sources, two costs and two timeline events."""
    company = factories.company(name="Colis Express")
    case = factories.draft(pk=42, company=company, sources=0, title="Parcel lost", **fields)
    first = factories.source(incident=case, title="Old article", position=0)
    factories.source(incident=case, title="Old follow-up", position=1)
    factories.cost(case, "100", kind="remedy", source=first, position=0)
    factories.cost(case, "200", kind="fine", position=1)
    factories.event(case, date=datetime.date(2023, 5, 5), description="Old event one")
    factories.event(case, date=datetime.date(2023, 5, 6), description="Old event two")
    return case


def test_reimporting_a_case_replaces_its_sources_costs_and_timeline(tmp_path):
    case_with_rows()
    row = {
        "reference": "SC-0042",
        "company": "Colis Express",
        "sources": json.dumps([{"kind": "court", "title": "The ruling", "publisher": "Cour de cassation", "url": ""}]),
        "costs": json.dumps([{"kind": "compensation", "amount_low": "750", "currency": "GBP", "source": 0}]),
        "timeline": json.dumps(
            [
                {"date": "2023-06-03", "description": "Ruling", "channel": "court", "is_turning_point": True},
                {"date": "2023-06-01", "description": "Hearing", "channel": "court"},
                {"date": "2023-06-02", "precision": "month", "description": "Appeal"},
            ]
        ),
    }
    out, err = run_import(write_csv(tmp_path / "update.csv", [row]))
    assert out == "Imported 1 rows: 0 created, 1 updated, 0 unchanged.\n", err
    assert list(Source.objects.filter(incident_id=42).values_list("title", "publisher", "kind")) == [
        ("The ruling", "Cour de cassation", "court")
    ]
    assert list(
        CostEstimate.objects.filter(incident_id=42).values_list("kind", "amount_low", "currency", "source__title")
    ) == [("compensation", Decimal("750.00"), "GBP", "The ruling")]
    assert list(
        TimelineEvent.objects.filter(incident_id=42).values_list("date", "precision", "description", "is_turning_point")
    ) == [
        (datetime.date(2023, 6, 1), "day", "Hearing", False),
        (datetime.date(2023, 6, 2), "month", "Appeal", False),
        (datetime.date(2023, 6, 3), "day", "Ruling", True),
    ]
    assert not Source.objects.filter(title__startswith="Old").exists()
    assert not TimelineEvent.objects.filter(description__startswith="Old").exists()

    # A present, empty list removes them all; an absent column leaves them alone.
    row = {"reference": "SC-0042", "company": "Colis Express", "timeline": "[]", "costs": "[]"}
    out, err = run_import(write_csv(tmp_path / "empty.csv", [row]))
    assert out == "Imported 1 rows: 0 created, 1 updated, 0 unchanged.\n", err
    assert (TimelineEvent.objects.count(), CostEstimate.objects.count(), Source.objects.count()) == (0, 0, 1)


def test_a_longer_list_adds_rows_after_the_ones_it_keeps(tmp_path):
    case_with_rows()
    sources = [
        {"kind": "press", "title": "Old article", "publisher": "Le Monde", "url": "https://example.org/article"},
        {"kind": "press", "title": "New one", "publisher": "Libération", "url": "", "published_on": "2023-07-01"},
        {"kind": "video", "title": "New two", "publisher": "France 2", "url": ""},
    ]
    row = {"reference": "SC-0042", "company": "Colis Express", "sources": json.dumps(sources)}
    out, err = run_import(write_csv(tmp_path / "more.csv", [row]))
    assert out == "Imported 1 rows: 0 created, 1 updated, 0 unchanged.\n", err
    assert list(Source.objects.filter(incident_id=42).order_by("position").values_list("position", "title")) == [
        (0, "Old article"),
        (1, "New one"),
        (2, "New two"),
    ]
    # The costs column was absent: the remedy still cites the first source.
    assert list(CostEstimate.objects.values_list("amount_low", "source__title")) == [
        (Decimal("100.00"), "Old article"),
        (Decimal("200.00"), None),
    ]


def test_reimporting_an_identical_export_changes_nothing_and_writes_no_history(tmp_path):
    case = case_with_rows(harm_types=[factories.harm_type(slug="lost-parcel")], title_fr="Colis perdu")
    TimelineEvent.objects.filter(description_en="Old event one").update(description_fr="Ancien événement")
    CostEstimate.objects.filter(kind="fine").update(note_fr="Amende")
    Incident.objects.filter(pk=42).update(response_en="")  # an empty text as migration 0007 or a form leaves it
    path = export(tmp_path, "--all")
    histories = [model.history.count() for model in (Incident, Source, CostEstimate, TimelineEvent)]
    updated_at = case.updated_at
    out, err = run_import(path)
    assert out == "Imported 1 rows: 0 created, 0 updated, 1 unchanged.\n", err
    assert [model.history.count() for model in (Incident, Source, CostEstimate, TimelineEvent)] == histories
    assert Incident.objects.get(pk=42).updated_at == updated_at
    assert (Source.objects.count(), CostEstimate.objects.count(), TimelineEvent.objects.count()) == (2, 2, 2)
    # The JSON export reads back the same way.
    out, err = run_import(export(tmp_path, "--all", "--format", "json", name="cases.json"))
    assert out == "Imported 1 rows: 0 created, 0 updated, 1 unchanged.\n", err
    assert [model.history.count() for model in (Incident, Source, CostEstimate, TimelineEvent)] == histories
    assert Incident.objects.get(pk=42).title_fr == "Colis perdu"
    assert set(TimelineEvent.objects.values_list("description_fr", flat=True)) == {"Ancien événement", None}
    assert set(CostEstimate.objects.values_list("note_fr", flat=True)) == {"Amende", None}


# References, merges and retractions ------------------------------------------------------------------------------


def test_a_case_merged_into_another_by_reference_gets_the_link(tmp_path):
    company = factories.company(name="Colis Express")
    factories.incident(pk=42, company=company, title="The original report")
    factories.draft(pk=43, company=company, title="The same parcel, again")
    row = {"reference": "SC-0043", "company": "Colis Express", "status": "merged", "merged_into": "sc-0042"}
    out, err = run_import(write_csv(tmp_path / "merge.csv", [row]))
    assert out == "Imported 1 rows: 0 created, 1 updated, 0 unchanged.\n", err
    duplicate = Incident.objects.get(pk=43)
    assert (duplicate.status, duplicate.merged_into_id) == ("merged", 42)
    assert duplicate.history.first().merged_into_id == 42
    assert read_csv(export(tmp_path, "--all"))[1]["merged_into"] == "SC-0042"

    # Back to a draft: an empty merged_into removes the link.
    row = {"reference": "SC-0043", "company": "Colis Express", "status": "draft", "merged_into": ""}
    out, err = run_import(write_csv(tmp_path / "unmerge.csv", [row]))
    assert out == "Imported 1 rows: 0 created, 1 updated, 0 unchanged.\n", err
    assert Incident.objects.get(pk=43).merged_into_id is None


def test_a_new_case_can_be_merged_into_a_case_of_an_earlier_row(tmp_path):
    company = factories.company(name="Colis Express")
    rows = [
        new_case_row(company, reference="SC-0050", title="The original"),
        new_case_row(company, reference="SC-0051", title="The duplicate", status="merged", merged_into="SC-0050"),
    ]
    out, err = run_import(write_json(tmp_path / "both.json", rows))
    assert out == "Imported 2 rows: 2 created, 0 updated, 0 unchanged.\n", err
    assert list(Incident.objects.order_by("pk").values_list("pk", "status", "merged_into")) == [
        (50, "draft", None),
        (51, "merged", 50),
    ]


def test_a_merge_into_an_unknown_case_is_refused_and_nothing_is_written(tmp_path):
    company = factories.company(name="Colis Express")
    factories.incident(pk=42, company=company, title="Old title")
    histories = Incident.history.count()
    rows = [
        {"reference": "SC-0042", "company": "Colis Express", "title": "New title"},
        new_case_row(company, title="Merged away", status="merged", merged_into="SC-9999"),
        new_case_row(company, title="Merged nowhere", status="draft", merged_into="the other one"),
    ]
    out, err = run_import(write_json(tmp_path / "merge.json", rows))
    assert out is None
    assert "line 3: merged_into: there is no case SC-9999." in err
    assert "line 4: merged_into: there is no case THE OTHER ONE." in err
    assert "line 2" not in err
    assert "2 of 3 rows have errors. Nothing was imported" in err
    assert list(Incident.objects.values_list("pk", "title")) == [(42, "Old title")]
    assert Incident.history.count() == histories


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        ({"reference": "SC-0042", "id": "43"}, "reference and id name two different cases."),
        ({"reference": "SC-42A"}, "reference: “SC-42A” is not a reference such as SC-0042."),
        ({"id": "-42"}, "id: “-42” is not a case number."),
    ],
)
def test_a_row_whose_reference_and_id_disagree_is_refused_and_nothing_is_written(tmp_path, identity, message):
    company = factories.company(name="Colis Express")
    factories.incident(pk=42, company=company, title="Case forty-two")
    factories.incident(pk=43, company=company, title="Case forty-three")
    histories = Incident.history.count()
    rows = [
        {"reference": "SC-0042", "id": "42", "company": "Colis Express", "title": "Forty-two, renamed"},
        {"reference": "", "id": "", **identity, "company": "Colis Express", "title": "Which one?"},
    ]
    out, err = run_import(write_csv(tmp_path / "ids.csv", rows))
    assert out is None
    assert f"line 3: {message}" in err
    assert "1 of 2 rows have errors. Nothing was imported" in err
    assert list(Incident.objects.order_by("pk").values_list("title", flat=True)) == [
        "Case forty-two",
        "Case forty-three",
    ]  # the good first row was rolled back too
    assert Incident.history.count() == histories


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "merged"}, "status: a merged case needs merged_into."),
        ({"status": "merged", "merged_into": ""}, "status: a merged case needs merged_into."),
        ({"status": "retracted"}, "status: a retracted case needs its retraction_reason."),
        ({"status": "retracted", "retraction_reason": "  "}, "status: a retracted case needs its retraction_reason."),
        ({"status": "merged", "merged_into": "SC-0042"}, "merged_into: A case cannot be merged into itself."),
        ({"merged_into": "SC-0042"}, "merged_into: A case cannot be merged into itself."),
        ({"status": "published", "story": ""}, "status: a published case needs the story."),
        ({"status": "lost"}, "status: Value 'lost' is not a valid choice."),
    ],
)
def test_status_rules_are_enforced_with_their_message(tmp_path, fields, message):
    factories.incident(pk=42, company=factories.company(name="Colis Express"), title="Still here")
    histories = Incident.history.count()
    row = {"reference": "SC-0042", "company": "Colis Express", **fields}
    out, err = run_import(write_csv(tmp_path / "status.csv", [row]))
    assert out is None
    assert err.splitlines()[0] == f"line 2: {message}"
    case = Incident.objects.get(pk=42)
    assert (case.status, case.merged_into_id, case.retraction_reason) == ("published", None, "")
    assert Incident.history.count() == histories


def test_a_retracted_case_with_its_reason_is_imported_and_dated(tmp_path):
    factories.incident(pk=42, company=factories.company(name="Colis Express"))
    row = {"reference": "SC-0042", "company": "Colis Express", "status": "retracted", "retraction_reason": "Fake."}
    out, err = run_import(write_csv(tmp_path / "retract.csv", [row]))
    assert out == "Imported 1 rows: 0 created, 1 updated, 0 unchanged.\n", err
    case = Incident.objects.get(pk=42)
    assert (case.status, case.retraction_reason) == ("retracted", "Fake.")
    assert case.retracted_at is not None


def test_dry_run_checks_everything_and_imports_nothing(tmp_path):
    company = factories.company(name="Colis Express")
    path = write_csv(tmp_path / "new.csv", [new_case_row(company)])
    out, _err = run_import(path, "--dry-run")
    assert (
        out == "Dry run: every row is valid; nothing was imported. It would have: 1 created, 0 updated, 0 unchanged.\n"
    )
    assert not Incident.objects.exists()
    bad = write_csv(tmp_path / "bad.csv", [new_case_row(company, occurred_on="never")])
    out, err = run_import(bad, "--dry-run")
    assert out is None and "line 2: occurred_on" in err


def test_the_json_reader_streams(tmp_path):
    """Objects come out one by one while the file is read in small chunks."""
    text = "[" + ",".join(json.dumps({"title": f"Case {n}", "story": "x" * 100}) for n in range(50)) + "]"
    chunks = []

    class Reader(io.StringIO):
        def read(self, size=-1):
            chunk = super().read(size)
            chunks.append(len(chunk))
            return chunk

    reader = importer.read_json(Reader(text), chunk_size=256)
    first_line, first = next(reader)
    assert first == {"title": "Case 0", "story": "x" * 100}
    assert sum(chunks) < len(text) / 4  # it did not read the whole file to yield the first case
    assert len(list(reader)) == 49


def test_text_typed_in_a_browser_is_stored_with_unix_line_endings_so_a_reimport_is_a_no_op(tmp_path):
    """A textarea sends \\r\\n: stored as typed, re-importing an unchanged export reported "1 updated" and wrote
    a new version, even of a retracted case."""
    from django.core.management import call_command

    from incidents.models import Incident, Status

    case = factories.incident(title="Typed in a browser", story="First line.\r\nSecond line.\r\n\r\nNew paragraph.")
    case.refresh_from_db()
    assert case.story_en == "First line.\nSecond line.\n\nNew paragraph."
    Incident.objects.filter(pk=case.pk).update(status=Status.RETRACTED, retraction_reason_en="Did not hold.\r\nAt all.")
    case = Incident.objects.get(pk=case.pk)
    case.save()  # the next save through the ORM normalises it too
    assert Incident.objects.get(pk=case.pk).retraction_reason_en == "Did not hold.\nAt all."
    export = tmp_path / "cases.json"
    call_command("export_cases", "--format", "json", "--all", "--output", str(export))
    versions = Incident.history.filter(id=case.pk).count()
    out = io.StringIO()
    call_command("import_cases", str(export), stdout=out)
    assert "0 updated" in out.getvalue()
    assert Incident.history.filter(id=case.pk).count() == versions
