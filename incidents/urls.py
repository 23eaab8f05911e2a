"""Public URLs. Journalists link to these: never break one; redirect instead."""

from django.urls import path, register_converter

from incidents import insights, views


class ReferenceConverter:
    """The number in a short reference such as SC-0042 or SC-42."""

    regex = r"[0-9]{1,12}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{value:04d}"


register_converter(ReferenceConverter, "ref")

app_name = "incidents"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.IncidentListView.as_view(), name="incident_list"),
    path("cases/<int:pk>/", views.incident_redirect, name="incident_redirect"),
    path("cases/<int:pk>/<str:slug>/", views.incident_detail, name="incident_detail"),
    path("SC-<ref:number>", views.short_reference, name="short_reference"),
    path("companies/", views.CompanyListView.as_view(), name="company_list"),
    path("companies/<slug:slug>/", views.company_detail, name="company_detail"),
    path("sectors/", views.SectorListView.as_view(), name="sector_list"),
    path("sectors/<slug:slug>/", views.sector_detail, name="sector_detail"),
    path("lessons/<slug:slug>/", views.lesson_detail, name="lesson_detail"),
    path("healthz", views.healthz, name="healthz"),
    path("about/", views.AboutView.as_view(), name="about"),
    path("methodology/", views.MethodologyView.as_view(), name="methodology"),
    path("language/<str:code>/", views.set_language, name="set_language"),
    path("submit/", views.submit_tip, name="submit"),
    path("submit/thanks/", views.submit_thanks, name="submit_thanks"),
    path("insights/", insights.insights, name="insights"),
    path("insights/<slug:chart>.csv", insights.insights_csv, name="insights_csv"),
]
