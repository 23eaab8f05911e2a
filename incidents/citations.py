"""Citing a case: plain text, BibTeX, RIS and CSL-JSON, and the pinned revisions a citation can point at.

A citation names the version it cites: the date of the case's last change (or of a pinned revision) and
the date the reader retrieved it. A revision is a historical record of the case whose status was
"published"; /cases/<number>/revisions/<history id>/ shows the case as it was then.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_safe

from incidents.i18n import shown_language
from incidents.models import (
    Correction,
    CostEstimate,
    HarmType,
    Incident,
    Lesson,
    Source,
    Status,
    TimelineEvent,
)
from incidents.services import follow_merges
from incidents.text import date_format, render_markdown
from incidents.versions import version_end

HistoricalIncident = Incident.history.model


@dataclass
class Citation:
    """What every citation format says about one version of a case."""

    reference: str
    title: str
    summary: str
    company: str
    language: str
    url: str  # the canonical URL of the case
    version_url: str  # the URL of the version cited: the canonical URL, or a pinned revision
    version_date: datetime.date  # when the cited version was last changed
    published_date: datetime.date | None
    accessed: datetime.date
    revision_id: int | None = None

    @property
    def key(self):
        """A stable BibTeX key: sc0042."""
        return self.reference.replace("-", "").lower()

    @property
    def filename(self):
        suffix = f"-r{self.revision_id}" if self.revision_id else ""
        return f"sevices-clients-{self.reference}{suffix}"

    @property
    def publisher(self):
        return settings.SITE_NAME


def local_date(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def citation_for(request, case, revision=None):
    """The citation of a case's current version, or of one of its revisions (a historical record)."""
    url = request.build_absolute_uri(case.get_absolute_url())
    version = revision.instance if revision is not None else case
    return Citation(
        reference=case.reference,
        title=version.title,
        summary=version.summary,
        company=case.company.name,
        language=shown_language(version, "title"),  # the language of the title as cited (this page's, or the original)
        url=url,
        version_url=request.build_absolute_uri(revision_url(case, revision)) if revision is not None else url,
        version_date=local_date(revision.history_date if revision is not None else case.updated_at),
        published_date=local_date(case.published_at),
        accessed=timezone.localdate(),
        revision_id=revision.history_id if revision is not None else None,
    )


def revision_url(case, revision):
    return reverse("incidents:case_revision", kwargs={"pk": case.pk, "history_id": revision.history_id})


def latest_revision(case):
    """The newest published historical record of a case: what a pinned citation of today points at."""
    return (
        HistoricalIncident.objects.filter(id=case.pk, status=Status.PUBLISHED)
        .order_by("-history_date", "-history_id")
        .only("history_id", "history_date", "id")
        .first()
    )


# Formats ----------------------------------------------------------------------------------------------


def plain_text(citation, html=False):
    """An APA-like reference: Sévices clients. (2026, November 1). Title (SC-0004). Retrieved <date>, from <url>

    With `html`, escaped, the title marked with its language (it may differ from the sentence's)."""
    # Translators: a date format (the letters of Django's "date" filter): "2026, November 1". French: "Y, j F".
    issued = date_format(citation.version_date, pgettext("citation date, APA style", "Y, F j"))
    # Translators: a date format (the letters of Django's "date" filter): "November 20, 2026". French: "j F Y".
    retrieved = date_format(citation.accessed, pgettext("retrieval date in a citation", "F j, Y"))
    values = {
        "publisher": citation.publisher,
        "issued": issued,
        "title": citation.title,
        "reference": citation.reference,
        "retrieved": retrieved,
        "url": citation.version_url,
    }
    sentence = _("%(publisher)s. (%(issued)s). %(title)s (%(reference)s). Retrieved %(retrieved)s, from %(url)s")
    if not html:
        return sentence % values
    values = {name: conditional_escape(value) for name, value in values.items()}
    values["title"] = format_html('<span lang="{}">{}</span>', citation.language, citation.title)
    return mark_safe(conditional_escape(sentence) % values)  # noqa: S308 (every value escaped above)


BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def bibtex_escape(text):
    """Escape LaTeX's special characters; accents stay as UTF-8 (biblatex and Zotero read it)."""
    text = re.sub(r"\s+", " ", text).strip()
    return "".join(BIBTEX_SPECIAL.get(char, char) for char in text)


BIBTEX_LANGUAGES = {"en": "english", "fr": "french"}


def bibtex(citation):
    fields = [
        ("author", "{" + bibtex_escape(citation.publisher) + "}"),  # braces: an organisation, not "Clients, S."
        ("title", "{" + bibtex_escape(f"{citation.title} ({citation.reference})") + "}"),
        ("year", str(citation.version_date.year)),
        ("date", citation.version_date.isoformat()),
        ("url", citation.version_url),
        ("urldate", citation.accessed.isoformat()),
        ("organization", bibtex_escape(citation.publisher)),
        ("howpublished", bibtex_escape(citation.publisher)),
        ("language", BIBTEX_LANGUAGES.get(citation.language, citation.language)),
        ("note", bibtex_escape(f"Case {citation.reference}. Accessed {citation.accessed.isoformat()}")),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{citation.key},\n{body}\n}}\n"


def ris_value(text):
    return re.sub(r"\s+", " ", str(text)).strip()


def ris(citation):
    lines = [
        ("TY", "ELEC"),
        ("ID", citation.reference),
        ("TI", f"{citation.title} ({citation.reference})"),
        ("AU", citation.publisher),
        ("PY", str(citation.version_date.year)),
        ("DA", citation.version_date.strftime("%Y/%m/%d")),
        ("Y2", citation.accessed.strftime("%Y/%m/%d")),
        ("T2", citation.publisher),
        ("PB", citation.publisher),
        ("UR", citation.version_url),
        ("LA", citation.language),
        ("KW", citation.company),
        ("AB", citation.summary),
        ("ER", ""),
    ]
    return "".join(
        f"{tag}  - {ris_value(value)}".rstrip() + (" " if tag == "ER" else "") + "\r\n" for tag, value in lines
    )


def date_parts(date):
    return {"date-parts": [[date.year, date.month, date.day]]}


def csl_json(citation):
    item = {
        "id": citation.reference,
        "type": "webpage",
        "title": f"{citation.title} ({citation.reference})",
        "author": [{"literal": citation.publisher}],
        "container-title": citation.publisher,
        "publisher": citation.publisher,
        "URL": citation.version_url,
        "issued": date_parts(citation.version_date),
        "accessed": date_parts(citation.accessed),
        "number": citation.reference,
        "language": citation.language,
        "abstract": citation.summary,
        "keyword": citation.company,
    }
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


FORMATS = {
    "bib": (bibtex, "application/x-bibtex; charset=utf-8"),
    "ris": (ris, "application/x-research-info-systems; charset=utf-8"),
    "json": (csl_json, "application/vnd.citationstyles.csl+json; charset=utf-8"),
}


# Views -------------------------------------------------------------------------------------------------


def published_revision(case, history_id):
    return get_object_or_404(
        HistoricalIncident.objects.filter(id=case.pk, status=Status.PUBLISHED), history_id=history_id
    )


@require_safe
def cite(request, pk, fmt):
    """/cases/<number>/cite.bib, cite.ris and cite.json; ?revision=<history id> cites a pinned revision."""
    if fmt not in FORMATS:
        raise Http404("Unknown citation format.")
    case = get_object_or_404(Incident.objects.public().select_related("company", "merged_into"), pk=pk)
    if case.status == Status.MERGED:
        target = follow_merges(case)
        return HttpResponseRedirect(reverse("incidents:cite", kwargs={"pk": target.pk, "fmt": fmt}), status=301)
    if case.status != Status.PUBLISHED:
        raise Http404("Only published cases can be cited.")
    revision = None
    if request.GET.get("revision"):
        if not request.GET["revision"].isdigit():
            raise Http404("No such revision.")
        revision = published_revision(case, int(request.GET["revision"]))
    citation = citation_for(request, case, revision)
    writer, content_type = FORMATS[fmt]
    response = HttpResponse(writer(citation), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{citation.filename}.{fmt}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


def as_of(model, case, moment):
    """The rows of one of a case's inlines as they were at a moment (deleted ones left out).

    Rows written without history (loaddata, bulk_create) have no record at all: they are taken as they
    are now, as if they had always been there, rather than silently dropped from every revision.
    """
    recorded = model.history.filter(incident_id=case.pk)
    rows = list(model.history.as_of(moment).filter(incident_id=case.pk))
    rows += list(model.objects.filter(incident_id=case.pk).exclude(pk__in=recorded.values("id")))
    return rows


@require_safe
def revision_detail(request, pk, history_id):
    """A case as it was at one of its published revisions, with a link to the current version."""
    case = get_object_or_404(Incident.objects.public().select_related("company__sector"), pk=pk)
    if case.status == Status.RETRACTED:
        # A retracted case is not shown in any version; its page says what was retracted and why.
        return HttpResponseRedirect(case.get_absolute_url())
    record = published_revision(case, history_id)
    version = record.instance
    # The revision stands until the case's next recorded change; inlines edited with it (the admin saves
    # the case first, then its inlines) are shown as they were at the end of that span.
    moment = version_end(record)
    m2m = {
        name: HistoricalIncident._meta.get_field(f"historicalincident_{name}").related_model
        for name in ("harm_types", "lessons")
    }
    harm_ids = m2m["harm_types"].objects.filter(history_id=record.history_id).values("harmtype_id")
    lesson_ids = m2m["lessons"].objects.filter(history_id=record.history_id).values("lesson_id")
    latest = latest_revision(case)
    context = {
        "case": case,
        "revision": record,
        "version": version,
        "story_html": render_markdown(version.story),
        "response_html": render_markdown(version.response),
        "corrective_actions_html": render_markdown(version.corrective_actions),
        "harm_types": list(HarmType.objects.filter(pk__in=harm_ids)),
        "lessons": list(Lesson.objects.filter(pk__in=lesson_ids)),
        "costs": sorted(as_of(CostEstimate, case, moment), key=lambda c: (c.position, c.pk)),
        "sources": sorted(
            as_of(Source, case, moment), key=lambda s: (s.position, s.published_on or datetime.date.min, s.pk)
        ),
        "timeline": sorted(as_of(TimelineEvent, case, moment), key=lambda e: (e.date, e.position, e.pk)),
        "corrections": sorted(as_of(Correction, case, moment), key=lambda c: (c.date, c.pk)),
        "is_current": latest is not None and latest.history_id == record.history_id,
        "citation": citation_context(request, case, record),
    }
    return render(request, "incidents/revision.html", context)


def citation_context(request, case, revision=None, pinned=None):
    """What the "Cite this case" box shows: the plain-text reference, the pinned link and the downloads."""
    citation = citation_for(request, case, revision)
    pinned = revision if revision is not None else pinned
    query = f"?revision={revision.history_id}" if revision is not None else ""
    return {
        "citation": citation,
        "text": plain_text(citation),
        "html": plain_text(citation, html=True),
        "pinned_url": request.build_absolute_uri(revision_url(case, pinned)) if pinned is not None else "",
        "downloads": [
            (label, reverse("incidents:cite", kwargs={"pk": case.pk, "fmt": fmt}) + query)
            for fmt, label in (("bib", "BibTeX"), ("ris", "RIS"), ("json", "CSL-JSON"))
        ],
    }
