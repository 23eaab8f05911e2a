"""The editors' admin: the catalogue, an editorial workflow enforced on the server, and history they can use.

Editors write and submit for review; chief editors (`incidents.publish_incident`, `incidents.merge_incident`)
publish, unpublish, retract and merge. Every refusal is checked here, on the server, not only hidden.

Texts are written in English and French (incidents/translation.py): modeltranslation's admin gives each text one
field per language, shown side by side. A case's texts in its original language are required as a single text
was; the other language is optional, and the case's page and the publish action say what it still lacks.
"""

import copy
import dataclasses
import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, models, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet, construct_instance
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, capfirst
from django.utils.translation import get_language, gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from incidents import search, services, tips, versions, workflow
from incidents.caching import generation
from incidents.forms import (
    ImageFormSet,
    IncidentAdminForm,
    IncidentImageForm,
    MergeForm,
    OrderedSourceFormSet,
    PositionedFormSet,
    RetractForm,
    TipConvertForm,
)
from incidents.models import (
    LANGUAGE_CODES,
    MAIN_TEXTS,
    Company,
    CompanyAlias,
    Correction,
    CostEstimate,
    HarmType,
    Incident,
    IncidentImage,
    Language,
    Lesson,
    Promise,
    RightOfReply,
    Sector,
    Source,
    Status,
    TimelineEvent,
    Tip,
    in_each_language,
)
from incidents.text import date_format

admin.site.site_header = _("Sévices clients: editors")
admin.site.site_title = _("Sévices clients")
admin.site.index_title = _("Catalogue")


# Texts in two languages --------------------------------------------------------------------------------------


def both(name):
    """The fields of text `name` in each language, as one line of a fieldset: side by side."""
    return in_each_language(name)


def editor_language():
    """The language of the admin's interface, one of the texts' languages."""
    language = (get_language() or "")[:2]
    return language if language in LANGUAGE_CODES else LANGUAGE_CODES[0]


def required_in(language):
    return ValidationError(
        _("Required in the case's original language (%(language)s)."),
        code="required",
        params={"language": Language(language).label},
    )


def kept_forms(formset):
    """The forms of an inline formset that will exist after saving (filled in, not marked for deletion)."""
    for form in formset.forms:
        if getattr(form, "cleaned_data", None) and not (formset.can_delete and formset._should_delete_form(form)):
            yield form


class LanguageColumns:
    """modeltranslation's admin for models with texts in each language: a text's English and French fields sit
    side by side (static/css/admin.css), labelled "Title (French)". No language is required as such: a case's
    texts are required in its own original language, which its forms check."""

    class Media:
        css = {"all": ["css/admin.css"]}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and hasattr(db_field, "translated_field"):
            formfield.required = False  # modeltranslation would require the default language's
            formfield.label = capfirst(versions.field_label(db_field))
        return formfield


class OriginalLanguageRows:
    """A formset of a case's rows: a text a row requires (an event's description, a correction's note) is
    required in the case's original language, the other language being optional."""

    def clean(self):
        super().clean()
        language = self.instance.language
        required = [
            name for name in versions.translated_texts(self.model) if not self.model._meta.get_field(name).blank
        ]
        for form in kept_forms(self):
            for name in required:
                column = f"{name}_{language}"
                if column in form.fields and not (form.cleaned_data.get(column) or "").strip():
                    form.add_error(column, required_in(language))


class TimelineRows(OriginalLanguageRows, PositionedFormSet):
    pass


class CorrectionRows(OriginalLanguageRows, BaseInlineFormSet):
    pass


class ImageRows(ImageFormSet):
    """The images of a case: once it is published, each needs its alt text in the case's original language."""

    def clean(self):
        super(ImageFormSet, self).clean()  # ImageFormSet's own check reads a single alt text
        if self.instance.status != Status.PUBLISHED:
            return
        column = f"alt_text_{self.instance.language}"
        for form in kept_forms(self):
            if not (form.cleaned_data.get(column) or "").strip():
                form.add_error(column, workflow.missing_message([_("alt text for every image")]))


class IncidentForm(IncidentAdminForm):
    """The case form, each text with a field per language.

    The rules of IncidentAdminForm, with the texts read in the case's original language (the one posted): its
    title and summary are required in it, publishing needs what `Incident.missing_fields_for_publication()`
    names in it, a retraction its reason in it. The other language is optional.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        original = self.initial.get("language") or self.instance.language
        for name in versions.translated_texts(Incident):
            field = self.fields.get(f"{name}_{original}")
            if field is not None:
                field.label = gettext("%(label)s, original") % {"label": field.label}

    def check_texts(self, cleaned):
        language = cleaned.get("language") or self.instance.language
        for name in ("title", "summary"):
            column = f"{name}_{language}"
            if column in self.fields and column not in self.errors and not (cleaned.get(column) or "").strip():
                self.add_error(column, required_in(language))

    def publication_probe(self, cleaned):
        return construct_instance(self, copy.copy(self.instance), self._meta.fields, self._meta.exclude)

    def retraction_column(self, cleaned):
        return f"retraction_reason_{cleaned.get('language') or self.instance.language}"


def admin_form(form, fieldsets, model_admin):
    """`form` laid out as the admin lays out its own forms (admin/includes/fieldset.html): labels, help texts and
    errors in the admin's rows, checkbox lists as the admin shows its radio lists."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxSelectMultiple):
            field.widget.attrs["class"] = "radiolist"
    return helpers.AdminForm(form, fieldsets, {}, model_admin=model_admin)


def searched_text(search_term):
    """What a search box held, trimmed; a NUL byte (which PostgreSQL refuses in a query) is dropped."""
    return (search_term or "").replace("\x00", "").strip()


# A list or search with more cases than this is counted by the database's estimate ("about 62,000 cases"), and a
# search matching more is listed newest first rather than ranked: ranking reads every match's index entry.
EXACT_UP_TO = 2000


def at_most(queryset, limit):
    """How many rows `queryset` has, counting no further than `limit` + 1: cheap however large the table."""
    return queryset.order_by().values("pk")[: limit + 1].count()


def estimated_count(queryset):
    """PostgreSQL's planner estimate of the rows of `queryset` (from the table's statistics), or None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


class CasePaginator(Paginator):
    """Counts exactly up to EXACT_UP_TO cases, and beyond that takes the database's estimate (`estimated` is then
    true, and the list says "about"): a count of 100,000 rows on every page of the list would cost more than the
    page itself. The pages are the same slices; only the number of the last one may be approximate."""

    estimated = False
    counted = None  # at_most(object_list, EXACT_UP_TO) when the search already counted it

    @cached_property
    def count(self):
        counted = self.counted if self.counted is not None else at_most(self.object_list, EXACT_UP_TO)
        if counted <= EXACT_UP_TO:
            return counted
        estimate = estimated_count(self.object_list)
        if estimate is None:
            return self.object_list.count()
        self.estimated = True
        return max(estimate, counted)


class OccurredYearFilter(admin.SimpleListFilter):
    """The year a case happened in. Its list of years is read once per catalogue generation, not for every page
    of the list (Django's date hierarchy read it from every case matching the list's search, each time)."""

    title = _("year it happened")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = generation.cached(
            "admin",
            "case-years",
            lambda: [day.year for day in Incident.objects.dates("occurred_on", "year", order="DESC")],
        )
        return [(str(year), str(year)) for year in years]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit() and len(value) == 4:
            return queryset.filter(occurred_on__year=int(value))
        return queryset


class CaseChangeList(ChangeList):
    """The list of cases reads the columns it shows, not a case's long texts and search documents (a case's
    story can run to pages); the actions and the filters work on the whole rows as before."""

    def get_results(self, request):
        long_columns = [
            f.attname
            for f in Incident._meta.concrete_fields
            if isinstance(f, models.TextField | SearchVectorField) and f.attname != "title"
        ]
        self.queryset = self.queryset.defer(*long_columns)
        super().get_results(request)
        self.estimated_count = getattr(self.paginator, "estimated", False)
        self.estimated_count_text = rounded_count(self.result_count) if self.estimated_count else ""


def rounded_count(number):
    """An estimate as it is said: two significant figures, grouped as the admin's language groups them
    ("62,000", in French "62 000" with a narrow no-break space)."""
    digits = len(str(number))
    rounded = round(number, 2 - digits) if digits > 2 else number
    return f"{rounded:,}".replace(",", "\u202f" if editor_language() == "fr" else ",")


def searched_number(search_term):
    """The case number in a search for a reference (SC-0042) or a bare number (42), if it is one."""
    term = search_term.strip().upper().removeprefix("SC-")
    return int(term) if term.isdigit() else None


def available_in(language):
    """Cases that can be read in `language`: their main texts exist in it (Incident.available_in())."""
    condition = Q()
    for name in MAIN_TEXTS:
        condition &= Q(**{f"{name}_{language}__isnull": False}) & ~Q(**{f"{name}_{language}": ""})
    return condition


class TranslationFilter(admin.SimpleListFilter):
    title = _("translation")
    parameter_name = "translation"

    missing = {"missing_fr": "fr", "missing_en": "en"}

    def lookups(self, request, model_admin):
        return [("missing_fr", _("Missing French")), ("missing_en", _("Missing English")), ("both", _("In both"))]

    def queryset(self, request, queryset):
        if self.value() == "both":
            return queryset.filter(available_in("en") & available_in("fr"))
        if self.value() in self.missing:
            return queryset.filter(lacks(self.missing[self.value()]))
        return queryset


def lacks(language):
    """Cases that cannot be read in `language`: a main text is missing there (the opposite of `available_in`)."""
    condition = Q()
    for name in MAIN_TEXTS:
        condition |= Q(**{f"{name}_{language}__isnull": True}) | Q(**{f"{name}_{language}": ""})
    return condition


def needs_translation():
    """How many cases cannot yet be read in each language, and in all: the count shown above the list.

    Computed once per catalogue generation (every edit starts a new one): the texts it reads are the longest
    columns of the table. Only cases not marked `translated` (saved in both languages) are read.
    """

    def count():
        return Incident.objects.filter(translated=False).aggregate(
            total=Count("pk"),
            missing_fr=Count("pk", filter=lacks("fr")),
            missing_en=Count("pk", filter=lacks("en")),
        )

    return generation.cached("admin", "needs-translation", count)


class LanguageChanges(HistoricalRecordContextHelper):
    """The history list's "What changed", each text named with its language. The column without a language,
    which holds whichever one was active at the save, is left out, and so is a text never written (None) that a
    save left empty ("")."""

    def context_for_delta_changes(self, delta):
        language_free = versions.translated_texts(self.model)
        changes = [c for c in delta.changes if c.field not in language_free and not versions.same(c.old, c.new)]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=changes))

    def format_delta_change(self, change):
        formatted = super().format_delta_change(change)
        return dataclasses.replace(
            formatted, field=capfirst(versions.field_label(self.model._meta.get_field(change.field)))
        )


@admin.register(Sector)
class SectorAdmin(LanguageColumns, TranslationAdmin):
    list_display = ["name", "slug", "company_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", both("description"), both("recourse")]

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering: order again, or paginated lists (autocomplete) come unordered.
        return super().get_queryset(request).annotate(n_companies=Count("companies")).order_by("name")

    @admin.display(description=_("companies"), ordering="n_companies")
    def company_count(self, obj):
        return obj.n_companies


class CompanyAliasInline(admin.TabularInline):
    model = CompanyAlias
    extra = 1


@admin.register(Company)
class CompanyAdmin(LanguageColumns, TranslationAdmin):
    list_display = ["name", "sector", "country", "case_count"]
    fields = ["name", "slug", "sector", "country", "website", both("description"), "logo"]
    list_filter = ["sector", "country"]
    search_fields = ["name", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["sector"]
    inlines = [CompanyAliasInline]
    show_facets = admin.ShowFacets.ALLOW  # each count reads every case: on demand ("Show counts")
    show_full_result_count = False

    def get_queryset(self, request):
        # Each company's count of cases, computed for the rows shown (a join grouped over every case would count
        # them all for each page of the list and each filter's choices).
        cases = Incident.objects.filter(company=OuterRef("pk")).order_by().values("company")
        n_cases = Coalesce(Subquery(cases.annotate(n=Count("pk")).values("n")), 0)
        return super().get_queryset(request).select_related("sector").annotate(n_cases=n_cases).order_by("name")

    @admin.display(description=_("cases"), ordering="n_cases")
    def case_count(self, obj):
        return obj.n_cases


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "position", "slug"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title"]


@admin.register(HarmType)
class HarmTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


# A row's source: one of the case's sources, named by its address ------------------------------------------------


def source_reference(source):
    """How a source is named in a row's "source" field: its address, or its title when it has none (print)."""
    return source.url or source.title


def _same_reference(reference, url, title):
    reference = reference.strip()
    if url and (url.strip() == reference or url.strip().rstrip("/") == reference.rstrip("/")):
        return True
    if url and "://" not in reference and url.strip().rstrip("/") == f"https://{reference}".rstrip("/"):
        return True  # typed without https://, as the source's own field accepts it
    return bool(title) and title.strip().casefold() == reference.casefold()


def posted_sources(data, prefix="sources"):
    """The source rows of the case form as posted: (address, title, id or None, being removed) of each."""
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS") or 0), 1000)
    except ValueError:
        return []
    rows = []
    for index in range(total):
        row = f"{prefix}-{index}-"
        url, title = (data.get(f"{row}url") or "").strip(), (data.get(f"{row}title") or "").strip()
        if url or title:
            rows.append((url, title, data.get(f"{row}id") or None, bool(data.get(f"{row}DELETE"))))
    return rows


class SourceReferenceWidget(forms.TextInput):
    """A text field with a menu of the case's sources (a <datalist>): pick one, or type the address of a source
    added in the same form."""

    def __init__(self, options=(), attrs=None):
        super().__init__(attrs={"class": "vTextField source-reference", **(attrs or {})})
        self.options = list(options)

    def render(self, name, value, attrs=None, renderer=None):
        menu = f"{(attrs or {}).get('id') or name}_sources"
        field = super().render(name, value, {**(attrs or {}), "list": menu}, renderer)
        options = format_html_join("", '<option value="{}">{}</option>', self.options)
        return format_html('{}<datalist id="{}">{}</datalist>', field, menu, options)


class SourceReferenceField(forms.CharField):
    def __init__(self, sources, **kwargs):
        options = [(source_reference(source), str(source)) for source in sources]
        kwargs.setdefault("widget", SourceReferenceWidget(options))
        super().__init__(max_length=500, required=False, **kwargs)


class SourcedRowForm(forms.ModelForm):
    """A cost, a right of reply or a promise, whose source is one of its case's sources, named by its address (or
    title): one already saved, or one added in the same form, even on a case not saved yet. The row is saved after
    the sources (SourceInline comes first), and then points to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending_source = None
        if "source" in self.fields and self.instance.source_id:
            self.initial["source"] = source_reference(self.instance.source)

    def clean_source(self):
        reference = (self.cleaned_data.get("source") or "").strip()
        if not reference:
            return None
        posted = posted_sources(self.data)
        removed = {pk for _url, _title, pk, deleting in posted if pk and deleting}
        case_id = self.instance.incident_id
        if case_id:
            for source in Source.objects.filter(incident_id=case_id).exclude(pk__in=removed):
                if _same_reference(reference, source.url, source.title):
                    return source
        for url, title, pk, deleting in posted:
            if not pk and not deleting and _same_reference(reference, url, title):
                self.pending_source = reference  # added in this form: found once it is saved
                return None
        if any(_same_reference(reference, url, title) for url, title, _pk, deleting in posted if deleting):
            raise ValidationError(_("That source is being removed from the case: choose another."), code="removed")
        raise ValidationError(
            _("No source of this case has that address or title: add it under Sources, or pick one from the list."),
            code="unknown_source",
        )

    def save(self, commit=True):
        if self.pending_source:
            case_sources = Source.objects.filter(incident_id=self.instance.incident_id)
            self.instance.source = next(
                (s for s in case_sources if _same_reference(self.pending_source, s.url, s.title)), None
            )
        return super().save(commit=commit)


class SourceOfTheCase:
    """A `source` field naming one of the sources of the case being edited (SourcedRowForm)."""

    form = SourcedRowForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Here rather than in formfield_for_foreignkey: the admin would wrap the field in its links to a source's
        # own page, which is read-only (a source is edited on its case).
        if db_field.name == "source":
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            sources = Source.objects.filter(incident_id=object_id) if object_id else Source.objects.none()
            return SourceReferenceField(
                sources,
                label=capfirst(db_field.verbose_name),
                help_text=_(
                    "The address (or, for print, the title) of one of the case's sources: pick it from the list, "
                    "or paste the address of a source you add under Sources in this same form."
                ),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class CostEstimateInline(SourceOfTheCase, LanguageColumns, TranslationStackedInline):
    # Stacked: with two languages of "claimed by" and of the note, a table row no longer fits a screen.
    model = CostEstimate
    formset = PositionedFormSet
    extra = 0
    fields = [
        ("kind", "method"),
        ("amount_low", "amount_high", "currency"),
        both("claimed_by"),
        "source",
        both("note"),
        "position",
    ]


class SourceInline(admin.StackedInline):
    model = Source
    formset = OrderedSourceFormSet
    extra = 0
    fields = [("kind", "language", "position"), "title", ("publisher", "published_on"), "url", "archive_url"]


class TimelineEventInline(LanguageColumns, TranslationStackedInline):
    # Stacked, like the costs: an event's two descriptions side by side, each as wide as half the page.
    model = TimelineEvent
    formset = TimelineRows
    extra = 0
    fields = [("date", "precision"), both("description"), ("channel", "is_turning_point", "position")]
    formfield_overrides = {models.CharField: {"widget": forms.Textarea(attrs={"rows": 2})}}  # up to 500 characters


class IncidentImageInline(LanguageColumns, TranslationStackedInline):
    model = IncidentImage
    form = IncidentImageForm
    formset = ImageRows
    extra = 0
    fields = ["preview", "image", both("alt_text"), both("caption"), "credit", "position"]
    readonly_fields = ["preview"]

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if not obj or not obj.pk or not obj.image:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="240" loading="lazy"> <span>{} × {} px</span>',
            obj.src,
            obj.alt_text,
            obj.width or "?",
            obj.height or "?",
        )


class CorrectionInline(LanguageColumns, TranslationTabularInline):
    model = Correction
    formset = CorrectionRows
    extra = 0


class RightOfReplyInline(SourceOfTheCase, LanguageColumns, TranslationStackedInline):
    """Whether the company was asked for comment, and its answer (one per case)."""

    model = RightOfReply
    extra = 0
    max_num = 1
    fields = [("requested_on", "requested_by", "channel"), ("status", "replied_on", "source"), both("text")]


class PromiseInline(SourceOfTheCase, LanguageColumns, TranslationStackedInline):
    """What the company promised in the case, and whether it was kept."""

    model = Promise
    extra = 0
    fields = [both("text"), ("made_on", "outcome", "checked_on"), ("source", "position")]


class HasSourceFilter(admin.SimpleListFilter):
    title = _("sources")
    parameter_name = "has_source"

    def lookups(self, request, model_admin):
        return [("yes", _("Has a source")), ("no", _("Has no source"))]

    def queryset(self, request, queryset):
        has_source = Exists(Source.objects.filter(incident=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(has_source)
        if self.value() == "no":
            return queryset.filter(~has_source)
        return queryset


@admin.register(Incident)
class IncidentAdmin(LanguageColumns, TranslationAdmin, SimpleHistoryAdmin):
    form = IncidentForm
    list_display = [
        "reference_display",
        "title",
        "translated",
        "status",
        "company",
        "occurred",
        "apology_quality",
        "headline_cost",
        "sourced",
        "updated_at",
    ]
    list_display_links = ["reference_display", "title"]
    list_filter = [
        "status",
        "company__sector",
        "apology_quality",
        HasSourceFilter,
        "harm_types",
        "language",
        TranslationFilter,
        OccurredYearFilter,
        "featured",
    ]
    list_select_related = ["company"]
    search_fields = ["=id", *both("title"), "slug", "company__name", "company__aliases__name", *both("summary")]
    search_help_text = _(
        "Search as on the site, in the language of this page: words of the title, texts, company or alias, "
        "accents and endings ignored; or a number (42 or SC-0042), that case first."
    )
    # At 100,000 cases: the counts beside each filter cost a query over the whole table each ("Show counts" gives
    # them), and the count of all cases beside a filtered one is left out.
    show_facets = admin.ShowFacets.ALLOW
    show_full_result_count = False
    # Newest first, by number: the primary key's index answers at once, with or without a filter.
    ordering = ["-id"]
    # Menus that search as one types: a harm or theme list shown whole (filter_horizontal) took 600 px.
    autocomplete_fields = ["company", "harm_types", "lessons"]
    prepopulated_fields = {"slug": ["title"]}
    paginator = CasePaginator
    readonly_fields = ["created_at", "updated_at", "published_at", "retracted_at", "merged_into"]
    # Sources first: a cost, a reply or a promise saved after them can name a source added in the same form.
    inlines = [
        SourceInline,
        CostEstimateInline,
        TimelineEventInline,
        IncidentImageInline,
        CorrectionInline,
        RightOfReplyInline,
        PromiseInline,
    ]
    actions = ["submit_for_review", "publish", "unpublish", "retract", "merge", "delete_selected"]
    list_per_page = 50
    save_on_top = True
    change_form_template = "admin/incidents/incident/change_form.html"
    change_list_template = "admin/incidents/incident/change_list.html"
    object_history_template = "admin/incidents/incident/object_history.html"
    object_history_list_template = "admin/incidents/incident/object_history_list.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "language",
                    both("title"),
                    "slug",
                    "status",
                    "featured",
                    "company",
                    both("summary"),
                    both("story"),
                    both("lesson"),
                ]
            },
        ),
        (_("Classification"), {"fields": ["harm_types", "lessons", "country", "customers_affected"]}),
        (
            _("Dates"),
            {
                "fields": [
                    ("occurred_on", "occurred_precision"),
                    ("first_response_on", "first_response_precision"),
                    ("resolved_on", "resolved_precision"),
                ]
            },
        ),
        (
            _("The company's response"),
            {"fields": ["apology_quality", both("apology_text"), both("response"), both("corrective_actions")]},
        ),
        (
            _("Retraction and merging"),
            {"classes": ["collapse"], "fields": [both("retraction_reason"), "retracted_at", "merged_into"]},
        ),
        (_("Record"), {"classes": ["collapse"], "fields": ["created_at", "published_at", "updated_at"]}),
    ]

    # How tall each text's box is, in lines: the story is long, a summary or a lesson is a paragraph.
    TEXT_ROWS = {"summary": 3, "story": 12, "lesson": 3, "apology_text": 3, "response": 5, "corrective_actions": 5}
    # Rows of a case that a new case rarely has: folded on the add page too.
    FOLDED_ON_A_NEW_CASE = {"corrections", "reply", "promises"}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        original = getattr(db_field, "translated_field", db_field)
        if formfield is not None and original.name in self.TEXT_ROWS:
            formfield.widget.attrs["rows"] = self.TEXT_ROWS[original.name]
        return formfield

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        """A case's rows are folded under their heading, with their count ("Sources (12)"), so that its change
        page fits a few screens; an editor opens the part they work on. A part with an error stays open."""
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in inline_formsets:
            inline, prefix = inline_formset.opts, inline_formset.formset.prefix
            rows = inline_formset.formset.initial_form_count()
            if obj is not None or prefix in self.FOLDED_ON_A_NEW_CASE:
                inline_formset.classes = " ".join([inline_formset.classes, "collapse"]).strip()
            if rows and inline.max_num != 1:
                inline.verbose_name_plural = f"{capfirst(inline.verbose_name_plural)} ({rows})"
        return inline_formsets

    # Permissions ------------------------------------------------------------------------------------

    def has_publish_permission(self, request, obj=None):
        return workflow.can_publish(request.user)

    def has_merge_permission(self, request, obj=None):
        return workflow.can_merge(request.user) and self.has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        """Only drafts can be deleted; a published case is retracted instead."""
        if obj is not None and obj.status != Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not workflow.can_publish(request.user):
            fields.append("featured")
            if obj is not None and obj.status not in (Status.DRAFT, Status.REVIEW):
                fields.append("status")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_changeform_initial_data(self, request):
        # A new case starts in the language the editor works in: the one they are likely to write it in.
        return {"language": editor_language(), **super().get_changeform_initial_data(request)}

    def get_prepopulated_fields(self, request, obj=None):
        # The slug follows the title in that language, the first one written.
        return {"slug": [f"title_{editor_language()}"]}

    def get_historical_record_context_helper(self, request, historical_record):
        return LanguageChanges(self.model, historical_record)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """The history's "What changed": the case's fields (simple-history's delta) and its rows."""
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        records = list(historical_records)
        changes = versions.row_changes(records)
        for record in records:
            record.history_row_changes = changes[record.history_id]

    # The list --------------------------------------------------------------------------------------

    def get_queryset(self, request):
        # 1 or 0. A scalar subquery rather than EXISTS: PostgreSQL turns an EXISTS in the select list into a hash
        # of every source (200,000 at 100,000 cases) built for a page of 50 cases.
        one_source = Source.objects.filter(incident=OuterRef("pk")).order_by().annotate(one=Value(1)).values("one")
        return (
            super()
            .get_queryset(request)
            .select_related("company")
            .annotate(has_source=Coalesce(Subquery(one_source[:1]), 0))
        )

    def get_changelist(self, request, **kwargs):
        return CaseChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        paginator.counted = getattr(request, "case_search_counted", None)  # the search's count, already made
        return paginator

    def get_search_results(self, request, queryset, search_term):
        """The site's search (incidents/search.py: its index, its stemming, accents ignored) in the language of the
        admin's page, the best match first unless a column is sorted. A number or a reference (42, SC-0042) finds
        that case, first, then the cases that mention the number. A word most cases contain ("refund" among
        100,000) lists them newest first: ranking them would read every match."""
        if getattr(request.resolver_match, "url_name", None) == "autocomplete":
            # A menu that completes what is being typed ("refu" for "Refund..."): words cut short match there,
            # which a full-text search does not do.
            return super().get_search_results(request, queryset, search_term)
        term = searched_text(search_term)
        if not term:
            return queryset, False
        language = editor_language()
        number = searched_number(term)
        if number is None:
            found = search.matching(queryset, term, language)
            request.case_search_counted = at_most(found, EXACT_UP_TO)
            first = F("rank").desc() if request.case_search_counted <= EXACT_UP_TO else None
        else:
            # One condition the database answers from two indexes (the primary key's, the search's), not a scan.
            found = queryset.filter(pk=number) | search.matching(queryset, str(number), language)
            found = found.alias(searched=Case(When(pk=number, then=Value(1)), default=Value(0)))
            first = F("searched").desc()
        if first is not None and not request.GET.get(ORDER_VAR):
            found = found.order_by(first, *queryset.query.order_by)  # the list's order breaks ties
        return found, False

    @admin.display(description=_("reference"), ordering="id")
    def reference_display(self, obj):
        return obj.reference

    # Sorted newest first with the missing dates last, as the table's indexes are (migration 0006).
    @admin.display(
        description=Incident._meta.get_field("occurred_on").verbose_name,
        ordering=F("occurred_on").asc(nulls_first=True),
    )
    def occurred(self, obj):
        return obj.occurred_text or "—"

    @admin.display(description=_("bad buzz (≈ EUR)"), ordering=F("headline_cost_eur").asc(nulls_first=True))
    def headline_cost(self, obj):
        if obj.headline_cost_eur is None:
            return "—"
        return format_html("≈ {} €", f"{obj.headline_cost_eur:,.0f}".replace(",", "\u202f"))

    @admin.display(description=_("sourced"), boolean=True, ordering="has_source")
    def sourced(self, obj):
        return bool(getattr(obj, "has_source", 0))

    # Saving: workflow rules and one history record per save ----------------------------------------

    def changelist_view(self, request, extra_context=None):
        extra = {"needs_translation": needs_translation()}
        return super().changelist_view(request, extra_context={**extra, **(extra_context or {})})

    def save_model(self, request, obj, form, change):
        old_status = Incident.objects.filter(pk=obj.pk).values_list("status", flat=True).first() if change else None
        obj._published_now = obj.status == Status.PUBLISHED and old_status != Status.PUBLISHED
        try:
            workflow.check_status_change(request.user, old_status, obj.status)
        except workflow.WorkflowError as error:
            raise PermissionDenied(str(error)) from error
        if obj.status != Status.MERGED:
            obj.merged_into = None
        if obj.status != Status.RETRACTED:
            obj.retracted_at = None
        if old_status != obj.status:
            obj._change_reason = str(_("Status: %(status)s")) % {"status": obj.get_status_display()}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Harm types and themes are saved after the case: the history record is completed afterwards
        # (finish_history_record) instead of writing one record per m2m signal.
        form.instance.skip_history_when_saving = True
        try:
            super().save_related(request, form, formsets, change)
        finally:
            del form.instance.skip_history_when_saving
        record = versions.finish_history_record(form.instance)
        if record is not None and not record.history_change_reason and not form.changed_data:
            # A save that only changed rows (an image added) says so, as a save that changed the status does.
            reason = versions.row_change_reason(versions.row_changes([record])[record.history_id])
            if reason:
                record.history_change_reason = reason
                record.save(update_fields=["history_change_reason"])
        if getattr(form.instance, "_published_now", False):
            # Published with a language missing: allowed, and said (its inlines are saved by now).
            warnings = workflow.translation_warnings(form.instance) + workflow.fairness_warnings(form.instance)
            self._warn(request, form.instance, warnings)

    def _warn(self, request, incident, warnings):
        for warning in warnings:
            self.message_user(request, f"{incident.reference}: {warning}", messages.WARNING)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            inline_form.instance._history_user = request.user
            if formset.can_delete and formset._should_delete_form(inline_form):
                # Told apart from the rows deleted with their case, which a restore brings back.
                inline_form.instance._change_reason = versions.REMOVED_REASON
        super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        try:
            workflow.delete_case(obj, request.user)
        except workflow.WorkflowError as error:
            raise PermissionDenied(str(error)) from error

    def delete_queryset(self, request, queryset):
        # One by one, so that each case and its rows leave a deletion record in the history.
        for obj in queryset:
            self.delete_model(request, obj)

    # Actions ---------------------------------------------------------------------------------------

    def _run(self, request, queryset, step, done_message):
        """Apply `step` to each case; it may return warnings (what a published case lacks in a language)."""
        done, refused, warned = 0, [], []
        with transaction.atomic():
            for incident in queryset.select_related("company"):
                try:
                    warnings = step(incident, request.user)
                except workflow.WorkflowError as error:
                    refused.append(f"{incident.reference}: {error}")
                    continue
                done += 1
                warned.append((incident, warnings or []))
        if done:
            self.message_user(request, done_message % done, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)
        for incident, warnings in warned:
            self._warn(request, incident, warnings)

    @admin.action(description=_("Submit the selected drafts for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._run(
            request,
            queryset,
            workflow.submit_for_review,
            ngettext_lazy("%d case submitted for review.", "%d cases submitted for review."),
        )

    @admin.action(description=_("Publish the selected cases"), permissions=["publish"])
    def publish(self, request, queryset):
        self._run(request, queryset, workflow.publish, ngettext_lazy("%d case published.", "%d cases published."))

    @admin.action(description=_("Unpublish the selected cases (back to draft)"), permissions=["publish"])
    def unpublish(self, request, queryset):
        self._run(request, queryset, workflow.unpublish, ngettext_lazy("%d case unpublished.", "%d cases unpublished."))

    def _one_selected(self, request, queryset, url_name):
        if queryset.count() != 1:
            self.message_user(request, gettext("Select exactly one case."), messages.WARNING)
            return None
        return HttpResponseRedirect(reverse(f"admin:incidents_incident_{url_name}", args=[queryset.get().pk]))

    @admin.action(description=_("Retract the selected case…"), permissions=["publish"])
    def retract(self, request, queryset):
        return self._one_selected(request, queryset, "retract")

    @admin.action(description=_("Merge the selected case into another…"), permissions=["merge"])
    def merge(self, request, queryset):
        return self._one_selected(request, queryset, "merge")

    @admin.action(description=_("Delete the selected drafts"), permissions=["delete"])
    def delete_selected(self, request, queryset):
        not_drafts = [case.reference for case in queryset.exclude(status=Status.DRAFT)]
        if not_drafts:
            self.message_user(
                request,
                gettext("Only drafts can be deleted; retract a published case instead. Not deleted: %(refs)s.")
                % {"refs": ", ".join(not_drafts)},
                messages.ERROR,
            )
            return None
        return django_delete_selected(self, request, queryset)

    # Extra views -----------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("deleted/", view(self.deleted_view), name="incidents_incident_deleted"),
            path(
                "deleted/<int:history_id>/restore/",
                view(self.restore_deleted_view),
                name="incidents_incident_restore_deleted",
            ),
            path("<path:object_id>/retract/", view(self.retract_view), name="incidents_incident_retract"),
            path("<path:object_id>/merge/", view(self.merge_view), name="incidents_incident_merge"),
            path("<path:object_id>/history/compare/", view(self.compare_view), name="incidents_incident_compare"),
            path(
                "<path:object_id>/history/<int:history_id>/restore/",
                view(self.restore_version_view),
                name="incidents_incident_restore_version",
            ),
            *super().get_urls(),
        ]

    def _get_case(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(gettext("No case with that number."))
        return obj

    def _render(self, request, template, obj, title, **extra):
        """One of the case's own admin pages (templates/admin/incidents/incident/<template>)."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "object": obj,
            "title": title,
            "has_view_permission": self.has_view_permission(request, obj),
            **extra,
        }
        return TemplateResponse(request, f"admin/incidents/incident/{template}", context)

    def _case_url(self, obj):
        return reverse("admin:incidents_incident_change", args=[obj.pk])

    def retract_view(self, request, object_id):
        obj = self._get_case(request, object_id)
        if not (self.has_publish_permission(request) and self.has_change_permission(request, obj)):
            raise PermissionDenied
        form = RetractForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                workflow.retract(obj, request.user, form.cleaned_data["reason"])
            except workflow.WorkflowError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, gettext("%(ref)s is retracted.") % {"ref": obj.reference}, messages.SUCCESS)
                return HttpResponseRedirect(self._case_url(obj))
        title = gettext("Retract %(ref)s") % {"ref": obj.reference}
        return self._render(request, "retract.html", obj, title, form=form)

    def merge_view(self, request, object_id):
        obj = self._get_case(request, object_id)
        if not self.has_merge_permission(request, obj):
            raise PermissionDenied
        if request.method == "POST":
            form = MergeForm(request.POST, case=obj)
        else:
            form = MergeForm(
                case=obj,
                initial={"sources": obj.sources.all(), "timeline": obj.timeline.all(), "costs": obj.costs.all()},
            )
        confirming = False
        if request.method == "POST" and form.is_valid():
            if form.cleaned_data["confirmed"]:
                target = form.cleaned_data["target"]
                try:
                    workflow.merge(
                        obj,
                        target,
                        request.user,
                        sources=form.cleaned_data["sources"],
                        timeline=form.cleaned_data["timeline"],
                        costs=form.cleaned_data["costs"],
                    )
                except workflow.WorkflowError as error:
                    form.add_error(None, str(error))
                else:
                    self.message_user(
                        request,
                        gettext("%(ref)s is merged into %(target)s; its address now leads there.")
                        % {"ref": obj.reference, "target": target.reference},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._case_url(target))
            else:
                confirming = True
                form.data = form.data.copy()
                form.data["confirmed"] = "on"
        title = gettext("Merge %(ref)s into another case") % {"ref": obj.reference}
        fieldsets = [
            (None, {"fields": ["target", "confirmed"]}),
            (_("Rows that move to the case that stays"), {"fields": ["sources", "timeline", "costs"]}),
        ]
        return self._render(
            request,
            "merge.html",
            obj,
            title,
            form=form,
            adminform=admin_form(form, fieldsets, self),
            confirming=confirming,
        )

    def _versions(self, obj):
        return obj.history.select_related("history_user").order_by("-history_date", "-history_id")

    def compare_view(self, request, object_id):
        obj = self._get_case(request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        records = self._versions(obj)
        try:
            new_id = int(request.GET.get("new") or records[0].history_id)
            new = records.get(history_id=new_id)
            old_id = request.GET.get("old")
            old = (
                records.get(history_id=int(old_id))
                if old_id
                else records.filter(history_date__lt=new.history_date).first()
            )
        except (ValueError, IndexError, Incident.history.model.DoesNotExist) as error:
            raise Http404(gettext("No such version of this case.")) from error
        if old is None:
            old = new
        if old.history_date > new.history_date:
            old, new = new, old
        changes, inline_changes = versions.compare(versions.version(old), versions.version(new))
        return self._render(
            request,
            "compare.html",
            obj,
            gettext("Compare two versions of %(ref)s") % {"ref": obj.reference},
            old=old,
            new=new,
            changes=changes,
            inline_changes=inline_changes,
            can_restore=self.has_change_permission(request, obj),
        )

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """One version of the case, read-only, with what it contained and a button to restore it."""
        obj = self._get_case(request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        if request.method != "GET":
            raise PermissionDenied  # restoring goes through restore_version_view
        if not str(version_id).isdigit():
            raise Http404(gettext("No such version of this case."))
        record = get_object_or_404(Incident.history.model, id=obj.pk, history_id=version_id)
        snapshot = versions.version(record)
        current = self._versions(obj).first()
        changes, inline_changes = versions.compare(snapshot, versions.version(current))
        fields, m2m, inlines = versions.contents(snapshot)
        return self._render(
            request,
            "version.html",
            obj,
            gettext("%(ref)s as it was on %(date)s") % {"ref": obj.reference, "date": when(record)},
            record=record,
            fields=fields,
            m2m=m2m,
            inlines=inlines,
            is_current=current.history_id == record.history_id,
            differences=len(changes) + len(inline_changes),
            can_restore=self.has_change_permission(request, obj),
        )

    def restore_version_view(self, request, object_id, history_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._get_case(request, object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        record = get_object_or_404(Incident.history.model, id=obj.pk, history_id=history_id)
        try:
            versions.restore_version(record, request.user)
        except versions.RestoreError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:incidents_incident_simple_history", args=[obj.pk, record.history_id])
            )
        self.message_user(
            request,
            gettext("The version of %(date)s is restored; the previous one stays in the history.")
            % {"date": when(record)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._case_url(obj))

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = {}
        if obj is not None:
            extra["row_history"] = versions.row_history(obj)
            extra["can_restore"] = self.has_change_permission(request, obj)
        return super().history_view(request, object_id, extra_context={**extra, **(extra_context or {})})

    def deleted_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return self._render(
            request,
            "deleted.html",
            None,
            gettext("Recently deleted cases"),
            records=versions.deleted_cases()[:100],
            can_restore=self.has_add_permission(request),
        )

    def restore_deleted_view(self, request, history_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        record = get_object_or_404(Incident.history.model, history_id=history_id, history_type="-")
        try:
            incident = versions.restore_deleted(record, request.user)
        except versions.RestoreError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:incidents_incident_deleted"))
        self.message_user(
            request, gettext("%(ref)s is back, as a draft.") % {"ref": incident.reference}, messages.SUCCESS
        )
        return HttpResponseRedirect(self._case_url(incident))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = {}
        if obj is not None:
            missing = obj.missing_for_publication() if obj.status in (Status.DRAFT, Status.REVIEW) else []
            extra = {
                "missing_for_publication": workflow.missing_message(missing) if missing else "",
                "untranslated": workflow.translation_warnings(obj) if obj.status != Status.MERGED else [],
                "fairness": workflow.fairness_warnings(obj) if obj.status != Status.MERGED else [],
                "can_publish": self.has_publish_permission(request),
                "can_merge": self.has_merge_permission(request, obj),
                "is_public": obj.status == Status.PUBLISHED,
            }
        return super().change_view(request, object_id, form_url, extra_context={**extra, **(extra_context or {})})


def when(record):
    return date_format(timezone.localtime(record.history_date), "DATETIME_FORMAT")


# Reader tips ------------------------------------------------------------------------------------------


@admin.register(Tip)
class TipAdmin(admin.ModelAdmin):
    list_display = ["reference", "company_name", "excerpt", "status", "created_at", "case_link"]
    list_display_links = ["reference", "company_name"]
    list_filter = ["status"]
    search_fields = ["company_name", "what_happened", "links"]
    readonly_fields = ["reference", "created_at", "what_happened", "company_name", "when", "links", "contact_email"]
    fields = [
        ("reference", "created_at"),
        "company_name",
        "when",
        "what_happened",
        "links",
        "contact_email",
        "status",
        "incident",
        "editor_note",
    ]
    autocomplete_fields = ["incident"]
    show_facets = admin.ShowFacets.ALWAYS
    actions = ["convert", "reject"]
    date_hierarchy = "created_at"
    change_form_template = "admin/incidents/tip/change_form.html"

    def has_add_permission(self, request):
        return False  # tips come from readers, through the public form

    def has_convert_permission(self, request, obj=None):
        return request.user.has_perm("incidents.add_incident") and self.has_change_permission(request, obj)

    @admin.display(description=_("what happened"))
    def excerpt(self, obj):
        return Truncator(obj.what_happened).chars(90)

    @admin.display(description=_("case"))
    def case_link(self, obj):
        if not obj.incident_id:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:incidents_incident_change", args=[obj.incident_id]), obj.incident
        )

    @admin.action(description=_("Turn the selected tip into a draft case"), permissions=["convert"])
    def convert(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, gettext("Select exactly one tip."), messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:incidents_tip_convert", args=[queryset.get().pk]))

    @admin.action(description=_("Mark the selected tips as rejected"), permissions=["change"])
    def reject(self, request, queryset):
        count = 0
        for tip in queryset.exclude(status=Tip.TipStatus.CONVERTED):
            tip.status = Tip.TipStatus.REJECTED
            tip.save(update_fields=["status"])
            count += 1
        self.message_user(request, ngettext("%d tip rejected.", "%d tips rejected.", count) % count)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/convert/",
                self.admin_site.admin_view(self.convert_view),
                name="incidents_tip_convert",
            ),
            *super().get_urls(),
        ]

    def convert_view(self, request, object_id):
        tip = self.get_object(request, unquote(object_id))
        if tip is None:
            raise Http404(gettext("No tip with that number."))
        if not self.has_convert_permission(request, tip):
            raise PermissionDenied
        if tip.incident_id:
            self.message_user(request, gettext("This tip already has a case."), messages.INFO)
            return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[tip.incident_id]))
        company = services.find_company(tip.company_name)
        initial = {
            "company": company,
            "title": Truncator(f"{tip.company_name}: {tip.what_happened.splitlines()[0]}").chars(150),
            "country": company.country if company and company.country else "",
        }
        form = TipConvertForm(request.POST or None, initial=initial, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            incident = tips.draft_from_tip(tip, request.user, **form.cleaned_data)
            self.message_user(
                request,
                gettext("Draft %(ref)s created from %(tip)s.") % {"ref": incident.reference, "tip": tip.reference},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[incident.pk]))
        return TemplateResponse(
            request,
            "admin/incidents/tip/convert.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": tip,
                "title": gettext("Turn %(tip)s into a draft case") % {"tip": tip.reference},
                "form": form,
                "adminform": admin_form(form, [(None, {"fields": list(form.fields)})], self),
                "matched_company": company,
                "media": self.media + form.media,
            },
        )


from incidents import admin_sources  # noqa: E402, F401
