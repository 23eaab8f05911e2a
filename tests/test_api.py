"""The read-only JSON API: the filters of /cases/, pagination, no hidden case, never a 500, an OpenAPI description."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from incidents.filters import IncidentFilterSet
from incidents.models import ApologyQuality, Correction, Status
from tests import factories

pytestmark = pytest.mark.django_db

MARKER = "ZQXHIDDEN"


@pytest.fixture
def catalogue():
    energy = factories.sector(name="Energy", slug="energy")
    rail = factories.sector(name="Rail", slug="rail")
    edf = factories.company(name="EDF", slug="edf", sector=energy)
    sncf = factories.company(name="SNCF", slug="sncf", sector=rail)
    bill = factories.harm_type(name="Absurd bill X", slug="bill-x")
    cases = {
        "edf": factories.incident(
            title="A bill of 88,247 euros",
            company=edf,
            harm_types=[bill],
            apology_quality=ApologyQuality.REFUSED,
            occurred_on=datetime.date(2009, 12, 1),
            story="La facture d'électricité était absurde.",
        ),
        "sncf": factories.incident(
            title="Fifteen hours to Port-Bou",
            company=sncf,
            apology_quality=ApologyQuality.SINCERE,
            occurred_on=datetime.date(2011, 12, 28),
            country="ES",
        ),
        "edf2": factories.incident(
            title="Meter replaced twice",
            company=edf,
            apology_quality=ApologyQuality.EXEMPLARY,
            occurred_on=datetime.date(2021, 6, 1),
        ),
    }
    factories.cost(cases["edf"], "500000")
    factories.cost(cases["sncf"], "2000000")
    factories.event(cases["sncf"], description="The train stopped.")
    Correction.objects.create(incident=cases["sncf"], note="The train left from Paris.")
    factories.hidden_cases(MARKER, company=edf, harm_types=[bill], merged_into=cases["edf"])
    return cases


def api_titles(response):
    return [item["title"] for item in response.json()["results"]]


def test_list_is_paginated_with_links_to_the_html_pages(client, catalogue):
    response = client.get("/api/cases/", {"page_size": 2})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data["count"] == 3 and len(data["results"]) == 2
    assert data["previous"] is None
    assert data["next"] == "http://testserver/api/cases/?page_size=2&page=2"
    second = client.get(data["next"].replace("http://testserver", "")).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert second["previous"] == "http://testserver/api/cases/?page_size=2&page=1"
    item = data["results"][0]
    case = catalogue["edf2"]
    assert item["reference"] == case.reference
    assert item["url"] == f"http://testserver{case.get_absolute_url()}"
    assert item["api_url"] == f"http://testserver/api/cases/{case.pk}/"
    assert item["company"]["name"] == "EDF" and item["sector"]["slug"] == "energy"
    assert item["apology"]["slug"] == "exemplary"


def test_detail_has_costs_sources_timeline_and_corrections(client, catalogue):
    case = catalogue["sncf"]
    item = client.get(f"/api/cases/{case.pk}/").json()
    assert item["title"] == "Fifteen hours to Port-Bou"
    assert item["costs"] == [
        {
            "kind": "bad_buzz",
            "amount_low": "2000000.00",
            "amount_high": None,
            "currency": "EUR",
            "method": "other",
            "claimed_by": "",
            "note": "",
        }
    ]
    assert item["sources"][0]["publisher"] == "Le Monde"
    assert item["timeline"][0]["description"] == "The train stopped."
    assert item["corrections"][0]["note"] == "The train left from Paris."
    assert item["occurred_on"] == "2011-12-28"


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"sector": "energy"},
        {"company": ["edf", "sncf"]},
        {"harm": "bill-x"},
        {"apology": ["refused", "exemplary"]},
        {"year_from": "2010"},
        {"year_to": "2011"},
        {"country": "es"},
        {"min_cost": "1000000"},
        {"q": "facture"},
        {"sort": "occurred"},
        {"sort": "apology"},
        {"sector": "energy", "apology": "refused"},
    ],
)
def test_list_accepts_exactly_the_filters_of_the_catalogue(client, catalogue, query):
    html = [case.title for case in client.get("/cases/", query).context["page_obj"]]
    api = client.get("/api/cases/", query)
    assert api.status_code == 200
    assert api_titles(api) == html
    assert MARKER not in api.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"page": "999"},
        {"page": "abc"},
        {"page": "-1"},
        {"page_size": "0"},
        {"page_size": "many"},
        {"sector": "no-such-sector"},
        {"year_from": "99999999999999999999"},
        {"year_from": "abc"},
        {"min_cost": "1e309"},
        {"min_cost": "-5"},
        {"country": "FRANCE"},
        {"apology": "polite"},
        {"sort": "price; DROP TABLE"},
        {"q": "\x00"},
        {"q": "a" * 5000},
        {"updated_within": "0"},
    ],
)
def test_bad_input_is_a_json_error_never_a_500(client, catalogue, query):
    response = client.get("/api/cases/", query)
    assert response.status_code in (400, 404)
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_bad_filter_errors_name_the_parameter(client, catalogue):
    data = client.get("/api/cases/", {"sector": "no-such-sector", "year_from": "abc"}).json()
    assert set(data["errors"]) == {"sector", "year_from"}


def test_unicode_search_is_fine(client, catalogue):
    assert client.get("/api/cases/", {"q": "🙂 ‮ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"}).status_code == 200


def test_page_size_is_capped(client, catalogue):
    """At most 100 cases a page, however many are asked for: 103 published cases take two pages."""
    company = factories.company(name="Many cases", slug="many-cases")
    for _ in range(100):
        factories.incident(company=company, sources=0)
    response = client.get("/api/cases/", {"page_size": "100000"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 103
    assert len(data["results"]) == 100
    assert data["next"] == "http://testserver/api/cases/?page_size=100000&page=2"
    assert data["previous"] is None
    second = client.get(data["next"]).json()
    assert len(second["results"]) == 3
    assert second["next"] is None
    assert len({item["id"] for item in data["results"] + second["results"]}) == 103
    assert len(client.get("/api/cases/", {"page_size": "101"}).json()["results"]) == 100
    assert len(client.get("/api/cases/", {"page_size": "100"}).json()["results"]) == 100
    assert len(client.get("/api/cases/", {"page_size": "99"}).json()["results"]) == 99
    assert len(client.get("/api/cases/").json()["results"]) == 20  # the default


def test_detail_of_hidden_cases(client, catalogue):
    hidden = factories.hidden_cases("ALSO-HIDDEN", merged_into=catalogue["edf"])
    for status in (Status.DRAFT, Status.REVIEW):
        response = client.get(f"/api/cases/{hidden[status].pk}/")
        assert response.status_code == 404 and response.json()["detail"]
    retracted = client.get(f"/api/cases/{hidden[Status.RETRACTED].pk}/")
    assert retracted.status_code == 410
    assert "sources did not hold" in retracted.json()["reason"]
    merged = client.get(f"/api/cases/{hidden[Status.MERGED].pk}/")
    assert merged.status_code == 301 and merged["Location"] == f"/api/cases/{catalogue['edf'].pk}/"
    assert client.get("/api/cases/999999/").status_code == 404


def test_openapi_schema_is_valid_and_lists_both_paths(client):
    from openapi_spec_validator import validate

    response = client.get("/api/schema/")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert {"/api/cases/", "/api/cases/{id}/"} <= set(document["paths"])
    parameters = {p["name"] for p in document["paths"]["/api/cases/"]["get"]["parameters"]}
    from incidents.filters import IncidentFilterSet

    assert set(IncidentFilterSet.base_filters) <= parameters


def test_list_runs_a_fixed_number_of_queries(client):
    harm = factories.harm_type()
    company = factories.company()

    def add_case():
        case = factories.incident(company=company, harm_types=[harm], lessons=[factories.lesson()])
        factories.cost(case, "100")
        factories.event(case)
        Correction.objects.create(incident=case, note="Fixed.")

    add_case()
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/cases/", {"harm": harm.slug, "page_size": 100}).status_code == 200
    for _ in range(29):
        add_case()
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/cases/", {"harm": harm.slug, "page_size": 100})
    assert response.json()["count"] == 30
    assert len(one) == len(many), (len(one), len(many))


# The OpenAPI document is generated from the schemas the answers are made with --------------------------------


def answer_schema(document, path, status):
    """The schema the document gives for one answer, with the document's components to resolve its $ref."""
    operation = document["paths"][path]["get"]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def test_every_answer_is_what_the_openapi_document_describes(client, catalogue):
    from openapi_schema_validator import OAS31Validator, oas31_format_checker
    from openapi_schema_validator import validate as validate_instance

    document = client.get("/api/schema/").json()
    hidden = factories.hidden_cases("ALSO-HIDDEN", merged_into=catalogue["sncf"])
    answers = [
        ("/api/cases/", "/api/cases/", {"page_size": 2}, 200),
        ("/api/cases/", "/api/cases/", {"year_from": "abc"}, 400),
        ("/api/cases/", "/api/cases/", {"page_size": "0"}, 400),
        ("/api/cases/", "/api/cases/", {"page": "99"}, 404),
        ("/api/cases/{id}/", f"/api/cases/{catalogue['sncf'].pk}/", {}, 200),
        ("/api/cases/{id}/", f"/api/cases/{hidden[Status.MERGED].pk}/", {}, 301),
        ("/api/cases/{id}/", f"/api/cases/{hidden[Status.DRAFT].pk}/", {}, 404),
        ("/api/cases/{id}/", f"/api/cases/{hidden[Status.RETRACTED].pk}/", {}, 410),
    ]
    for path, url, query, status in answers:
        response = client.get(url, query)
        assert response.status_code == status, url
        assert response["Content-Type"] == "application/json" and response["Access-Control-Allow-Origin"] == "*"
        validate_instance(
            response.json(),
            answer_schema(document, path, status),
            cls=OAS31Validator,
            format_checker=oas31_format_checker,
        )
    # Every field sent is described, and every field described is sent.
    item = client.get(f"/api/cases/{catalogue['sncf'].pk}/").json()
    described = document["components"]["schemas"]
    assert set(item) == set(described["CaseOut"]["properties"])
    for field, component in [("company", "CompanyOut"), ("sector", "SectorOut"), ("apology", "ApologyOut")]:
        assert set(item[field]) == set(described[component]["properties"]), field
    for field, component in [("costs", "CostOut"), ("sources", "SourceOut"), ("timeline", "TimelineEventOut")]:
        assert set(item[field][0]) == set(described[component]["properties"]), field


def test_openapi_parameters_say_what_the_filterset_accepts(client):
    """Bounds, choices and patterns come from the FilterSet's form fields: the document cannot drift from them."""
    document = client.get("/api/schema/", headers={"accept-language": "fr"}).json()
    parameters = {p["name"]: p for p in document["paths"]["/api/cases/"]["get"]["parameters"]}
    assert all(p["in"] == "query" and not p["required"] for p in parameters.values())
    year = parameters["year_from"]["schema"]
    assert (year["type"], year["minimum"], year["maximum"]) == ("integer", 1900, 2100)
    assert parameters["updated_within"]["schema"]["maximum"] == 36500
    assert parameters["min_cost"]["schema"]["minimum"] == 0
    apology = parameters["apology"]["schema"]
    assert apology["type"] == "array"
    assert apology["items"]["enum"] == ["refused", "none", "non-apology", "formal", "sincere", "exemplary"]
    assert parameters["sector"]["schema"] == {**parameters["sector"]["schema"], "type": "array"}
    assert "enum" not in parameters["sector"]["schema"]["items"]  # slugs are catalogue data, not API
    assert parameters["country"]["schema"]["pattern"] == "^[A-Za-z]{2}$"
    assert parameters["q"]["schema"]["maxLength"] == 200
    assert parameters["sort"]["schema"]["enum"] == ["newest", "occurred", "cost", "slowest", "apology", "relevance"]
    assert parameters["page_size"]["schema"]["maximum"] == 100
    # Described in English whatever the reader's language, and about this site.
    assert parameters["year_from"]["description"] == "From year"
    assert document["servers"] == [{"url": "http://testserver"}]
    assert document["info"]["license"]["identifier"] == "CC-BY-4.0"


def test_every_operation_answers_head_and_no_documentation_page_is_served(client, catalogue):
    for url in ("/api/cases/", f"/api/cases/{catalogue['edf'].pk}/", "/api/schema/"):
        assert client.head(url).status_code == 200, url
        assert client.post(url).status_code == 405, url
    # django-ninja's documentation page runs inline script, which the site's CSP refuses: it is not served.
    for url in ("/api/docs", "/api/docs/", "/api/openapi.json", "/api/"):
        assert client.get(url).status_code == 404, url


def test_the_case_pages_json_ld_says_what_the_api_says(client, catalogue):
    """Both are written from the same declared case (incidents/api/schemas.py)."""
    import extruct

    case = catalogue["sncf"]
    item = client.get(f"/api/cases/{case.pk}/").json()
    page = client.get(case.get_absolute_url()).text
    article = next(i for i in extruct.extract(page, syntaxes=["json-ld"])["json-ld"] if i["@type"] == "Article")
    assert (article["url"], article["identifier"], article["name"]) == (item["url"], item["reference"], item["title"])
    assert (article["datePublished"], article["dateModified"]) == (item["published_at"], item["updated_at"])
    assert article["about"]["url"] == item["company"]["url"]
    assert article["articleSection"] == item["sector"]["name"]
    assert article["image"]["url"] == item["card_url"]
    assert [c["name"] for c in article["citation"]] == [s["title"] for s in item["sources"]]
    assert [c["text"] for c in article["correction"]] == [c["note"] for c in item["corrections"]]


# Languages --------------------------------------------------------------------------------------------------------


@pytest.fixture
def bilingual():
    """A French case translated into English (its response in French only), and an English case whose translation
    has only begun (its title and one event)."""
    energy = factories.sector(name="Energy", slug="energy")
    edf = factories.company(name="EDF", slug="edf", sector=energy)
    french = factories.incident(
        company=edf,
        language="fr",
        title="Une facture de 88 247 €",
        summary="EDF a facturé 88 247 € à une retraitée.",
        story="La facture était absurde.",
        lesson="S’excuser tôt.",
        apology_text="Nous regrettons.",
        response="Un geste commercial.",
        title_en="A bill of €88,247",
        summary_en="EDF billed a pensioner €88,247.",
        story_en="The bill was absurd.",
        lesson_en="Apologise early.",
        apology_text_en="We are sorry.",
        apology_quality=ApologyQuality.FORMAL,
        occurred_on=datetime.date(2009, 12, 1),
    )
    factories.event(french, description_fr="Premier courrier", description_en="First letter")
    factories.cost(french, "88247", note_fr="Montant facturé", note_en="Amount billed")
    Correction.objects.create(incident=french, note_fr="Date corrigée.", note_en="Date corrected.")
    english = factories.incident(
        company=edf,
        title="Meter replaced twice",
        summary="Twice.",
        title_fr="Compteur remplacé deux fois",
        occurred_on=datetime.date(2021, 6, 1),
    )
    factories.event(english, description_en="The meter was replaced.", description_fr="Le compteur a été remplacé.")
    return {"fr": french, "en": english}


def french_label(quality):
    with translation.override("fr"):
        return str(quality.label)


def texts(item):
    return (
        item["title"],
        item["summary"],
        item["story"],
        item["lesson"],
        item["apology"]["text"],
        item["response"],
        [event["description"] for event in item["timeline"]],
        [cost["note"] for cost in item["costs"]],
        [correction["note"] for correction in item["corrections"]],
    )


def test_lang_chooses_the_language_of_every_text_of_a_case(client, bilingual):
    case = bilingual["fr"]
    french = client.get(f"/api/cases/{case.pk}/", {"lang": "fr"})
    assert french.status_code == 200 and french["Content-Language"] == "fr"
    item = french.json()
    assert texts(item) == (
        "Une facture de 88 247 €",
        "EDF a facturé 88 247 € à une retraitée.",
        "La facture était absurde.",
        "S’excuser tôt.",
        "Nous regrettons.",
        "Un geste commercial.",
        ["Premier courrier"],
        ["Montant facturé"],
        ["Date corrigée."],
    )
    assert (item["language"], item["original_language"], item["available_languages"]) == ("fr", "fr", ["en", "fr"])
    assert item["apology"]["label"] == french_label(ApologyQuality.FORMAL) != "Formal"
    assert item["apology"]["slug"] == "formal"
    assert item["url"] == f"http://testserver/fr{case.get_absolute_url()}"

    english = client.get(f"/api/cases/{case.pk}/", {"lang": "en"})
    assert english["Content-Language"] == "en"
    item = english.json()
    # The response exists in French only: given in French rather than left out, as the case page shows it.
    assert texts(item) == (
        "A bill of €88,247",
        "EDF billed a pensioner €88,247.",
        "The bill was absurd.",
        "Apologise early.",
        "We are sorry.",
        "Un geste commercial.",
        ["First letter"],
        ["Amount billed"],
        ["Date corrected."],
    )
    assert (item["language"], item["original_language"]) == ("en", "fr")
    assert item["apology"]["label"] == "Formal" and item["sector"]["name"] == "Energy"
    assert item["url"] == f"http://testserver{case.get_absolute_url()}"
    assert client.get(f"/api/cases/{case.pk}/").json() == item  # English by default


def test_a_case_not_written_in_the_language_asked_comes_in_its_original_one(client, bilingual):
    case = bilingual["en"]
    item = client.get(f"/api/cases/{case.pk}/", {"lang": "fr"}).json()
    # Its French title and event are not a French case yet: every text comes in English, as `language` says.
    assert (item["title"], item["timeline"][0]["description"]) == ("Meter replaced twice", "The meter was replaced.")
    assert (item["language"], item["original_language"], item["available_languages"]) == ("en", "en", ["en"])
    assert item["apology"]["label"] == french_label(ApologyQuality.NONE) != "None"  # labels follow the language asked


def test_the_french_address_answers_in_french_and_lang_still_wins(client, bilingual):
    case = bilingual["fr"]
    data = client.get("/fr/api/cases/").json()
    assert [(item["title"], item["language"]) for item in data["results"]] == [
        ("Meter replaced twice", "en"),
        ("Une facture de 88 247 €", "fr"),
    ]
    assert data["results"][1]["api_url"] == f"http://testserver/fr/api/cases/{case.pk}/"
    assert client.get(f"/fr/api/cases/{case.pk}/", {"lang": "en"}).json()["title"] == "A bill of €88,247"
    listed = client.get("/api/cases/", {"lang": "fr", "page_size": 1})
    assert listed["Content-Language"] == "fr"
    assert listed.json()["next"] == "http://testserver/api/cases/?lang=fr&page_size=1&page=2"  # it keeps the language


@pytest.mark.parametrize("lang", ["de", "FR", "en-GB", "\x00", "fr,en"])
def test_an_unknown_language_is_a_400_that_names_the_parameter(client, bilingual, lang):
    for url in ("/api/cases/", f"/api/cases/{bilingual['fr'].pk}/", "/api/cases/999999/"):
        response = client.get(url, {"lang": lang})
        assert response.status_code == 400, url
        assert response.json() == {"detail": "Invalid language.", "errors": {"lang": [{"message": "One of: en, fr."}]}}


def test_a_merged_case_redirects_in_the_same_language(client, catalogue):
    merged = factories.hidden_cases("ALSO-HIDDEN", merged_into=catalogue["edf"])[Status.MERGED]
    response = client.get(f"/api/cases/{merged.pk}/", {"lang": "fr"})
    assert response.status_code == 301 and response["Location"] == f"/api/cases/{catalogue['edf'].pk}/?lang=fr"


def test_the_openapi_document_describes_lang_and_the_language_fields(client, bilingual):
    from openapi_schema_validator import OAS31Validator, oas31_format_checker
    from openapi_schema_validator import validate as validate_instance

    document = client.get("/api/schema/").json()
    for path in ("/api/cases/", "/api/cases/{id}/"):
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
        schema = parameters["lang"]["schema"]
        assert (schema["type"], schema["enum"]) == ("string", ["en", "fr"]), path
        assert "original language" in schema["description"]
    case_out = document["components"]["schemas"]["CaseOut"]["properties"]
    assert case_out["original_language"]["enum"] == ["en", "fr"]
    assert case_out["available_languages"]["items"]["enum"] == ["en", "fr"]
    assert "asked for" in case_out["language"]["description"]
    answers = [
        ("/api/cases/{id}/", f"/api/cases/{bilingual['fr'].pk}/", {"lang": "fr"}, 200),
        ("/api/cases/{id}/", f"/api/cases/{bilingual['fr'].pk}/", {"lang": "xx"}, 400),
        ("/api/cases/", "/api/cases/", {"lang": "fr"}, 200),
        ("/api/cases/", "/api/cases/", {"lang": "xx"}, 400),
    ]
    for path, url, query, status in answers:
        response = client.get(url, query)
        assert response.status_code == status, (url, query)
        validate_instance(
            response.json(),
            answer_schema(document, path, status),
            cls=OAS31Validator,
            format_checker=oas31_format_checker,
        )


def test_the_case_page_s_json_ld_says_which_language_its_texts_are_in(client, bilingual):
    import extruct

    def article(url):
        page = client.get(url).text
        return next(i for i in extruct.extract(page, syntaxes=["json-ld"])["json-ld"] if i["@type"] == "Article")

    url, english_url = bilingual["fr"].get_absolute_url(), bilingual["en"].get_absolute_url()
    assert (article(url)["inLanguage"], article(url)["headline"]) == ("en", "A bill of €88,247")
    assert (article(f"/fr{url}")["inLanguage"], article(f"/fr{url}")["headline"]) == ("fr", "Une facture de 88 247 €")
    untranslated = article(f"/fr{english_url}")
    assert (untranslated["inLanguage"], untranslated["headline"]) == ("en", "Meter replaced twice")


@pytest.mark.skipif(
    "available_in" not in IncidentFilterSet.base_filters, reason="the catalogue has no language filter yet"
)
def test_the_available_in_filter_of_the_catalogue_applies_to_the_api(client, bilingual):
    french, english = bilingual["fr"], bilingual["en"]
    for language, expected in (("fr", [french.pk]), ("en", [english.pk, french.pk])):
        api = client.get("/api/cases/", {"available_in": language}).json()
        assert [item["id"] for item in api["results"]] == expected, language
        assert all(language in item["available_languages"] for item in api["results"])
        html = [case.pk for case in client.get("/cases/", {"available_in": language}).context["page_obj"]]
        assert html == expected
    assert client.get("/api/cases/", {"available_in": "de"}).json()["errors"].keys() == {"available_in"}
