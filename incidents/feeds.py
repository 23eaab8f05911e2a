"""RSS 2.0 and Atom feeds of newly published cases: the whole site, one company, one sector, one lesson; in
English, and in French under /fr/ (/fr/feed/, /fr/companies/<slug>/feed/...).

Each item's GUID (RSS) and id (Atom) is the case's short reference URL, e.g. https://host/SC-0042: it
never changes with the title or slug, and it still leads to the case. Published cases only; a case that
is retracted or merged leaves the feeds. Every feed answers conditional requests (ETag, Last-Modified).
"""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Count, Exists, Max, OuterRef
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import condition

from incidents.caching.generation import cached
from incidents.i18n import reader_language
from incidents.models import Company, Incident, Lesson, Sector

FEED_SIZE = 50


class CaseFeed(Feed):
    """The newest published cases, most recent first."""

    feed_type = Rss201rev2Feed

    def __init__(self, request):
        # One instance per request (see conditional_feed): item_guid needs the request for an absolute URL.
        self.request = request

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        # The conditional-GET wrapper sets a Last-Modified that covers every case of the feed, not only the
        # newest items.
        del response["Last-Modified"]
        response["Access-Control-Allow-Origin"] = "*"
        return response

    def cases(self, obj):
        return Incident.objects.published()

    def items(self, obj):
        return self.cases(obj).select_related("company__sector").prefetch_related("harm_types").newest()[:FEED_SIZE]

    def title(self, obj):
        return _("%(site)s: new cases") % {"site": settings.SITE_NAME}

    def link(self, obj):
        return reverse("incidents:incident_list")

    def feed_url(self, obj):
        return self.request.path

    def description(self, obj):
        return _("Newly published cases of customer-service failure.")

    subtitle = description

    def feed_copyright(self):
        return _("Text and data under the Creative Commons Attribution 4.0 licence (CC BY 4.0).")

    def item_title(self, item):
        return f"{item.title} ({item.reference})"

    def item_description(self, item):
        """The summary in the feed's language (/fr/feed/ is French); a case not yet translated says so first."""
        shown = item.text_language()
        if shown != reader_language():
            notice = _("In French, not yet translated") if shown == "fr" else _("In English, not yet translated")
            return f"[{notice}] {item.summary}"
        return item.summary

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        # The short reference URL: permanent, independent of the slug, and it resolves.
        return self.request.build_absolute_uri(reverse("incidents:short_reference", kwargs={"number": item.pk}))

    item_guid_is_permalink = True

    def item_author_name(self, item):
        return settings.SITE_NAME

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.company.name, _(item.company.sector.name), *(_(h.name) for h in item.harm_types.all())]


class AtomMixin:
    feed_type = Atom1Feed


class LatestCasesFeed(CaseFeed):
    pass


class LatestCasesAtomFeed(AtomMixin, CaseFeed):
    pass


class CompanyCasesFeed(CaseFeed):
    def get_object(self, request, slug):
        # A company known only from drafts or retracted cases is not public: no feed either.
        public = Company.objects.filter(Exists(Incident.objects.published().filter(company=OuterRef("pk"))))
        return get_object_or_404(public, slug=slug)

    def cases(self, obj):
        return Incident.objects.published().for_company(obj)

    def title(self, obj):
        return _("%(site)s: cases of %(name)s") % {"site": settings.SITE_NAME, "name": obj.name}

    def link(self, obj):
        return obj.get_absolute_url()

    def description(self, obj):
        return _("Newly published cases of customer-service failure at %(name)s.") % {"name": obj.name}


class CompanyCasesAtomFeed(AtomMixin, CompanyCasesFeed):
    pass


class SectorCasesFeed(CaseFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Sector, slug=slug)

    def cases(self, obj):
        return Incident.objects.published().for_sector(obj)

    def title(self, obj):
        return _("%(site)s: cases in %(name)s") % {"site": settings.SITE_NAME, "name": _(obj.name)}

    def link(self, obj):
        return obj.get_absolute_url()

    def description(self, obj):
        return _("Newly published cases of customer-service failure in %(name)s.") % {"name": _(obj.name)}


class SectorCasesAtomFeed(AtomMixin, SectorCasesFeed):
    pass


class LessonCasesFeed(CaseFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Lesson, slug=slug)

    def cases(self, obj):
        return Incident.objects.published().filter(lessons=obj)

    def title(self, obj):
        return _("%(site)s: cases that teach “%(lesson)s”") % {"site": settings.SITE_NAME, "lesson": _(obj.title)}

    def link(self, obj):
        return obj.get_absolute_url()

    def description(self, obj):
        return _("Newly published cases of customer-service failure that teach: %(summary)s") % {
            "summary": _(obj.summary)
        }


class LessonCasesAtomFeed(AtomMixin, LessonCasesFeed):
    pass


class CorrectionsFeed(Feed):
    """Every correction to a published case, newest first: what /corrections/ lists."""

    feed_type = Rss201rev2Feed

    def items(self):
        from incidents.views import published_corrections

        return published_corrections()[:FEED_SIZE]

    def title(self):
        return _("%(site)s: corrections") % {"site": settings.SITE_NAME}

    def link(self):
        return reverse("incidents:corrections")

    def description(self):
        return _("Every correction made to a published case, newest first.")

    def item_title(self, item):
        return _("Correction to %(reference)s: %(title)s") % {
            "reference": item.incident.reference,
            "title": item.incident.title,
        }

    def item_description(self, item):
        return item.note

    def item_link(self, item):
        return f"{item.incident.get_absolute_url()}#corrections-title"

    def item_guid(self, item):
        return f"{item.incident.get_absolute_url()}#correction-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return datetime.datetime.combine(item.date, datetime.time(12), tzinfo=datetime.UTC)


# Conditional GET -----------------------------------------------------------------------------------------


def _scope(kwargs):
    if "company" in kwargs:
        return Incident.objects.published().filter(company__slug=kwargs["company"])
    if "sector" in kwargs:
        return Incident.objects.published().filter(company__sector__slug=kwargs["sector"])
    if "lesson" in kwargs:
        return Incident.objects.published().filter(lessons__slug=kwargs["lesson"])
    return Incident.objects.published()


def feed_validators(request, scope, slug=None):
    """(etag, last_modified) of a feed: one aggregate query, memoised on the request."""
    memo = getattr(request, "_feed_validators", None)
    if memo is not None:
        return memo
    kwargs = {scope: slug} if scope else {}
    # Aggregated over the whole feed once per catalogue generation, not on every request.
    totals = cached(
        f"feed-validators:{scope}:{slug}",
        "",
        lambda: _scope(kwargs).aggregate(n=Count("id"), updated=Max("updated_at"), newest=Max("id")),
    )
    language = translation.get_language() or settings.LANGUAGE_CODE
    fingerprint = f"{request.path}|{language}|{totals['n']}|{totals['updated']}|{totals['newest']}"
    result = (hashlib.sha256(fingerprint.encode()).hexdigest()[:32], totals["updated"])
    request._feed_validators = result
    return result


def conditional_feed(feed_class, scope=None):
    """A feed view answering 304 when no case in it changed (nor any case joined or left it)."""

    def etag(request, slug=None):
        return feed_validators(request, scope, slug)[0]

    def last_modified(request, slug=None):
        return feed_validators(request, scope, slug)[1]

    def view(request, *args, **kwargs):
        return feed_class(request)(request, *args, **kwargs)

    return condition(etag_func=etag, last_modified_func=last_modified)(view)


latest_rss = conditional_feed(LatestCasesFeed)
latest_atom = conditional_feed(LatestCasesAtomFeed)
company_rss = conditional_feed(CompanyCasesFeed, "company")
company_atom = conditional_feed(CompanyCasesAtomFeed, "company")
sector_rss = conditional_feed(SectorCasesFeed, "sector")
sector_atom = conditional_feed(SectorCasesAtomFeed, "sector")
lesson_rss = conditional_feed(LessonCasesFeed, "lesson")
lesson_atom = conditional_feed(LessonCasesAtomFeed, "lesson")
