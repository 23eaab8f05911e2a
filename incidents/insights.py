"""/insights/: what the catalogue shows as a whole, each chart with its table, its rules and a CSV download.

The figures come from incidents/stats.py (cached per catalogue generation); this module turns them into
charts (incidents/charts.py), tables and CSV. The same builders make the blocks on company and sector
pages (incidents/templatetags/insights.py).
"""

from __future__ import annotations

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from incidents import charts, stats
from incidents import price as price_module
from incidents.filters import IncidentFilterSet, active_filter_chips
from incidents.i18n import reader_language
from incidents.models import ApologyQuality, Channel, approximate_date_text
from incidents.text import describe_delay, format_percent

# The chart shows this many sectors; the others are grouped as "Other sectors" (the CSV has them all).
MAX_SERIES = 7
# Up to this many cases in a currency, the ratio chart names each one; beyond, it becomes a histogram and
# the table lists the highest and lowest ratios (the CSV has every case).
MAX_NAMED_DOTS = 40
EXTREMES = 10
QUARTILE_KEYS = ("q1", "q3")
SECTIONS = [
    ("cases-per-year", gettext_lazy("Cases per year")),
    ("apology", gettext_lazy("Apologies")),
    ("response-speed", gettext_lazy("Response speed")),
    ("price-of-not-apologising", gettext_lazy("The price of not apologising")),
    ("turning-points", gettext_lazy("What turned cases around")),
    ("rankings", gettext_lazy("Rankings")),
]


def sector_label(name):
    """Sector names seeded by migrations are translated; names editors add are shown as written."""
    return _(name) if name else _("No sector")


def reference(pk):
    return f"SC-{pk:04d}"


def case_url(pk, slug):
    return reverse("incidents:incident_detail", kwargs={"pk": pk, "slug": slug or "-"})


def cell(value, href=None, numeric=False):
    return {"text": value, "href": href, "num": numeric}


def head(*labels, text_columns=1):
    """Column headings; the first `text_columns` hold text, the others figures (aligned right)."""
    return [{"text": label, "num": i >= text_columns} for i, label in enumerate(labels)]


def share(count, total):
    """A count and its share of the row: "3 (25%)", "3 (25 %)" in French."""
    return f"{charts.number(count)} ({format_percent(100 * count / total)})" if total else charts.number(count)


# Charts and tables ----------------------------------------------------------------------------------


def years_chart(data, uid="years"):
    rows = data["years"]
    if not rows:
        return None
    first, last = rows[0]["year"], rows[-1]["year"]
    categories = list(range(first, last + 1))
    totals_by_sector = {}
    for row in rows:
        totals_by_sector[(row["slug"], row["name"])] = totals_by_sector.get((row["slug"], row["name"]), 0) + row["n"]
    ordered = sorted(totals_by_sector, key=lambda key: (-totals_by_sector[key], key[1] or ""))
    shown = ordered if len(ordered) <= MAX_SERIES + 1 else ordered[:MAX_SERIES]
    series = [{"key": key, "label": sector_label(key[1]), "values": [0] * len(categories)} for key in shown]
    if len(shown) < len(ordered):
        series.append({"key": None, "label": _("Other sectors"), "values": [0] * len(categories)})
    index = {s["key"]: s for s in series}
    for row in rows:
        target = index.get((row["slug"], row["name"])) or index[None]
        target["values"][row["year"] - first] += row["n"]
    totals = [sum(s["values"][i] for s in series) for i in range(len(categories))]
    busiest = max(range(len(categories)), key=lambda i: (totals[i], categories[i]))
    dated = sum(totals)
    undated = data["summary"]["cases"] - dated
    title = _("Cases per year, by sector")
    description = _(
        "Stacked bar chart of %(n)s cases by the year they happened, %(first)s to %(last)s, one pattern per "
        "sector. The busiest year is %(year)s with %(count)s cases."
    ) % {"n": dated, "first": first, "last": last, "year": categories[busiest], "count": totals[busiest]}
    if undated:
        description += " " + ngettext(
            "%(n)s case without a date is not shown.", "%(n)s cases without a date are not shown.", undated
        ) % {"n": undated}
    return {
        "id": uid,
        "title": title,
        "svg": charts.stacked_bars(
            uid, title, description, categories, series, axis_label=_("Cases (year the case happened)")
        ),
        "description": description,
        "table": {
            "caption": _("Cases per year and sector"),
            "head": head(_("Year"), *[s["label"] for s in series], _("Total")),
            "rows": [
                [
                    cell(str(year)),
                    *[cell(charts.number(s["values"][i]), numeric=True) for s in series],
                    cell(charts.number(totals[i]), numeric=True),
                ]
                for i, year in enumerate(categories)
            ],
        },
    }


def apology_rows_table(rows):
    levels = [q.label for q in ApologyQuality]
    return {
        "caption": _("Apologies: number of cases at each level (share of the row)"),
        "head": head(_("Cases of"), *levels, "n", _("Mean score (0–5)")),
        "rows": [
            [
                cell(row["label"], row.get("href")),
                *[cell(share(count, sum(row["counts"])), numeric=True) for count in row["counts"]],
                cell(charts.number(sum(row["counts"])), numeric=True),
                cell(charts.number(row["mean"], 1), numeric=True),
            ]
            for row in rows
        ],
    }


def apology_chart(rows, uid, title):
    levels = [str(q.label) for q in ApologyQuality]
    total = sum(sum(row["counts"]) for row in rows[:1])
    description = _(
        "Bar chart: for each row, the share of cases at each apology level, from refused (0, left) to "
        "exemplary (5, right); counts are written in the bars. First row: %(label)s, %(n)s cases."
    ) % {"label": rows[0]["label"], "n": total}
    return {
        "id": uid,
        "title": title,
        "svg": charts.apology_bars(uid, title, description, rows, levels),
        "description": description,
        "table": apology_rows_table(rows),
    }


def delay_table(rows, caption):
    return {
        "caption": caption,
        "head": head(
            _("Cases of"),
            _("Measure"),
            _("n (precise enough)"),
            _("Median"),
            _("Q1"),
            _("Q3"),
            _("Shortest"),
            _("Longest"),
            _("Left out (imprecise dates)"),
            text_columns=2,
        ),
        "rows": [
            [
                cell(row["group"]),
                cell(row["measure"]),
                cell(charts.number(row["n"]), numeric=True),
                # Quartiles of fewer than five delays would be read as more than they are.
                *[
                    cell(
                        charts.days_text(row[k] if row["n"] >= stats.BOX_MIN_CASES or k not in QUARTILE_KEYS else None),
                        numeric=True,
                    )
                    for k in ("median", "q1", "q3", "min", "max")
                ],
                cell(charts.number(row["left_out"]), numeric=True),
            ]
            for row in rows
        ],
    }


def delay_chart(rows, uid, title):
    with_data = [row for row in rows if row["n"]]
    description = _(
        "Box chart on a logarithmic scale of days: for each row the median delay (thick bar), the middle "
        "half of the cases (box, first to third quartile) and the shortest to longest delay (whisker). "
    )
    description += " ".join(
        _("%(label)s: median %(median)s, n = %(n)s.")
        % {"label": row["label"], "median": charts.days_text(row["median"]), "n": row["n"]}
        for row in with_data[:4]
    )
    note = _(
        "Box: middle half (Q1 to Q3). Bar: median. Whisker: shortest to longest. Dots: each delay, where fewer "
        "than %(n)s cases count. Log scale."
    ) % {"n": stats.BOX_MIN_CASES}
    return {
        "id": uid,
        "title": title,
        "svg": charts.delay_boxes(uid, title, description, rows, note),
        "description": description,
    }


def delay_row(label, distribution, measure, with_date, strong=False):
    return {
        "label": label,
        "group": label,
        "measure": measure,
        "strong": strong,
        "left_out": (with_date or 0) - distribution["n"],
        **distribution,
    }


def point_title(point):
    """A case's title in the reader's language, or in the one it exists in (the figures are cached for both)."""
    titles = point["titles"]
    return titles.get(reader_language()) or next((t for t in titles.values() if t), "")


def price_point_rows(points):
    rows = []
    for p in points:
        item = p["price"]
        rows.append(
            {
                "label": f"{p['company']} · {reference(p['pk'])} · {point_title(p)}",
                "bad_buzz": float(item.bad_buzz.central),
                "remedy": float(item.remedy.central),
                "bad_buzz_text": item.bad_buzz.text,
                "remedy_text": item.remedy.text,
                "figure": item.figure,
                "tooltip": _("%(title)s (%(company)s): bad buzz %(bad)s ÷ remedy %(remedy)s = %(ratio)s")
                % {
                    "title": point_title(p),
                    "company": p["company"],
                    "bad": item.bad_buzz.text,
                    "remedy": item.remedy.text,
                    "ratio": item.figure,
                },
            }
        )
    return rows


def price_charts(price, uid_prefix, own_currencies=None, wider_currencies=None, wider_label=""):
    """One chart and table per currency; `own_currencies` gives each currency's median."""
    own_currencies = own_currencies if own_currencies is not None else price["currencies"]
    by_currency = {}
    for point in price["points"]:
        by_currency.setdefault(point["currency"], []).append(point)
    result = []
    for currency, points in sorted(by_currency.items()):
        summary = own_currencies.get(currency) or stats.empty_distribution()
        median = summary["median"]
        title = _("What the bad buzz cost against the remedy, cases costed in %(currency)s") % {"currency": currency}
        if len(points) > MAX_NAMED_DOTS:
            description = _(
                "Histogram on a logarithmic scale: %(n)s cases costed in %(currency)s, each case's bad-buzz "
                "estimate divided by the cost of the remedy, counted by quarter of a tenfold step."
            ) % {"n": len(points), "currency": currency}
        else:
            description = ngettext(
                "Chart on a logarithmic scale of amounts: %(n)s case costed in %(currency)s, what making it right "
                "would have cost (open dot) and what the bad buzz cost (filled dot), with the ratio.",
                "Chart on a logarithmic scale of amounts: %(n)s cases costed in %(currency)s, for each what making "
                "it right would have cost (open dot) and what the bad buzz cost (filled dot), with the ratio.",
                len(points),
            ) % {"n": len(points), "currency": currency}
        if median is not None:
            description += " " + _("Median: %(median)s. Highest: %(top)s (%(case)s).") % {
                "median": price_module.ratio_figure(median),
                "top": points[0]["price"].figure,
                "case": f"{points[0]['company']}, {point_title(points[0])}",
            }
        uid = f"{uid_prefix}-{currency.lower()}"
        wider = (wider_currencies or {}).get(currency)
        median_label = _("median %(ratio)s") % {"ratio": price_module.ratio_figure(median)} if median else ""
        listed, note = points, ""
        if len(points) > MAX_NAMED_DOTS:
            drawing = charts.ratio_histogram(
                uid, title, description, [p["ratio"] for p in points], median=median, median_label=median_label
            )
            listed = points[:EXTREMES] + points[-EXTREMES:]
            note = _("The %(n)s highest and %(n)s lowest ratios of %(total)s; the CSV has every case.") % {
                "n": EXTREMES,
                "total": len(points),
            }
        else:
            drawing = charts.price_pairs(uid, title, description, price_point_rows(points), currency)
        result.append(
            {
                "id": uid,
                "currency": currency,
                "title": title,
                "n": len(points),
                "median": median,
                "wider": wider,
                "wider_label": wider_label,
                "description": description,
                "svg": drawing,
                "note": note,
                "table": {
                    "caption": _("Cases costed in %(currency)s") % {"currency": currency}
                    + (f" ({note})" if note else ""),
                    "head": head(
                        _("Case"),
                        _("Company"),
                        _("Bad buzz"),
                        _("Remedy"),
                        _("Bad buzz ÷ remedy (estimate)"),
                        text_columns=2,
                    ),
                    "rows": [
                        [
                            cell(f"{reference(p['pk'])} {point_title(p)}", case_url(p["pk"], p["slug"])),
                            cell(p["company"]),
                            cell(p["price"].bad_buzz.text, numeric=True),
                            cell(p["price"].remedy.text, numeric=True),
                            cell(p["price"].figure, numeric=True),
                        ]
                        for p in listed
                    ],
                },
            }
        )
    return result


def channel_label(value):
    return str(Channel(value).label) if value in Channel.values else _("Channel not recorded")


def turning_chart(rows, uid="turning-points"):
    rows = sorted(rows, key=lambda row: (-row["all"]["events"], channel_label(row["channel"])))
    if not rows:
        return None
    bars = [
        {
            "label": channel_label(row["channel"]),
            "value": row["all"]["events"],
            "note": ngettext("%(n)s event", "%(n)s events", row["all"]["events"]) % {"n": row["all"]["events"]}
            + " · "
            + ngettext("%(n)s case", "%(n)s cases", row["all"]["cases"]) % {"n": row["all"]["cases"]},
        }
        for row in rows
    ]
    title = _("Turning points by channel")
    description = _(
        "Bar chart of the timeline events marked as turning points, by channel. Most frequent: %(channel)s (%(note)s)."
    ) % {"channel": bars[0]["label"], "note": bars[0]["note"]}
    return {
        "id": uid,
        "title": title,
        "svg": charts.horizontal_bars(uid, title, description, bars),
        "description": description,
        "table": {
            "caption": _("Turning-point events and cases, by channel"),  # not the chart's title: two regions, two names
            "head": head(_("Channel"), _("Turning-point events"), _("Cases")),
            "rows": [
                [
                    cell(channel_label(row["channel"])),
                    cell(charts.number(row["all"]["events"]), numeric=True),
                    cell(charts.number(row["all"]["cases"]), numeric=True),
                ]
                for row in rows
            ],
        },
    }


def turning_rows(rows):
    """Turning points of a record: each channel with the own and wider scopes' events and cases."""
    return [
        {"label": channel_label(row["channel"]), "own": row["own"], "wider": row["wider"]}
        for row in sorted(rows, key=lambda row: (-row["own"]["events"], -row["wider"]["events"]))
    ]


def insights_charts(data):
    summary = data["summary"]
    sectors = data["sectors"]
    apology_rows = [
        {
            "label": _("All cases"),
            "counts": stats.apology_counts(summary),
            "mean": summary["apology_mean"],
            "strong": True,
        }
    ] + [
        {
            "label": sector_label(row["name"]),
            "href": reverse("incidents:sector_detail", kwargs={"slug": row["slug"]}) if row["slug"] else None,
            "counts": stats.apology_counts(row),
            "mean": row["apology_mean"],
        }
        for row in sectors
    ]
    delays = {}
    for kind, measure in (("response", _("First response")), ("resolution", _("Resolution"))):
        per_sector = {row["slug"]: row for row in data[kind]["sectors"]}
        rows = [delay_row(_("All cases"), data[kind]["all"], measure, summary[f"with_{kind}"], strong=True)]
        rows += [
            delay_row(
                sector_label(row["name"]),
                per_sector.get(row["slug"], stats.empty_distribution()),
                measure,
                row[f"with_{kind}"],
            )
            for row in sectors
        ]
        delays[kind] = rows
    response = delay_chart(delays["response"], "response", _("Time to first response, by sector"))
    resolution = delay_chart(delays["resolution"], "resolution", _("Time to resolution, by sector"))
    return {
        "years": years_chart(data),
        "apology": apology_chart(apology_rows, "apology", _("Apology quality, overall and by sector")),
        "response": response,
        "resolution": resolution,
        "delay_table": delay_table(
            delays["response"] + delays["resolution"], _("Delays in days, from dates precise enough")
        ),
        "price": price_charts(data["price"], "price"),
        "turning_points": turning_chart(data["turning_points"]),
    }


# Views ----------------------------------------------------------------------------------------------


# The filter form shows these fields; the other filters a reader sent travel along as hidden inputs.
SHOWN_FILTERS = ("sector", "year_from", "year_to")


def filterset_for(request):
    return IncidentFilterSet(request.GET)


def filter_querystring(filterset):
    """The filters of the request (no sort, no page): the figures' CSV links and the link to the catalogue."""
    query = filterset.data.copy()
    for name in list(query):
        if name not in filterset.filter_params:
            del query[name]
    return query.urlencode()


@require_GET
def insights(request):
    filterset = filterset_for(request)
    data = stats.insights_for(filterset)
    querystring = filter_querystring(filterset)
    context = {
        "filter_form": filterset.form_layout(shown=SHOWN_FILTERS),
        "chips": active_filter_chips(filterset),
        "form_errors": filterset.form.errors,
        "querystring": querystring,
        "data": data,
        "summary": data["summary"],
        "charts": insights_charts(data) if data["summary"]["cases"] else None,
        "sections": SECTIONS,
        "csv_links": {name.replace("-", "_"): csv_url(name, querystring) for name in CSV_BUILDERS},
        "undated": data["summary"]["cases"] - data["summary"]["dated"],
        "rules": {
            "min_cases": stats.RANKING_MIN_CASES,
            "ranking_length": stats.RANKING_LENGTH,
            "month_min_days": stats.MONTH_PRECISE_MIN_DAYS,
        },
        "worst_apologies": data["worst_apologies"][: stats.RANKING_LENGTH],
        "slowest_responses": data["slowest_responses"][: stats.RANKING_LENGTH],
        "best_recoveries": [recovery_row(row) for row in data["best_recoveries"][: stats.RANKING_LENGTH]],
        "search_text": filterset.data.get("q", ""),
    }
    return render(request, "incidents/insights.html", context)


def recovery_row(row):
    return {
        **row,
        "reference": reference(row["pk"]),
        "url": case_url(row["pk"], row["slug"]),
        "apology": ApologyQuality(row["apology_quality"]),
        "occurred_text": approximate_date_text(row["occurred_on"], row["occurred_precision"]),
        "response_delay": describe_delay(
            row["occurred_on"], row["occurred_precision"], row["first_response_on"], row["first_response_precision"]
        ),
    }


# CSV ------------------------------------------------------------------------------------------------


def csv_url(name, querystring=""):
    url = reverse("incidents:insights_csv", kwargs={"chart": name})
    return f"{url}?{querystring}" if querystring else url


def csv_cases_per_year(data):
    yield ["year", "sector_slug", "sector", "cases"]
    for row in data["years"]:
        yield [row["year"], row["slug"], sector_label(row["name"]), row["n"]]


def csv_apology(data):
    yield ["group", "group_slug", "level", "level_label", "cases", "share_of_group"]
    groups = [(_("All cases"), "", data["summary"])] + [
        (sector_label(row["name"]), row["slug"], row) for row in data["sectors"]
    ]
    for label, slug, row in groups:
        counts = stats.apology_counts(row)
        total = sum(counts)
        for quality, count in zip(ApologyQuality, counts, strict=True):
            yield [label, slug, quality.value, quality.label, count, round(count / total, 4) if total else ""]


def csv_response_speed(data):
    yield [
        "measure",
        "group",
        "group_slug",
        "cases",
        "cases_with_date",
        "n",
        "min_days",
        "q1_days",
        "median_days",
        "q3_days",
        "max_days",
    ]
    for kind in ("response", "resolution"):
        per_sector = {row["slug"]: row for row in data[kind]["sectors"]}
        groups = [(_("All cases"), "", data["summary"], data[kind]["all"])] + [
            (sector_label(row["name"]), row["slug"], row, per_sector.get(row["slug"], stats.empty_distribution()))
            for row in data["sectors"]
        ]
        for label, slug, summary, row in groups:
            yield [
                kind,
                label,
                slug,
                summary["cases"],
                summary[f"with_{kind}"],
                row["n"],
                *(row[k] for k in ("min", "q1", "median", "q3", "max")),
            ]


def csv_price(data):
    """Every case's price of not apologising: both sides' central estimates and ranges, and the ratio (rounded
    to the two significant figures the pages show, beside its exact quotient)."""
    yield [
        "reference",
        "case",
        "url",
        "company",
        "currency",
        "bad_buzz",
        "bad_buzz_low",
        "bad_buzz_high",
        "remedy",
        "remedy_low",
        "remedy_high",
        "ratio",
        "ratio_low",
        "ratio_high",
        "ratio_exact",
    ]
    for p in data["price"]["points"]:
        item = p["price"]
        yield [
            reference(p["pk"]),
            point_title(p),
            case_url(p["pk"], p["slug"]),
            p["company"],
            p["currency"],
            round(item.bad_buzz.central, 2),
            item.bad_buzz.low,
            item.bad_buzz.high,
            round(item.remedy.central, 2),
            item.remedy.low,
            item.remedy.high,
            price_module.round_significant(item.times),
            price_module.round_significant(item.low),
            price_module.round_significant(item.high),
            round(item.times, 4),
        ]


def csv_turning_points(data):
    yield ["channel", "channel_label", "events", "cases"]
    for row in sorted(data["turning_points"], key=lambda row: -row["all"]["events"]):
        yield [row["channel"], channel_label(row["channel"]), row["all"]["events"], row["all"]["cases"]]


def csv_worst_apologies(data):
    yield ["rank", "company", "company_slug", "cases", "mean_apology", "cases_without_real_apology"]
    for row in data["worst_apologies"]:
        yield [row["rank"], row["name"], row["slug"], row["n"], round(row["mean"], 4), row["no_apology"]]


def csv_slowest_responses(data):
    yield ["rank", "company", "company_slug", "cases_with_precise_delay", "median_days", "q1_days", "q3_days"]
    for row in data["slowest_responses"]:
        yield [row["rank"], row["name"], row["slug"], row["n"], row["median"], row["q1"], row["q3"]]


def csv_best_recoveries(data):
    yield ["reference", "case", "url", "company", "apology_level", "apology"]
    for row in data["best_recoveries"]:
        yield [
            reference(row["pk"]),
            row["title"],
            case_url(row["pk"], row["slug"]),
            row["company_name"],
            row["apology_quality"],
            ApologyQuality(row["apology_quality"]).label,
        ]


CSV_BUILDERS = {
    "cases-per-year": csv_cases_per_year,
    "apology": csv_apology,
    "response-speed": csv_response_speed,
    "price-of-not-apologising": csv_price,
    "turning-points": csv_turning_points,
    "worst-apologies": csv_worst_apologies,
    "slowest-responses": csv_slowest_responses,
    "best-recoveries": csv_best_recoveries,
}


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


@require_GET
def insights_csv(request, chart):
    builder = CSV_BUILDERS.get(chart)
    if builder is None:
        raise Http404("No such chart.")
    data = stats.insights_for(filterset_for(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="insights-{chart}.csv"'
    writer = csv.writer(response)
    for row in builder(data):
        writer.writerow([spreadsheet_safe(v) for v in row])
    return response
