"""The insights blocks of company and sector pages, and the filters that write figures for people."""

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from incidents import charts, price, stats
from incidents.caching.generation import cached
from incidents.insights import (
    apology_chart,
    delay_chart,
    delay_row,
    delay_table,
    price_charts,
    sector_label,
    turning_rows,
)
from incidents.models import Company

register = template.Library()


@register.filter
def stat(value, decimals=2):
    """A figure without trailing zeros, in the reader's language: 7, 3.5, 0.75."""
    return charts.number(value, int(decimals))


@register.filter
def days(value):
    return charts.days_text(value)


@register.filter
def ratio(value):
    """A ratio as a figure, to two significant figures: "×86,000" (incidents.price)."""
    return price.ratio_figure(value)


@register.simple_tag
def lesson_price_charts(lesson):
    """The price of not apologising of a lesson's cases: a chart and a table per currency (two queries, none
    once cached)."""
    return price_charts(stats.lesson_prices(lesson), f"lesson-{lesson.pk}-price")


@register.simple_tag
def insights_record(subject):
    """A company's record next to its sector's, or a sector's next to the whole catalogue's
    (includes/_insights_record.html).

    Four queries when not cached (incidents.stats.record), none when cached. The block is rendered once per
    subject, language and catalogue generation: drawing its charts was a third of a warm company page's time."""
    kind = "company" if isinstance(subject, Company) else "sector"

    def render():
        return render_to_string("includes/_insights_record.html", insights_record_context(subject))

    return mark_safe(cached(f"insights-record:{kind}:{subject.pk}", get_language() or "", render))


def insights_record_context(subject):
    if isinstance(subject, Company):
        data = stats.company_record(subject)
        own, wider = subject.name, sector_label(subject.sector.name)
        wider_in_sentence = wider
        uid = f"company-{subject.pk}"
        filter_query = f"company={subject.slug}"
    else:
        data = stats.sector_record(subject)
        own, wider = sector_label(subject.name), _("All sectors")
        # Inside a sentence or a title ("Airlines and all sectors"), not a capital in the middle of it.
        wider_in_sentence = pgettext("inside a sentence", "all sectors")
        uid = f"sector-{subject.pk}"
        filter_query = f"sector={subject.slug}"
    summary = data["summary"]
    context = {
        "own": own,
        "wider": wider_in_sentence,
        "wider_label": wider,
        "uid": uid,
        "summary": summary,
        "subject": subject,
    }
    context["insights_url"] = f"{reverse('incidents:insights')}?{filter_query}"
    if not summary["own"]["cases"]:
        return context
    apology_rows = [
        {"label": name, "counts": stats.apology_counts(summary[key]), "mean": summary[key]["apology_mean"]}
        for key, name in (("own", own), ("wider", wider))
    ]
    apology_rows[0]["strong"] = True
    delays = {}
    for kind, measure in (("response", _("First response")), ("resolution", _("Resolution"))):
        delays[kind] = [
            delay_row(name, data[kind][key], measure, summary[key][f"with_{kind}"], strong=key == "own")
            for key, name in (("own", own), ("wider", wider))
        ]
    names = {"own": own, "wider": wider_in_sentence}
    context.update(
        apology=apology_chart(apology_rows, f"{uid}-apology", _("Apology quality: %(own)s and %(wider)s") % names),
        response=delay_chart(
            delays["response"], f"{uid}-response", _("Time to first response: %(own)s and %(wider)s") % names
        ),
        resolution=delay_chart(
            delays["resolution"], f"{uid}-resolution", _("Time to resolution: %(own)s and %(wider)s") % names
        ),
        delay_table=delay_table(
            delays["response"] + delays["resolution"], _("Delays in days, from dates precise enough")
        ),
        price=price_charts(
            data["price"],
            f"{uid}-price",
            own_currencies=data["price"]["currencies"]["own"],
            wider_currencies=data["price"]["currencies"]["wider"],
            wider_label=wider,
        ),
        turning=turning_rows(data["turning_points"]),
        month_min_days=stats.MONTH_PRECISE_MIN_DAYS,
    )
    return context
