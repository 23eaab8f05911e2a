from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("incidents.urls")),
]

handler404 = "incidents.views.page_not_found"
handler500 = "incidents.views.server_error"
