"""A small catalogue whose every statistic is worked out by hand (see the comments and tests/test_stats.py).

Published cases, by company (apology level; response delay in days and the precision of both dates):

    EDF (energy)    e1 2019 refused 0  response  2 d day/day   resolution 30 d; EUR 1,000,000 vs 10,000 -> 100
                    e2 2020 none 1     response 10 d day/day   EUR 2-6 M (midpoint 4 M) vs 1,000 -> 4,000;
                                                               USD 500,000 bad buzz with no USD remedy
                    e3 2019 sincere 4  response 120 d month/month (kept: >= 90 d), corrective actions
                    e4 2021 exempl. 5  response 40 d month/day (left out: month-precise and < 90 d),
                                       corrective actions
    Engie (energy)  g1 2020 non-ap. 2  response 4 d;  resolution year-precise (left out);
                                       two EUR bad-buzz estimates (1,000 and 3,000) and a remedy of 0 (no ratio)
                    g2 2018 formal 3   occurred known to the year: response left out
                    g3 ---- formal 3   no date at all
    SNCF (rail)     s1 2019 none 1     response 1 d, resolution 5 d; EUR 50,000 vs 100,000 -> 0.5
                    s2 2020 none 1     response 30 d, resolution 400 d; GBP 300,000 vs 1,000 -> 300
                    s3 2020 sincere 4  response 300 d; corrective actions blank (not a recovery)
    Ouigo (rail)    o1 2021 refused 0  response 0 d (same day)

Turning points: e1 press (and a social-media event that is not one), e2 social media, s1 regulator and court,
s2 social media. Hidden cases (draft, review, retracted, merged) belong to "Zzhidden Corp" and would change
every figure if they counted.
"""

import datetime
from decimal import Decimal

from incidents.models import ApologyQuality, Channel, CostKind, DatePrecision, Status
from tests import factories

DAY, MONTH, YEAR = DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR
HIDDEN_COMPANY = "Zzhidden Corp"


def sourced_cost(case, amount, currency, kind, **fields):
    """A cost line with a source of its own: only sourced lines enter a price of not apologising."""
    return factories.cost(case, amount, currency, kind, source=factories.source(incident=case), **fields)


def day(text):
    return datetime.date.fromisoformat(text)


def build():
    energy = factories.sector(name="Energy", slug="energy")
    rail = factories.sector(name="Rail", slug="rail")
    edf = factories.company(name="EDF", slug="edf", sector=energy)
    engie = factories.company(name="Engie", slug="engie", sector=energy)
    sncf = factories.company(name="SNCF", slug="sncf", sector=rail)
    ouigo = factories.company(name="Ouigo", slug="ouigo", sector=rail)
    hidden = factories.company(name=HIDDEN_COMPANY, slug="zzhidden", sector=energy)

    c = {}
    c["e1"] = factories.incident(
        title="Bill of 88,247 euros",
        company=edf,
        apology_quality=ApologyQuality.REFUSED,
        occurred_on=day("2019-03-01"),
        first_response_on=day("2019-03-03"),
        resolved_on=day("2019-03-31"),
    )
    c["e2"] = factories.incident(
        title="Meter replaced twice",
        company=edf,
        apology_quality=ApologyQuality.NONE,
        occurred_on=day("2020-02-01"),
        first_response_on=day("2020-02-11"),
    )
    c["e3"] = factories.incident(
        title="Winter cut-off",
        company=edf,
        apology_quality=ApologyQuality.SINCERE,
        occurred_on=day("2019-01-15"),
        occurred_precision=MONTH,
        first_response_on=day("2019-05-20"),
        first_response_precision=MONTH,
        corrective_actions="New billing checks.",
    )
    c["e4"] = factories.incident(
        title="Smart meter fiasco",
        company=edf,
        apology_quality=ApologyQuality.EXEMPLARY,
        occurred_on=day("2021-06-10"),
        occurred_precision=MONTH,
        first_response_on=day("2021-07-11"),
        corrective_actions="Refunds and a new process.",
    )
    c["g1"] = factories.incident(
        title="Gas meter misread",
        company=engie,
        apology_quality=ApologyQuality.NON_APOLOGY,
        occurred_on=day("2020-05-05"),
        first_response_on=day("2020-05-09"),
        resolved_on=day("2021-01-01"),
        resolved_precision=YEAR,
    )
    c["g2"] = factories.incident(
        title="Contract never sent",
        company=engie,
        apology_quality=ApologyQuality.FORMAL,
        occurred_on=day("2018-01-01"),
        occurred_precision=YEAR,
        first_response_on=day("2018-09-01"),
    )
    c["g3"] = factories.incident(
        title="Undated complaint",
        company=engie,
        apology_quality=ApologyQuality.FORMAL,
        occurred_on=None,
    )
    c["s1"] = factories.incident(
        title="Fifteen hours to Port-Bou",
        company=sncf,
        apology_quality=ApologyQuality.NONE,
        occurred_on=day("2019-12-28"),
        first_response_on=day("2019-12-29"),
        resolved_on=day("2020-01-02"),
    )
    c["s2"] = factories.incident(
        title="Strike without notice",
        company=sncf,
        apology_quality=ApologyQuality.NONE,
        occurred_on=day("2020-03-01"),
        first_response_on=day("2020-03-31"),
        resolved_on=day("2021-04-05"),
    )
    c["s3"] = factories.incident(
        title="Lost luggage",
        company=sncf,
        apology_quality=ApologyQuality.SINCERE,
        occurred_on=day("2020-01-01"),
        first_response_on=day("2020-10-27"),
        corrective_actions="   ",
    )
    c["o1"] = factories.incident(
        title="Seat sold twice",
        company=ouigo,
        apology_quality=ApologyQuality.REFUSED,
        occurred_on=day("2021-08-08"),
        first_response_on=day("2021-08-08"),
    )

    sourced_cost(c["e1"], "1000000", "EUR", CostKind.BAD_BUZZ)
    sourced_cost(c["e1"], "10000", "EUR", CostKind.REMEDY)
    sourced_cost(c["e2"], "2000000", "EUR", CostKind.BAD_BUZZ, amount_high=Decimal("6000000"))
    sourced_cost(c["e2"], "1000", "EUR", CostKind.REMEDY)
    sourced_cost(c["e2"], "500000", "USD", CostKind.BAD_BUZZ)
    sourced_cost(c["e2"], "9999", "EUR", CostKind.FINE)
    sourced_cost(c["g1"], "1000", "EUR", CostKind.BAD_BUZZ)
    sourced_cost(c["g1"], "3000", "EUR", CostKind.BAD_BUZZ)
    sourced_cost(c["g1"], "0", "EUR", CostKind.REMEDY)
    sourced_cost(c["s1"], "50000", "EUR", CostKind.BAD_BUZZ)
    sourced_cost(c["s1"], "100000", "EUR", CostKind.REMEDY)
    sourced_cost(c["s2"], "300000", "GBP", CostKind.BAD_BUZZ)
    sourced_cost(c["s2"], "1000", "GBP", CostKind.REMEDY)
    sourced_cost(c["s2"], "5000", "EUR", CostKind.REMEDY)

    factories.event(c["e1"], channel=Channel.PRESS, is_turning_point=True)
    factories.event(c["e1"], channel=Channel.SOCIAL_MEDIA)
    factories.event(c["e2"], channel=Channel.SOCIAL_MEDIA, is_turning_point=True)
    factories.event(c["s1"], channel=Channel.REGULATOR, is_turning_point=True)
    factories.event(c["s1"], channel=Channel.COURT, is_turning_point=True)
    factories.event(c["s2"], channel=Channel.SOCIAL_MEDIA, is_turning_point=True)

    hidden_cases = []
    for status in (Status.DRAFT, Status.REVIEW, Status.RETRACTED, Status.MERGED):
        extra = {"merged_into": c["e1"]} if status == Status.MERGED else {}
        case = factories.incident(
            title=f"Hidden {status} case",
            company=hidden,
            status=status,
            apology_quality=ApologyQuality.EXEMPLARY,
            occurred_on=day("2015-01-01"),
            first_response_on=day("2017-01-01"),
            resolved_on=day("2017-06-01"),
            corrective_actions="Hidden corrective actions.",
            **extra,
        )
        sourced_cost(case, "9000000", "EUR", CostKind.BAD_BUZZ)
        sourced_cost(case, "1", "EUR", CostKind.REMEDY)
        sourced_cost(case, "77", "CHF", CostKind.BAD_BUZZ)
        sourced_cost(case, "7", "CHF", CostKind.REMEDY)
        factories.event(case, channel=Channel.COURT, is_turning_point=True)
        hidden_cases.append(case)
    return {"cases": c, "hidden": hidden_cases, "sectors": (energy, rail), "companies": (edf, engie, sncf, ouigo)}
