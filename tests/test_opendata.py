"""Open data: the /data/ page, streamed CSV and JSON downloads, the embeddable card and oEmbed."""

import csv
import datetime
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import opendata
from incidents.exchange import importer
from incidents.filters import IncidentFilterSet
from incidents.models import Correction, Status
from tests import factories

pytestmark = pytest.mark.django_db

MARKER = "ZQXHIDDEN"
# The columns of both downloads, in order, with their type (incidents/exchange/columns.py, documented on /data/).
COLUMN_TYPES = [
    ("reference", "text"), ("id", "integer"), ("title", "text"), ("slug", "text"), ("status", "choice"),
    ("company", "text"), ("company_slug", "text"), ("sector", "text"), ("country", "text"), ("language", "choice"),
    ("occurred_on", "date"), ("occurred_precision", "choice"), ("first_response_on", "date"),
    ("first_response_precision", "choice"), ("resolved_on", "date"), ("resolved_precision", "choice"),
    ("apology_quality", "choice"), ("customers_affected", "integer"), ("harm_types", "slugs"), ("lessons", "slugs"),
    ("summary", "text"), ("story", "text"), ("lesson", "text"), ("apology_text", "text"), ("response", "text"),
    ("corrective_actions", "text"), ("costs", "list"), ("sources", "list"), ("timeline", "list"),
    ("published_at", "datetime"), ("updated_at", "datetime"), ("url", "text"), ("retraction_reason", "text"),
    ("merged_into", "text"),
    *((f"{name}_{code}", "text") for name in (
        "title", "summary", "story", "lesson", "apology_text", "response", "corrective_actions", "retraction_reason"
    ) for code in ("en", "fr")),
]  # fmt: skip
COLUMNS = [name for name, _type in COLUMN_TYPES]


@pytest.fixture
def catalogue():
    energy = factories.sector(name="Energy", slug="energy")
    rail = factories.sector(name="Rail", slug="rail")
    edf = factories.company(name="EDF", slug="edf", sector=energy)
    sncf = factories.company(name="SNCF", slug="sncf", sector=rail)
    cases = {
        "edf": factories.incident(title="Électricité: une facture de 88 247 €", company=edf, language="fr"),
        "sncf": factories.incident(title="Fifteen hours to Port-Bou", company=sncf),
    }
    factories.cost(cases["edf"], "180000000", currency="USD")
    factories.event(cases["sncf"], description="The train stopped in the night.")
    Correction.objects.create(incident=cases["sncf"], note="The train left from Paris.")
    factories.hidden_cases(MARKER, company=edf, merged_into=cases["edf"])
    return cases


def streamed_text(response):
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


# Embeds ---------------------------------------------------------------------------------------------------


def test_embed_is_a_small_frameable_card_linking_back(client, catalogue):
    case = catalogue["edf"]
    case_url = case.get_absolute_url()  # before a French request leaves French active in this thread
    response = client.get(f"/fr/cases/{case.pk}/embed/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response  # the one page other sites may frame
    page = response.text
    assert case.title in page and "EDF" in page and "180" in page
    assert f'href="http://testserver/fr{case_url}" target="_blank" rel="noopener"' in page
    assert '<html lang="fr">' in page  # the card speaks the language of its address
    assert '<html lang="en">' in client.get(f"/cases/{case.pk}/embed/").text
    assert "site-header" not in page  # no site navigation inside someone else's article
    assert client.get(case_url)["X-Frame-Options"] == "DENY"


def test_embed_of_hidden_and_retracted_cases(client, catalogue):
    hidden = factories.hidden_cases("ALSO-HIDDEN", merged_into=catalogue["sncf"])
    for status in (Status.DRAFT, Status.REVIEW):
        assert client.get(f"/cases/{hidden[status].pk}/embed/").status_code == 404
    retracted = client.get(f"/cases/{hidden[Status.RETRACTED].pk}/embed/")
    assert retracted.status_code == 200 and "This case was retracted" in retracted.text
    assert "ALSO-HIDDEN" not in retracted.text
    merged = client.get(f"/cases/{hidden[Status.MERGED].pk}/embed/")
    assert merged.status_code == 301 and merged.url == f"/cases/{catalogue['sncf'].pk}/embed/"


def test_oembed_describes_a_rich_iframe(client, catalogue):
    case = catalogue["edf"]
    for url in (
        f"http://testserver{case.get_absolute_url()}",
        f"http://testserver/cases/{case.pk}/",
        f"http://testserver/SC-{case.pk:04d}",
    ):
        response = client.get("/oembed/", {"url": url, "format": "json"})
        assert response.status_code == 200, url
        data = response.json()
        assert data["version"] == "1.0" and data["type"] == "rich"
        assert data["title"] == case.title
        assert data["provider_name"] == "Sévices clients" and data["provider_url"] == "http://testserver/"
        assert f'src="http://testserver/cases/{case.pk}/embed/"' in data["html"]
        assert data["html"].startswith("<iframe") and f'width="{data["width"]}"' in data["html"]
        assert data["thumbnail_url"] == f"http://testserver/cases/{case.pk}/card.png"


def test_oembed_respects_maxwidth_and_maxheight(client, catalogue):
    url = f"http://testserver{catalogue['edf'].get_absolute_url()}"
    data = client.get("/oembed/", {"url": url, "maxwidth": "400", "maxheight": "250"}).json()
    assert data["width"] == 400 and data["height"] == 250
    assert "thumbnail_url" not in data  # the 1200x630 card would not fit


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"url": "http://testserver/cases/999999/x/"}, 404),
        ({"url": "http://evil.example/cases/1/x/"}, 404),
        ({"url": "http://testserver/about/"}, 404),
        ({"url": "javascript:alert(1)"}, 404),
        ({}, 400),
        ({"url": "http://testserver/SC-0001", "format": "xml"}, 501),
        ({"url": "http://testserver/SC-0001", "maxwidth": "abc"}, 200),
    ],
)
def test_oembed_bad_requests(client, catalogue, query, status):
    if status == 200:
        query["url"] = f"http://testserver/SC-{catalogue['edf'].pk:04d}"
    assert client.get("/oembed/", query).status_code == status


def test_oembed_never_embeds_a_hidden_case(client, catalogue):
    for case in factories.hidden_cases("ALSO-HIDDEN", merged_into=catalogue["sncf"]).values():
        response = client.get("/oembed/", {"url": f"http://testserver/cases/{case.pk}/"})
        if case.status == Status.MERGED:
            assert response.json()["title"] == catalogue["sncf"].title
        else:
            assert response.status_code == 404


# The /data/ page ------------------------------------------------------------------------------------------


def test_data_page_explains_licence_fields_downloads_and_citation(client, catalogue):
    import extruct

    response = client.get("/data/")
    assert response.status_code == 200
    page = response.text
    assert "CC BY 4.0" in page and 'href="https://creativecommons.org/licenses/by/4.0/"' in page
    assert 'href="/data/cases.csv"' in page and 'href="/data/cases.json"' in page
    assert 'href="/api/schema/"' in page
    assert "How to cite the dataset" in page
    assert re.findall(r'<th scope="row"><code>(\w+)</code></th><td>(\w+)</td>', page) == COLUMN_TYPES
    dataset = extruct.extract(page, syntaxes=["json-ld"])["json-ld"][0]
    assert dataset["@type"] == "Dataset" and dataset["license"].endswith("/by/4.0/")
    assert dataset["inLanguage"] == ["en", "fr"]


def test_list_page_links_to_the_export_of_what_it_shows(client, catalogue):
    page = client.get("/cases/", {"sector": "energy", "q": "facture"}).text
    assert 'href="/data/cases.csv?sector=energy&amp;q=facture"' in page


# Downloads ------------------------------------------------------------------------------------------------


def test_csv_download_has_the_shared_columns_and_every_published_case(client, catalogue):
    response = client.get("/data/cases.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="sevices-clients-cases-')
    text = streamed_text(response)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == COLUMNS
    by_title = {row["title"]: row for row in rows}
    assert set(by_title) == {"Électricité: une facture de 88 247 €", "Fifteen hours to Port-Bou"}
    edf = by_title["Électricité: une facture de 88 247 €"]
    assert json.loads(edf["costs"])[0]["amount_low"] == "180000000.00"
    assert json.loads(edf["sources"])[0]["publisher"] == "Le Monde"
    assert edf["url"] == f"http://testserver{catalogue['edf'].get_absolute_url()}"
    sncf = by_title["Fifteen hours to Port-Bou"]
    assert json.loads(sncf["timeline"])[0]["description"] == "The train stopped in the night."
    assert MARKER not in text


def test_json_download_is_an_array_of_the_same_rows(client, catalogue):
    response = client.get("/data/cases.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    text = streamed_text(response)
    rows = json.loads(text)
    assert isinstance(rows, list) and len(rows) == 2
    assert all(list(row) == COLUMNS for row in rows)
    assert {row["status"] for row in rows} == {"published"}
    assert MARKER not in text


@pytest.mark.parametrize("path", ["/data/cases.csv", "/data/cases.json"])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"sector": "energy"}, {"Électricité: une facture de 88 247 €"}),
        ({"company": ["sncf", "edf"]}, {"Électricité: une facture de 88 247 €", "Fifteen hours to Port-Bou"}),
        ({"min_cost": "1000000"}, {"Électricité: une facture de 88 247 €"}),
        ({"q": "Port-Bou"}, {"Fifteen hours to Port-Bou"}),
        ({"q": MARKER}, set()),
    ],
)
def test_downloads_accept_the_filters_of_the_catalogue(client, catalogue, path, query, expected):
    text = streamed_text(client.get(path, query))
    if path.endswith(".csv"):
        titles = {row["title"] for row in csv.DictReader(io.StringIO(text))}
    else:
        titles = {row["title"] for row in json.loads(text)}
    assert titles == expected
    assert titles == {case.title for case in client.get("/cases/", query).context["page_obj"]}


@pytest.mark.parametrize("path", ["/data/cases.csv", "/data/cases.json"])
def test_downloads_reject_bad_filters_with_a_json_400(client, catalogue, path):
    response = client.get(path, {"sector": "no-such-sector", "year_from": "abc"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"sector", "year_from"}


def test_downloads_carry_both_languages_whatever_the_address(client, catalogue):
    edf = catalogue["edf"]
    edf.title_en, edf.summary_en, edf.story_en, edf.lesson_en = "Electricity: a bill of €88,247", "S.", "S.", "L."
    edf.save()
    edf_url = edf.get_absolute_url()
    english = json.loads(streamed_text(client.get("/data/cases.json")))
    french = json.loads(streamed_text(client.get("/fr/data/cases.json")))
    row = next(row for row in english if row["id"] == edf.pk)
    assert (row["language"], row["title"], row["title_fr"], row["title_en"]) == (
        "fr",
        "Électricité: une facture de 88 247 €",
        "Électricité: une facture de 88 247 €",
        "Electricity: a bill of €88,247",
    )
    assert row["url"] == f"http://testserver{edf_url}"
    assert [r.pop("url") for r in french] == [r.pop("url").replace("testserver/", "testserver/fr/") for r in english]
    assert french == english  # the address only changes the links


@pytest.mark.skipif(
    "available_in" not in IncidentFilterSet.base_filters, reason="the catalogue has no language filter yet"
)
@pytest.mark.parametrize("path", ["/data/cases.csv", "/data/cases.json"])
def test_downloads_take_the_available_in_filter(client, catalogue, path):
    """The French case is not translated: only it can be read in French, only the other in English."""
    for language, expected in (("fr", {"Électricité: une facture de 88 247 €"}), ("en", {"Fifteen hours to Port-Bou"})):
        text = streamed_text(client.get(path, {"available_in": language}))
        rows = list(csv.DictReader(io.StringIO(text))) if path.endswith(".csv") else json.loads(text)
        assert {row["title"] for row in rows} == expected, language


def test_csv_download_reads_back_with_the_import(client, catalogue):
    text = streamed_text(client.get("/data/cases.csv"))
    result = importer.import_rows(importer.read_csv(io.StringIO(text)), dry_run=True)
    assert result.error_count == 0, result.errors
    assert result.unchanged == 2


def test_downloads_fetch_cases_in_chunks_not_all_at_once(client, catalogue, monkeypatch):
    """The rows come from an iterator over chunks: after the first chunk, later cases are not yet read."""
    monkeypatch.setattr(opendata, "EXPORT_CHUNK_SIZE", 2)
    monkeypatch.setattr(opendata, "STREAM_BUFFER", 1)
    for _ in range(6):
        factories.incident(company=catalogue["edf"].company)
    response = client.get("/data/cases.csv")
    stream = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as first:
        next(stream)  # the header
        next(stream)  # the first row
    with CaptureQueriesContext(connection) as rest:
        remaining = list(stream)
    assert len(remaining) >= 7
    prefetches = [q for q in rest.captured_queries if "incidents_source" in q["sql"]]
    assert len(prefetches) >= 3  # one per later chunk of two cases: they were fetched while streaming
    del first


@pytest.mark.parametrize("path", ["/data/cases.csv", "/data/cases.json"])
def test_downloads_run_a_fixed_number_of_queries(client, path):
    harm = factories.harm_type()
    company = factories.company()

    def add_case():
        case = factories.incident(company=company, harm_types=[harm], lessons=[factories.lesson()])
        factories.cost(case, "100")
        factories.event(case)

    add_case()
    with CaptureQueriesContext(connection) as one:
        b"".join(client.get(path, {"harm": harm.slug}).streaming_content)
    for _ in range(29):
        add_case()
    with CaptureQueriesContext(connection) as many:
        text = b"".join(client.get(path, {"harm": harm.slug}).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text))) if path.endswith(".csv") else json.loads(text)
    assert len(rows) == 30 and all(row["title"].startswith("Case number") for row in rows)
    assert len(one) == len(many), (len(one), len(many))


def test_download_rows_are_the_shared_rows_across_chunks(client, monkeypatch):
    """The downloads fetch cases two at a time here: each row still carries its own case's rows, in order."""
    monkeypatch.setattr(opendata, "EXPORT_CHUNK_SIZE", 2)
    energy = factories.sector(name="Energy", slug="energy")
    edf = factories.company(name="EDF", slug="edf", sector=energy)
    late, early = factories.harm_type(slug="late-bill"), factories.harm_type(slug="cut-off")
    lesson = factories.lesson(slug="answer-the-phone")
    cases = [
        factories.incident(
            pk=pk,
            sources=0,
            company=edf,
            title=f"Bill {pk}",
            slug=f"bill-{pk}",
            summary=f"Summary {pk}.",
            story=f"Story {pk}.",
            harm_types=[late, early] if pk != 43 else [],
            lessons=[lesson] if pk == 44 else [],
            published_at=datetime.datetime(2022, 1, 1, 12, 0, tzinfo=datetime.UTC),
        )
        for pk in (42, 43, 44)
    ]
    # Rows made case after case, interleaved: each must come back to its own case, in its own order.
    for position in (1, 0):
        for case in cases:
            factories.source(incident=case, title=f"{case.title} source {position}", position=position, url="")
    factories.cost(cases[2], "2500", currency="GBP", source=cases[2].sources.get(position=1))
    factories.cost(cases[0], "7", kind="remedy")
    factories.event(cases[2], date=datetime.date(2020, 2, 1), description="Cut off", channel="press")
    factories.event(cases[2], date=datetime.date(2020, 1, 20), description="Bill sent")

    rows = json.loads(streamed_text(client.get("/data/cases.json")))
    assert [list(row) for row in rows] == [COLUMNS] * 3
    assert [
        (row["reference"], row["harm_types"], row["lessons"], [s["title"] for s in row["sources"]]) for row in rows
    ] == [
        ("SC-0042", "cut-off;late-bill", "", ["Bill 42 source 0", "Bill 42 source 1"]),
        ("SC-0043", "", "", ["Bill 43 source 0", "Bill 43 source 1"]),
        ("SC-0044", "cut-off;late-bill", "answer-the-phone", ["Bill 44 source 0", "Bill 44 source 1"]),
    ]
    assert rows[0]["costs"] == [
        {
            "kind": "remedy",
            "amount_low": "7.00",
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
        }
    ]
    assert rows[1]["costs"] == [] and rows[1]["timeline"] == [] and rows[0]["timeline"] == []
    last = rows[2]
    assert last.pop("updated_at")
    assert last == {
        "reference": "SC-0044",
        "id": 44,
        "title": "Bill 44",
        "slug": "bill-44",
        "status": "published",
        "company": "EDF",
        "company_slug": "edf",
        "sector": "energy",
        "country": "FR",
        "language": "en",
        "occurred_on": "2020-01-15",
        "occurred_precision": "day",
        "first_response_on": None,
        "first_response_precision": "day",
        "resolved_on": None,
        "resolved_precision": "day",
        "apology_quality": "none",
        "customers_affected": None,
        "harm_types": "cut-off;late-bill",
        "lessons": "answer-the-phone",
        "summary": "Summary 44.",
        "story": "Story 44.",
        "lesson": "Apologise early.",
        "apology_text": "",
        "response": "",
        "corrective_actions": "",
        "costs": [
            {
                "kind": "bad_buzz",
                "amount_low": "2500.00",
                "amount_high": None,
                "currency": "GBP",
                "method": "other",
                "claimed_by": "",
                "note": "",
                "source": 1,
                "claimed_by_en": "",
                "claimed_by_fr": "",
                "note_en": "",
                "note_fr": "",
            }
        ],
        "sources": [
            {
                "kind": "press",
                "title": f"Bill 44 source {position}",
                "publisher": "Le Monde",
                "url": "",
                "archive_url": "",
                "published_on": "2020-02-01",
                "language": "en",
            }
            for position in (0, 1)
        ],
        "timeline": [
            {
                "date": "2020-01-20",
                "precision": "day",
                "description": "Bill sent",
                "channel": "",
                "is_turning_point": False,
                "description_en": "Bill sent",
                "description_fr": "",
            },
            {
                "date": "2020-02-01",
                "precision": "day",
                "description": "Cut off",
                "channel": "press",
                "is_turning_point": False,
                "description_en": "Cut off",
                "description_fr": "",
            },
        ],
        "published_at": "2022-01-01T12:00:00+00:00",
        "url": "http://testserver/cases/44/bill-44/",
        "retraction_reason": "",
        "merged_into": "",
        "title_en": "Bill 44",
        "title_fr": "",
        "summary_en": "Summary 44.",
        "summary_fr": "",
        "story_en": "Story 44.",
        "story_fr": "",
        "lesson_en": "Apologise early.",
        "lesson_fr": "",
        "apology_text_en": "",
        "apology_text_fr": "",
        "response_en": "",
        "response_fr": "",
        "corrective_actions_en": "",
        "corrective_actions_fr": "",
        "retraction_reason_en": "",
        "retraction_reason_fr": "",
    }
