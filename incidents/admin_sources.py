"""The editors' list of sources, with what the last link check found (`manage.py check_sources`).

Read-only: a source is written on its case, where its history is kept; each row links to its case's admin page.
Imported at the end of incidents/admin.py.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incidents import sources
from incidents.models import Source


class LinkFilter(admin.SimpleListFilter):
    title = _("link")
    parameter_name = "link"

    def lookups(self, request, model_admin):
        return [("dead", _("Dead")), ("fine", pgettext_lazy("link check", "Fine")), ("never", _("Never checked"))]

    def queryset(self, request, queryset):
        condition = {"dead": sources.DEAD, "fine": sources.FINE, "never": sources.NEVER_CHECKED}.get(self.value())
        return queryset if condition is None else queryset.filter(condition)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "case", "address", "check_status", "check_error", "checked_at"]
    list_display_links = None  # a row leads to its case, where the source is edited
    list_filter = [LinkFilter, "kind"]
    list_select_related = ["incident"]
    search_fields = ["title", "publisher", "url"]
    ordering = ["incident_id", "position", "id"]
    readonly_fields = ["checked_at", "check_status", "check_error"]
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # No delete page, button or icon here: a source is removed on its case, where the removal is recorded.
        # Asked about one source (one of the rows of a case being deleted), the model's permission answers.
        return obj is not None and super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "show_delete": False})

    @admin.display(description=_("case"), ordering="incident_id")
    def case(self, obj):
        url = reverse("admin:incidents_incident_change", args=[obj.incident_id])
        return format_html('<a href="{}">{}</a>', url, obj.incident)

    @admin.display(description=_("URL"), ordering="url")
    def address(self, obj):
        if not obj.url:
            return _("print only")
        return format_html('<a href="{}" rel="noreferrer">{}</a>', obj.url, obj.url)
