"""The catalogue's one FilterSet, the only list of its filters.

Everything else asks it: the list page and the insights draw their filter form from its form
(`form_layout`, rendered by templates/includes/_filter_form.html), the API describes and validates its
parameters with it, the CSV download filters with it, and the chips, facets and cache keys read its
`filter_params`. Adding a filter is one declaration here (with its widget), its label's translation and its
test in tests/test_filters.py.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Count, Exists, F, OuterRef, Q
from django.forms.models import ModelChoiceIteratorValue
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import classproperty
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from incidents import search
from incidents.models import (
    APOLOGY_BY_SLUG,
    ApologyQuality,
    Company,
    HarmType,
    Incident,
    Language,
    Lesson,
    Sector,
)
from incidents.templatetags.catalogue import translated

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
NUMERIC = {"inputmode": "numeric"}


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class NumberBox(forms.NumberInput):
    """A number field that gives back only a number: what a reader typed that is not one ("abc") is reported
    beside the field and not echoed into its value, where it would make the page invalid HTML."""

    def format_value(self, value):
        try:
            float(value)
        except (TypeError, ValueError):
            return None
        return super().format_value(value)


# Called in the FilterSet's class body, when the module is imported: no mutant can be switched on there.
# pragma: no mutate start
def year_filter(lookup_expr, label):
    """One end of the range of years a case happened in."""
    return IntegerFilter(
        field_name="occurred_on__year",
        lookup_expr=lookup_expr,
        label=label,
        min_value=1900,
        max_value=2100,
        widget=NumberBox(attrs=NUMERIC),
    )


# pragma: no mutate end


class SlugMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """Several slugs (?sector=energy&sector=rail); unknown ones are reported by the form, not a 500."""

    # Runs in the FilterSet's class body, when the module is imported: no mutant can be switched on there.
    # pragma: no mutate start
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(*args, **kwargs)

    # pragma: no mutate end


class CaseSortFilter(django_filters.OrderingFilter):
    """A whitelist of named sorts; relevance is added when there is a search."""

    # Runs in the FilterSet's class body, when the module is imported: no mutant can be switched on there.
    # pragma: no mutate start
    def __init__(self, *args, **kwargs):
        kwargs["choices"] = [(key, label) for key, (label, _ordering) in SORTS.items()] + [(RELEVANCE, _("Relevance"))]
        kwargs.setdefault("label", _("Sort by"))
        super().__init__(*args, **kwargs)

    # pragma: no mutate end

    def filter(self, qs, value):
        # The ordering itself is applied by the FilterSet, which knows whether there is a search.
        return qs


def as_query(data):
    """Plain dicts ({"sector": ["energy"], "year_from": 2015}) read like the query string they stand for."""
    if data is None or isinstance(data, QueryDict):
        return data
    query = QueryDict(mutable=True)
    for name, value in data.items():
        query.setlist(name, [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)])
    return query


# Option labels as the `translated` filter gives them, per language: the same few names on every page.
_translated_names: dict[str, dict] = {}


@dataclasses.dataclass
class Control:
    """One piece of a filter form, shown as its field's widget says: "checkboxes" (a fieldset of options),
    "select", or "input" (the widget itself); or a "fieldset" of several inputs (`members`)."""

    kind: str
    label: str
    field: forms.BoundField | None = None
    options: list[dict] = dataclasses.field(default_factory=list)  # a choice field's: value, label, chosen, count
    members: list[Control] = dataclasses.field(default_factory=list)

    @classmethod
    def of(cls, bound, label):
        widget = bound.field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            return cls("checkboxes", label, bound)
        return cls("select" if isinstance(widget, forms.Select) else "input", label, bound)

    @property
    def multiple(self):
        return self.field.field.widget.allow_multiple_selected

    # An input is drawn from its bound field's attributes, as its widget's template would draw it, without
    # the form renderer: a template per input and per error list cost more than the rest of the form.

    @property
    def input_type(self):
        return self.field.field.widget.input_type

    @property
    def attrs(self):
        """The input's attributes after its name, in the order and form of Django's input templates: its
        value, its widget's attributes, the error's aria ones, its id."""
        bound = self.field
        widget = bound.field.widget
        extra = bound.build_widget_attrs({}, widget)
        if bound.auto_id and "id" not in widget.attrs:
            extra.setdefault("id", bound.auto_id)
        value = widget.format_value(bound.value())
        attrs = {**widget.attrs, **extra}  # as Widget.build_attrs merges them
        pairs = [("value", value), *attrs.items()] if value is not None else attrs.items()
        html = [f" {key}" if v is True else f' {key}="{conditional_escape(v)}"' for key, v in pairs if v is not False]
        return mark_safe("".join(html))

    @property
    def error_id(self):
        return f"{self.field.auto_id}_error"


class Filters(dict):
    """A FilterSet's declared filters, which each FilterSet copies for itself (its filters learn their
    FilterSet): a shallow copy of each is enough, as no filter changes its declaration, and deep-copying
    them all (their querysets and choices with them) cost more than the rest of the form."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, declared in self.items():
            own = copy.copy(declared)
            if declared.method is not None:
                own.method = declared.method  # the method filter then calls this copy's FilterSet
            copies[name] = own
        return copies


@dataclasses.dataclass
class FormLayout:
    """A filter form as one page shows it: its visible controls, then the filters it has no visible field for,
    as (name, value) pairs that travel along as hidden inputs."""

    controls: list[Control]
    hidden: list[tuple[str, str]]


class IncidentFilterSet(django_filters.FilterSet):
    # Declared in the order the form shows them. Each filter's widget says how the form shows it; a hidden one
    # has no visible field and travels along.
    q = django_filters.CharFilter(label=_("Search"), method="filter_search", max_length=200, widget=forms.SearchInput)
    sort = CaseSortFilter()
    # Only companies with a published case: a company known only from drafts must not be named in a chip.
    # No visible field (hundreds of companies): company pages link to it.
    company = SlugMultipleChoiceFilter(
        queryset=Company.objects.filter(Exists(Incident.objects.published().filter(company=OuterRef("pk")))),
        label=_("Company"),
        method="filter_company",
        widget=forms.MultipleHiddenInput,
    )
    sector = SlugMultipleChoiceFilter(
        queryset=Sector.objects.all(), label=_("Sector"), method="filter_sector", widget=forms.CheckboxSelectMultiple
    )
    harm = SlugMultipleChoiceFilter(
        queryset=HarmType.objects.all(), label=_("Harm"), method="filter_harm", widget=forms.CheckboxSelectMultiple
    )
    lesson = SlugMultipleChoiceFilter(
        queryset=Lesson.objects.all(), label=_("Lesson"), method="filter_lesson", widget=forms.MultipleHiddenInput
    )
    apology = django_filters.MultipleChoiceFilter(
        choices=[(q.slug, q.label) for q in ApologyQuality],
        label=_("Apology"),
        method="filter_apology",
        widget=forms.CheckboxSelectMultiple,
    )
    year_from = year_filter("gte", _("From year"))
    year_to = year_filter("lte", _("To year"))
    country = django_filters.CharFilter(
        label=_("Country (code)"),
        method="filter_country",
        max_length=2,
        min_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", _("Use a two-letter country code, e.g. FR."))],
        widget=forms.TextInput(attrs={"size": 3, "autocomplete": "off"}),
    )
    min_cost = IntegerFilter(
        field_name="headline_cost_eur",
        lookup_expr="gte",
        label=_("Bad buzz of at least (≈ EUR)"),
        min_value=0,
        max_value=10**15,
        widget=NumberBox(attrs=NUMERIC),
    )
    available_in = django_filters.ChoiceFilter(
        choices=Language.choices,
        label=_("Available in"),
        empty_label=_("Any language"),
        method="filter_available_in",
        widget=forms.Select,
    )
    updated_within = IntegerFilter(
        label=_("Updated within (days)"),
        method="filter_updated_within",
        min_value=1,
        max_value=36500,
        widget=forms.HiddenInput,
    )

    # Fields that read together share a fieldset: its legend, and each field's shorter label within it.
    fieldsets = ((_("When it happened"), {"year_from": _("From"), "year_to": _("to")}),)

    class Meta:
        model = Incident
        fields = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = Incident.objects.published()
        super().__init__(as_query(data), queryset, request=request, prefix=prefix)

    # Called while the class itself is built: no mutant can be switched on there (docs/testing.md).
    # pragma: no mutate start
    @classmethod
    def get_filters(cls):
        return Filters(super().get_filters())

    # pragma: no mutate end

    def get_form_class(self):
        """The form class, built once per set of filters: its fields depend on the declarations alone (each
        form deep-copies them), so building them afresh for every request cost a field per filter."""
        built = type(self).__dict__.get("_built_form")
        if built is None or built[0] is not self.base_filters:
            built = (self.base_filters, super().get_form_class())
            type(self)._built_form = built
        return built[1]

    @classproperty
    def filter_params(cls):
        """The parameters that narrow the list: every filter but the sort. Chips, facets, hidden fields, the
        insights and the cache keys read these."""
        return tuple(name for name, f in cls.base_filters.items() if not isinstance(f, django_filters.OrderingFilter))

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

    def filter_available_in(self, queryset, name, value):
        """Cases a reader of that language can read in it: written in it, or translated."""
        return queryset.filter(Q(language=value) | Q(translated=True)) if value else queryset

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
        # The first sort understood: "sort=," reaches here as empty names, which name no sort.
        key = next((name for name in chosen if name in SORTS or name == RELEVANCE), None)
        if key == RELEVANCE and not self.search_text:
            key = None
        if key is None:
            key = RELEVANCE if self.search_text else "newest"
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

    FACETED = ("sector", "harm", "apology")

    @property
    def summary_tells_facets(self):
        """Whether `facets_from_summary()` can tell: not with more than one harm chosen, as a case may have
        several of them and would be counted once per harm."""
        return len(self.cleaned.get("harm") or []) <= 1

    def facets_from_summary(self, summary):
        """`facets()` computed from `facet_summary()` (of the list without its sector, harm and apology
        filters), when `summary_tells_facets`."""
        chosen = {name: self.cleaned.get(name) or [] for name in self.FACETED}
        sectors = {sector.pk for sector in chosen["sector"]}
        levels = {APOLOGY_BY_SLUG[slug].value for slug in chosen["apology"] if slug in APOLOGY_BY_SLUG}
        harm = chosen["harm"][0].pk if chosen["harm"] else None
        by_case, by_harm = summary
        counts = {name: {} for name in self.FACETED}

        def add(name, key, n):
            counts[name][key] = counts[name].get(key, 0) + n

        # Each facet is counted on the list without its own filter: the rows the other two filters keep.
        for sector, level, n in by_case if harm is None else ():
            if not levels or level in levels:
                add("sector", sector, n)
            if not sectors or sector in sectors:
                add("apology", ApologyQuality(level).slug, n)
        for harm_id, sector, level, n in by_harm:
            if harm_id == harm:
                if not levels or level in levels:
                    add("sector", sector, n)
                if not sectors or sector in sectors:
                    add("apology", ApologyQuality(level).slug, n)
            if (not sectors or sector in sectors) and (not levels or level in levels):
                add("harm", harm_id, n)
        return {name: self.options(name, counts[name]) for name in self.FACETED}

    def facet_summary(self):
        """The list without its sector, harm and apology filters, counted in two queries by sector and apology
        level, and by harm, sector and apology level: every combination of those three filters (a harm at most)
        reads its facets from it, instead of three queries over the list for each (`facets_from_summary`)."""
        data = self.data.copy()
        for name in (*self.FACETED, "sort"):
            data.pop(name, None)
        base = type(self)(data, self.queryset).qs.order_by()
        by_case = base.values_list("company__sector", "apology_quality").annotate(n=Count("id")).order_by()
        through = Incident.harm_types.through
        by_harm = (
            through.objects.filter(incident__in=base.values("pk"))
            .values_list("harmtype", "incident__company__sector", "incident__apology_quality")
            .annotate(n=Count("incident"))
            .order_by()
        )
        return list(by_case), list(by_harm)

    def facets(self):
        """The options of the sector, harm and apology filters, each with the number of cases it would match
        given the other active filters (so that a reader can add a second sector).

        One aggregated query per facet, and one per list of catalogue options. The list page reads them from
        `facet_summary()` instead, kept per catalogue generation (`caching.lists.cached_facets`).
        """
        through = Incident.harm_types.through
        harms = through.objects.filter(incident__in=self.queryset_without("harm").values("pk"))
        levels = self.queryset_without("apology").values_list("apology_quality").annotate(n=Count("id")).order_by()
        counts = {
            "sector": self.queryset_without("sector").values_list("company__sector").annotate(n=Count("id")),
            "harm": harms.values_list("harmtype").annotate(n=Count("incident")),
            "apology": [(ApologyQuality(level).slug, n) for level, n in levels],
        }
        return {name: self.options(name, dict(rows)) for name, rows in counts.items()}

    # The form as a page shows it ---------------------------------------------------------------------

    def chosen(self, name):
        """The values a field shows as chosen: those the reader sent, or for the sort the one applied."""
        return [self.sort_key] if name == "sort" else self.data.getlist(name)

    def options(self, name, counts=None):
        """A choice field's options as the form lists them: value and label, and given `counts` (keyed by
        primary key for catalogue data, by value otherwise) the number of cases each would match."""
        options = []
        for value, label in self.form.fields[name].choices:  # catalogue data: one query
            if value == "" and isinstance(self.filters[name], django_filters.OrderingFilter):  # a sort always applies
                continue
            key = value.instance.pk if isinstance(value, ModelChoiceIteratorValue) else value
            count = None if counts is None else counts.get(key, 0)
            options.append({"value": str(value), "label": label, "count": count})
        if name == "sort" and not self.search_text:  # relevance is offered with a search only
            options = [option for option in options if option["value"] != RELEVANCE]
        return options

    def form_layout(self, shown=None, facets=None):
        """The filter form as a page shows it (templates/includes/_filter_form.html).

        `shown` names the fields the page shows, by default all of them; a field whose widget is hidden is
        never shown. The other filters the reader sent travel along as hidden inputs. `facets` (from
        `facets()`) give checkbox options their counts, and an option of catalogue data that would match no
        case is then left out unless chosen; without facets, a choice field lists all its choices.
        """
        facets = facets or {}
        fieldset_of = {name: (legend, label) for legend, labels in self.fieldsets for name, label in labels.items()}
        visible = [bound for bound in self.form.visible_fields() if shown is None or bound.name in shown]
        controls, fieldsets = [], {}
        for bound in visible:  # in the order the filters are declared
            if bound.name in fieldset_of:
                legend, label = fieldset_of[bound.name]
                if legend not in fieldsets:
                    fieldsets[legend] = Control("fieldset", legend)
                    controls.append(fieldsets[legend])
                fieldsets[legend].members.append(Control.of(bound, label))
                continue
            control = Control.of(bound, bound.label)
            if isinstance(bound.field, forms.ChoiceField):
                chosen = self.chosen(bound.name)
                listed = facets[bound.name] if bound.name in facets else self.options(bound.name)
                control.options = [{**option, "chosen": option["value"] in chosen} for option in listed]
                if control.kind == "checkboxes":  # seeded catalogue names are in the catalogue (`translated`)
                    names = _translated_names.setdefault(get_language(), {})
                    for option in control.options:
                        label = option["label"]
                        if label not in names:
                            names[label] = translated(label)
                        option["label"] = names[label]
                if isinstance(bound.field, forms.ModelChoiceField):
                    control.options = [o for o in control.options if o["count"] != 0 or o["chosen"]]
            controls.append(control)
        names = {bound.name for bound in visible}
        hidden = [
            (name, value) for name in self.filter_params if name not in names for value in self.data.getlist(name)
        ]
        return FormLayout(controls, hidden)


def active_filter_chips(filterset):
    """Each active filter value as (label, value text, querystring without it), for removable chips."""
    if not filterset.is_bound:
        return []
    filterset.is_valid()
    cleaned = filterset.form.cleaned_data
    chips = []
    for param in filterset.filter_params:
        raw_values = [v for v in filterset.data.getlist(param) if v != ""]
        if not raw_values or param in filterset.form.errors:
            continue
        field = filterset.form.fields[param]
        if isinstance(field, forms.ModelChoiceField):
            # Seeded sector, harm and lesson names are in the catalogue (the `translated` filter).
            names = {str(field.prepare_value(item)): gettext(str(item)) for item in cleaned.get(param) or []}
        else:
            names = {str(value): label for value, label in getattr(field, "choices", ())}
        for raw in raw_values:
            remaining = filterset.data.copy()
            remaining.setlist(param, [v for v in raw_values if v != raw])
            remaining.pop("page", None)
            chips.append({"label": field.label, "value": names.get(raw, raw), "query": remaining.urlencode()})
    return chips
