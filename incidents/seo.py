"""What crawlers, social networks and HTTP caches read about a page.

- `page_meta()`: the canonical URL, OpenGraph and Twitter card tags and feed autodiscovery links of any page
  (read by templates/includes/_seo.html, included once in base.html's <head>).
- `case_jsonld()`: schema.org structured data of a case page.
- `conditional_case_page()`: ETag and Last-Modified on case pages, so that a conditional request gets a 304.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db.models import DateTimeField, OuterRef, Subquery
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import condition

from incidents.api.schemas import CaseOut
from incidents.caching.generation import cached
from incidents.i18n import in_language
from incidents.models import (
    Correction,
    CostEstimate,
    Incident,
    IncidentImage,
    Source,
    Status,
    TimelineEvent,
)

# OpenGraph wants a territory; the catalogue is written from France for French and English readers.
OG_LOCALES = {"en": "en_GB", "fr": "fr_FR"}
CARD_WIDTH, CARD_HEIGHT = 1200, 630

# Pages without an object of their own: the title social networks show for them.
PAGE_TITLES = {
    "incident_list": lambda: _("All cases"),
    "company_list": lambda: _("Companies"),
    "sector_list": lambda: _("Sectors"),
    "about": lambda: _("About"),
    "methodology": lambda: _("Methodology"),
    "data": lambda: _("Open data"),
}


def site_description():
    return _(
        "The reference catalogue of customer-service failures: what happened, how the company apologised, "
        "what it cost, and the lesson."
    )


def absolute(request, path):
    return request.build_absolute_uri(path)


def canonical_url(request, context):
    """The one URL search engines should index for this page (None for pages without one, like a 404)."""
    case = context.get("case")
    if isinstance(case, Incident) and case.pk:
        return absolute(request, case.get_absolute_url())
    if getattr(request, "resolver_match", None) is None:
        return None
    # Filters and sorts are views of /cases/, not pages of their own; a page number is.
    page = request.GET.get("page", "")
    query = f"?{urlencode({'page': page})}" if page.isdigit() and int(page) > 1 else ""
    return absolute(request, request.path) + query


def feed_links(request, context):
    """Feeds a reader's feed reader should find on this page: the site's, and the company's, sector's or lesson's."""
    links = [
        {"type": "application/rss+xml", "title": _("New cases (RSS)"), "href": reverse("incidents:feed_rss")},
        {"type": "application/atom+xml", "title": _("New cases (Atom)"), "href": reverse("incidents:feed_atom")},
    ]
    url_name = getattr(getattr(request, "resolver_match", None), "url_name", None)
    company, sector = context.get("company"), context.get("sector")
    if url_name == "company_detail" and company is not None:
        for kind, mime, label in (("rss", "application/rss+xml", "RSS"), ("atom", "application/atom+xml", "Atom")):
            links.append(
                {
                    "type": mime,
                    "title": _("Cases of %(name)s (%(format)s)") % {"name": company.name, "format": label},
                    "href": reverse(f"incidents:company_feed_{kind}", kwargs={"slug": company.slug}),
                }
            )
    if url_name == "sector_detail" and sector is not None:
        for kind, mime, label in (("rss", "application/rss+xml", "RSS"), ("atom", "application/atom+xml", "Atom")):
            links.append(
                {
                    "type": mime,
                    "title": _("Cases in %(name)s (%(format)s)") % {"name": _(sector.name), "format": label},
                    "href": reverse(f"incidents:sector_feed_{kind}", kwargs={"slug": sector.slug}),
                }
            )
    lesson = context.get("lesson")
    if url_name == "lesson_detail" and lesson is not None:
        for kind, mime, label in (("rss", "application/rss+xml", "RSS"), ("atom", "application/atom+xml", "Atom")):
            links.append(
                {
                    "type": mime,
                    "title": _("Cases that teach “%(lesson)s” (%(format)s)")
                    % {"lesson": _(lesson.title), "format": label},
                    "href": reverse(f"incidents:lesson_feed_{kind}", kwargs={"slug": lesson.slug}),
                }
            )
    if url_name == "corrections":
        links.append(
            {
                "type": "application/rss+xml",
                "title": _("Corrections (RSS)"),
                "href": reverse("incidents:corrections_feed"),
            }
        )
    for link in links:
        link["href"] = absolute(request, link["href"])
    return links


def page_meta(context):
    """Everything _seo.html prints, worked out from the page's context (no database query)."""
    request = context.get("request")
    if request is None:
        return {}
    site_name = settings.SITE_NAME
    language = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    meta = {
        "site_name": site_name,
        "type": "website",
        "title": site_name,
        "description": site_description(),
        "canonical": canonical_url(request, context),
        "image": absolute(request, reverse("incidents:site_card")),
        "image_alt": site_name,
        "image_width": CARD_WIDTH,
        "image_height": CARD_HEIGHT,
        "locale": OG_LOCALES.get(language, "en_GB"),
        "locale_alternates": [loc for code, loc in OG_LOCALES.items() if code != language],
        "feeds": feed_links(request, context),
        "oembed": None,
        "article": None,
    }
    meta["url"] = meta["canonical"] or absolute(request, request.path)
    # The same page in each language (hreflang); search engines show the English one by default.
    if meta["canonical"]:
        meta["alternates"] = [(code, in_language(meta["canonical"], code)) for code, _name in settings.LANGUAGES]
        meta["x_default"] = dict(meta["alternates"])[settings.LANGUAGE_CODE]
    url_name = getattr(getattr(request, "resolver_match", None), "url_name", None)
    case = context.get("case")
    if isinstance(case, Incident) and case.pk:
        meta["title"] = f"{case.title} ({case.reference})"
        version = context.get("version")  # a pinned revision shows the case as it was
        if version is not None:
            meta["title"] = f"{version.title} ({case.reference})"
        if case.status == Status.PUBLISHED:
            meta["type"] = "article"
            meta["description"] = (version or case).summary
            meta["image"] = absolute(request, reverse("incidents:case_card", kwargs={"pk": case.pk}))
            meta["image_alt"] = _("%(title)s: share card of case %(reference)s") % {
                "title": case.title,
                "reference": case.reference,
            }
            meta["article"] = {
                "published_time": case.published_at,
                "modified_time": case.updated_at,
                "section": _(case.company.sector.name) if case.company_id else "",
            }
            case_url = absolute(request, case.get_absolute_url())
            meta["oembed"] = {
                "href": absolute(request, reverse("incidents:oembed"))
                + "?"
                + urlencode({"url": case_url, "format": "json"}),
                "title": case.title,
            }
    elif url_name == "company_detail" and context.get("company") is not None:
        company = context["company"]
        meta["title"] = company.name
        meta["description"] = (company.description or "").strip()[:300] or _(
            "Documented customer-service failures of %(name)s."
        ) % {"name": company.name}
    elif url_name == "sector_detail" and context.get("sector") is not None:
        sector = context["sector"]
        meta["title"] = _(sector.name)
        meta["description"] = (sector.description or "").strip()[:300] or _(
            "Documented customer-service failures in %(name)s."
        ) % {"name": _(sector.name)}
    elif url_name == "lesson_detail" and context.get("lesson") is not None:
        lesson = context["lesson"]
        meta["title"] = _(lesson.title)
        meta["description"] = _(lesson.summary)
    elif url_name in PAGE_TITLES:
        meta["title"] = PAGE_TITLES[url_name]()
    return meta


# JSON-LD ---------------------------------------------------------------------------------------------

# The characters json_script escapes, so that "</script>" in a title cannot end the element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld_script(data):
    """A <script type="application/ld+json"> element: data, not code, and safe whatever the strings hold."""
    text = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":")).translate(JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308 - escaped above


def is_web_url(url):
    """Only http(s) addresses are links: a URL field saved without validation could hold javascript:."""
    return bool(url) and url.lower().startswith(("https://", "http://"))


def publisher(request):
    return {"@type": "Organization", "name": settings.SITE_NAME, "url": absolute(request, reverse("incidents:home"))}


def case_jsonld(request, case):
    """schema.org Article about the company, with dates, publisher, share card and the sources it cites.

    Built from the case as the API writes it (`CaseOut`, incidents/api/schemas.py), in schema.org's words:
    the same links, dates and texts. The case's inlines should be prefetched, as the case page does.
    """
    item = CaseOut.dump(case, request)
    url, company = item["url"], item["company"]
    about = {"@type": "Organization", "name": company["name"], "url": company["url"]}
    if is_web_url(company["website"]):
        about["sameAs"] = company["website"]
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": item["title"][:110],
        "name": item["title"],
        "description": item["summary"],
        "identifier": item["reference"],
        "inLanguage": item["language"],
        "isAccessibleForFree": True,
        "about": about,
        "author": publisher(request),
        "publisher": publisher(request),
        "image": {"@type": "ImageObject", "url": item["card_url"], "width": CARD_WIDTH, "height": CARD_HEIGHT},
        "citation": [
            {
                "@type": "CreativeWork",
                "name": source["title"],
                "publisher": {"@type": "Organization", "name": source["publisher"]},
                **({"url": source["url"]} if is_web_url(source["url"]) else {}),
                **({"datePublished": source["published_on"]} if source["published_on"] else {}),
                "inLanguage": source["language"],
            }
            for source in item["sources"]
        ],
        "license": "https://creativecommons.org/licenses/by/4.0/",
    }
    if item["published_at"]:
        data["datePublished"] = item["published_at"]
    data["dateModified"] = item["updated_at"]
    data["articleSection"] = item["sector"]["name"]
    if item["corrections"]:
        data["correction"] = [
            {"@type": "CorrectionComment", "text": c["note"], "datePublished": c["date"]} for c in item["corrections"]
        ]
    return data


# Conditional GET on case pages -------------------------------------------------------------------------

# Changes to a case's inlines are recorded in their history tables, deletions included; the newest
# record of each is what the ETag and Last-Modified of the page follow.
INLINE_MODELS = (Correction, CostEstimate, Source, TimelineEvent, IncidentImage)


def _newest_history(model):
    history = model.history.model.objects.filter(incident_id=OuterRef("pk")).order_by("-history_date")
    return Subquery(history.values("history_date")[:1], output_field=DateTimeField())


def case_validators(request, pk, slug=None, **kwargs):
    """(etag, last_modified) of a published or retracted case page, or (None, None) when the view must decide.

    One query per case and catalogue generation (every change to a case or its inlines bumps it), memoised
    on the request so that the ETag and Last-Modified functions share it.
    """
    memo = getattr(request, "_case_validators", None)
    if memo is not None and memo[0] == pk:
        return memo[1]
    names = [f"h_{model._meta.model_name}" for model in INLINE_MODELS] + ["h_incident"]

    def newest_changes():
        annotations = {f"h_{model._meta.model_name}": _newest_history(model) for model in INLINE_MODELS}
        history = Incident.history.model.objects.filter(id=OuterRef("pk")).order_by("-history_date")
        annotations["h_incident"] = Subquery(history.values("history_date")[:1], output_field=DateTimeField())
        return (
            Incident.objects.filter(pk=pk, status__in=[Status.PUBLISHED, Status.RETRACTED])
            .annotate(**annotations)
            .values("slug", "status", "updated_at", *annotations)
            .first()
        )

    row = cached("case-validators", str(pk), newest_changes)
    result = (None, None)
    if row is not None and row["slug"] == slug:
        dates = [row["updated_at"], *(row[name] for name in names)]
        last_modified = max(d for d in dates if d is not None)
        language = translation.get_language() or settings.LANGUAGE_CODE
        fingerprint = "|".join([str(pk), row["slug"], row["status"], language, *(str(d) for d in dates)])
        result = (hashlib.sha256(fingerprint.encode()).hexdigest()[:32], last_modified)
    request._case_validators = (pk, result)
    return result


def case_etag(request, *args, **kwargs):
    return case_validators(request, *args, **kwargs)[0]


def case_last_modified(request, *args, **kwargs):
    return case_validators(request, *args, **kwargs)[1]


def conditional_case_page(view):
    """Wrap the case page so that it answers 304 Not Modified to a conditional request when nothing changed."""
    return condition(etag_func=case_etag, last_modified_func=case_last_modified)(view)


def robots_txt(request):
    """/robots.txt: crawlers welcome everywhere but the admin and the machine endpoints; where the sitemap is."""
    from django.shortcuts import render

    sitemap_url = absolute(request, reverse("incidents:sitemap_index"))
    return render(request, "robots.txt", {"sitemap_url": sitemap_url}, content_type="text/plain; charset=utf-8")
