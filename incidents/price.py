"""The price of not apologising: what a case's bad buzz cost against what making it right would have cost.

This module is the one owner of that figure: the case page, the case cards, the home and lesson pages, the
share card, the company, sector and insights pages (their charts, tables and CSV) all ask `case_price()` and
write it with the methods of `Price`. The rules, stated on /insights/ and in docs/insights.md:

- Only the cost lines of a **bad buzz** and of a **remedy**, each **with a source**, in **one currency**
  (amounts are never converted for a ratio); a line whose amount is zero is left out.
- The currency is that of the largest sourced bad-buzz estimate that has a sourced remedy beside it.
- Each side's central estimate is the mean of its lines' midpoints (a range counts at its midpoint); its
  range runs from the lowest low end to the highest high end of its lines.
- The ratio is central ÷ central; its range is lowest bad buzz ÷ highest remedy to highest bad buzz ÷ lowest
  remedy. Two estimates divided are no more precise than two significant figures: "about 86,000 times",
  never "85,714".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from incidents.models import CostEstimate, CostKind
from incidents.text import format_big_money

SIGNIFICANT_DIGITS = 2
KINDS = (CostKind.BAD_BUZZ, CostKind.REMEDY)
# What a line of the ledger must carry to enter a ratio (a CostEstimate, or a row with the same names).
LINE_FIELDS = ("incident_id", "kind", "amount_low", "amount_high", "currency", "source_id")


def midpoint(line) -> Decimal:
    high = line.amount_high if line.amount_high is not None else line.amount_low
    return (Decimal(line.amount_low) + Decimal(high)) / 2


def round_significant(value, digits=SIGNIFICANT_DIGITS) -> Decimal:
    """85,714 -> 86,000; 1.234 -> 1.2; 0.456 -> 0.46: a figure no more precise than the estimates behind it."""
    value = Decimal(str(float(value)))
    if value <= 0:
        return Decimal(0)
    exponent = math.floor(math.log10(value)) - digits + 1
    quantum = Decimal(1).scaleb(exponent)
    rounded = ((value / quantum).quantize(Decimal(1)) * quantum).normalize()
    return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral_value() else rounded


def ratio_number(value) -> str:
    """A ratio in the reader's language, to two significant figures: "86,000", "1.2", "0.46"; "86 000" in French."""
    if value is None:
        return "–"
    rounded = round_significant(value)
    places = max(-rounded.as_tuple().exponent, 0)
    return number_format(rounded, decimal_pos=places, use_l10n=True, force_grouping=True)


def ratio_figure(value) -> str:
    """A ratio beside a chart or in a table: "×86,000"."""
    return "×" + ratio_number(value) if value is not None else "–"


@dataclass(frozen=True)
class Side:
    """One side of the comparison: the bad buzz or the remedy, from one or more lines in one currency."""

    currency: str
    lines: tuple
    low: Decimal
    central: Decimal
    high: Decimal

    @classmethod
    def of(cls, currency, lines):
        lines = tuple(lines)
        return cls(
            currency=currency,
            lines=lines,
            low=min(Decimal(line.amount_low) for line in lines),
            central=sum((midpoint(line) for line in lines), Decimal(0)) / len(lines),
            high=max(Decimal(line.amount_high if line.amount_high is not None else line.amount_low) for line in lines),
        )

    @property
    def is_range(self):
        return self.low != self.high

    @property
    def text(self) -> str:
        """ "$180 million", or "$1,200 – $3,000" when its lines give a range."""
        if self.is_range:
            return f"{format_big_money(self.low, self.currency)} – {format_big_money(self.high, self.currency)}"
        return format_big_money(self.central, self.currency)

    @property
    def central_text(self) -> str:
        return format_big_money(self.central, self.currency)

    @property
    def source_ids(self):
        return sorted({line.source_id for line in self.lines if line.source_id})


@dataclass(frozen=True)
class Price:
    """A case's price of not apologising (see the module's rules). `times` is bad buzz ÷ remedy."""

    currency: str
    bad_buzz: Side
    remedy: Side

    @property
    def times(self) -> float:
        return float(self.bad_buzz.central / self.remedy.central)

    @property
    def low(self) -> float:
        return float(self.bad_buzz.low / self.remedy.high) if self.remedy.high else self.times

    @property
    def high(self) -> float:
        return float(self.bad_buzz.high / self.remedy.low) if self.remedy.low else self.times

    @property
    def has_range(self) -> bool:
        return ratio_number(self.low) != ratio_number(self.high)

    @property
    def number(self) -> str:
        return ratio_number(self.times)

    @property
    def figure(self) -> str:
        """ "×86,000", for a chart, a table or a card."""
        return ratio_figure(self.times)

    @property
    def range_text(self) -> str:
        """ "60,000–150,000", or "" when the lines give one figure."""
        return f"{ratio_number(self.low)}–{ratio_number(self.high)}" if self.has_range else ""

    @property
    def sentence(self) -> str:
        """The figure in a sentence, labelled an estimate, with its range when the cost lines give one."""
        if self.has_range:
            return _(
                "The bad buzz cost about %(times)s times what making it right would have cost (an estimate; "
                "from %(low)s to %(high)s times)."
            ) % {"times": self.number, "low": ratio_number(self.low), "high": ratio_number(self.high)}
        return _("The bad buzz cost about %(times)s times what making it right would have cost (an estimate).") % {
            "times": self.number
        }

    @property
    def phrase(self) -> str:
        """The figure in a few words, for a list of facts: "about 86,000 times the remedy (estimate)"."""
        return _("about %(times)s times the remedy (estimate)") % {"times": self.number}

    @property
    def remedy_share(self) -> float:
        """How long the remedy's bar is beside the bad buzz's (full width): at least a visible sliver."""
        return max(min(float(self.remedy.central / self.bad_buzz.central), 1.0), 0.004) if self.times >= 1 else 1.0

    @property
    def bad_buzz_share(self) -> float:
        return 1.0 if self.times >= 1 else max(self.times, 0.004)

    @property
    def remedy_percent(self) -> str:
        return f"{self.remedy_share * 100:.1f}"

    @property
    def bad_buzz_percent(self) -> str:
        return f"{self.bad_buzz_share * 100:.1f}"


def _usable(line) -> bool:
    return line.kind in KINDS and line.source_id is not None and midpoint(line) > 0


def case_price(lines) -> Price | None:
    """The price of not apologising of one case from its cost lines (`case.costs.all()`, prefetched), or None
    when a side is missing, unsourced, zero, or only in another currency than the other side."""
    usable = [line for line in lines if _usable(line)]
    remedies = {}
    for line in usable:
        if line.kind == CostKind.REMEDY:
            remedies.setdefault(line.currency, []).append(line)
    bad_buzz = [line for line in usable if line.kind == CostKind.BAD_BUZZ and line.currency in remedies]
    if not bad_buzz:
        return None
    currency = largest(bad_buzz).currency
    return Price(
        currency=currency,
        bad_buzz=Side.of(currency, [line for line in bad_buzz if line.currency == currency]),
        remedy=Side.of(currency, remedies[currency]),
    )


def largest(lines, kinds=(CostKind.BAD_BUZZ,)):
    """The largest of `lines` of these kinds (the high end of a range), compared across currencies at the
    reference rates of `amount_in_eur`, or None: the one rule for "the case's largest bad buzz"."""
    candidates = [line for line in lines if line.kind in kinds and line.amount_in_eur() is not None]
    return max(candidates, key=lambda line: line.amount_in_eur(), default=None)


def headline_line(lines):
    """The cost line a case card shows when the case has no price: its largest bad-buzz estimate, else its
    largest fine or compensation."""
    lines = list(lines)
    return largest(lines) or largest(lines, (CostKind.FINE, CostKind.COMPENSATION))


def line_text(line) -> str:
    """One cost line as a headline writes it: "$185 million", or "€3 million – €5 million" for a range."""
    if line.amount_high is not None and line.amount_high != line.amount_low:
        return (
            f"{format_big_money(line.amount_low, line.currency)} – {format_big_money(line.amount_high, line.currency)}"
        )
    return format_big_money(line.amount_low, line.currency)


@dataclass(frozen=True)
class Line:
    """A cost line read with `values_list(*LINE_FIELDS)`: what `case_price` needs, without a model instance."""

    incident_id: int
    kind: str
    amount_low: Decimal
    amount_high: Decimal | None
    currency: str
    source_id: int | None

    amount_in_eur = CostEstimate.amount_in_eur  # the same reference rates, for comparing lines across currencies


def prices_of(queryset) -> dict[int, Price]:
    """Each case of `queryset` that has a price of not apologising, by id: ONE query over their cost lines."""
    rows = (
        CostEstimate.objects.filter(incident__in=queryset.order_by().values("pk"), kind__in=KINDS, source__isnull=False)
        .order_by("incident_id", "position", "id")
        .values_list(*LINE_FIELDS)
    )
    by_case = {}
    for row in rows:
        line = Line(*row)
        by_case.setdefault(line.incident_id, []).append(line)
    prices = {pk: case_price(lines) for pk, lines in by_case.items()}
    return {pk: price for pk, price in prices.items() if price is not None}
