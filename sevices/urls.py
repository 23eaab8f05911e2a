from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

# Every public page in English unprefixed (the URLs journalists have linked to since the start) and in French
# under /fr/ (incidents/i18n.py).
urlpatterns = [
    path("admin/", admin.site.urls),
    *i18n_patterns(path("", include("incidents.urls")), prefix_default_language=False),
]

handler404 = "incidents.views.page_not_found"
handler500 = "incidents.views.server_error"
