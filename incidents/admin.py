from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from incidents.models import (
    Company,
    CompanyAlias,
    Correction,
    CostEstimate,
    HarmType,
    Incident,
    IncidentImage,
    Lesson,
    Sector,
    Source,
    Status,
    TimelineEvent,
    Tip,
)

admin.site.site_header = _("Sévices clients: editors")
admin.site.site_title = _("Sévices clients")
admin.site.index_title = _("Catalogue")


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "company_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_companies=Count("companies"))

    @admin.display(description=_("companies"), ordering="n_companies")
    def company_count(self, obj):
        return obj.n_companies


class CompanyAliasInline(admin.TabularInline):
    model = CompanyAlias
    extra = 1


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "country", "case_count"]
    list_filter = ["sector", "country"]
    search_fields = ["name", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CompanyAliasInline]
    show_facets = admin.ShowFacets.ALWAYS

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sector").annotate(n_cases=Count("incidents"))

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


class CostEstimateInline(admin.TabularInline):
    model = CostEstimate
    extra = 0
    fields = ["kind", "amount_low", "amount_high", "currency", "method", "claimed_by", "source", "note", "position"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the sources of the case being edited can back one of its estimates.
        if db_field.name == "source":
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = Source.objects.filter(incident_id=object_id) if object_id else Source.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SourceInline(admin.StackedInline):
    model = Source
    extra = 0
    fields = [("kind", "language", "position"), "title", ("publisher", "published_on"), "url", "archive_url"]


class TimelineEventInline(admin.TabularInline):
    model = TimelineEvent
    extra = 0
    fields = ["date", "precision", "description", "channel", "is_turning_point", "position"]


class IncidentImageInline(admin.StackedInline):
    model = IncidentImage
    extra = 0
    fields = ["image", "alt_text", "caption", "credit", "position"]


class CorrectionInline(admin.TabularInline):
    model = Correction
    extra = 0


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
class IncidentAdmin(SimpleHistoryAdmin):
    list_display = [
        "reference_display",
        "title",
        "status",
        "company",
        "occurred_on",
        "apology_quality",
        "headline_cost",
        "updated_at",
    ]
    list_display_links = ["reference_display", "title"]
    list_filter = ["status", "company__sector", "apology_quality", "harm_types", "language", HasSourceFilter]
    list_select_related = ["company"]
    search_fields = ["=id", "title", "company__name", "company__aliases__name", "summary"]
    search_help_text = _("Search by title, company or alias, or by number (42 for SC-0042).")
    show_facets = admin.ShowFacets.ALWAYS
    autocomplete_fields = ["company"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "occurred_on"
    filter_horizontal = ["harm_types", "lessons"]
    readonly_fields = ["created_at", "updated_at", "published_at", "retracted_at"]
    inlines = [CostEstimateInline, SourceInline, TimelineEventInline, IncidentImageInline, CorrectionInline]
    actions = ["publish", "unpublish"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "featured", "company", "summary", "story", "lesson"]}),
        (_("Classification"), {"fields": ["harm_types", "lessons", "country", "language", "customers_affected"]}),
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
            {"fields": ["apology_quality", "apology_text", "response", "corrective_actions"]},
        ),
        (
            _("Retraction and merging"),
            {"classes": ["collapse"], "fields": ["merged_into", "retraction_reason", "retracted_at"]},
        ),
        (_("Record"), {"classes": ["collapse"], "fields": ["created_at", "published_at", "updated_at"]}),
    ]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        if term.startswith("SC-") and term[3:].isdigit():
            search_term = str(int(term[3:]))
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("reference"), ordering="id")
    def reference_display(self, obj):
        return obj.reference

    @admin.display(description=_("bad buzz (≈ EUR)"), ordering="headline_cost_eur")
    def headline_cost(self, obj):
        if obj.headline_cost_eur is None:
            return "—"
        return format_html("≈ {} €", f"{obj.headline_cost_eur:,.0f}".replace(",", "\u202f"))

    @admin.action(description=_("Publish the selected cases"), permissions=["publish"])
    def publish(self, request, queryset):
        published, refused = 0, []
        for incident in queryset.select_related("company"):
            missing = incident.missing_for_publication()
            if missing:
                refused.append(f"{incident.reference}: " + ", ".join(str(m) for m in missing))
                continue
            incident.status = Status.PUBLISHED
            incident.published_at = incident.published_at or timezone.now()
            incident.save()
            published += 1
        if published:
            self.message_user(
                request, ngettext("%d case published.", "%d cases published.", published) % published, messages.SUCCESS
            )
        for line in refused:
            self.message_user(request, _("Not published, missing %s") % line, messages.ERROR)

    @admin.action(description=_("Unpublish the selected cases (back to draft)"), permissions=["publish"])
    def unpublish(self, request, queryset):
        count = 0
        for incident in queryset.filter(status=Status.PUBLISHED):
            incident.status = Status.DRAFT
            incident.save()
            count += 1
        self.message_user(request, ngettext("%d case unpublished.", "%d cases unpublished.", count) % count)

    def has_publish_permission(self, request):
        return request.user.has_perm("incidents.publish_incident")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company")


@admin.register(Tip)
class TipAdmin(admin.ModelAdmin):
    list_display = ["reference", "company_name", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["company_name", "what_happened"]
    readonly_fields = ["created_at"]
    show_facets = admin.ShowFacets.ALWAYS
