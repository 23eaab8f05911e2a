"""/insights/, its CSV downloads and the records on company and sector pages, as a reader sees them."""

import csv
import datetime
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from incidents.models import ApologyQuality, Channel, CostKind, Status
from tests import factories, insights_data
from tests.insights_data import sourced_cost

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
CHARTS = [
    "cases-per-year",
    "apology",
    "response-speed",
    "price-of-not-apologising",
    "turning-points",
    "worst-apologies",
    "slowest-responses",
    "best-recoveries",
]


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in French leaves French active in this thread: reset it for the tests that follow."""
    yield
    translation.deactivate()


@pytest.fixture
def data():
    return insights_data.build()


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


def svgs(html):
    """The charts of a page (the header's icons are not charts)."""
    return re.findall(r'<svg\b[^>]*class="chart-svg".*?</svg>', html, flags=re.S)


def csv_rows(client, chart, query=""):
    response = get(client, reverse("incidents:insights_csv", kwargs={"chart": chart}) + query)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="insights-{chart}.csv"' in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def delay_cells(group, n, median, measure="First response"):
    """The start of a row of the delay table."""
    return f'<th scope="row">{group}</th><td>{measure}</td><td class="num">{n}</td><td class="num">{median}</td>'


def squash(html):
    return re.sub(r"\s+", " ", html)


def test_the_page_states_each_figure_with_its_sample(client, data):
    html = squash(get(client, reverse("incidents:insights")).text)
    assert "What 11 published cases show as a whole." in html
    assert "Left out: 1 case without a date." in html
    assert "First response: 10 of 11 cases have a date; 8 are precise enough and counted." in html
    assert "Resolution: 4 of 11 cases have a date; 3 are precise enough and counted." in html
    assert "Mean score: 2.2 (n = 11)" in html
    # The delay table: all cases' median 7 days (n = 8), quartiles 1.75 and 52.5, two left out; written no more
    # precisely than whole days, then weeks and months.
    assert (
        '<th scope="row">All cases</th><td>First response</td><td class="num">8</td>'
        '<td class="num">7 days</td><td class="num">2 days</td><td class="num">about 8 weeks</td>'
        '<td class="num">the same day</td><td class="num">about 10 months</td><td class="num">2</td>'
    ) in html
    # Four delays: no quartiles (the chart shows the four delays as dots).
    assert delay_cells("Rail", 4, "about 2 weeks") + '<td class="num">–</td><td class="num">–</td>' in html
    assert "In the median case costed in EUR, the bad buzz cost about 100 times the remedy (n = 3)." in html
    assert "In the median case costed in GBP, the bad buzz cost about 300 times the remedy (n = 1)." in html
    assert ".5 days" not in html and ".75 days" not in html  # no "15.5 days", no "1.75 days"
    assert "USD" not in html  # a bad buzz in dollars with no remedy in dollars gives no ratio
    assert "5 cases have a bad-buzz estimate;" in html
    assert "4 of 11 cases have a turning point on record" in html
    assert "Companies with at least 3 published cases" in html


def test_rankings_follow_their_rules(client, data):
    response = get(client, reverse("incidents:insights"))
    worst = response.context["worst_apologies"]
    assert [(r["rank"], r["name"], r["n"]) for r in worst] == [(1, "SNCF", 3), (2, "EDF", 4), (3, "Engie", 3)]
    slowest = response.context["slowest_responses"]
    assert [(r["rank"], r["name"], r["median"]) for r in slowest] == [(1, "SNCF", 30), (2, "EDF", 10)]
    recoveries = response.context["best_recoveries"]
    assert [r["title"] for r in recoveries] == ["Smart meter fiasco", "Winter cut-off"]
    html = squash(response.text)
    assert "Ouigo" not in html.split('id="rankings"')[1]  # one case: not ranked
    assert "Lost luggage" not in html  # sincere, but its corrective actions are blank


def test_every_chart_is_well_formed_accessible_svg_with_a_table(client, data):
    html = get(client, reverse("incidents:insights")).text
    found = svgs(html)
    assert len(found) == 7  # per year, apology, first response, resolution, EUR, GBP, turning points
    ids = set()
    for markup in found:
        root = ET.fromstring(markup)
        title_id, desc_id = root.get("aria-labelledby").split()
        assert root.find(f"{SVG}title").get("id") == title_id
        assert root.find(f"{SVG}desc").text.strip()
        assert desc_id.endswith("-desc")
        ids.add(title_id)
        assert "style=" not in markup
    assert len(ids) == len(found)  # ids unique on the page
    assert html.count('<table class="data-table chart-table">') >= 6
    assert html.count("Download the data (CSV)") >= 5


def test_filters_change_the_figures_and_are_shown(client, data):
    html = squash(get(client, reverse("incidents:insights") + "?sector=rail").text)
    assert "What 4 published cases show as a whole." in html
    assert "Sector: Rail" in html  # the active filter, removable
    assert f'href="{reverse("incidents:incident_list")}?sector=rail"' in html
    assert "See these 4 cases in the catalogue" in html
    assert delay_cells("All cases", 4, "about 2 weeks") in html
    assert "EDF" not in html.split('id="rankings"')[1]
    rows = csv_rows(client, "response-speed", "?sector=rail")
    assert [
        (r["measure"], r["group_slug"], r["cases"], r["cases_with_date"], r["n"], r["median_days"]) for r in rows
    ] == [
        ("response", "", "4", "4", "4", "15.5"),
        ("response", "rail", "4", "4", "4", "15.5"),
        ("resolution", "", "4", "2", "2", "202.5"),
        ("resolution", "rail", "4", "2", "2", "202.5"),
    ]
    recent = squash(get(client, reverse("incidents:insights") + "?year_from=2020").text)
    assert "What 6 published cases show as a whole." in recent


def test_filters_it_does_not_understand_are_reported(client, data):
    html = squash(get(client, reverse("incidents:insights") + "?year_from=abc&sector=nowhere").text)
    assert "Some of the filters were not understood and were ignored" in html
    assert "What 11 published cases show as a whole." in html


def test_no_case_matches(client, data):
    html = squash(get(client, reverse("incidents:insights") + "?year_from=2099").text)
    assert "No published case matches these filters." in html
    assert 'class="chart-svg"' not in html


def test_csv_downloads(client, data):
    c = data["cases"]
    years = csv_rows(client, "cases-per-year")
    assert [(r["year"], r["sector_slug"], r["cases"]) for r in years][:3] == [
        ("2018", "energy", "1"),
        ("2019", "energy", "2"),
        ("2019", "rail", "1"),
    ]
    price = csv_rows(client, "price-of-not-apologising")
    assert [(r["reference"], r["currency"], r["ratio"]) for r in price] == [
        (f"SC-{c['e2'].pk:04d}", "EUR", "4000"),
        (f"SC-{c['e1'].pk:04d}", "EUR", "100"),
        (f"SC-{c['s1'].pk:04d}", "EUR", "0.5"),
        (f"SC-{c['s2'].pk:04d}", "GBP", "300"),
    ]
    assert (price[0]["bad_buzz_low"], price[0]["bad_buzz_high"], price[0]["ratio_exact"]) == (
        "2000000.00",
        "6000000.00",
        "4000.0",
    )
    assert price[0]["url"] == c["e2"].get_absolute_url()
    turning = csv_rows(client, "turning-points")
    assert turning[0] == {"channel": "social_media", "channel_label": "Social media", "events": "2", "cases": "2"}
    worst = csv_rows(client, "worst-apologies")
    assert [(r["rank"], r["company"], r["mean_apology"]) for r in worst] == [
        ("1", "SNCF", "2.0"),
        ("2", "EDF", "2.5"),
        ("3", "Engie", "2.6667"),
    ]
    apology = csv_rows(client, "apology")
    assert apology[0] == {
        "group": "All cases",
        "group_slug": "",
        "level": "0",
        "level_label": "Refused",
        "cases": "2",
        "share_of_group": "0.1818",
    }
    assert len(csv_rows(client, "best-recoveries")) == 2
    assert len(csv_rows(client, "slowest-responses")) == 2
    assert client.get("/insights/nothing.csv").status_code == 404


def test_csv_cannot_smuggle_a_formula(client):
    company = factories.company(name="=HYPERLINK(1)", slug="formula")
    for _i in range(3):
        factories.incident(company=company)
    rows = csv_rows(client, "worst-apologies")
    assert rows[0]["company"] == "'=HYPERLINK(1)"


def test_unpublished_cases_never_count(client, data):
    marker = insights_data.HIDDEN_COMPANY
    pages = [reverse("incidents:insights"), reverse("incidents:insights") + "?sector=energy"]
    pages += [reverse("incidents:insights_csv", kwargs={"chart": chart}) for chart in CHARTS]
    pages += [data["companies"][0].get_absolute_url(), data["sectors"][0].get_absolute_url()]
    for url in pages:
        body = get(client, url).content.decode()
        assert marker not in body, url
        assert "Hidden" not in body, url
        assert "CHF" not in body, url


def test_a_sector_without_published_cases(client, data):
    empty = factories.sector(name="Quiet sector", slug="quiet")
    factories.incident(company=factories.company(sector=empty), status=Status.DRAFT)
    html = squash(get(client, empty.get_absolute_url()).text)
    assert "Quiet sector next to all sectors" in html  # no capital inside a title
    assert "No published case yet." in html
    assert 'class="chart-svg"' not in html


def test_the_cache_is_refreshed_when_a_case_is_published(client, data):
    url = reverse("incidents:insights")
    assert "What 11 published cases show" in get(client, url).text
    with CaptureQueriesContext(connection) as cached:
        assert "What 11 published cases show" in get(client, url).text
    assert len(cached) <= 1  # served from the cache (at most the sector list of the filter form)
    draft = data["hidden"][0]
    draft.status = Status.PUBLISHED
    draft.save()
    html = get(client, url).text
    assert "What 12 published cases show" in html
    assert insights_data.HIDDEN_COMPANY in html  # its figures now count
    draft.status = Status.RETRACTED
    draft.save()
    assert "What 11 published cases show" in get(client, url).text


def test_a_new_cost_estimate_refreshes_the_figures(client, data):
    url = reverse("incidents:insights_csv", kwargs={"chart": "price-of-not-apologising"})
    assert len(csv_rows(client, "price-of-not-apologising")) == 4
    sourced_cost(data["cases"]["e3"], "1000", "EUR", CostKind.BAD_BUZZ)
    sourced_cost(data["cases"]["e3"], "10", "EUR", CostKind.REMEDY)
    assert client.get(url).status_code == 200
    assert len(csv_rows(client, "price-of-not-apologising")) == 5


def many_cases(count):
    """`count` published cases spread over sectors and companies, each with costs and a turning point."""
    sectors = [factories.sector() for _i in range(3)]
    companies = [factories.company(sector=sectors[i % 3]) for i in range(4)]
    for i in range(count):
        case = factories.incident(
            company=companies[i % 4],
            apology_quality=i % 6,
            occurred_on=datetime.date(2010 + i % 7, 1, 1),
            first_response_on=datetime.date(2010 + i % 7, 1, 1 + i % 20),
            resolved_on=datetime.date(2011 + i % 7, 1, 1),
            corrective_actions="Changed the process." if i % 2 else "",
        )
        sourced_cost(case, str(1000 * (i + 1)), "EUR", CostKind.BAD_BUZZ)
        sourced_cost(case, "100", "EUR" if i % 3 else "USD", CostKind.REMEDY)
        factories.event(case, channel=list(Channel.values)[i % 6], is_turning_point=True)
    return companies


def count_queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        get(client, url)
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [reverse("incidents:insights"), reverse("incidents:insights") + "?sector=sector-1&year_from=2011"],
    ids=["all", "filtered"],
)
def test_the_page_runs_a_fixed_number_of_queries(client, url):
    many_cases(3)
    few = count_queries(client, url)
    many_cases(30)
    assert count_queries(client, url) == few
    assert few <= 16


def test_company_and_sector_pages_run_a_fixed_number_of_queries(client):
    company = many_cases(3)[0]
    company_few = count_queries(client, company.get_absolute_url())
    sector_few = count_queries(client, company.sector.get_absolute_url())
    for _i in range(30):
        factories.incident(company=company)
    many_cases(30)
    assert count_queries(client, company.get_absolute_url()) == company_few
    assert count_queries(client, company.sector.get_absolute_url()) == sector_few


def test_company_page_shows_its_record_next_to_its_sector(client, data):
    edf = data["companies"][0]
    html = squash(get(client, edf.get_absolute_url()).text)
    assert "EDF next to Energy" in html
    assert "Figures from 4 published cases of EDF, beside the 7 of Energy (which include them)." in html
    assert delay_cells("EDF", 3, "10 days") in html
    assert delay_cells("Energy", 4, "7 days") in html
    assert "EDF, cases costed in EUR: the bad buzz cost a median of about 2,000 times the remedy (n = 2)." in html
    assert "Energy: a median of about 2,000 times (n = 2)." in html
    assert f'href="{reverse("incidents:insights")}?company=edf"' in html
    for markup in svgs(html):
        ET.fromstring(markup)


def test_sector_page_shows_its_record_next_to_the_catalogue(client, data):
    rail = data["sectors"][1]
    html = squash(get(client, rail.get_absolute_url()).text)
    assert "Rail next to all sectors" in html
    assert delay_cells("Rail", 4, "about 2 weeks") in html
    assert delay_cells("All sectors", 8, "7 days") in html
    french = squash(get(client, "/fr" + rail.get_absolute_url()).text)
    assert " et tous les secteurs, côte à côte" in french  # no capital in the middle of a French title
    assert "Tous les secteurs" in french  # a row's label keeps its capital


def test_navigation_and_french(client, data):
    home = get(client, reverse("incidents:home")).text
    assert f'href="{reverse("incidents:insights")}"' in home
    page = get(client, reverse("incidents:insights"))
    assert 'aria-current="page">Insights</a>' in page.text
    french = squash(get(client, "/fr" + reverse("incidents:insights") + "?sector=rail").text)
    assert "environ 2 semaines" in french  # in the reader's language (squash() turns no-break spaces into spaces)
    raw = get(client, "/fr" + reverse("incidents:insights")).text
    everything = squash(raw)
    # The ratio in a French sentence with the `times` filter (no "×100" inside a sentence), no capital mid-sentence.
    assert (
        "le bad buzz a coûté environ 100 fois la réparation (n = 3)." in everything
    )  # squash() made the no-break space a space
    # Shares in the apology table as incidents.text.format_percent writes them: a narrow no-break space before %.
    cells = re.findall(r'<td class="num">\d+ \(\d+.%\)</td>', raw)
    assert cells and all("\u202f%" in cell for cell in cells)


def test_best_recoveries_show_what_good_looks_like(client, data):
    html = squash(get(client, reverse("incidents:insights")).text)
    assert "What good looks like" in html
    assert "2 cases qualify." in html
    e4 = data["cases"]["e4"]
    assert f'<a href="{e4.get_absolute_url()}">Smart meter fiasco</a>' in html
    assert str(ApologyQuality.EXEMPLARY.label) in html


def test_cached_figures_keep_each_language_its_own_titles(client, data):
    """The figures are cached per catalogue generation: a French reader after an English one (and the reverse)
    reads the case titles of the rankings in their own language."""
    e4 = data["cases"]["e4"]
    e4.title_fr = "Le fiasco des compteurs intelligents"
    e4.save()
    url = reverse("incidents:insights")
    for _ in range(2):  # the second round reads what the first one cached
        assert f">{e4.title_en}</a>" in squash(get(client, url).text)
        assert ">Le fiasco des compteurs intelligents</a>" in squash(get(client, "/fr" + url).text)


def test_search_narrows_every_figure(client, data):
    """The full-text filter (raw SQL on PostgreSQL) works inside the stacked and grouped queries too."""
    html = squash(get(client, reverse("incidents:insights") + "?q=meter").text)
    assert "What 3 published cases show as a whole." in html  # e2, e4 and g1
    rows = csv_rows(client, "price-of-not-apologising", "?q=meter")
    assert [r["ratio"] for r in rows] == ["4000"]
    edf = squash(get(client, reverse("incidents:insights") + "?q=meter&company=edf").text)
    assert "What 2 published cases show as a whole." in edf


@pytest.mark.parametrize(
    "query",
    [
        "?q=%00",
        "?q=" + "x" * 5000,
        "?year_from=99999999999999",
        "?min_cost=-1&updated_within=0",
        "?sector=" + "&sector=".join(f"s{i}" for i in range(50)),
        "?apology=nope&harm=%C3%A9&lesson=%20",
        "?sort=';drop table&page=-3",
    ],
)
def test_hostile_query_strings_get_a_page(client, data, query):
    response = client.get(reverse("incidents:insights") + query)
    assert response.status_code == 200
    assert client.get(reverse("incidents:insights_csv", kwargs={"chart": "apology"}) + query).status_code == 200


def test_many_costed_cases_make_a_histogram_and_a_table_of_extremes(client):
    company = factories.company(name="Bigco", slug="bigco")
    for i in range(45):
        case = factories.incident(company=company, title=f"Costed case {i}")
        sourced_cost(case, str(1000 * (i + 1)), "EUR", CostKind.BAD_BUZZ)
        sourced_cost(case, "100", "EUR", CostKind.REMEDY)
    html = squash(get(client, reverse("incidents:insights")).text)
    section = html.split('id="price-of-not-apologising"')[1].split('id="turning-points"')[0]
    assert "Histogram on a logarithmic scale: 45 cases costed in EUR" in section
    assert "The 10 highest and 10 lowest ratios of 45; the CSV has every case." in section
    assert section.count("Costed case") == 20 + 1  # the table's rows, and the highest case in the description
    assert len(csv_rows(client, "price-of-not-apologising")) == 45


def test_ids_and_region_names_are_unique_on_the_page(client, data):
    """The HTML checker's duplicate ids ("apology-title" was the section's heading and the chart's <title>) and
    axe's landmark-unique (a chart and its table named alike)."""
    html = get(client, reverse("incidents:insights")).text
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    regions = re.findall(r'role="region" aria-label="([^"]+)"', html)
    assert len(regions) == len(set(regions)), sorted(r for r in regions if regions.count(r) > 1)
    assert "<a " not in "".join(svgs(html))  # no link inside a chart (axe: nested-interactive)
