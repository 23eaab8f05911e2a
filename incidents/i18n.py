"""Which language a request is answered in, and the same page's address in the other language.

Each page has one URL per language: English unprefixed (every URL published before French had its own keeps
answering as it did), French under `/fr/` (`i18n_patterns` in sevices/urls.py). The URL decides the language,
except on the home page `/`, where a reader's language cookie (set by the language switcher) or, failing it,
their browser's `Accept-Language` sends a French reader to `/fr/`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.middleware import locale
from django.urls import translate_url
from django.utils import translation
from django.utils.translation import get_language_from_path

HOME_PATHS = ("/",)
# Pages that have one URL for both languages: the admin answers in the editor's language.
UNPREFIXED_PATHS = ("/admin/",)


def negotiated_language(request):
    """The reader's own choice: the language cookie, then `Accept-Language`, then the site's default."""
    return translation.get_language_from_request(request, check_path=False)


def page_language(request):
    """The language the page at this request's URL is written in (what the page cache keys on)."""
    language = get_language_from_path(request.path_info)
    if language:
        return language
    if request.path_info in HOME_PATHS:
        return negotiated_language(request)
    return settings.LANGUAGE_CODE


def language_redirect(request):
    """Where a reader arriving on the unprefixed home page should go instead, or None."""
    if request.path_info in HOME_PATHS and negotiated_language(request) != settings.LANGUAGE_CODE:
        return in_language(request.get_full_path(), negotiated_language(request))
    return None


def reader_language(language=None):
    """`language`, or the active one: the two-letter code of the language a reader is being answered in."""
    return (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]


def shown_language(obj, field, language=None):
    """The language a reader of `language` (the active one) is shown `field` of `obj` in: theirs when that text
    exists, else the other one that does (modeltranslation falls back the same way)."""
    language = reader_language(language)
    if getattr(obj, f"{field}_{language}", None):
        return language
    for code, _name in settings.LANGUAGES:
        if getattr(obj, f"{field}_{code}", None):
            return code
    return language


def in_language(url, code):
    """The same page's URL (relative or absolute) in language `code`; the URL unchanged if it is no page of ours."""
    path_language = get_language_from_path(urlsplit(url).path) or settings.LANGUAGE_CODE
    with translation.override(path_language):  # a URL is resolved in the language it is written in
        return translate_url(url, code)


def alternates(request):
    """The same page in each language, absolute: [(code, url)], the default language first.

    Only the path changes language; the query string (filters, page number) stays as it is."""
    here = request.build_absolute_uri()
    return [(code, in_language(here, code)) for code, _name in settings.LANGUAGES]


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, with one difference: pages outside the language prefixes (the admin) follow the reader's
    choice (cookie, then Accept-Language), as every page did before French had URLs of its own. Django would
    answer them in the default language, since its unprefixed URLs are the English ones."""

    def process_request(self, request):
        super().process_request(request)
        if request.path_info.startswith(UNPREFIXED_PATHS):
            language = negotiated_language(request)
            translation.activate(language)
            request.LANGUAGE_CODE = language
