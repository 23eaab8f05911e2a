"""The pieces of a list page kept per catalogue generation, for lists of up to 100,000 cases: each page's case
ids and the list's count (`CataloguePaginator`), the rendered case cards (`case_cards`) and the facet counts
(`cached_facets`). A warm list page runs no query at all; an edit refreshes every piece with the generation.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise, cached_property
from django.utils.safestring import mark_safe

from incidents.caching.generation import ENTRY_FORMAT, cached, catalogue_generation, filter_query
from incidents.search import attach_snippets

# How many pages' ids one query reads (see CataloguePaginator.page).
PAGES_PER_READ = 20


class CataloguePaginator(Paginator):
    """Django's Paginator, for lists of up to 100,000 cases; page URLs stay `?page=N`.

    - The count and each page's ids are cached per query and catalogue generation: every page of a list
      shares the count (counting 93,000 published cases costs more than the rest of the page), and a page
      ranked by relevance is ranked once per edit, not once per reader.
    - A page reads its ids alone (`OFFSET` over the sort index; after page 1, twenty pages' at a time), then
      its rows by id, and only when they are needed: the case cards of a page are themselves cached (`case_cards`), so a
      page whose cards are all cached reads no row at all. Page 2,000 reads 40,000 index entries, not 40,000 rows.

    `key` names the query for the cache (the list's canonical filters, "company:42"); without it, the
    query's SQL names it.
    """

    def __init__(self, object_list, per_page, *, key=None, counted=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._key = key
        self._counted = counted  # the count, or None, read from what is kept anyway (`count_from_summary`)

    @cached_property
    def query_name(self):
        return self._key or repr(self.object_list.query.sql_with_params())

    def _cached(self, name, compute):
        return cached(f"paginator-{name}", self.query_name, compute, timeout=settings.PAGE_CACHE_SECONDS)

    @cached_property
    def count(self):
        if not hasattr(self.object_list, "query"):
            return super().count

        def count():
            known = self._counted() if self._counted else None
            return Paginator.count.func(self) if known is None else known

        return self._cached("count", count)

    def page(self, number):
        number = self.validate_number(number)
        if not hasattr(self.object_list, "values_list"):
            return super().page(number)
        # Page 1, which most readers stop at, reads its own ids. The next pages' are read (and kept) by
        # PAGES_PER_READ pages: a crawler asks a list's pages one after the other, and a search ranked by
        # relevance ranks every match whatever the page (400 ids of a sector: 8-27 ms at 100,000 cases, 20 of
        # them 0.4-2.5 ms).
        if number == 1:
            block, bottom, size = "first", 0, self.per_page
        else:
            block = (number - 2) // PAGES_PER_READ
            size = self.per_page * PAGES_PER_READ
            bottom = self.per_page + block * size
        ids = self._cached(
            f"block{block}x{size}", lambda: list(self.object_list.values_list("pk", flat=True)[bottom : bottom + size])
        )
        start = (number - 1) * self.per_page - bottom
        return CataloguePage(ids[start : start + self.per_page], number, self)


class CataloguePage(Page):
    """A page that knows its case ids and reads their rows (one query, in page order) on first use."""

    def __init__(self, ids, number, paginator):
        self.ids = ids
        self._rows = None
        super().__init__(None, number, paginator)

    @property
    def object_list(self):
        if self._rows is None:
            self._rows = self.rows_for(self.ids)
        return self._rows

    @object_list.setter
    def object_list(self, value):  # Page.__init__ sets it; the rows come from the ids
        pass

    def rows_for(self, ids):
        if not ids:
            return []
        rows = self.paginator.object_list.order_by().filter(pk__in=ids).without_long_texts()
        found = {row.pk: row for row in rows}
        return [found[pk] for pk in ids if pk in found]


def case_cards(page, snippets=None):
    """The rendered case cards of a page (`includes/_case_card.html`), each cached per case, language and
    catalogue generation: one round trip for the page's cards, and only the cards not cached yet read
    their rows. `snippets` (a search page's highlighted excerpts) are computed for those only."""
    ids = page.ids if isinstance(page, CataloguePage) else [case.pk for case in page]
    tag = hashlib.blake2b(snippets.encode(), digest_size=8).hexdigest() if snippets else ""
    prefix = f"card:{ENTRY_FORMAT}:{catalogue_generation()}:{translation.get_language()}:{tag}:"
    found = cache.get_many([prefix + str(pk) for pk in ids])
    missing = [pk for pk in ids if prefix + str(pk) not in found]
    if missing:
        rows = page.rows_for(missing) if isinstance(page, CataloguePage) else [c for c in page if c.pk in missing]
        if snippets:
            attach_snippets(rows, snippets)
        made = {prefix + str(case.pk): render_to_string("includes/_case_card.html", {"case": case}) for case in rows}
        cache.set_many(made, settings.PAGE_CACHE_SECONDS)
        found.update(made)
    return [mark_safe(found[prefix + str(pk)]) for pk in ids if prefix + str(pk) in found]


def cached_facets(filterset):
    """The list's facets (`IncidentFilterSet.facets()`: each faceted filter's options and their counts), computed
    once per set of filters and catalogue generation (page and sort do not change them).

    Labels declared in code (lazy translations) are kept out of the cache and read again from the form's
    choices: unpickling a lazy string rebuilds its class, which cost more than the rest of the facets."""
    query = filter_query(filterset.data, filterset.filter_params)
    stored = cached("facets", query, lambda: _storable(_facets(filterset)), timeout=settings.PAGE_CACHE_SECONDS)
    return {name: _relabelled(filterset, name, options) for name, options in stored.items()}


def _facets(filterset):
    """Read from the summary of the list without its sector, harm and apology filters (`facet_summary()`), kept
    per generation and shared by every combination of those filters: the first reader of /cases/?sector=x
    or ?apology=none pays no facet query when /cases/ was read before (each rescanned the whole catalogue)."""
    if not filterset.summary_tells_facets:
        return filterset.facets()
    return filterset.facets_from_summary(facet_summary(filterset))


def facet_summary(filterset):
    """`facet_summary()` of the list, kept per generation and shared by every combination of its faceted filters."""
    base = filter_query(filterset.data, [name for name in filterset.filter_params if name not in filterset.FACETED])
    return cached("facet-summary", base, filterset.facet_summary, timeout=settings.PAGE_CACHE_SECONDS)


def count_from_summary(filterset):
    """The list's count read from its facet summary, or None. The summary counts the list without its sector,
    harm and apology filters: with none of them it counts exactly the list's cases, each once (by sector and
    apology level). A new search then scans its matches for the summary alone instead of for a COUNT too (half a
    second for a word found in half the catalogue)."""
    faceted = any(value for name in filterset.FACETED for value in filterset.data.getlist(name))
    if faceted or (filterset.is_bound and not filterset.form.is_valid()):
        return None
    by_case, _by_harm = facet_summary(filterset)
    return sum(n for _sector, _level, n in by_case)


def _storable(facets):
    return {
        name: [{**option, "label": None} if isinstance(option["label"], Promise) else option for option in options]
        for name, options in facets.items()
    }


def _relabelled(filterset, name, options):
    if all(option["label"] is not None for option in options):
        return options
    labels = {str(value): label for value, label in filterset.form.fields[name].choices}
    return [
        option if option["label"] is not None else {**option, "label": labels[option["value"]]} for option in options
    ]
