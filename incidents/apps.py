from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from incidents.caching import generation


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = _("Catalogue")

    def ready(self):
        generation.connect_signals()  # every catalogue change makes cached pages stale
