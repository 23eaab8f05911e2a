"""Public pages. Each runs a fixed number of queries, whatever it lists."""

from __future__ import annotations

from urllib.parse import parse_qsl

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Max, Min, Prefetch, Q, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_safe
from django.views.generic import ListView, TemplateView
from django_filters.views import FilterView

from incidents import price, seo, stats
from incidents.caching.generation import cached, cached_key, filter_query
from incidents.caching.lists import CataloguePaginator, cached_facets, case_cards, count_from_summary
from incidents.filters import IncidentFilterSet, active_filter_chips
from incidents.i18n import in_language, language_redirect
from incidents.models import (
    APOLOGY_DEFINITIONS,
    ApologyQuality,
    Company,
    Correction,
    CostEstimate,
    CostKind,
    Incident,
    IncidentImage,
    Lesson,
    Promise,
    Sector,
    Status,
    in_each_language,
)
from incidents.services import follow_merges
from incidents.text import format_big_money

PAGE_SIZE = 20


def paginate(request, queryset, per_page=PAGE_SIZE, key=None, counted=None):
    """A page of results; a page number out of range or not a number shows the nearest real page.

    `key` names the query in the cache (count and page ids, once per catalogue generation); `counted` may tell
    the count without counting (None when it cannot)."""
    paginator = CataloguePaginator(queryset, per_page, key=key, counted=counted)
    return paginator.get_page(request.GET.get("page"))


@require_GET
def home(request):
    if (other := language_redirect(request)) is not None:
        return HttpResponseRedirect(other)  # a French reader arriving on / reads /fr/
    latest = list(Incident.objects.published().with_related().newest()[:6])
    featured = Incident.objects.published().with_related().filter(featured=True).newest().first()
    if featured is None and latest:
        featured = latest[0]

    def figures():  # counts over the whole catalogue (hundreds of ms at 100,000 cases): once per generation
        sectors = Sector.objects.with_published_counts().filter(n_cases__gt=0)
        companies = Company.objects.with_published_counts().filter(n_cases__gt=0).order_by("-n_cases", "name")[:8]
        return {
            "sectors": list(sectors),
            "top_companies": list(companies),
            "total": Incident.objects.published().count(),
        }

    context = {
        "featured": featured,
        "latest": [case for case in latest if case != featured][:5],
        **cached("home", "", figures),
        "lessons": Lesson.objects.all()[:4],
    }
    return render(request, "incidents/home.html", context)


def tidy_query(query_string):
    """The query string without its empty parameters and without page=1, in the reader's order ("?sector=retail"
    for "?q=&year_from=&sector=retail"), or None when there is nothing to drop. What it returns it keeps as it is,
    so a redirect to it never loops."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    kept = [(name, value) for name, value in pairs if value.strip() and not (name == "page" and value.strip() == "1")]
    if len(kept) == len(pairs):
        return None
    return f"?{urlencode(kept)}" if kept else ""


class IncidentListView(FilterView):
    """The catalogue: filters, facet counts, active-filter chips, 20 per page."""

    filterset_class = IncidentFilterSet
    template_name = "incidents/incident_list.html"
    paginate_by = PAGE_SIZE
    strict = False  # a parameter the form does not understand is reported and ignored, never a 500

    def get(self, request, *args, **kwargs):
        # A submitted filter form sends every field, empty or not: the address a reader keeps or shares is the
        # short one (/cases/?sector=retail), reached with a plain redirect, so it works without JavaScript.
        if request.GET and (tidy := tidy_query(request.META.get("QUERY_STRING", ""))) is not None:
            return HttpResponseRedirect(request.path + tidy)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        # newest() (NULLS LAST) for /cases/ with no parameters, whose unbound FilterSet applies no sort: the
        # model's default ordering cannot use the sort index and cost 35 ms at 100,000 cases instead of 1.
        return Incident.objects.published().with_related().newest()

    def paginate_queryset(self, queryset, page_size):
        # The queryset follows from the filters and the sort alone: they name it in the cache.
        key = "list:" + filter_query(self.filterset.data, self.filterset.filters)
        page = paginate(self.request, queryset, page_size, key=key, counted=lambda: count_from_summary(self.filterset))
        return page.paginator, page, page, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context["filter"]
        facets = cached_facets(filterset)  # once per set of filters and catalogue generation
        context.update(
            cards=case_cards(context["page_obj"], snippets=filterset.search_text),
            chips=active_filter_chips(filterset),
            facets=facets,
            filter_form=self.filter_form(filterset, facets),
            form_errors=filterset.form.errors,
            search_text=filterset.search_text,
        )
        return context

    def filter_form(self, filterset, facets):
        """The fields of the filter form (filters without a visible field travel hidden), rendered once per
        language, set of filters and sort, and catalogue generation: a quarter of a warm list page's time went
        to its hundreds of options."""

        def render():
            layout = filterset.form_layout(facets=facets)
            return render_to_string("includes/_filter_form.html", {"layout": layout}, self.request)

        query = f"{translation.get_language()}:{filter_query(filterset.data, filterset.filters)}"
        return mark_safe(cached("filter-form", query, render))  # escaped as the template rendered it


def case_prefetches():
    return [
        "harm_types",
        "lessons",
        "company__aliases",
        "sources",
        "timeline",
        "corrections",
        Prefetch("costs", queryset=CostEstimate.objects.select_related("source")),
        Prefetch("images", queryset=IncidentImage.objects.all()),
        "promises",
    ]


# What the frame of a case page (its title, description and meta tags) and the view's decisions (status, slug,
# merges) read of the case. Once its head and body are built, that is all the page reads: the story, the texts
# in both languages and the search documents and vectors are most of the row (a third of a warm case page's
# time at 100,000 cases went to reading and compiling them).
CASE_FRAME_FIELDS = (
    *in_each_language("title"),
    *in_each_language("summary"),
    "slug",
    "status",
    "merged_into",
    "company",
    "published_at",
    "updated_at",
)


@require_safe  # link checkers ask with HEAD: a cited link must answer it
def incident_detail(request, pk, slug=None):
    # The page's head and body, rendered once per case, language and catalogue generation (every change to a
    # case, its company, sector or inlines bumps it); a preview is always rendered afresh.
    page = f"{translation.get_language()}:{request.scheme}:{request.get_host()}:{pk}"
    blocks_key = cached_key("case-page", page)
    blocks = cache.get(blocks_key)
    frame = Incident.objects.select_related("company__sector")
    cases = frame.select_related("merged_into", "reply") if blocks is None else frame.only(*CASE_FRAME_FIELDS)
    case = get_object_or_404(cases, pk=pk)
    if case.status == Status.MERGED and case.merged_into_id:
        return HttpResponseRedirect(follow_merges(case).get_absolute_url(), status=301)
    is_preview = case.status in (Status.DRAFT, Status.REVIEW)
    if is_preview and not request.user.is_staff:
        raise Http404("No published case with this number.")
    if slug != case.slug:
        return redirect(case.get_absolute_url(), permanent=True)
    if case.status == Status.RETRACTED:
        prefetch_related_objects([case], *case_prefetches())
        return render(request, "incidents/incident_retracted.html", {"case": case})

    def render_blocks():
        prefetch_related_objects([case], *case_prefetches())
        context = {
            "case": case,
            "is_preview": is_preview,
            "facts": key_facts(case),
            "related": related_cases(case),
            "apology_scale": [(q, APOLOGY_DEFINITIONS[q.value]) for q in ApologyQuality],
        }
        return {
            "case_head": seo.json_ld_script(seo.case_jsonld(request, case)),
            "case_body": render_to_string("includes/_case_body.html", context, request),
        }

    if blocks is None or is_preview:  # a preview is always rendered afresh, and never kept
        blocks = render_blocks()
        if not is_preview:
            cache.set(blocks_key, blocks, settings.PAGE_CACHE_SECONDS)
    context = {"case": case, "is_preview": is_preview, **{name: mark_safe(html) for name, html in blocks.items()}}
    return render(request, "incidents/incident_detail.html", context)


def key_facts(case):
    """The figures of the key-facts box, never adding or comparing amounts in different currencies."""
    costs = list(case.costs.all())
    headline = price.largest(costs)
    return {
        "headline_cost": headline,
        "headline_text": format_big_money(headline.central_amount, headline.currency) if headline else "",
        "price": price.case_price(costs),  # the price of not apologising: incidents/price.py
        "other_costs": [c for c in costs if c is not headline],
        "first_response": case.delay_to_first_response(),
        "resolution": case.delay_to_resolution(),
        "turning_point": next((e for e in case.timeline.all() if e.is_turning_point), None),
    }


RELATED_CANDIDATES = 200
RELATED_FIELDS = (
    *in_each_language("title"),
    "slug",
    "published_at",
    "company__name",
)


def related_cases(case, limit=4):
    """Other cases of the same company first, then cases sharing a harm in the same sector.

    Always two queries, however many cases the company has, so the page's query count is fixed.
    """
    # Only what the list of related cases shows (a title in each language, its address, the company's name): the
    # ranking groups its rows, and grouping whole rows with their stories was most of its time.
    base = Incident.objects.published().exclude(pk=case.pk).select_related("company").only(*RELATED_FIELDS)
    same_company = list(base.filter(company_id=case.company_id).newest()[:limit])
    harm_ids = [h.pk for h in case.harm_types.all()]
    # Ranked among the sector's latest cases: ranking all of a sector's cases read thousands at 100,000 cases.
    candidates = (
        base.exclude(company_id=case.company_id)
        .filter(company__sector_id=case.company.sector_id)
        .newest()
        .values("pk")[:RELATED_CANDIDATES]
    )
    # Ranked on ids alone, then the few rows read: grouping the 200 candidates' whole rows to count their shared
    # harms sorted 200 wide rows (20 ms at 100,000 cases); still one query.
    shared = Count("harm_types", filter=Q(harm_types__in=harm_ids))
    ranking = ("-shared", "-published_at", "-id")
    ranked = base.filter(pk__in=candidates).annotate(shared=shared).order_by(*ranking).values("pk")[:limit]
    similar = base.filter(pk__in=ranked).annotate(shared=shared).order_by(*ranking)
    return (same_company + list(similar))[:limit]


@require_safe  # link checkers ask with HEAD: a cited link must answer it
def short_reference(request, number):
    """/SC-0042 answers with the case's canonical page: for a merged case, the surviving case's, in one 301."""
    case = get_object_or_404(Incident.objects.public(), pk=number)
    return incident_detail(request, case.pk, slug=None)


@require_safe  # link checkers ask with HEAD: a cited link must answer it
def incident_redirect(request, pk):
    """/cases/42/ answers with the canonical URL, slug included."""
    return incident_detail(request, pk, slug=None)


class CompanyListView(ListView):
    template_name = "incidents/company_list.html"
    context_object_name = "companies"
    paginate_by = 200

    def get_queryset(self):
        return Company.objects.select_related("sector").with_published_counts().filter(n_cases__gt=0).order_by("name")


@require_GET
def company_detail(request, slug):
    company = Company.objects.select_related("sector").prefetch_related("aliases").filter(slug=slug).first()
    cases = Incident.objects.published().for_company(company)
    page = paginate(request, cases.with_related().newest(), key=f"company:{company.pk}") if company else None
    if page is None or not page.paginator.count:
        # A company whose cases were all retracted answers what an unknown address does, so that nothing tells
        # it was once published (a case may be retracted for naming the wrong company), but with words.
        return render(request, "incidents/company_withdrawn.html", status=404)

    # Its record aggregates every one of its cases (400 ms for the biggest synthetic company): once per catalogue
    # generation and language (the amounts are written in the reader's), like its record next to its sector's.
    def record_and_promises():
        apology_counts = dict(
            cases.filter(apology_owed=True).values_list("apology_quality").annotate(n=Count("id")).order_by()
        )
        # The same rule as the insights: only delays whose dates are precise enough to support a median.
        response = (stats.delay_distribution(cases, "response") or [stats.empty_distribution()])[0]
        # Estimates are never added, not even within a currency: a case may carry several of them.
        estimates = (
            CostEstimate.objects.filter(incident__in=cases, kind=CostKind.BAD_BUZZ)
            .values("currency")
            .annotate(
                low=Min("amount_low"),
                high=Max(Coalesce("amount_high", "amount_low")),
                n_cases=Count("incident", distinct=True),
            )
            .order_by("currency")
        )
        record = {
            "n_cases": page.paginator.count,
            "apology": [(q, apology_counts.get(q.value, 0)) for q in ApologyQuality if apology_counts.get(q.value)],
            "median_response_days": round(response["median"]) if response.get("n") else None,
            "response_sample": response.get("n") or 0,
            "estimates": [
                {
                    "currency": e["currency"],
                    "n": e["n_cases"],
                    "low": format_big_money(e["low"], e["currency"]),
                    "high": format_big_money(e["high"], e["currency"]),
                }
                for e in estimates
            ],
        }
        # What it promised across its cases, and whether it kept it: newest first, with the case each comes from.
        # Kept per generation: only what the list shows, not each case's stories and search documents (37 KB a case).
        promises = (
            Promise.objects.filter(incident__in=cases)
            .select_related("incident")
            .only(
                *in_each_language("text"),
                *in_each_language("incident__title"),
                "made_on",
                "outcome",
                "incident__slug",
                "incident__language",
            )
            .order_by(F("made_on").desc(nulls_last=True), "-id")[:50]
        )
        return {"record": record, "promises": list(promises)}

    context = {
        "company": company,
        "page_obj": page,
        "cards": case_cards(page),
        **cached(f"company-page:{company.pk}", translation.get_language(), record_and_promises),
    }
    return render(request, "incidents/company_detail.html", context)


class SectorListView(ListView):
    template_name = "incidents/sector_list.html"
    context_object_name = "sectors"

    def get_queryset(self):
        return Sector.objects.with_published_counts()  # companies known only from drafts are not counted


@require_GET
def sector_detail(request, slug):
    sector = get_object_or_404(Sector, slug=slug)
    cases = Incident.objects.published().for_sector(sector).with_related().newest()
    companies = sector.companies.with_published_counts().filter(n_cases__gt=0).order_by("-n_cases", "name")[:30]
    page = paginate(request, cases, key=f"sector:{sector.pk}")
    return render(
        request,
        "incidents/sector_detail.html",
        {"sector": sector, "page_obj": page, "cards": case_cards(page), "companies": companies},
    )


@require_GET
def lesson_detail(request, slug):
    lesson = get_object_or_404(Lesson, slug=slug)
    cases = Incident.objects.published().filter(lessons=lesson).with_related().newest()
    page = paginate(request, cases, key=f"lesson:{lesson.pk}")
    context = {"lesson": lesson, "page_obj": page, "cards": case_cards(page)}
    return render(request, "incidents/lesson_detail.html", context)


class CorrectionListView(ListView):
    """/corrections/: every correction made to a published case, newest first, as a newsroom publishes them."""

    template_name = "incidents/corrections.html"
    context_object_name = "corrections"
    paginate_by = 50

    def get_queryset(self):
        return published_corrections()


def published_corrections():
    return (
        Correction.objects.filter(incident__status=Status.PUBLISHED)
        .select_related("incident__company")
        .order_by("-date", "-id")
    )


class AboutView(TemplateView):
    template_name = "incidents/about.html"


class MethodologyView(TemplateView):
    template_name = "incidents/methodology.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["apology_scale"] = [(q, APOLOGY_DEFINITIONS[q.value]) for q in ApologyQuality]
        context["lessons"] = Lesson.objects.all()
        return context


@require_GET
def set_language(request, code):
    """Switch language with a plain link (cacheable pages need no CSRF form): the same page at its address in
    that language, and the choice remembered for the next visit to the home page."""
    if code not in dict(settings.LANGUAGES):
        raise Http404("Unknown language.")
    next_url = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
        next_url = "/"
    response = HttpResponseRedirect(in_language(next_url, code))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def healthz(request):
    """Liveness probe for the load balancer: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
