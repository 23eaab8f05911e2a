"""The figures behind /insights/ and the records on company and sector pages.

Every figure is one aggregated query (no Python loop over cases), cached under a key that holds the
catalogue generation (`incidents.caching.generation.cached`): any save or delete of catalogue data bumps
the generation, so the next request recomputes. Only published cases count.
The rules (which delays are precise enough, which costs are compared, ranking thresholds) are stated on
the page and in docs/insights.md.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    CharField,
    Count,
    F,
    FloatField,
    Max,
    Min,
    Q,
    Value,
)
from django.db.models.functions import Cast, ExtractYear, Length, Trim
from django.db.models.lookups import GreaterThan
from django.utils import translation

from incidents import price
from incidents.caching.generation import cached, filter_query
from incidents.models import (
    ApologyQuality,
    CostEstimate,
    CostKind,
    DatePrecision,
    Incident,
    TimelineEvent,
)

# Rankings only list companies with at least this many published cases behind the figure.
RANKING_MIN_CASES = 3
# How many companies or cases each ranking shows on the page (the CSV has them all).
RANKING_LENGTH = 10
# A delay counts when both dates are known to the day, or when both are known at least to the month and
# the delay is at least this long: a month-precise date is off by up to 30 days, at most a third of it.
MONTH_PRECISE_MIN_DAYS = 90
# Apology levels that count as a good recovery, with corrective actions on record.
RECOVERY_MIN_APOLOGY = ApologyQuality.SINCERE
QUARTILES = (("q1", 0.25), ("median", 0.5), ("q3", 0.75))
# Below this many cases a box plot would draw quartiles the cases cannot support: the cases themselves are shown.
BOX_MIN_CASES = 5
DELAY_FIELDS = {
    "response": ("response_days", "first_response_precision"),
    "resolution": ("resolution_days", "resolved_precision"),
}
APOLOGY_LEVELS = [q.value for q in ApologyQuality]


# Building blocks ------------------------------------------------------------------------------------


class PercentileDisc(Aggregate):
    """PostgreSQL's discrete percentile: the first value whose cumulative share reaches the fraction. For 3 or 4
    values, percentile_disc(0.5) is the second and percentile_disc(0.75) the third."""

    function = "percentile_disc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction, **extra):
        super().__init__(Cast(expression, FloatField()), fraction=repr(float(fraction)), **extra)


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile: percentile_cont(0.5) WITHIN GROUP (ORDER BY x) is the median."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction, **extra):
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile is between 0 and 1.")
        super().__init__(Cast(expression, FloatField()), fraction=repr(fraction), **extra)


def precise_delay(kind: str) -> Q:
    """Cases whose delay (`response` or `resolution`) is precise enough to enter a median.

    Both dates known to the day; or both known at least to the month and the delay at least
    MONTH_PRECISE_MIN_DAYS long. A year-precise date never counts.
    """
    days, end_precision = DELAY_FIELDS[kind]
    coarse = [DatePrecision.DAY, DatePrecision.MONTH]
    exact = Q(occurred_precision=DatePrecision.DAY, **{end_precision: DatePrecision.DAY})
    roughly = Q(
        occurred_precision__in=coarse,
        **{f"{end_precision}__in": coarse, f"{days}__gte": MONTH_PRECISE_MIN_DAYS},
    )
    return Q(**{f"{days}__isnull": False}) & (exact | roughly)


def recovery() -> Q:
    """A good recovery: a sincere or exemplary apology, and corrective actions on record (a story of good service,
    where no apology was owed, is not one)."""
    return (
        Q(apology_owed=True)
        & Q(apology_quality__gte=RECOVERY_MIN_APOLOGY)
        & Q(GreaterThan(Length(Trim("corrective_actions")), 0))
    )


def _pct_sqlite(fraction):
    """Linear interpolation between the two rows around the fraction: what percentile_cont computes."""
    pos = f"({fraction!r} * (cnt - 1))"
    row = f"(CAST({pos} AS INTEGER) + 1)"
    low = f"MAX(CASE WHEN rn = {row} THEN v END)"
    high = f"COALESCE(MAX(CASE WHEN rn = {row} + 1 THEN v END), {low})"
    share = f"({fraction!r} * (MAX(cnt) - 1) - CAST({fraction!r} * (MAX(cnt) - 1) AS INTEGER))"
    return f"{low} + {share} * ({high} - {low})"


def distributions(parts, groups=(), min_n=1):
    """Count, minimum, quartiles and maximum of `v` in each group of each part: ONE query.

    `parts` are (tag, queryset) pairs; each queryset selects (through `.values()`) the columns named in
    `groups` and a float column `v`. The rows of the parts are stacked (UNION ALL) and summarised per
    (tag, groups...). Groups with fewer than `min_n` values are left out.
    PostgreSQL computes percentile_cont; SQLite the same interpolation from ROW_NUMBER() windows.
    """
    qn = connection.ops.quote_name
    columns = ["part", *groups]
    quoted = ", ".join(qn(c) for c in columns)
    selects, params = [], []
    for tag, queryset in parts:
        try:
            sql, inner_params = queryset.order_by().query.sql_with_params()
        except EmptyResultSet:  # a part that can select nothing (a search with no word that counts)
            continue
        picked = ", ".join([*(qn(g) for g in groups), qn("v")])
        selects.append(f"SELECT CAST(%s AS TEXT) AS {qn('part')}, {picked} FROM ({sql}) AS inner_part")
        params += [tag, *inner_params]
    if not selects:
        return []
    stacked = " UNION ALL ".join(selects)
    if connection.vendor == "postgresql":
        percentiles = ", ".join(
            f"percentile_cont({fraction!r}) WITHIN GROUP (ORDER BY v) AS {name}" for name, fraction in QUARTILES
        )
        percentiles += ", percentile_disc(0.5) WITHIN GROUP (ORDER BY v) AS v2"
        percentiles += ", percentile_disc(0.75) WITHIN GROUP (ORDER BY v) AS v3"
        sql = (
            f"SELECT {quoted}, COUNT(v) AS n, MIN(v) AS min, MAX(v) AS max, {percentiles} "
            f"FROM ({stacked}) AS stacked WHERE v IS NOT NULL GROUP BY {quoted} HAVING COUNT(v) >= %s"
        )
    else:
        percentiles = ", ".join(f"{_pct_sqlite(fraction)} AS {name}" for name, fraction in QUARTILES)
        percentiles += ", MAX(CASE WHEN rn = 2 THEN v END) AS v2, MAX(CASE WHEN rn = 3 THEN v END) AS v3"
        sql = (
            f"SELECT {quoted}, COUNT(*) AS n, MIN(v) AS min, MAX(v) AS max, {percentiles} FROM ("
            f"SELECT stacked.*, ROW_NUMBER() OVER (PARTITION BY {quoted} ORDER BY v) AS rn, "
            f"COUNT(*) OVER (PARTITION BY {quoted}) AS cnt FROM ({stacked}) AS stacked WHERE v IS NOT NULL"
            f") AS ranked GROUP BY {quoted} HAVING COUNT(*) >= %s"
        )
    params.append(min_n)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def delay_distribution(queryset, kind, groups=None, min_n=1):
    """Count, minimum, quartiles and maximum of the precise delays (`response` or `resolution`).

    `groups` maps output names to lookups, e.g. {"slug": "company__sector__slug"}. One query: on
    PostgreSQL through the PercentileCont aggregate, elsewhere through `distributions()`.
    """
    groups = groups or {}
    days, _precision = DELAY_FIELDS[kind]
    queryset = queryset.filter(precise_delay(kind)).order_by()
    columns = {f"g_{name}": F(lookup) for name, lookup in groups.items()}
    if connection.vendor == "postgresql":
        rows = (
            queryset.values(part=Value(kind), **columns)
            .annotate(
                n=Count(days),
                min=Cast(Min(days), FloatField()),
                max=Cast(Max(days), FloatField()),
                **{name: PercentileCont(days, fraction) for name, fraction in QUARTILES},
                v2=PercentileDisc(days, 0.5),
                v3=PercentileDisc(days, 0.75),
            )
            .filter(n__gte=min_n)
        )
        rows = [row for row in rows if row["n"]]
    else:
        rows = distributions(
            [(kind, queryset.values(**columns, v=Cast(days, FloatField())))], groups=list(columns), min_n=min_n
        )
    return [with_points(_ungroup(row)) for row in rows]


def with_points(row):
    """A delay distribution with `points`, the delays themselves when there are fewer than BOX_MIN_CASES (the
    second and third smallest come with every distribution); empty from BOX_MIN_CASES up, where a box is drawn."""
    row = dict(row)
    n = row.get("n") or 0
    middle = [row.pop("v2", None), row.pop("v3", None)]
    if not n or n >= BOX_MIN_CASES:
        row["points"] = []
    else:
        row["points"] = [row["min"], *middle[: n - 2], row["max"]][:n] if n > 1 else [row["min"]]
    return row


def _ungroup(row):
    return {key.removeprefix("g_"): value for key, value in row.items() if key != "part"}


def empty_distribution():
    return {"n": 0, "min": None, "q1": None, "median": None, "q3": None, "max": None, "points": []}


def case_summary(queryset, scopes=None, groups=None):
    """Counts of cases, of each apology level, of usable delays and costs: one aggregated query.

    `scopes` maps a name to a Q narrowing the queryset (e.g. {"company": Q(company=c), "sector": Q()});
    each figure is then named "<scope>_<figure>". With `groups`, one row per group (no scopes).
    """
    # Semi-joins on uncorrelated subqueries: computed once per query, not once per case.
    bad_buzz = Q(pk__in=CostEstimate.objects.filter(kind=CostKind.BAD_BUZZ).values("incident_id"))
    turning = Q(pk__in=TimelineEvent.objects.filter(is_turning_point=True).values("incident_id"))

    def figures(scope: Q):
        def n(condition=None):
            return Count("pk", filter=scope & condition if condition is not None else scope)

        return {
            "cases": n(),
            # A story where no apology was owed is left out of every apology figure, and counted apart.
            "apology_mean": Avg("apology_quality", filter=scope & Q(apology_owed=True)),
            **{f"apology_{level}": n(Q(apology_quality=level, apology_owed=True)) for level in APOLOGY_LEVELS},
            "apology_not_owed": n(Q(apology_owed=False)),
            "dated": n(Q(occurred_on__isnull=False)),
            "with_response": n(Q(response_days__isnull=False)),
            "precise_response": n(precise_delay("response")),
            "with_resolution": n(Q(resolution_days__isnull=False)),
            "precise_resolution": n(precise_delay("resolution")),
            "with_bad_buzz": n(bad_buzz),
            "with_turning_point": n(turning),
            "recoveries": n(recovery()),
        }

    queryset = queryset.order_by()
    if groups:
        columns = {f"g_{name}": F(lookup) for name, lookup in groups.items()}
        return [_ungroup(row) for row in queryset.values(**columns).annotate(**figures(Q()))]
    scopes = scopes or {"all": Q()}
    aggregates = {}
    for name, scope in scopes.items():
        aggregates.update({f"{name}_{key}": value for key, value in figures(scope).items()})
    result = queryset.aggregate(**aggregates)
    return {
        name: {key.removeprefix(f"{name}_"): value for key, value in result.items() if key.startswith(f"{name}_")}
        for name in scopes
    }


def total_of(groups):
    """The summary of all cases from the summaries of disjoint groups (every case has one sector)."""
    total = {key: sum(group[key] for group in groups) for key in SUMMARY_COUNTS}
    weighted = sum(level * total[f"apology_{level}"] for level in APOLOGY_LEVELS)
    owed = sum(total[f"apology_{level}"] for level in APOLOGY_LEVELS)
    total["apology_mean"] = weighted / owed if owed else None
    return total


SUMMARY_COUNTS = [
    "cases",
    *(f"apology_{level}" for level in APOLOGY_LEVELS),
    "apology_not_owed",
    "dated",
    "with_response",
    "precise_response",
    "with_resolution",
    "precise_resolution",
    "with_bad_buzz",
    "with_turning_point",
    "recoveries",
]


def apology_counts(summary):
    return [summary[f"apology_{level}"] for level in APOLOGY_LEVELS]


def summarise(values):
    """Count, minimum, quartiles and maximum of a list of figures, with the interpolation of `distributions()`
    (PostgreSQL's percentile_cont): for the ratios, computed per case in Python by incidents.price."""
    values = sorted(values)
    if not values:
        return empty_distribution()
    n = len(values)

    def percentile(fraction):
        position = fraction * (n - 1)
        below = int(position)
        above = min(below + 1, n - 1)
        return values[below] + (position - below) * (values[above] - values[below])

    points = values if n < BOX_MIN_CASES else []
    return {"n": n, "min": values[0], "max": values[-1], "points": points, **{k: percentile(f) for k, f in QUARTILES}}


def price_points(queryset, prices=None):
    """Each case of `queryset` with a price of not apologising (incidents.price): its row and its `Price`, by
    currency then highest ratio first. Two queries (its cost lines, then its cases), or one when `prices`
    (`price.prices_of()` of a wider set of cases) is given. Titles are kept in both languages: the figures
    are cached for every reader."""
    prices = price.prices_of(queryset) if prices is None else prices
    if not prices:
        return []
    rows = (
        queryset.order_by()
        .filter(pk__in=CostEstimate.objects.filter(kind=CostKind.REMEDY).values("incident_id"))
        .values("pk", "slug", "title_en", "title_fr", "company__name", "company__slug")
    )
    points = [
        {
            "pk": row["pk"],
            "slug": row["slug"],
            "titles": {"en": row["title_en"], "fr": row["title_fr"]},
            "company": row["company__name"],
            "company_slug": row["company__slug"],
            "currency": prices[row["pk"]].currency,
            "price": prices[row["pk"]],
            "ratio": prices[row["pk"]].times,
        }
        for row in rows
        if row["pk"] in prices
    ]
    points.sort(key=lambda p: (p["currency"], -p["ratio"], p["pk"]))
    return points


def price_summaries(prices):
    """The distribution of the ratios of `prices` (case id -> Price), by currency."""
    by_currency = {}
    for item in prices.values():
        by_currency.setdefault(item.currency, []).append(item.times)
    return {currency: summarise(values) for currency, values in by_currency.items()}


def turning_points(queryset, scopes=None):
    """Turning-point timeline events by channel (and how many cases they turned): one query."""
    scopes = scopes or {"all": Q()}
    aggregates = {}
    for name, scope in scopes.items():
        aggregates[f"{name}_events"] = Count("timeline", filter=scope)
        aggregates[f"{name}_cases"] = Count("pk", filter=scope, distinct=True)
    rows = (
        queryset.order_by()
        .filter(timeline__is_turning_point=True)
        .values(g_channel=F("timeline__channel"))
        .annotate(**aggregates)
    )
    return [
        {
            "channel": row["g_channel"],
            **{name: {"events": row[f"{name}_events"], "cases": row[f"{name}_cases"]} for name in scopes},
        }
        for row in rows
    ]


def ranked(rows, key):
    """Competition ranking (1, 2, 2, 4): equal figures share a rank."""
    previous, rank = object(), 0
    for position, row in enumerate(rows, start=1):
        if row[key] != previous:
            rank, previous = position, row[key]
        row["rank"] = rank
    return rows


def worst_apologies(queryset):
    """Companies with at least RANKING_MIN_CASES published cases, lowest mean apology first."""
    rows = (
        queryset.order_by()
        .filter(apology_owed=True)  # a story where no apology was owed says nothing of how a company apologises
        .values(g_slug=F("company__slug"), g_name=F("company__name"))
        .annotate(
            n=Count("pk"),
            mean=Avg("apology_quality"),
            no_apology=Count("pk", filter=Q(apology_quality__lte=ApologyQuality.NON_APOLOGY)),
        )
        .filter(n__gte=RANKING_MIN_CASES)
        .order_by("mean", "-n", "g_name")
    )
    return ranked([_ungroup(row) for row in rows], "mean")


def slowest_responses(queryset):
    """Companies with at least RANKING_MIN_CASES precise response delays, longest median first."""
    rows = delay_distribution(
        queryset, "response", {"slug": "company__slug", "name": "company__name"}, min_n=RANKING_MIN_CASES
    )
    rows.sort(key=lambda row: (-row["median"], -row["n"], row["name"]))
    return ranked(rows, "median")


def best_recoveries(queryset):
    """Cases with a sincere or exemplary apology and corrective actions: best apology, then most recent.

    All of them (the CSV lists them all); the page shows the first RANKING_LENGTH.
    """
    rows = (
        queryset.order_by()
        .filter(recovery())
        .order_by("-apology_quality", F("occurred_on").desc(nulls_last=True), "-pk")
        .values(
            "pk",
            "slug",
            "title",
            "apology_quality",
            "occurred_on",
            "occurred_precision",
            "first_response_on",
            "first_response_precision",
            company_name=F("company__name"),
            company_slug=F("company__slug"),
        )
    )
    return list(rows)


# What the pages read ---------------------------------------------------------------------------------


SECTOR = {"slug": "company__sector__slug", "name": "company__sector__name"}


def catalogue_insights(queryset):
    """Every figure of /insights/ for a set of published cases (the catalogue's filters applied)."""
    sectors = sorted(case_summary(queryset, groups=SECTOR), key=lambda row: (-row["cases"], row["name"]))
    summary = total_of(sectors)
    years = (
        queryset.order_by()
        .values(year=ExtractYear("occurred_on"), g_slug=F("company__sector__slug"), g_name=F("company__sector__name"))
        .annotate(n=Count("pk"))
        .order_by("year", "g_name")
    )
    prices = price.prices_of(queryset)
    return {
        "summary": summary,
        "years": [_ungroup(row) for row in years if row["year"] is not None],
        "sectors": sectors,
        "response": {
            "all": (delay_distribution(queryset, "response") or [empty_distribution()])[0],
            "sectors": delay_distribution(queryset, "response", SECTOR),
        },
        "resolution": {
            "all": (delay_distribution(queryset, "resolution") or [empty_distribution()])[0],
            "sectors": delay_distribution(queryset, "resolution", SECTOR),
        },
        "price": {"points": price_points(queryset, prices), "currencies": price_summaries(prices)},
        "turning_points": turning_points(queryset),
        "worst_apologies": worst_apologies(queryset),
        "slowest_responses": slowest_responses(queryset),
        "best_recoveries": best_recoveries(queryset),
    }


def record(queryset, scopes):
    """A company's (or sector's) record next to a wider one, in four queries.

    `queryset` holds the cases of the wider scope; `scopes` maps "own" and "wider" to a Q narrowing it
    (e.g. own=Q(company=c), wider=Q()). Distributions of both delays and of the cost ratios come out of
    one stacked query.
    """
    parts = []
    for name, scope in scopes.items():
        cases = queryset.filter(scope).order_by()
        for kind, (days, _precision) in DELAY_FIELDS.items():
            values = cases.filter(precise_delay(kind)).values(
                g_currency=Value(None, output_field=CharField()), v=Cast(days, FloatField())
            )
            parts.append((f"{name}:{kind}", values))
    stats = distributions(parts, groups=["g_currency"])
    by_part = {}
    for row in stats:
        by_part.setdefault(row["part"], []).append(with_points(_ungroup(row)))
    own_scope = scopes["own"]
    wider_prices = price.prices_of(queryset.filter(scopes["wider"]))
    own_points = price_points(queryset.filter(own_scope), wider_prices)
    own_prices = {p["pk"]: p["price"] for p in own_points}
    return {
        "summary": case_summary(queryset, scopes=scopes),
        "response": {name: (by_part.get(f"{name}:response") or [empty_distribution()])[0] for name in scopes},
        "resolution": {name: (by_part.get(f"{name}:resolution") or [empty_distribution()])[0] for name in scopes},
        "price": {
            "points": own_points,
            "currencies": {"own": price_summaries(own_prices), "wider": price_summaries(wider_prices)},
        },
        "turning_points": turning_points(queryset, scopes=scopes),
    }


def in_language(query):
    """A cache query for figures that hold texts: case titles are read in the reader's language (`.values()` of a
    translated field), so each language keeps its own copy."""
    return f"{query}#{translation.get_language() or settings.LANGUAGE_CODE}"


def insights_for(filterset):
    """/insights/ for the catalogue's filters (an IncidentFilterSet over published cases), cached."""
    query = filter_query(filterset.data, filterset.filter_params)
    return cached("insights", in_language(query), lambda: catalogue_insights(filterset.qs.order_by()))


def company_record(company):
    """A company's record next to its sector's, cached."""
    return cached(
        f"company:{company.pk}",
        in_language(""),
        lambda: record(
            Incident.objects.published().filter(company__sector_id=company.sector_id),
            {"own": Q(company_id=company.pk), "wider": Q()},
        ),
    )


def lesson_prices(lesson):
    """The price of not apologising of each published case that teaches `lesson`, cached."""

    def compute():
        cases = Incident.objects.published().filter(lessons=lesson)
        prices = price.prices_of(cases)
        return {"points": price_points(cases, prices), "currencies": price_summaries(prices)}

    return cached(f"lesson:{lesson.pk}", in_language(""), compute)


def sector_record(sector):
    """A sector's record next to the whole catalogue's, cached."""
    return cached(
        f"sector:{sector.pk}",
        in_language(""),
        lambda: record(Incident.objects.published(), {"own": Q(company__sector_id=sector.pk), "wider": Q()}),
    )
