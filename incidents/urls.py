"""Public URLs. Journalists link to these: never break one; redirect instead."""

from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, register_converter

from incidents import cards, citations, embeds, feeds, insights, opendata, seo, tips, views
from incidents.sitemaps import SITEMAPS


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
    # Journalists: share card, embed, citations, pinned revisions (before the slug pattern: it would match "embed").
    path("cases/<int:pk>/card.png", cards.case_card, name="case_card"),
    path("cases/<int:pk>/embed/", embeds.case_embed, name="case_embed"),
    path("cases/<int:pk>/share/mastodon/", embeds.share_on_mastodon, name="share_mastodon"),
    path("cases/<int:pk>/cite.<str:fmt>", citations.cite, name="cite"),
    path("cases/<int:pk>/revisions/<int:history_id>/", citations.revision_detail, name="case_revision"),
    path("cases/<int:pk>/<str:slug>/", seo.conditional_case_page(views.incident_detail), name="incident_detail"),
    path("SC-<ref:number>", views.short_reference, name="short_reference"),
    path("companies/", views.CompanyListView.as_view(), name="company_list"),
    path("companies/<slug:slug>/", views.company_detail, name="company_detail"),
    path("sectors/", views.SectorListView.as_view(), name="sector_list"),
    path("sectors/<slug:slug>/", views.sector_detail, name="sector_detail"),
    path("lessons/<slug:slug>/", views.lesson_detail, name="lesson_detail"),
    path("healthz", views.healthz, name="healthz"),
    path("about/", views.AboutView.as_view(), name="about"),
    path("corrections/", views.CorrectionListView.as_view(), name="corrections"),
    path("corrections/feed/", feeds.CorrectionsFeed(), name="corrections_feed"),
    path("methodology/", views.MethodologyView.as_view(), name="methodology"),
    path("language/<str:code>/", views.set_language, name="set_language"),
    # Journalists: feeds, sitemap, open data, API, oEmbed.
    path("feed/", feeds.latest_rss, name="feed_rss"),
    path("feed/atom/", feeds.latest_atom, name="feed_atom"),
    path("companies/<slug:slug>/feed/", feeds.company_rss, name="company_feed_rss"),
    path("companies/<slug:slug>/feed/atom/", feeds.company_atom, name="company_feed_atom"),
    path("sectors/<slug:slug>/feed/", feeds.sector_rss, name="sector_feed_rss"),
    path("sectors/<slug:slug>/feed/atom/", feeds.sector_atom, name="sector_feed_atom"),
    path("lessons/<slug:slug>/feed/", feeds.lesson_rss, name="lesson_feed_rss"),
    path("lessons/<slug:slug>/feed/atom/", feeds.lesson_atom, name="lesson_feed_atom"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "incidents:sitemap"},
        name="sitemap_index",
    ),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", seo.robots_txt, name="robots_txt"),
    path("card.png", cards.site_card, name="site_card"),
    path("data/", opendata.data_page, name="data"),
    path("data/cases.csv", opendata.data_csv, name="data_csv"),
    path("data/cases.json", opendata.data_json, name="data_json"),
    # api_cases /api/cases/, api_case /api/cases/<number>/, api_schema /api/schema/: the operations of the API.
    path("api/", include("incidents.api.views")),
    path("oembed/", embeds.oembed, name="oembed"),
    path("submit/", tips.submit_tip, name="submit"),
    path("submit/thanks/", tips.submit_thanks, name="submit_thanks"),
    path("insights/", insights.insights, name="insights"),
    path("insights/<slug:chart>.csv", insights.insights_csv, name="insights_csv"),
]
