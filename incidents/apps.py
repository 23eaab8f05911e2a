from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from incidents.caching import generation


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = _("Catalogue")

    def ready(self):
        from django.db.models.signals import pre_save

        from incidents.text import unix_line_endings

        generation.connect_signals()  # every catalogue change makes cached pages stale
        pre_save.connect(unix_line_endings, dispatch_uid="incidents-unix-line-endings")
