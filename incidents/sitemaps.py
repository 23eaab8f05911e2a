"""The sitemap: /sitemap.xml is an index of one sitemap per section (cases, companies, sectors, lessons, pages).
Each page is listed in English and in French (/fr/...), each entry naming both (hreflang alternates).

An index, because the protocol allows 50,000 URLs per file and the catalogue is meant to outgrow that;
each section is paginated by django.contrib.sitemaps (?p=2...). Published cases only.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.urls import reverse

from incidents.models import Company, Incident, Lesson, Sector, Status


class BilingualSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class CaseSitemap(BilingualSitemap):
    changefreq = "monthly"
    priority = 0.8
    limit = 10_000

    def items(self):
        return Incident.objects.published().only("pk", "slug", "updated_at").order_by("pk")

    def lastmod(self, case):
        return case.updated_at


class CompanySitemap(BilingualSitemap):
    changefreq = "weekly"
    priority = 0.6
    limit = 10_000

    def items(self):
        return (
            Company.objects.with_published_counts()
            .annotate(updated=Max("incidents__updated_at", filter=Q(incidents__status=Status.PUBLISHED)))
            .filter(n_cases__gt=0)
            .only("pk", "slug")
            .order_by("pk")
        )

    def lastmod(self, company):
        return company.updated


class SectorSitemap(BilingualSitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return (
            Sector.objects.annotate(
                updated=Max("companies__incidents__updated_at", filter=Q(companies__incidents__status=Status.PUBLISHED))
            )
            .only("pk", "slug")
            .order_by("pk")
        )

    def lastmod(self, sector):
        return sector.updated


class LessonSitemap(BilingualSitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return Lesson.objects.only("pk", "slug").order_by("position", "pk")


class StaticSitemap(BilingualSitemap):
    changefreq = "weekly"
    priority = 0.4

    def items(self):
        return [
            "incidents:home",
            "incidents:incident_list",
            "incidents:company_list",
            "incidents:sector_list",
            "incidents:about",
            "incidents:methodology",
            "incidents:data",
        ]

    def location(self, name):
        return reverse(name)


SITEMAPS = {
    "cases": CaseSitemap,
    "companies": CompanySitemap,
    "sectors": SectorSitemap,
    "lessons": LessonSitemap,
    "pages": StaticSitemap,
}
