"""Full-text search of the catalogue: what a case is found by, how a reader's words match it, and the
highlighted snippets of a results page.

On PostgreSQL the words match the stored tsvector (kept current by the trigger of migration 0003, from the
title and `search_document`) in the site's accent-insensitive French and English configurations, and
results are ranked; on SQLite every word must appear in `search_document`, and results keep their sort.
`ranked()` is the one place that tells the two apart.

Nothing here imports the models: they build their search document with `case_document()`.
"""

from __future__ import annotations

import functools
import operator
import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, Value, When
from django.utils.html import escape
from django.utils.safestring import mark_safe

# The text search configurations of migration 0003, by case language (any other language reads as English).
CONFIGS = {"fr": "sevices_fr", "en": "sevices_en"}
DEFAULT_LANGUAGE = "en"
# Words of a search that count on SQLite, where each one is a LIKE over the whole document.
MAX_WORDS = 10
# Sentinels that cannot appear in text typed by a person; they mark matches until the text is escaped.
MARK_START, MARK_END = "\x02", "\x03"
HEADLINE_OPTIONS = {"start_sel": MARK_START, "stop_sel": MARK_END, "max_words": 30, "min_words": 12, "max_fragments": 2}
SNIPPET_WIDTH = 220


def ranked() -> bool:
    """PostgreSQL's full-text search, ranked by relevance; elsewhere (SQLite) a plain match of every word."""
    return connection.vendor == "postgresql"


def case_document(case, aliases=None) -> str:
    """What a case is found by: its title, its company's name and aliases, its summary, story and lesson.

    `aliases` (the company's alias names) saves a query per case when a company refreshes all of its cases.
    """
    company = case.company if case.company_id else None
    if aliases is None:
        aliases = [alias.name for alias in company.aliases.all()] if company else []
    parts = [case.title, company.name if company else "", " ".join(aliases), case.summary, case.story, case.lesson]
    return "\n".join(part for part in parts if part)


def search_words(text):
    """The words of a search that count."""
    return text.split()[:MAX_WORDS]


def search_query(text):
    """The reader's words, understood in both catalogue languages."""
    queries = (SearchQuery(text, config=config, search_type="websearch") for config in CONFIGS.values())
    return functools.reduce(operator.or_, queries)


def matching(queryset, text):
    """The cases that match the reader's words; on PostgreSQL annotated with their `rank`."""
    if ranked():
        query = search_query(text)
        return queryset.annotate(rank=SearchRank(F("search_vector"), query)).filter(search_vector=query)
    # SQLite: every word must appear somewhere in the case's text, its company's name or aliases.
    for word in search_words(text):
        queryset = queryset.filter(search_document__icontains=word)
    return queryset


def by_relevance(queryset, *then):
    """Best match first, then `then`; where results are not ranked (SQLite), `then` alone."""
    if ranked():
        return queryset.order_by(F("rank").desc(), *then)
    return queryset.order_by(*then)


# Snippets ------------------------------------------------------------------------------------------


def attach_snippets(cases, text):
    """Give each case of a search page a highlighted snippet (`case.snippet`): one query for the whole page
    on PostgreSQL (ts_headline in the case's own language), none on SQLite."""
    if not text or not cases:
        return
    if ranked():
        in_own_language = Case(
            *(When(language=language, then=Value(config)) for language, config in CONFIGS.items()),
            default=Value(CONFIGS[DEFAULT_LANGUAGE]),
        )
        headline = SearchHeadline("search_document", search_query(text), config=in_own_language, **HEADLINE_OPTIONS)
        model = type(cases[0])
        snippets = dict(
            model.objects.filter(pk__in=[case.pk for case in cases]).annotate(h=headline).values_list("pk", "h")
        )
        for case in cases:
            case.snippet = marks_to_html(snippets.get(case.pk, case.summary))
    else:
        searched = search_words(text)
        for case in cases:
            text_with_match = case.summary if any(w.lower() in case.summary.lower() for w in searched) else None
            case.snippet = highlight(text_with_match or case.search_document, searched)


def highlight(text, words, width=SNIPPET_WIDTH):
    """A window of text around the first match, escaped, each word wrapped in <mark> (the SQLite snippets)."""
    if not words:
        return escape(text[:width])
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    first = pattern.search(text)
    start = max(first.start() - width // 3, 0) if first else 0
    window = text[start : start + width]
    marked = pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_END}", window)
    prefix = "… " if start else ""
    suffix = " …" if start + width < len(text) else ""
    return marks_to_html(prefix + marked + suffix)


def marks_to_html(marked):
    """Text with MARK_START/MARK_END around its matches, escaped, the marks turned into <mark> elements."""
    return mark_safe(escape(marked).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))  # noqa: S308
