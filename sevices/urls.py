from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import Http404
from django.urls import include, path
from django.views.static import serve


def development_media(request, path):
    """Uploaded images under `make run` (DEBUG): in production the web server or object storage serves /media/."""
    if not settings.DEBUG:
        raise Http404("Media files are not served by the application in production.")
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# Every public page in English unprefixed (the URLs journalists have linked to since the start) and in French
# under /fr/ (incidents/i18n.py).
urlpatterns = [
    path("admin/", admin.site.urls),
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", development_media),
    *i18n_patterns(path("", include("incidents.urls")), prefix_default_language=False),
]

handler404 = "incidents.views.page_not_found"
handler500 = "incidents.views.server_error"
