"""The catalogue's one list of filters (incidents/filters.py): the FilterSet on plain dicts, the parameters,
chips, facets and form every surface derives from it, and proof that a new filter reaches them all."""

import csv
import datetime
import io

import django_filters
import pytest
from bs4 import BeautifulSoup
from django import forms
from django.urls import reverse
from django.utils.http import urlencode

from incidents.api.views import case_query
from incidents.filters import IncidentFilterSet, active_filter_chips
from incidents.models import ApologyQuality
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    """Two sectors, three companies, four published cases."""
    energy = factories.sector(name="Energy", slug="energy")
    rail = factories.sector(name="Rail", slug="rail")
    factories.sector(name="Empty sector", slug="empty")
    edf = factories.company(name="EDF", slug="edf", sector=energy)
    engie = factories.company(name="Engie", slug="engie", sector=energy)
    sncf = factories.company(name="SNCF", slug="sncf", sector=rail)
    bill = factories.harm_type(name="Absurd bill X", slug="bill-x")
    delay = factories.harm_type(name="Travel disruption X", slug="delay-x")
    return {
        "edf": factories.incident(
            title="A bill of 88,247 euros",
            company=edf,
            harm_types=[bill],
            apology_quality=ApologyQuality.REFUSED,
            occurred_on=datetime.date(2009, 12, 1),
        ),
        "engie": factories.incident(
            title="Gas meter misread",
            company=engie,
            harm_types=[bill],
            apology_quality=ApologyQuality.FORMAL,
            occurred_on=datetime.date(2015, 3, 3),
            country="BE",
        ),
        "sncf": factories.incident(
            title="Fifteen hours to Port-Bou",
            company=sncf,
            harm_types=[delay],
            apology_quality=ApologyQuality.SINCERE,
            occurred_on=datetime.date(2011, 12, 28),
        ),
        "edf2": factories.incident(
            title="Meter replaced twice",
            company=edf,
            apology_quality=ApologyQuality.EXEMPLARY,
            occurred_on=datetime.date(2021, 6, 1),
        ),
    }


def titles(filterset):
    return {case.title for case in filterset.qs}


def form_of(html, css_class):
    return BeautifulSoup(html, "html.parser").select_one(f"form.{css_class}")


def hidden_inputs(form):
    return [(i["name"], i["value"]) for i in form.select('input[type="hidden"]')]


# The FilterSet on plain dicts ---------------------------------------------------------------------------


def test_filterset_on_plain_dicts(catalogue):
    filterset = IncidentFilterSet({"sector": ["energy"], "apology": ["refused", "formal"]})
    assert {c.title for c in filterset.qs} == {"A bill of 88,247 euros", "Gas meter misread"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"company": ["edf", "engie"]}, {"A bill of 88,247 euros", "Meter replaced twice", "Gas meter misread"}),
        ({"harm": "delay-x"}, {"Fifteen hours to Port-Bou"}),
        ({"year_from": 2011, "year_to": 2015}, {"Fifteen hours to Port-Bou", "Gas meter misread"}),
        ({"country": "be"}, {"Gas meter misread"}),
        ({"sector": "rail", "apology": "sincere"}, {"Fifteen hours to Port-Bou"}),
    ],
)
def test_each_filter_on_plain_dicts(catalogue, data, expected):
    assert titles(IncidentFilterSet(data)) == expected


def test_what_the_form_does_not_understand_is_reported_and_left_out(catalogue):
    filterset = IncidentFilterSet({"sector": "no-such-sector", "year_from": "abc", "apology": "refused"})
    assert not filterset.is_valid()
    assert set(filterset.errors) == {"sector", "year_from"}
    assert titles(filterset) == {"A bill of 88,247 euros"}
    assert [(str(c["label"]), str(c["value"])) for c in active_filter_chips(filterset)] == [("Apology", "Refused")]


def test_an_unbound_filterset_lists_every_published_case_newest_first(catalogue):
    filterset = IncidentFilterSet()
    assert titles(filterset) == {case.title for case in catalogue.values()}
    assert filterset.sort_key == "newest" and active_filter_chips(filterset) == []


@pytest.fixture
def languages():
    """A case written in English, one in French, and one in English translated into French."""
    return {
        "en": factories.incident(title="Written in English"),
        "fr": factories.incident(title="Écrit en français", language="fr"),
        "both": factories.incident(
            title="Written in English, translated",
            summary="A summary.",
            story="A story.",
            lesson="A lesson.",
            title_fr="Écrit en anglais, traduit",
            summary_fr="Un résumé.",
            story_fr="Un récit.",
            lesson_fr="Une leçon.",
        ),
    }


def ids(filterset):
    return {case.pk for case in filterset.qs}


def test_available_in_keeps_the_cases_written_in_a_language_or_translated_into_it(languages):
    english, french, both = (languages[key].pk for key in ("en", "fr", "both"))
    assert ids(IncidentFilterSet({"available_in": "en"})) == {english, both}
    assert ids(IncidentFilterSet({"available_in": "fr"})) == {french, both}
    assert ids(IncidentFilterSet({"available_in": ""})) == {english, french, both}
    assert not IncidentFilterSet({"available_in": "de"}).is_valid()


def test_available_in_reaches_the_list_page_the_api_and_the_downloads(client, languages):
    french, both = languages["fr"].pk, languages["both"].pk
    response = client.get("/cases/", {"available_in": "fr"})
    assert {case.pk for case in response.context["page_obj"]} == {french, both}
    select = form_of(response.text, "filters").select_one("select#id_available_in[name=available_in]")
    assert select.find_previous("label").text == "Available in"
    options = [(o["value"], o.text, o.has_attr("selected")) for o in select.select("option")]
    assert options == [("", "Any language", False), ("en", "English", False), ("fr", "French", True)]
    assert ("Available in", "French") in [(str(c["label"]), str(c["value"])) for c in response.context["chips"]]
    french_page = client.get("/fr/cases/", {"available_in": "en"}).text
    assert "Anglais" in form_of(french_page, "filters").select_one("select#id_available_in").text
    # The API: the parameter, its description in the OpenAPI document, its validation.
    api = client.get("/api/cases/", {"available_in": "fr"}).json()
    assert api["count"] == 2
    assert client.get("/api/cases/", {"available_in": "de"}).json()["errors"].keys() == {"available_in"}
    schema = client.get("/api/schema/").json()
    (parameter,) = [p for p in schema["paths"]["/api/cases/"]["get"]["parameters"] if p["name"] == "available_in"]
    assert parameter["schema"]["enum"] == ["en", "fr"] and parameter["schema"]["description"] == "Available in"
    # The download.
    download = client.get(reverse("incidents:data_csv"), {"available_in": "en"})
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert {int(row["id"]) for row in rows} == {languages["en"].pk, both}


# The parameters, chips and facets derive from the filters -------------------------------------------------


def test_the_parameters_are_the_filters_but_the_sort():
    params = IncidentFilterSet.filter_params
    assert params == tuple(name for name in IncidentFilterSet.base_filters if name != "sort")
    assert {"q", "company", "sector", "harm", "lesson", "apology", "year_from", "updated_within"} <= set(params)
    assert IncidentFilterSet({"sector": "rail"}).filter_params == params  # on an instance too


def test_chips_name_each_value_and_remove_only_it(catalogue):
    filterset = IncidentFilterSet({"sector": ["rail", "energy"], "apology": "refused", "country": "be", "page": "2"})
    chips = {(str(c["label"]), str(c["value"])): c["query"] for c in active_filter_chips(filterset)}
    assert chips == {
        ("Sector", "Rail"): "sector=energy&apology=refused&country=be",
        ("Sector", "Energy"): "sector=rail&apology=refused&country=be",
        ("Apology", "Refused"): "sector=rail&sector=energy&country=be",
        ("Country (code)", "be"): "sector=rail&sector=energy&apology=refused",
    }


def test_facets_count_each_option_with_the_other_filters(catalogue):
    facets = IncidentFilterSet({"sector": "energy", "harm": "bill-x"}).facets()
    counts = {name: {o["value"]: o["count"] for o in options} for name, options in facets.items()}
    assert counts["sector"] == {"empty": 0, "energy": 2, "rail": 0}  # the harm applies, not the sector
    assert (counts["harm"]["bill-x"], counts["harm"]["delay-x"]) == (2, 0)  # ...and Meter replaced twice has none
    assert counts["apology"] == {"refused": 1, "none": 0, "non-apology": 0, "formal": 1, "sincere": 0, "exemplary": 0}
    assert [str(o["label"]) for o in facets["apology"]][0] == "Refused"


# The form every page draws from it ----------------------------------------------------------------------


def labels(layout):
    return [str(control.label) for control in layout.controls]


def test_the_list_form_shows_every_field_whose_widget_is_not_hidden(catalogue):
    filterset = IncidentFilterSet({"company": "edf", "lesson": "x", "updated_within": "7", "sector": "energy"})
    layout = filterset.form_layout(facets=filterset.facets())
    assert labels(layout) == [
        "Search",
        "Sort by",
        "Sector",
        "Harm",
        "Apology",
        "When it happened",
        "Country (code)",
        "Bad buzz of at least (≈ EUR)",
        "Available in",
    ]
    assert layout.hidden == [("company", "edf"), ("lesson", "x"), ("updated_within", "7")]
    sector = layout.controls[2]
    # An option of catalogue data matching no case is left out; a level of the apology scale never is.
    assert [(o["value"], o["count"], o["chosen"]) for o in sector.options] == [("energy", 2, True)]
    assert len(layout.controls[4].options) == len(ApologyQuality)
    years = layout.controls[5]
    assert [(str(m.label), m.field.name) for m in years.members] == [("From", "year_from"), ("to", "year_to")]


def test_the_sort_shows_the_order_applied_and_relevance_only_with_a_search():
    def sort_options(data):
        sort = next(c for c in IncidentFilterSet(data).form_layout().controls if c.field and c.field.name == "sort")
        return [o["value"] for o in sort.options], [o["value"] for o in sort.options if o["chosen"]]

    assert sort_options({}) == (["newest", "occurred", "cost", "slowest", "apology"], ["newest"])
    assert sort_options({"sort": "cost"})[1] == ["cost"]
    assert sort_options({"sort": "nonsense"})[1] == ["newest"]
    searched, chosen = sort_options({"q": "meter", "sort": "cost"})
    assert searched[-1] == "relevance" and chosen == ["cost"]


def test_a_page_showing_some_fields_carries_the_other_filters_hidden(catalogue):
    data = {"q": "bill", "sort": "cost", "page": "2", "sector": "energy", "harm": ["bill-x", "delay-x"], "foo": "x"}
    layout = IncidentFilterSet(data).form_layout(shown=("sector", "year_from", "year_to"))
    assert labels(layout) == ["Sector", "When it happened"]
    # Without facets, every choice is listed; the sort, the page and unknown parameters are not filters.
    assert [(o["value"], o["count"], o["chosen"]) for o in layout.controls[0].options] == [
        ("empty", None, False),
        ("energy", None, True),
        ("rail", None, False),
    ]
    assert layout.hidden == [("q", "bill"), ("harm", "bill-x"), ("harm", "delay-x")]


def test_the_list_page_form(client, catalogue):
    html = client.get("/cases/", {"sector": "energy", "company": "edf", "year_from": "abc", "q": "meter"}).text
    form = form_of(html, "filters")
    assert form.select_one('input#id_q[type="search"][name="q"][maxlength="200"]')["value"] == "meter"
    assert form.select_one('label[for="id_q"]').text == "Search"
    assert form.select_one("select#id_sort[name=sort]")
    assert [legend.text for legend in form.select("legend")] == ["Sector", "Harm", "Apology", "When it happened"]
    energy = form.select_one('input[type="checkbox"][name="sector"][value="energy"]')
    assert energy.has_attr("checked") and "(1)" in energy.parent.text  # Meter replaced twice
    year = form.select_one('input#id_year_from[type="number"][min="1900"][max="2100"]')
    assert form.select_one('label[for="id_year_from"]').text == "From"
    assert year["aria-invalid"] == "true" and form.select_one(f"#{year['aria-describedby']}")  # the error beside it
    assert not year.has_attr("value")  # "abc" is no number: echoed into a number field, it is invalid HTML
    after = form_of(client.get("/cases/", {"year_from": "2015"}).text, "filters")
    assert after.select_one("input#id_year_from")["value"] == "2015"
    assert form.select_one('label[for="id_country"]').text == "Country (code)"
    assert form.select_one('input#id_min_cost[type="number"][min="0"]')
    assert hidden_inputs(form) == [("company", "edf")]


@pytest.mark.parametrize("prefix", ["", "/fr"])
@pytest.mark.parametrize(
    ("query", "tidy"),
    [
        ("q=&year_from=&sector=energy", "?sector=energy"),
        ("sector=energy&q=&harm=bill-x&year_to=&harm=delay-x", "?sector=energy&harm=bill-x&harm=delay-x"),
        ("harm=delay-x&sector=energy&page=1", "?harm=delay-x&sector=energy"),  # the reader's order, page 1 dropped
        ("q=+&page=1&sort=", ""),
        ("q=r%C3%A9seau&sector=", "?q=r%C3%A9seau"),
    ],
)
def test_the_list_address_drops_empty_parameters(client, catalogue, prefix, query, tidy):
    response = client.get(f"{prefix}/cases/?{query}")
    assert response.status_code == 302
    assert response["Location"] == f"{prefix}/cases/{tidy}"
    final = client.get(response["Location"])
    assert final.status_code == 200  # never a second redirect


@pytest.mark.parametrize("query", ["", "sector=energy", "sector=energy&page=2", "q=meter&sort=cost", "foo=bar"])
def test_a_tidy_list_address_is_served_as_it_is(client, catalogue, query):
    assert client.get(f"/cases/?{query}").status_code == 200


def test_the_filter_form_lands_on_the_short_address(client, catalogue):
    """What the list page's form sends (every field, most of them empty) ends at the address with the filters only."""
    form = form_of(client.get("/cases/").text, "filters")
    sent = [(field["name"], "") for field in form.select("input[name]:not([type=checkbox]), select[name]")]
    sent.append(("sector", "energy"))
    response = client.get(f"/cases/?{urlencode(sent)}", follow=True)
    assert response.redirect_chain == [("/cases/?sector=energy", 302)]
    assert {case.title for case in response.context["page_obj"]} == {
        "A bill of 88,247 euros",
        "Gas meter misread",
        "Meter replaced twice",
    }


def test_the_insights_form(client, catalogue):
    html = client.get(reverse("incidents:insights"), {"sector": "energy", "country": "be", "sort": "cost"}).text
    form = form_of(html, "insights-filters")
    assert [legend.text for legend in form.select("legend")] == ["Sector", "When it happened"]
    boxes = form.select('input[type="checkbox"][name="sector"]')
    assert [(b["value"], b.has_attr("checked")) for b in boxes] == [("empty", False), ("energy", True), ("rail", False)]
    assert form.select_one('input#id_year_to[name="year_to"]')
    assert hidden_inputs(form) == [("country", "be")]


# Adding a filter is one declaration in filters.py --------------------------------------------------------


class WithPlace(IncidentFilterSet):
    """The FilterSet with one more filter, as if filters.py declared it."""

    place = django_filters.MultipleChoiceFilter(
        field_name="country",
        choices=[("FR", "France"), ("BE", "Belgium")],
        label="Place",
        widget=forms.CheckboxSelectMultiple,
    )


@pytest.fixture
def one_more_filter(monkeypatch):
    monkeypatch.setattr(IncidentFilterSet, "base_filters", WithPlace.base_filters)


def test_a_new_filter_reaches_every_surface(client, catalogue, one_more_filter):
    assert "place" in IncidentFilterSet.filter_params
    # The list page: it filters, it has its field and its chip.
    response = client.get("/cases/", {"place": "BE"})
    assert [case.title for case in response.context["page_obj"]] == ["Gas meter misread"]
    form = form_of(response.text, "filters")
    assert "Place" in [legend.text for legend in form.select("legend")]
    assert form.select_one('input[type="checkbox"][name="place"][value="BE"]').has_attr("checked")
    assert ("Place", "Belgium") in [(str(c["label"]), str(c["value"])) for c in response.context["chips"]]
    # The cache keys know it: another value is another list.
    assert [case.title for case in client.get("/cases/", {"place": "FR"}).context["page_obj"]] != ["Gas meter misread"]
    # The insights: the figures are filtered, and the filter travels along hidden.
    insights = client.get(reverse("incidents:insights"), {"place": "BE"})
    assert "What 1 published case shows as a whole." in " ".join(insights.text.split())
    assert hidden_inputs(form_of(insights.text, "insights-filters")) == [("place", "BE")]
    # The API: its parameters and their description, its validation.
    schema = case_query(IncidentFilterSet).model_json_schema()["properties"]["place"]
    assert schema["items"]["enum"] == ["FR", "BE"] and schema["description"].startswith("Place")
    assert client.get("/api/cases/", {"place": "BE"}).json()["count"] == 1
    assert client.get("/api/cases/", {"place": "XX"}).json()["errors"].keys() == {"place"}
    # The download.
    download = client.get(reverse("incidents:data_csv"), {"place": "BE"})
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [row["title"] for row in rows] == ["Gas meter misread"]
