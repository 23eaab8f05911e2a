"""import_cases / export_cases: the shared schema, all-or-nothing imports with line numbers, idempotence."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents import imports
from incidents.models import Company, Incident, Source, Status
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


def test_the_schema_is_a_stable_documented_list():
    assert imports.COLUMN_NAMES[:6] == ["reference", "id", "title", "slug", "status", "company"]
    assert {"harm_types", "lessons", "costs", "sources", "timeline", "published_at", "updated_at", "url"} <= set(
        imports.COLUMN_NAMES
    )
    assert len(set(imports.COLUMN_NAMES)) == len(imports.COLUMNS)
    assert all(str(column.description) for column in imports.COLUMNS)


def test_rows_are_generated_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    for _ in range(30):
        case = factories.incident(sources=2)
        factories.event(case)
        factories.cost(case, 100)
    with django_assert_max_num_queries(8):
        rows = list(imports.iter_rows(Incident.objects.all(), chunk_size=100))
    assert len(rows) == 30
    first = Incident.objects.order_by("pk").first()
    assert rows[0]["reference"] == first.reference and len(rows[0]["sources"]) == 2


def test_export_writes_published_cases_only_unless_all(tmp_path):
    published = factories.incident(title="Published one")
    factories.draft(title="A draft")
    rows = read_csv(export(tmp_path))
    assert [row["reference"] for row in rows] == [published.reference]
    assert list(rows[0]) == imports.COLUMN_NAMES
    everything = json.loads(export(tmp_path, "--all", "--format", "json", name="all.json").read_text())
    assert {row["title"] for row in everything} == {"Published one", "A draft"}
    assert isinstance(everything[0]["sources"], list)


# Good files ------------------------------------------------------------------------------------------------------


def test_a_good_csv_file_creates_cases_with_their_rows(tmp_path):
    company = factories.company(name="Colis Express")
    path = write_csv(tmp_path / "new.csv", [new_case_row(company)])
    out, err = run_import(path)
    assert out == "Imported 1 rows: 1 created, 0 updated, 0 unchanged.\n", err
    case = Incident.objects.get(title="Parcel lost, refund refused")
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


def test_round_trip_export_then_import_is_unchanged_and_restores_a_wiped_catalogue(tmp_path):
    for _ in range(3):
        case = factories.incident(sources=2, harm_types=[factories.harm_type()])
        factories.event(case, description="First answer", channel="social_media")
        factories.cost(case, "1250.50", currency="USD", source=case.sources.first())
    path = export(tmp_path, "--all")
    before = read_csv(path)
    out, _err = run_import(path)
    assert out == "Imported 3 rows: 0 created, 0 updated, 3 unchanged.\n"

    Incident.objects.all().delete()
    out, _err = run_import(path)
    assert out == "Imported 3 rows: 3 created, 0 updated, 0 unchanged.\n"
    after = read_csv(export(tmp_path, "--all", name="again.csv"))
    for row in before + after:
        row.pop("updated_at")
    assert after == before  # same numbers, same rows, same everything
    highest = max(int(row["id"]) for row in before)
    assert factories.draft().pk > highest  # the sequence moved past the imported numbers


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

    reader = imports.read_json(Reader(text), chunk_size=256)
    first_line, first = next(reader)
    assert first == {"title": "Case 0", "story": "x" * 100}
    assert sum(chunks) < len(text) / 4  # it did not read the whole file to yield the first case
    assert len(list(reader)) == 49
