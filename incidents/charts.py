"""Server-rendered SVG charts: no JavaScript, no inline styles, readable by screen readers and in print.

Each builder takes plain, already computed data and returns inline SVG (`role="img"`, a <title> and a
<desc> named by `aria-labelledby`). Drawing uses presentation attributes (fill=, stroke=) only, so a strict
Content-Security-Policy without 'unsafe-inline' styles is fine. The viewBox lets the chart scale; colours
come from colour-blind-safe palettes and are never the only cue: patterns, direct labels and the data
table beside each chart carry the same information.
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from incidents.price import ratio_figure
from incidents.text import delay_in_days, format_big_money, format_percent

WIDTH = 640
FONT_SIZE = 13
INK = "#1d1d1f"
MUTED = "#555555"
GRID = "#d8d2c8"
PAPER = "#ffffff"
ACCENT = "#8a1c1c"
BLUE = "#0b4f8a"
LIGHT_BLUE = "#cfe3f3"
# Okabe and Ito's palette, safe for the common colour-vision deficiencies; grey for "other".
SERIES_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#8C8C8C"]
# A diverging red-to-blue scale (ColorBrewer RdBu) for the six apology levels, refused to exemplary, with
# the text colour that keeps each label above 4.5:1 contrast.
APOLOGY_COLOURS = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"]
APOLOGY_TEXT = [PAPER, INK, INK, INK, INK, PAPER]
# Marks drawn over a series' colour so that series differ without colour (8 x 8 tiles).
PATTERNS = [
    "",
    "M-2 2L2-2M0 8L8 0M6 10L10 6",
    "M2 2h1v1h-1zM6 6h1v1h-1z",
    "M0 2H8M0 6H8",
    "M-2 6L2 10M0 0L8 8M6-2L10 2",
    "M0 0L8 8M8 0L0 8",
    "M2 0V8M6 0V8",
    "M0 4H8M4 0V8",
]
# Delays are drawn on a log scale of (1 + days); these are the ticks, with their labels.
DELAY_TICKS = [0, 1, 7, 30, 91, 365, 730, 1826, 3652, 7305]


# Helpers ---------------------------------------------------------------------------------------------


def coordinate(value):
    """A coordinate with at most one decimal: short SVG, crisp enough at any size."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def number(value, decimals=2):
    """A figure for people: localised, without trailing zeros ("7", "3.5", "0.75")."""
    if value is None:
        return "–"
    rounded = Decimal(str(round(float(value), decimals))).normalize()
    if rounded == rounded.to_integral_value():
        rounded = rounded.quantize(Decimal(1))
    places = max(-rounded.as_tuple().exponent, 0)
    return number_format(rounded, decimal_pos=places, use_l10n=True, force_grouping=True)


def days_text(value):
    """A delay in days as precisely as the dates support it (incidents.text.delay_in_days): "the same day",
    "1 day", "about 2 weeks", "about 17 months"; never "0.5 days" or "14.25 days"."""
    if value is None:
        return "–"
    return delay_in_days(value)


def label_value(label, value):
    """ "Label: value" with the punctuation of the reader's language ("Label : valeur" in French)."""
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def element(tag, attributes=None, content=""):
    """One SVG element; attribute values and text are escaped, `content` is trusted markup."""
    attrs = "".join(f' {name}="{escape(value)}"' for name, value in (attributes or {}).items() if value is not None)
    return f"<{tag}{attrs}>{content}</{tag}>" if content else f"<{tag}{attrs}/>"


def text(x, y, content, **attributes):
    attributes = {"x": coordinate(x), "y": coordinate(y), **attributes}
    return element("text", {k.replace("_", "-"): v for k, v in attributes.items()}, escape(content))


def tooltip(content):
    return element("title", None, escape(content))


def text_width(content, size=FONT_SIZE):
    """A generous estimate of a label's width in the system sans-serif."""
    return len(content) * size * 0.56


def spaced_labels(ticks, size=12, gap=6):
    """The (x, label) pairs of an axis whose labels, centred on x, do not overlap: left to right, a label that
    would touch the one before is left out (its grid line stays); the last one, the end of the axis, always
    shows, in place of the ones before it that it would touch. French labels ("1 an", "2 ans") are longer
    than English ones, so fewer of them fit."""

    def span(tick):
        half = text_width(tick[1], size) / 2
        return tick[0] - half, tick[0] + half

    kept = []
    for tick in ticks:
        if not kept or span(tick)[0] >= span(kept[-1])[1] + gap:
            kept.append(tick)
    if ticks and kept[-1] is not ticks[-1]:
        while len(kept) > 1 and span(ticks[-1])[0] < span(kept[-1])[1] + gap:
            kept.pop()
        kept.append(ticks[-1])
    return kept


def shorten(content, width, size=FONT_SIZE):
    if text_width(content, size) <= width:
        return content
    keep = max(int(width / (size * 0.56)) - 1, 1)
    return content[:keep].rstrip() + "…"


def wrap(content, width, size=FONT_SIZE):
    """Words laid out in lines no wider than `width` (a long note in French, say)."""
    lines, line = [], ""
    # Only ordinary spaces break a line: a no-break space keeps "Boîte :" or "2 mois" together.
    for word in content.split(" "):
        if not word:
            continue
        candidate = f"{line} {word}".strip()
        if line and text_width(candidate, size) > width:
            lines.append(line)
            candidate = word
        line = candidate
    return [*lines, line] if line else lines


def svg(uid, height, title, description, body):
    """The chart's <svg>. Its title and description ids end in -chart-title and -chart-desc: a page's own
    headings (an "apology-title" heading above the "apology" chart) keep theirs."""
    return mark_safe(  # noqa: S308 - every value above went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {WIDTH} {coordinate(height)}"'
        f' role="img" aria-labelledby="{uid}-chart-title {uid}-chart-desc" font-family="system-ui, sans-serif"'
        f' font-size="{FONT_SIZE}" fill="{INK}">'
        f'<title id="{uid}-chart-title">{escape(title)}</title><desc id="{uid}-chart-desc">{escape(description)}</desc>'
        f"{body}</svg>"
    )


def mark_colour(fill):
    """The colour of pattern marks over a fill: white on dark colours, ink on light ones."""
    red, green, blue = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return PAPER if 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.5 else INK


def pattern(pattern_id, fill, marks):
    tile = element("rect", {"width": "8", "height": "8", "fill": fill})
    if marks:
        tile += element("path", {"d": marks, "stroke": mark_colour(fill), "stroke-width": "1.2", "fill": "none"})
    return element("pattern", {"id": pattern_id, "width": "8", "height": "8", "patternUnits": "userSpaceOnUse"}, tile)


def hline(x1, x2, y, colour):
    return element(
        "line",
        {"x1": coordinate(x1), "x2": coordinate(x2), "y1": coordinate(y), "y2": coordinate(y), "stroke": colour},
    )


def legend(items, y, x0=0):
    """Legend items (label, fill) laid out in rows across the width; returns (markup, height)."""
    parts, x, row = [], x0, 0
    for label, fill in items:
        width = 14 + 6 + text_width(label, 12) + 18
        if x > x0 and x + width > WIDTH:
            x, row = x0, row + 1
        top = y + row * 20
        parts.append(
            element("rect", {"x": coordinate(x), "y": coordinate(top), "width": "14", "height": "14", "fill": fill})
            + element(
                "rect",
                {
                    "x": coordinate(x),
                    "y": coordinate(top),
                    "width": "14",
                    "height": "14",
                    "fill": "none",
                    "stroke": INK,
                    "stroke-width": "0.6",
                },
            )
            + text(x + 20, top + 11.5, label, font_size="12")
        )
        x += width
    return "".join(parts), (row + 1) * 20


def nice_step(maximum, ticks=5):
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return max(int(factor * magnitude), 1)
    return int(10 * magnitude)


# Charts ----------------------------------------------------------------------------------------------


def stacked_bars(uid, title, description, categories, series, axis_label=""):
    """Vertical bars stacked by series: `categories` (e.g. years) along the bottom, each series a
    dict(label, values) with one count per category. Totals are written above bars that have room."""
    defs = "".join(
        pattern(f"{uid}-p{i}", SERIES_COLOURS[i % len(SERIES_COLOURS)], PATTERNS[i % len(PATTERNS)])
        for i in range(len(series))
    )
    legend_markup, legend_height = legend([(s["label"], f"url(#{uid}-p{i})") for i, s in enumerate(series)], 4)
    top = 4 + legend_height + 30
    plot_height = 220
    left, right = 40, 8
    plot_width = WIDTH - left - right
    bottom = top + plot_height
    totals = [sum(s["values"][i] for s in series) for i in range(len(categories))]
    step = nice_step(max(totals, default=0))
    maximum = max(step * math.ceil(max(totals, default=0) / step), step)

    def y(value):
        return bottom - value / maximum * plot_height

    parts = [element("defs", None, defs), legend_markup]
    for tick in range(0, maximum + 1, step):
        parts.append(hline(left, WIDTH - right, y(tick), GRID))
        parts.append(text(left - 6, y(tick) + 4, number(tick), text_anchor="end", fill=MUTED, font_size="12"))
    band = plot_width / max(len(categories), 1)
    bar = min(band * 0.78, 56)
    label_every = next((k for k in (1, 2, 5, 10, 20, 50) if band * k >= 36), 100)
    for i, category in enumerate(categories):
        x = left + i * band + (band - bar) / 2
        stacked = 0
        for j, s in enumerate(series):
            value = s["values"][i]
            if not value:
                continue
            parts.append(
                element(
                    "rect",
                    {
                        "x": coordinate(x),
                        "y": coordinate(y(stacked + value)),
                        "width": coordinate(bar),
                        "height": coordinate(value / maximum * plot_height),
                        "fill": f"url(#{uid}-p{j})",
                        "stroke": PAPER,
                        "stroke-width": "0.8",
                    },
                    tooltip(label_value(f"{category} · {s['label']}", number(value))),
                )
            )
            stacked += value
        if totals[i] and band >= 16:
            parts.append(text(x + bar / 2, y(totals[i]) - 5, number(totals[i]), text_anchor="middle", font_size="12"))
        if int(category) % label_every == 0 or label_every == 1:
            parts.append(text(x + bar / 2, bottom + 17, str(category), text_anchor="middle", font_size="12"))
    parts.append(hline(left, WIDTH - right, bottom, INK))
    if axis_label:
        parts.append(text(0, top - 18, axis_label, fill=MUTED, font_size="12"))
    return svg(uid, bottom + 28, title, description, "".join(parts))


def apology_bars(uid, title, description, rows, levels):
    """One 100% bar per row (overall, a sector, a company): the share of each apology level, refused on the
    left to exemplary on the right, with counts written in the segments that have room. `levels` are the
    six labels; the three levels without a real apology are hatched."""
    defs = "".join(
        pattern(f"{uid}-a{i}", APOLOGY_COLOURS[i], PATTERNS[1] if i <= 2 else "") for i in range(len(levels))
    )
    legend_markup, legend_height = legend([(f"{i} {label}", f"url(#{uid}-a{i})") for i, label in enumerate(levels)], 4)
    top = 4 + legend_height + 10
    row_height, bar_height = 32, 22
    label_width, x0, x1 = 150, 160, 572
    parts = [element("defs", None, defs), legend_markup]
    for r, row in enumerate(rows):
        y = top + r * row_height
        parts.append(
            text(0, y + 15, shorten(row["label"], label_width), font_weight="bold" if row.get("strong") else None)
        )
        total = sum(row["counts"])
        if not total:
            parts.append(text(x0, y + 15, _("no case"), fill=MUTED))
            continue
        x = x0
        for level, count in enumerate(row["counts"]):
            if not count:
                continue
            width = count / total * (x1 - x0)
            share = 100 * count / total
            parts.append(
                element(
                    "rect",
                    {
                        "x": coordinate(x),
                        "y": coordinate(y),
                        "width": coordinate(width),
                        "height": str(bar_height),
                        "fill": f"url(#{uid}-a{level})",
                        "stroke": PAPER,
                        "stroke-width": "1",
                    },
                    tooltip(
                        label_value(f"{row['label']} · {levels[level]}", f"{number(count)} ({format_percent(share)})")
                    ),
                )
            )
            label = number(count)
            if width >= text_width(label, 12) + 8:
                parts.append(
                    element(
                        "rect",
                        {
                            "x": coordinate(x + width / 2 - text_width(label, 12) / 2 - 3),
                            "y": coordinate(y + 4),
                            "width": coordinate(text_width(label, 12) + 6),
                            "height": "14",
                            "rx": "2",
                            "fill": APOLOGY_COLOURS[level],
                        },
                    )
                )
                parts.append(
                    text(x + width / 2, y + 15, label, text_anchor="middle", font_size="12", fill=APOLOGY_TEXT[level])
                )
            x += width
        parts.append(text(x1 + 8, y + 15, f"n = {number(total)}", font_size="12", fill=MUTED))
    return svg(uid, top + len(rows) * row_height + 4, title, description, "".join(parts))


def delay_x(days, maximum, x0, x1):
    return x0 + math.log10(1 + days) / math.log10(1 + maximum) * (x1 - x0)


def delay_ticks():
    return [
        (0, "0"),
        (1, _("1 d")),
        (7, _("1 wk")),
        (30, _("1 mo")),
        (91, _("3 mo")),
        (365, _("1 yr")),
        (730, _("2 yr")),
        (1826, _("5 yr")),
        (3652, _("10 yr")),
        (7305, _("20 yr")),
    ]


def delay_boxes(uid, title, description, rows, note):
    """A row per group: whisker from shortest to longest delay, box from Q1 to Q3, a bar at the median,
    on a log scale of days; the median and n are written at the end of each row."""
    longest = max((row["max"] or 0 for row in rows), default=0)
    maximum = next((tick for tick in DELAY_TICKS if tick >= longest and tick >= 30), longest)
    label_width, x0, x1 = 165, 175, 505
    row_height, top = 30, 8
    parts = []
    axis_y = top + len(rows) * row_height + 4
    ticks = [(delay_x(tick, maximum, x0, x1), label) for tick, label in delay_ticks() if tick <= maximum]
    labelled = spaced_labels(ticks)
    for x, label in ticks:
        parts.append(
            element(
                "line",
                {
                    "x1": coordinate(x),
                    "x2": coordinate(x),
                    "y1": str(top - 4),
                    "y2": coordinate(axis_y),
                    "stroke": GRID,
                    "stroke-width": "1",
                },
            )
        )
        if (x, label) in labelled:
            parts.append(text(x, axis_y + 16, label, text_anchor="middle", font_size="12", fill=MUTED))
    for r, row in enumerate(rows):
        y = top + r * row_height
        middle = y + row_height / 2
        parts.append(
            text(0, middle + 4, shorten(row["label"], label_width), font_weight="bold" if row.get("strong") else None)
        )
        if not row["n"]:
            parts.append(text(x0 + 4, middle + 4, _("no delay precise enough"), fill=MUTED, font_size="12"))
            continue
        if row.get("points"):
            # Fewer cases than a box needs: each delay is a dot, and the row says how many there are.
            summary = _("%(label)s: %(delays)s (n = %(n)s)") % {
                "label": row["label"],
                "delays": ", ".join(days_text(value) for value in row["points"]),
                "n": number(row["n"]),
            }
            dots = [tooltip(summary)] + [
                element(
                    "circle",
                    {
                        "cx": coordinate(delay_x(value, maximum, x0, x1)),
                        "cy": coordinate(middle),
                        "r": "5",
                        "fill": BLUE,
                        "stroke": PAPER,
                        "stroke-width": "1.5",
                    },
                )
                for value in row["points"]
            ]
            parts.append(element("g", None, "".join(dots)))
            parts.append(text(x1 + 10, middle + 4, f"n = {number(row['n'])}", font_size="12"))
            continue
        low, q1, median, q3, high = (delay_x(row[k], maximum, x0, x1) for k in ("min", "q1", "median", "q3", "max"))
        summary = _("%(label)s: median %(median)s, quartiles %(q1)s to %(q3)s, from %(min)s to %(max)s (n = %(n)s)") % {
            "label": row["label"],
            "median": days_text(row["median"]),
            "q1": days_text(row["q1"]),
            "q3": days_text(row["q3"]),
            "min": days_text(row["min"]),
            "max": days_text(row["max"]),
            "n": number(row["n"]),
        }
        group = [
            tooltip(summary),
            element(
                "line",
                {
                    "x1": coordinate(low),
                    "x2": coordinate(high),
                    "y1": coordinate(middle),
                    "y2": coordinate(middle),
                    "stroke": MUTED,
                    "stroke-width": "1.5",
                },
            ),
        ]
        for end in (low, high):
            group.append(
                element(
                    "line",
                    {
                        "x1": coordinate(end),
                        "x2": coordinate(end),
                        "y1": coordinate(middle - 5),
                        "y2": coordinate(middle + 5),
                        "stroke": MUTED,
                        "stroke-width": "1.5",
                    },
                )
            )
        group.append(
            element(
                "rect",
                {
                    "x": coordinate(q1),
                    "y": coordinate(middle - 8),
                    "width": coordinate(max(q3 - q1, 1)),
                    "height": "16",
                    "fill": LIGHT_BLUE,
                    "stroke": BLUE,
                    "stroke-width": "1",
                },
            )
        )
        group.append(
            element(
                "rect",
                {
                    "x": coordinate(median - 2),
                    "y": coordinate(middle - 11),
                    "width": "4",
                    "height": "22",
                    "fill": INK,
                },
            )
        )
        parts.append(element("g", None, "".join(group)))
        # The median, and n beneath it: on one line, "about 14 months · n = 34" ran past the chart's edge.
        parts.append(text(x1 + 10, middle, days_text(row["median"]), font_size="12"))
        parts.append(text(x1 + 10, middle + 12, f"n = {number(row['n'])}", font_size="11", fill=MUTED))
    lines = wrap(note, WIDTH, 12)
    for i, line in enumerate(lines):
        parts.append(text(0, axis_y + 36 + 16 * i, line, font_size="12", fill=MUTED))
    return svg(uid, axis_y + 28 + 16 * len(lines), title, description, "".join(parts))


def tick_grid(ticks, top, bottom):
    """A log scale's grid: a vertical line at each (position, label) tick from `top` to `bottom`, labelled below
    where the labels do not collide."""
    parts = []
    labelled = spaced_labels(ticks)
    for position, label in ticks:
        line = {"x1": coordinate(position), "x2": coordinate(position), "y1": str(top), "y2": coordinate(bottom)}
        parts.append(element("line", {**line, "stroke": GRID, "stroke-width": "1"}))
        if (position, label) in labelled:
            parts.append(text(position, bottom + 16, label, text_anchor="middle", font_size="12", fill=MUTED))
    return parts


def decade_grid(x, low, high, top, bottom):
    """The ratio charts' log scale: a vertical line at each power of ten from 10**low to 10**high, labelled below."""
    return tick_grid([(x(10**decade), ratio_figure(10**decade)) for decade in range(low, high + 1)], top - 4, bottom)


def reference_lines(x, top, bottom, median, median_label, middle):
    """The ratio charts' two guides: a dashed line where bad buzz equals remedy, and the median, labelled."""
    same = x(1)
    lines = [
        element(
            "line",
            {
                "x1": coordinate(same),
                "x2": coordinate(same),
                "y1": str(top - 4),
                "y2": coordinate(bottom),
                "stroke": INK,
                "stroke-width": "1.5",
                "stroke-dasharray": "4 3",
            },
        ),
        text(same, top - 10, _("same cost"), text_anchor="middle", font_size="12", fill=MUTED),
    ]
    if median is not None and median > 0:
        position = x(median)
        lines.append(
            element(
                "line",
                {
                    "x1": coordinate(position),
                    "x2": coordinate(position),
                    "y1": str(top - 4),
                    "y2": coordinate(bottom),
                    "stroke": ACCENT,
                    "stroke-width": "2",
                },
            )
        )
        anchor = "end" if position > middle else "start"
        offset = -4 if anchor == "end" else 4
        lines.append(text(position + offset, top - 10, median_label, text_anchor=anchor, font_size="12", fill=ACCENT))
    return lines


def money_ticks(low, high, currency):
    """The powers of ten from 10**low to 10**high, as amounts of `currency` ("$1,000", "$1 million")."""
    return [(10**power, format_big_money(10**power, currency)) for power in range(low, high + 1)]


def price_pairs(uid, title, description, rows, currency):
    """The price of not apologising in ONE currency, a row per case: on a log scale of amounts, an open dot at
    what making it right would have cost and a filled dot at what the bad buzz cost, each labelled with its
    amount, joined by a line; the ratio at the end of the row. Every case is named: the table below the chart
    links each one (a link inside an image would be a control nobody can reach)."""
    amounts = [value for row in rows for value in (row["remedy"], row["bad_buzz"])] or [1, 10]
    low = math.floor(math.log10(min(amounts)))
    high = max(math.ceil(math.log10(max(amounts))), low + 1)
    x0, x1 = 44, 540  # room for half of the first amount label ("1 000 USD") left of its tick
    row_height, top = 62, 50

    def x(value):
        return x0 + (math.log10(value) - low) / (high - low) * (x1 - x0)

    axis_y = top + len(rows) * row_height
    parts = tick_grid([(x(value), label) for value, label in money_ticks(low, high, currency)], top - 6, axis_y)
    # The key: which dot is which.
    parts.append(
        element("circle", {"cx": "6", "cy": "14", "r": "5", "fill": PAPER, "stroke": BLUE, "stroke-width": "2"})
    )
    parts.append(text(16, 18, _("what making it right would have cost"), font_size="12"))
    key_x = 16 + text_width(_("what making it right would have cost"), 12) + 24
    parts.append(element("circle", {"cx": coordinate(key_x), "cy": "14", "r": "6", "fill": ACCENT}))
    parts.append(text(key_x + 10, 18, _("what the bad buzz cost"), font_size="12"))
    for r, row in enumerate(rows):
        y = top + r * row_height
        middle = y + 36
        remedy, bad = x(row["remedy"]), x(row["bad_buzz"])
        group = [
            tooltip(row["tooltip"]),
            text(0, y + 12, shorten(row["label"], WIDTH - 10, 12), font_size="12", font_weight="bold"),
            element(
                "line",
                {
                    "x1": coordinate(min(remedy, bad)),
                    "x2": coordinate(max(remedy, bad)),
                    "y1": coordinate(middle),
                    "y2": coordinate(middle),
                    "stroke": GRID,
                    "stroke-width": "4",
                },
            ),
            element(
                "circle",
                {
                    "cx": coordinate(remedy),
                    "cy": coordinate(middle),
                    "r": "6",
                    "fill": PAPER,
                    "stroke": BLUE,
                    "stroke-width": "2",
                },
            ),
            element("circle", {"cx": coordinate(bad), "cy": coordinate(middle), "r": "7", "fill": ACCENT}),
        ]
        # The amounts beside their dots: the smaller one to its left, the larger one to its right.
        left, right = (remedy, bad) if remedy <= bad else (bad, remedy)
        left_label, right_label = (
            (row["remedy_text"], row["bad_buzz_text"]) if remedy <= bad else (row["bad_buzz_text"], row["remedy_text"])
        )
        if left - 10 - text_width(left_label, 12) >= 0:
            group.append(text(left - 10, middle + 4, left_label, text_anchor="end", font_size="12"))
        else:
            group.append(text(left, middle + 20, left_label, text_anchor="start", font_size="12"))
        if right + 10 + text_width(right_label, 12) <= x1 + 6:
            group.append(text(right + 10, middle + 4, right_label, font_size="12"))
        else:
            group.append(text(right, middle - 12, right_label, text_anchor="end", font_size="12"))
        group.append(text(WIDTH, middle + 5, row["figure"], text_anchor="end", font_size="14", font_weight="bold"))
        parts.append(element("g", None, "".join(group)))
    return svg(uid, axis_y + 26, title, description, "".join(parts))


def ratio_histogram(uid, title, description, ratios, median=None, median_label="", per_decade=4):
    """Many ratios in ONE currency: how many cases fall in each quarter of a decade, on the same log scale
    as `ratio_dots`, with the ×1 line and the median line. Counts are written above the bars."""
    low = min(math.floor(math.log10(min(ratios))), 0)
    high = max(math.ceil(math.log10(max(ratios))), 1)
    bins = {}
    for value in ratios:
        index = min(math.floor(math.log10(value) * per_decade), high * per_decade - 1)
        bins[index] = bins.get(index, 0) + 1
    left, right, top, plot_height = 40, 24, 34, 160
    bottom = top + plot_height

    def x(value):
        return left + (math.log10(value) - low) / (high - low) * (WIDTH - left - right)

    tallest = max(bins.values())
    parts = []
    parts.extend(decade_grid(x, low, high, top, bottom))
    for index, count in sorted(bins.items()):
        start, end = x(10 ** (index / per_decade)), x(10 ** ((index + 1) / per_decade))
        bin_label = f"{ratio_figure(10 ** (index / per_decade))} – {ratio_figure(10 ** ((index + 1) / per_decade))}"
        height = count / tallest * plot_height
        parts.append(
            element(
                "rect",
                {
                    "x": coordinate(start + 1),
                    "y": coordinate(bottom - height),
                    "width": coordinate(end - start - 2),
                    "height": coordinate(height),
                    "fill": BLUE,
                },
                tooltip(label_value(bin_label, number(count))),
            )
        )
        parts.append(text((start + end) / 2, bottom - height - 4, number(count), text_anchor="middle", font_size="11"))
    parts.extend(reference_lines(x, top, bottom, median, median_label, middle=WIDTH / 2))
    parts.append(
        element(
            "line",
            {
                "x1": str(left),
                "x2": str(WIDTH - right),
                "y1": coordinate(bottom),
                "y2": coordinate(bottom),
                "stroke": INK,
            },
        )
    )
    return svg(uid, bottom + 26, title, description, "".join(parts))


def horizontal_bars(uid, title, description, rows):
    """A bar per row (label, value, note), longest first as given, value written at the end of the bar."""
    label_width, x0, x1 = 170, 180, 470
    row_height, top = 28, 4
    maximum = max((row["value"] for row in rows), default=0) or 1
    parts = []
    for r, row in enumerate(rows):
        y = top + r * row_height
        width = row["value"] / maximum * (x1 - x0)
        parts.append(text(0, y + 15, shorten(row["label"], label_width)))
        parts.append(
            element(
                "rect",
                {"x": str(x0), "y": coordinate(y + 2), "width": coordinate(width), "height": "18", "fill": BLUE},
                tooltip(label_value(row["label"], row["note"])),
            )
        )
        parts.append(text(x0 + width + 8, y + 15, row["note"], font_size="12"))
    return svg(uid, top + len(rows) * row_height + 4, title, description, "".join(parts))
