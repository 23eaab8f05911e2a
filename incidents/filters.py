"""The catalogue's one FilterSet: the list page, the API, the CSV download and insights all read it."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from incidents import search
from incidents.models import (
    APOLOGY_BY_SLUG,
    ApologyQuality,
    Company,
    HarmType,
    Incident,
    Lesson,
    Sector,
)

SORTS = {
    "newest": (_("Newest published"), [F("published_at").desc(nulls_last=True), F("id").desc()]),
    "occurred": (_("Date it happened"), [F("occurred_on").desc(nulls_last=True), F("id").desc()]),
    "cost": (_("Costliest bad buzz"), [F("headline_cost_eur").desc(nulls_last=True), F("id").desc()]),
    "slowest": (_("Slowest first response"), [F("response_days").desc(nulls_last=True), F("id").desc()]),
    "apology": (
        _("Worst apology"),
        [F("apology_quality").asc(), F("published_at").desc(nulls_last=True), F("id").desc()],
    ),
}
RELEVANCE = "relevance"


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class SlugMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """Several slugs (?sector=energy&sector=rail); unknown ones are reported by the form, not a 500."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(*args, **kwargs)


class CaseSortFilter(django_filters.OrderingFilter):
    """A whitelist of named sorts; relevance is added when there is a search."""

    def __init__(self, *args, **kwargs):
        kwargs["choices"] = [(key, label) for key, (label, _ordering) in SORTS.items()] + [(RELEVANCE, _("Relevance"))]
        kwargs.setdefault("label", _("Sort by"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        # The ordering itself is applied by the FilterSet, which knows whether there is a search.
        return qs


class IncidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search", max_length=200)
    # Only companies with a published case: a company known only from drafts must not be named in a chip.
    company = SlugMultipleChoiceFilter(
        queryset=Company.objects.filter(Exists(Incident.objects.published().filter(company=OuterRef("pk")))),
        label=_("Company"),
        method="filter_company",
    )
    sector = SlugMultipleChoiceFilter(queryset=Sector.objects.all(), label=_("Sector"), method="filter_sector")
    harm = SlugMultipleChoiceFilter(queryset=HarmType.objects.all(), label=_("Harm"), method="filter_harm")
    lesson = SlugMultipleChoiceFilter(queryset=Lesson.objects.all(), label=_("Lesson"), method="filter_lesson")
    apology = django_filters.MultipleChoiceFilter(
        choices=[(q.slug, q.label) for q in ApologyQuality], label=_("Apology"), method="filter_apology"
    )
    year_from = IntegerFilter(
        field_name="occurred_on__year", lookup_expr="gte", label=_("From year"), min_value=1900, max_value=2100
    )
    year_to = IntegerFilter(
        field_name="occurred_on__year", lookup_expr="lte", label=_("To year"), min_value=1900, max_value=2100
    )
    country = django_filters.CharFilter(
        label=_("Country"),
        method="filter_country",
        max_length=2,
        min_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", _("Use a two-letter country code, e.g. FR."))],
    )
    min_cost = IntegerFilter(
        field_name="headline_cost_eur",
        lookup_expr="gte",
        label=_("Bad buzz of at least (≈ EUR)"),
        min_value=0,
        max_value=10**15,
    )
    updated_within = IntegerFilter(
        label=_("Updated within (days)"), method="filter_updated_within", min_value=1, max_value=36500
    )
    sort = CaseSortFilter()

    # Parameters that narrow the list (everything but the sort); facets and chips read these.
    FILTER_PARAMS = (
        "q",
        "company",
        "sector",
        "harm",
        "lesson",
        "apology",
        "year_from",
        "year_to",
        "country",
        "min_cost",
        "updated_within",
    )

    class Meta:
        model = Incident
        fields = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = Incident.objects.published()
        super().__init__(data, queryset, request=request, prefix=prefix)

    # Filters -----------------------------------------------------------------------------------------

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return search.matching(queryset, value) if value else queryset

    def filter_company(self, queryset, name, value):
        return queryset.filter(company__in=value) if value else queryset

    def filter_sector(self, queryset, name, value):
        return queryset.filter(company__sector__in=value) if value else queryset

    def filter_harm(self, queryset, name, value):
        if not value:
            return queryset
        through = Incident.harm_types.through
        return queryset.filter(Exists(through.objects.filter(incident_id=OuterRef("pk"), harmtype__in=value)))

    def filter_lesson(self, queryset, name, value):
        if not value:
            return queryset
        through = Incident.lessons.through
        return queryset.filter(Exists(through.objects.filter(incident_id=OuterRef("pk"), lesson__in=value)))

    def filter_apology(self, queryset, name, value):
        levels = [APOLOGY_BY_SLUG[slug].value for slug in value if slug in APOLOGY_BY_SLUG]
        return queryset.filter(apology_quality__in=levels) if levels else queryset

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.upper()) if value else queryset

    def filter_updated_within(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(updated_at__gte=timezone.now() - datetime.timedelta(days=value))

    # Results -----------------------------------------------------------------------------------------

    @property
    def cleaned(self):
        """The understood parameters: empty for an unbound form, without the bad ones for an invalid one."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.form.cleaned_data

    @property
    def search_text(self):
        return (self.cleaned.get("q") or "").strip()

    @property
    def sort_key(self):
        chosen = self.cleaned.get("sort") or []
        key = chosen[0] if chosen else None
        if key == RELEVANCE and not self.search_text:
            key = None
        if key is None:
            key = RELEVANCE if self.search_text and search.ranked() else "newest"
        return key

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        key = self.sort_key
        if key == RELEVANCE:  # then the newest first among equally relevant cases
            return search.by_relevance(queryset, *SORTS["newest"][1])
        return queryset.order_by(*SORTS[key][1])

    # Facets ------------------------------------------------------------------------------------------

    def queryset_without(self, param):
        """The list as it would be without one of its filters: what that filter's counts are counted on."""
        data = self.data.copy()
        data.pop(param, None)
        data.pop("sort", None)
        return type(self)(data, self.queryset).qs.order_by()

    def facets(self):
        """Counts beside each sector, harm and apology option, each respecting the other active filters.

        One aggregated query per facet.
        """
        sector_counts = dict(
            self.queryset_without("sector").values_list("company__sector").annotate(n=Count("id")).order_by()
        )
        through = Incident.harm_types.through
        harm_counts = dict(
            through.objects.filter(incident__in=self.queryset_without("harm").values("pk"))
            .values_list("harmtype")
            .annotate(n=Count("incident"))
            .order_by()
        )
        apology_counts = dict(
            self.queryset_without("apology").values_list("apology_quality").annotate(n=Count("id")).order_by()
        )
        return {"sector": sector_counts, "harm": harm_counts, "apology": apology_counts}


def active_filter_chips(filterset):
    """Each active filter value as (label, value text, querystring without it), for removable chips."""
    if not filterset.is_bound:
        return []
    filterset.is_valid()
    cleaned = filterset.form.cleaned_data
    chips = []
    for param in IncidentFilterSet.FILTER_PARAMS:
        raw_values = [v for v in filterset.data.getlist(param) if v != ""]
        if not raw_values or param in filterset.form.errors:
            continue
        label = filterset.filters[param].label
        value = cleaned.get(param)
        for raw in raw_values:
            remaining = filterset.data.copy()
            remaining.setlist(param, [v for v in raw_values if v != raw])
            remaining.pop("page", None)
            display = raw
            if hasattr(value, "__iter__") and not isinstance(value, str):
                for item in value:
                    if getattr(item, "slug", None) == raw:
                        # Seeded sector, harm and lesson names are in the catalogue (the `translated` filter).
                        display = gettext(str(item))
                if param == "apology" and raw in APOLOGY_BY_SLUG:
                    display = APOLOGY_BY_SLUG[raw].label
            chips.append({"label": label, "value": display, "query": remaining.urlencode()})
    return chips
