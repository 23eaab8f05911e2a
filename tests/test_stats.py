"""Every figure of incidents/stats.py on a catalogue small enough to check by hand (tests/insights_data.py)."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from incidents import stats
from incidents.filters import IncidentFilterSet
from incidents.models import Incident
from tests import factories, insights_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return insights_data.build()


def published():
    return Incident.objects.published()


def figures(**filters):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in filters.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return stats.catalogue_insights(IncidentFilterSet(query).qs)


def quartiles(row):
    return (row["n"], row["min"], row["q1"], row["median"], row["q3"], row["max"])


def test_summary_counts_only_published_cases(data):
    summary = stats.case_summary(published())["all"]
    assert summary["cases"] == 11
    assert summary["dated"] == 10
    assert [summary[f"apology_{level}"] for level in range(6)] == [2, 3, 1, 2, 2, 1]
    assert summary["apology_mean"] == pytest.approx(24 / 11)
    assert summary["with_response"] == 10  # all but g3, which has no date
    assert summary["precise_response"] == 8  # e4 (month, 40 d) and g2 (year) left out
    assert summary["with_resolution"] == 4
    assert summary["precise_resolution"] == 3  # g1's resolution is known to the year only
    assert summary["with_bad_buzz"] == 5  # e1, e2, g1, s1, s2
    assert summary["with_turning_point"] == 4
    assert summary["recoveries"] == 2


def test_the_total_is_the_sum_of_the_sectors(data):
    sectors = stats.case_summary(published(), groups=stats.SECTOR)
    assert len(sectors) == 2  # energy (7 cases) and rail (4)
    total = stats.total_of(sectors)
    assert total == {
        "cases": 11,
        **{f"apology_{level}": n for level, n in enumerate([2, 3, 1, 2, 2, 1])},
        "apology_not_owed": 0,
        "dated": 10,
        "with_response": 10,
        "precise_response": 8,
        "with_resolution": 4,
        "precise_resolution": 3,
        "with_bad_buzz": 5,
        "with_turning_point": 4,
        "recoveries": 2,
        "apology_mean": pytest.approx(24 / 11),  # (3 + 2 + 6 + 8 + 5) / 11
    }


def test_precision_rule(data):
    c = data["cases"]
    precise = set(published().filter(stats.precise_delay("response")).values_list("pk", flat=True))
    assert c["e3"].pk in precise  # both months, 120 days
    assert c["e4"].pk not in precise  # a month and a day, 40 days: the month's uncertainty swamps it
    assert c["g2"].pk not in precise  # happened in "2018"
    assert c["o1"].pk in precise  # the same day, both known to the day


def test_response_medians_and_quartiles_overall_and_per_sector(data):
    overall = stats.delay_distribution(published(), "response")[0]
    # [0, 1, 2, 4, 10, 30, 120, 300]
    assert quartiles(overall) == (8, 0, 1.75, 7, 52.5, 300)
    sectors = {row["slug"]: row for row in stats.delay_distribution(published(), "response", stats.SECTOR)}
    assert quartiles(sectors["energy"]) == (4, 2, 3.5, 7, 37.5, 120)  # [2, 4, 10, 120]
    assert quartiles(sectors["rail"]) == (4, 0, 0.75, 15.5, 97.5, 300)  # [0, 1, 30, 300]
    assert sectors["rail"]["name"] == "Rail"


def test_resolution_medians(data):
    overall = stats.delay_distribution(published(), "resolution")[0]
    assert quartiles(overall) == (3, 5, 17.5, 30, 215, 400)  # [5, 30, 400]
    sectors = {row["slug"]: row for row in stats.delay_distribution(published(), "resolution", stats.SECTOR)}
    assert quartiles(sectors["energy"]) == (1, 30, 30, 30, 30, 30)
    assert quartiles(sectors["rail"]) == (2, 5, 103.75, 202.5, 301.25, 400)


def test_stacked_distributions_match_the_aggregate(data):
    """The portable stacked query (SQLite windows, PostgreSQL percentile_cont) gives the same figures."""
    from django.db.models import F, FloatField
    from django.db.models.functions import Cast

    parts = [
        (
            "all",
            published()
            .filter(stats.precise_delay("response"))
            .values(g_sector=F("company__sector__slug"), v=Cast("response_days", FloatField())),
        )
    ]
    rows = {row["g_sector"]: row for row in stats.distributions(parts, groups=["g_sector"])}
    assert quartiles(rows["energy"]) == (4, 2, 3.5, 7, 37.5, 120)
    assert quartiles(rows["rail"]) == (4, 0, 0.75, 15.5, 97.5, 300)
    assert stats.distributions(parts, groups=["g_sector"], min_n=5) == []


def test_price_of_not_apologising_never_mixes_currencies(data):
    c = data["cases"]
    points = stats.price_points(published())
    assert [(p["pk"], p["currency"], p["ratio"]) for p in points] == [
        (c["e2"].pk, "EUR", 4000.0),
        (c["e1"].pk, "EUR", 100.0),
        (c["s1"].pk, "EUR", 0.5),
        (c["s2"].pk, "GBP", 300.0),
    ]
    assert points[0]["price"].bad_buzz.central == 4_000_000  # the midpoint of 2-6 million
    assert points[0]["company"] == "EDF"
    result = figures()
    assert quartiles(result["price"]["currencies"]["EUR"]) == (3, 0.5, 50.25, 100, 2050, 4000)
    assert result["price"]["currencies"]["GBP"]["median"] == 300
    assert set(result["price"]["currencies"]) == {"EUR", "GBP"}  # USD has no remedy; CHF is hidden


def test_turning_points_by_channel(data):
    rows = {row["channel"]: row["all"] for row in stats.turning_points(published())}
    assert rows == {
        "social_media": {"events": 2, "cases": 2},
        "press": {"events": 1, "cases": 1},
        "regulator": {"events": 1, "cases": 1},
        "court": {"events": 1, "cases": 1},
    }


def test_worst_apology_ranking_has_a_threshold(data):
    rows = stats.worst_apologies(published())
    assert [(r["rank"], r["name"], r["n"], round(r["mean"], 3)) for r in rows] == [
        (1, "SNCF", 3, 2.0),
        (2, "EDF", 4, 2.5),
        (3, "Engie", 3, 2.667),
    ]
    # Ouigo's single refusal would top it, but one case is not a record.
    assert "Ouigo" not in [r["name"] for r in rows]
    assert rows[0]["no_apology"] == 2


def test_slowest_responses_need_enough_precise_delays(data):
    rows = stats.slowest_responses(published())
    assert [(r["rank"], r["name"], r["n"], r["median"]) for r in rows] == [(1, "SNCF", 3, 30), (2, "EDF", 3, 10)]


def test_rankings_share_ranks_on_ties():
    rows = stats.ranked([{"m": 1}, {"m": 2}, {"m": 2}, {"m": 3}], "m")
    assert [r["rank"] for r in rows] == [1, 2, 2, 4]


def test_best_recoveries(data):
    c = data["cases"]
    rows = stats.best_recoveries(published())
    assert [r["pk"] for r in rows] == [c["e4"].pk, c["e3"].pk]  # s3's corrective actions are blank


def test_cases_per_year_by_sector(data):
    years = figures()["years"]
    assert [(r["year"], r["slug"], r["n"]) for r in years] == [
        (2018, "energy", 1),
        (2019, "energy", 2),
        (2019, "rail", 1),
        (2020, "energy", 2),
        (2020, "rail", 2),
        (2021, "energy", 1),
        (2021, "rail", 1),
    ]


def test_apology_per_sector(data):
    sectors = {row["slug"]: row for row in figures()["sectors"]}
    assert stats.apology_counts(sectors["energy"]) == [1, 1, 1, 2, 1, 1]
    assert stats.apology_counts(sectors["rail"]) == [1, 2, 0, 0, 1, 0]
    assert sectors["energy"]["cases"] == 7
    assert sectors["rail"]["precise_response"] == 4


def test_filters_change_the_figures(data):
    rail = figures(sector="rail")
    assert rail["summary"]["cases"] == 4
    assert rail["response"]["all"]["median"] == 15.5
    assert [r["name"] for r in rail["worst_apologies"]] == ["SNCF"]
    assert {r["slug"] for r in rail["years"]} == {"rail"}
    recent = figures(year_from="2020")
    assert recent["summary"]["cases"] == 6  # e2, e4, g1, s2, s3, o1
    assert recent["response"]["all"]["median"] == 10  # [0, 4, 10, 30, 300]: e4 is not precise enough


def test_company_record_next_to_its_sector(data):
    edf = data["companies"][0]
    result = stats.company_record(edf)
    assert result["summary"]["own"]["cases"] == 4
    assert result["summary"]["wider"]["cases"] == 7
    assert quartiles(result["response"]["own"]) == (3, 2, 6, 10, 65, 120)
    assert quartiles(result["response"]["wider"]) == (4, 2, 3.5, 7, 37.5, 120)
    assert result["resolution"]["own"]["median"] == 30
    # Fewer than five delays: the delays themselves come with the figures, for dots instead of a box.
    assert result["response"]["own"]["points"] == [2, 10, 120]
    assert len(result["response"]["wider"]["points"]) == 4
    assert [p["ratio"] for p in result["price"]["points"]] == [4000, 100]
    assert result["price"]["currencies"]["own"]["EUR"]["median"] == 2050
    assert result["price"]["currencies"]["wider"]["EUR"]["n"] == 2  # g1's remedy is zero
    channels = {row["channel"]: row for row in result["turning_points"]}
    assert channels["social_media"]["own"] == {"events": 1, "cases": 1}
    assert channels["press"]["wider"] == {"events": 1, "cases": 1}


def test_sector_record_next_to_the_catalogue(data):
    rail = data["sectors"][1]
    result = stats.sector_record(rail)
    assert result["summary"]["own"]["cases"] == 4
    assert result["summary"]["wider"]["cases"] == 11
    assert result["response"]["own"]["median"] == 15.5
    assert result["response"]["wider"]["median"] == 7


def test_record_runs_five_queries(data):
    with CaptureQueriesContext(connection) as queries:
        stats.record(published(), {"own": Q(company__slug="edf"), "wider": Q()})
    assert len(queries) == 5  # summary, delays, cost lines of the wider scope, the own cases' rows, turning points


def test_unpublished_cases_never_count(data):
    result = figures()
    everything = repr(result)
    assert insights_data.HIDDEN_COMPANY not in everything
    assert 2015 not in [row["year"] for row in result["years"]]
    assert "CHF" not in result["price"]["currencies"]


def test_cached_figures_are_recomputed_after_a_change(data):
    edf = data["companies"][0]
    assert stats.company_record(edf)["summary"]["own"]["cases"] == 4
    with CaptureQueriesContext(connection) as queries:
        stats.company_record(edf)
    assert len(queries) == 0
    factories.incident(company=edf)
    assert stats.company_record(edf)["summary"]["own"]["cases"] == 5


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_percentile_fraction_is_checked(fraction):
    with pytest.raises(ValueError):
        stats.PercentileCont("response_days", fraction)


@pytest.mark.postgres
def test_postgres_median_uses_percentile_cont(data):
    with CaptureQueriesContext(connection) as queries:
        stats.delay_distribution(published(), "response", stats.SECTOR)
    assert "percentile_cont(0.5) WITHIN GROUP" in queries[0]["sql"]
