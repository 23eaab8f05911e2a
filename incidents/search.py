"""Full-text search of the catalogue in the reader's language: what a case is found by, how a reader's words
match it, ranking, and the highlighted snippets of a results page.

A case has a search document per language (`search_document_en`, `search_document_fr`, from
`case_documents()`): its texts in that language (a text missing there is taken from the other language, the
case's original), its company's name and aliases. A reader's words are matched against the document of the
active language, stemmed in that language, accents and case ignored: a French reader's "remboursements" finds
"remboursé", an English reader's "refunds" finds "refunding".

- PostgreSQL: `search_vector_en` and `search_vector_fr`, kept current by the trigger of migration 0008 from the
  title (weight A) and the document (B) of their language, in the accent-insensitive configurations
  `sevices_en` and `sevices_fr` (migration 0003); each has a GIN index. Ranked by `ts_rank`, snippets by
  `ts_headline`.
- SQLite: the FTS5 table `incidents_incident_search` (migration 0008), keyed by the case id, with a title and a
  body column per language holding the text as `normalise()` gives it (accents folded, lower-cased, each word
  stemmed by snowballstemmer's English or French stemmer). SQLite triggers keep it current on every insert,
  update of a title or document, and delete, whichever code writes (a save, a bulk insert, an `update()`);
  they call `normalise()` through a function registered on every SQLite connection. Ranked by bm25 (a title
  weighs more than the body), snippets highlighted here, word by word, by the same normalisation.

On both, the reader's words follow web-search rules: every word must match, "a quoted phrase" matches as a
phrase, `or` between words matches either, `-word` excludes (with at least one word to match), and words
too common to mean anything ("the", "les") are left out.

Nothing here imports the models: they build their documents with `case_documents()`.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import unicodedata

import snowballstemmer
from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection, connections
from django.db.backends.signals import connection_created
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import F, FloatField, Func, Value
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_migrate
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
# The text search configurations of migration 0003 (unaccent, then the language's snowball stemmer).
CONFIGS = {"en": "sevices_en", "fr": "sevices_fr"}
STEMMERS = {"en": "english", "fr": "french"}
# The texts of a case its documents are made of, in this order (with the company's names after the title).
DOCUMENT_TEXTS = ("title", "summary", "story", "lesson", "apology_text", "response", "corrective_actions")
# Terms of a search that count; more would only make the query slower.
MAX_TERMS = 16
# Sentinels that cannot appear in text typed by a person; they mark matches until the text is escaped.
MARK_START, MARK_END = "\x02", "\x03"
HEADLINE_OPTIONS = {"start_sel": MARK_START, "stop_sel": MARK_END, "max_words": 30, "min_words": 12, "max_fragments": 2}
SNIPPET_WIDTH = 220


def reader_language(language=None) -> str:
    """The language a search is made in: `language`, or the active one; any other reads as English."""
    language = (language or get_language() or settings.LANGUAGE_CODE)[:2]
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


# What a case is found by ---------------------------------------------------------------------------------


def text_in(case, field, language) -> str:
    """One text of a case in `language`, or, when it is missing there, in the other language."""
    for code in (language, *(other for other in LANGUAGES if other != language)):
        text = getattr(case, f"{field}_{code}", None)
        if text:
            return text
    return ""


def document_fields() -> list[str]:
    """The columns `case_documents()` reads."""
    return [f"{field}_{language}" for field in DOCUMENT_TEXTS for language in LANGUAGES]


def case_documents(case, company_name="", aliases=()) -> dict[str, str]:
    """What a case is found by, per language: its title, its company's name and aliases, its summary, story,
    lesson, apology, response and corrective actions, one per line, each in that language or the other."""
    documents = {}
    for language in LANGUAGES:
        texts = [text_in(case, field, language) for field in DOCUMENT_TEXTS]
        parts = [texts[0], company_name, " ".join(aliases), *texts[1:]]
        documents[language] = "\n".join(part for part in parts if part)
    return documents


# Normalised text: what SQLite indexes and what its queries and highlights compare ----------------------

_WORD = re.compile(r"[^\W_]+")  # letters and digits, as FTS5's unicode61 tokenizer reads them
_SPACE = re.compile(r"\s+")
_COMBINING_MARKS = re.compile(r"[\u0300-\u036f]")
_LETTERS = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})


def fold(text: str) -> str:
    """Lower-cased, accents removed (as PostgreSQL's unaccent): "Électricité" gives "electricite"."""
    text = text.casefold()
    if text.isascii():
        return text
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text)).translate(_LETTERS)


_stemmers = threading.local()  # a snowball stemmer keeps state between calls: one per thread


@functools.lru_cache(maxsize=100_000)
def stem(word: str, language: str) -> str:
    """One folded word reduced to its stem by the language's snowball stemmer ("guitares" gives "guitar")."""
    stemmer = getattr(_stemmers, language, None)
    if stemmer is None:
        stemmer = snowballstemmer.stemmer(STEMMERS[language])
        setattr(_stemmers, language, stemmer)
    return stemmer.stemWord(word)


def stems(text: str, language: str) -> list[str]:
    """The stems of the words of `text`, in order."""
    return [stem(word, language) for word in _WORD.findall(fold(text))]


def normalise(text: str | None, language: str) -> str:
    """Text as SQLite's index holds it: its stems, separated by spaces."""
    return " ".join(stems(text, language)) if text else ""


# The snowball stop word lists (as PostgreSQL's configurations use them), folded: left out of a search.
def _folded(words: str) -> frozenset[str]:
    return frozenset(fold(word) for word in words.split())


STOP_WORDS = {
    "en": _folded(
        """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
        she her hers herself it its itself they them their theirs themselves what which who whom this that these
        those am is are was were be been being have has had having do does did doing a an the and but if or
        because as until while of at by for with about against between into through during before after above
        below to from up down in out on off over under again further then once here there when where why how all
        any both each few more most other some such no nor not only own same so than too very s t can will just
        don should now"""
    ),
    "fr": _folded(
        """au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me même mes moi
        mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre
        vous c d j l à m n s t y été étée étées étés étant suis es est sommes êtes sont serai seras sera serons
        serez seront serais serait serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes
        furent sois soit soyons soyez soient fusse fusses fût fussions fussiez fussent ayant eu eue eues eus ai as
        avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient avais avait
        avions aviez avaient eut eûmes eûtes eurent aie aies ait ayons ayez aient eusse eusses eût eussions
        eussiez eussent ceci cela celà cet cette ici ils les leurs quel quels quelle quelles sans soi"""
    ),
}


# A reader's query --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Term:
    """A word or a phrase of a search: its folded words and their stems; `excluded` for a -word."""

    words: tuple[str, ...]
    stems: tuple[str, ...]
    excluded: bool = False

    def fts5(self):
        return '"' + " ".join(self.stems) + '"'  # stems hold letters and digits only


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def parse(text: str, language: str) -> list[list[Term]]:
    """The reader's words as web search reads them: groups separated by `or`, each a list of terms that must all
    match (a quoted phrase, or a word, which is a phrase when it holds several, as "Port-Bou" or "88,247")."""
    groups, count = [[]], 0
    stop = STOP_WORDS[language]
    for sign, quoted, word in _TOKEN.findall(text):
        if word.lower() == "or":
            if groups[-1]:
                groups.append([])
            continue
        excluded = bool(sign) or (len(word) > 1 and word.startswith("-"))
        words = _WORD.findall(fold(quoted or word))
        while words and words[0] in stop:  # elisions and articles at either end ("l'électricité")
            words.pop(0)
        while words and words[-1] in stop:
            words.pop()
        if words and count < MAX_TERMS:
            groups[-1].append(Term(tuple(words), tuple(stem(w, language) for w in words), excluded))
            count += 1
    return [group for group in groups if any(not term.excluded for term in group)]


def search_stems(text: str, language: str) -> set[str]:
    """The stems a snippet highlights: those of the words the reader looks for (not of the excluded ones, nor of
    the common words of a phrase)."""
    stop = STOP_WORDS[language]
    return {
        stem
        for group in parse(text, language)
        for term in group
        if not term.excluded
        for word, stem in zip(term.words, term.stems, strict=True)
        if word not in stop
    }


def fts5_query(text: str, language: str) -> str | None:
    """The reader's words as an FTS5 query on the language's columns, or None when no word is left to match."""
    groups = []
    for group in parse(text, language):
        wanted = " AND ".join(term.fts5() for term in group if not term.excluded)
        unwanted = [term.fts5() for term in group if term.excluded]
        groups.append(f"({wanted}) NOT ({' OR '.join(unwanted)})" if unwanted else f"({wanted})")
    if not groups:
        return None
    return f"{{title_{language} body_{language}}} : ({' OR '.join(groups)})"


# Matching and ranking -----------------------------------------------------------------------------------

SQLITE_TABLE = "incidents_incident_search"
SQLITE_MIGRATION = "0008_search_in_both_languages"  # the migration that makes it


class FtsRank(Func):
    """SQLite: a case's relevance to an FTS5 query (bm25 with the table's weights, negated so that more is
    better, as on PostgreSQL). The matches and their ranks are computed once per query, then looked up by id:
    a full-text query per case would compute bm25's statistics again for each one."""

    output_field = FloatField()

    def __init__(self, query):
        super().__init__(F("pk"))
        self.query = query

    def as_sql(self, compiler, connection, **extra_context):
        pk, params = compiler.compile(self.get_source_expressions()[0])
        matches = f"SELECT rowid AS id, rank FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s LIMIT -1"
        return f"(SELECT -matches.rank FROM ({matches}) AS matches WHERE matches.id = {pk})", [self.query, *params]


def matching(queryset, text, language=None):
    """The cases that match the reader's words in `language` (the active one by default), with their relevance
    as the alias `rank` (higher is better) for `by_relevance()`."""
    language = reader_language(language)
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config=CONFIGS[language], search_type="websearch")
        vector = f"search_vector_{language}"
        return queryset.filter(**{vector: query}).alias(rank=SearchRank(F(vector), query))
    query = fts5_query(text, language)
    if query is None:
        return queryset.alias(rank=Value(0.0)).none()
    matches = RawSQL(f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s", [query])
    return queryset.filter(pk__in=matches).alias(rank=FtsRank(query))


def by_relevance(queryset, *then):
    """Best match first, then `then`."""
    return queryset.order_by(F("rank").desc(), *then)


# SQLite's index --------------------------------------------------------------------------------------

# The triggers call normalise() through this function, registered on every SQLite connection.
SQLITE_FUNCTION = "sevices_search_text"
# A case's row of the index; a title missing in a language is taken from the other (documents already are).
_SQLITE_VALUES = f"""
    {SQLITE_FUNCTION}('en', coalesce(nullif(<row>.title_en, ''), <row>.title_fr)),
    {SQLITE_FUNCTION}('en', <row>.search_document_en),
    {SQLITE_FUNCTION}('fr', coalesce(nullif(<row>.title_fr, ''), <row>.title_en)),
    {SQLITE_FUNCTION}('fr', <row>.search_document_fr)"""
_SQLITE_COLUMNS = f"{SQLITE_TABLE} (rowid, title_en, body_en, title_fr, body_fr)"
_SQLITE_ROW = f"INSERT OR REPLACE INTO {_SQLITE_COLUMNS} VALUES (new.id, {_SQLITE_VALUES.replace('<row>', 'new')});"
SQLITE_TABLE_SQL = [
    f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5("
    "title_en, body_en, title_fr, body_fr, tokenize = 'unicode61 remove_diacritics 2')",
    # bm25's weight per column: a word of the title counts two and a half times a word of the body.
    f"INSERT INTO {SQLITE_TABLE} ({SQLITE_TABLE}, rank) VALUES ('rank', 'bm25(2.5, 1.0, 2.5, 1.0)')",
]
SQLITE_TRIGGERS = {
    f"{SQLITE_TABLE}_insert": f"AFTER INSERT ON incidents_incident BEGIN {_SQLITE_ROW} END",
    f"{SQLITE_TABLE}_update": "AFTER UPDATE OF title_en, title_fr, search_document_en, search_document_fr "
    f"ON incidents_incident BEGIN {_SQLITE_ROW} END",
    f"{SQLITE_TABLE}_delete": f"AFTER DELETE ON incidents_incident BEGIN "
    f"DELETE FROM {SQLITE_TABLE} WHERE rowid = old.id; END",
}
SQLITE_REBUILD = [
    f"DELETE FROM {SQLITE_TABLE}",
    f"INSERT INTO {_SQLITE_COLUMNS} SELECT id, {_SQLITE_VALUES.replace('<row>', 'incidents_incident')} "
    "FROM incidents_incident",
]


def _sqlite_search_text(language, text):
    return normalise(text, language)


def add_sqlite_function(sender=None, connection=None, **kwargs):
    """Give a new SQLite connection the function its triggers call."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 2, _sqlite_search_text, deterministic=True)


def install_sqlite_index(connection):
    """SQLite: the full-text table if it is missing, its triggers if they are missing (then the whole index is
    rebuilt from the documents). Migration 0008 installs them; after every `migrate` they are checked again,
    since SQLite drops a table's triggers when a migration rebuilds the table (to add a column, for example).
    Returns whether anything was installed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for _type, name in cursor.fetchall()}
        if "incidents_incident" not in present:
            return False
        statements = [] if SQLITE_TABLE in present else list(SQLITE_TABLE_SQL)
        missing = [name for name in SQLITE_TRIGGERS if name not in present]
        statements += [f"CREATE TRIGGER {name} {SQLITE_TRIGGERS[name]}" for name in missing]
        if missing:
            statements += SQLITE_REBUILD
        for statement in statements:
            cursor.execute(statement)
    return bool(statements)


def _check_sqlite_index(sender, using, **kwargs):
    if sender.name == "incidents" and connections[using].vendor == "sqlite":
        recorder = MigrationRecorder(connections[using])
        if ("incidents", SQLITE_MIGRATION) in recorder.applied_migrations():
            install_sqlite_index(connections[using])


connection_created.connect(add_sqlite_function, dispatch_uid="incidents.search.add_sqlite_function")
post_migrate.connect(_check_sqlite_index, dispatch_uid="incidents.search.check_sqlite_index")


# Snippets ------------------------------------------------------------------------------------------


def attach_snippets(cases, text, language=None):
    """Give each case of a search page a highlighted snippet in the reader's language (`case.snippet`): one query
    for the whole page (PostgreSQL's ts_headline; SQLite's snippets are cut in Python from the documents)."""
    if not text or not cases:
        return
    language = reader_language(language)
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config=CONFIGS[language], search_type="websearch")
        headline = SearchHeadline(f"search_document_{language}", query, config=CONFIGS[language], **HEADLINE_OPTIONS)
        model = type(cases[0])
        snippets = dict(
            model.objects.filter(pk__in=[case.pk for case in cases]).annotate(h=headline).values_list("pk", "h")
        )
        for case in cases:
            case.snippet = marks_to_html(snippets.get(case.pk) or text_in(case, "summary", language))
        return
    wanted = search_stems(text, language)
    # The documents in one query: lists read their rows without them (`IncidentQuerySet.without_long_texts`).
    model = type(cases[0])
    documents = dict(
        model.objects.filter(pk__in=[case.pk for case in cases]).values_list("pk", f"search_document_{language}")
    )
    for case in cases:
        summary = text_in(case, "summary", language)
        shown = summary if first_match(summary, wanted, language) else documents.get(case.pk)
        case.snippet = highlight(shown or summary, wanted, language)


def _matches(text, wanted, language):
    for word in _WORD.finditer(text):
        if any(s in wanted for s in stems(word.group(), language)):
            yield word


def first_match(text, wanted, language):
    return next(_matches(text, wanted, language), None)


def highlight(text, wanted, language, width=SNIPPET_WIDTH):
    """A window of `text` around its first word whose stem is one of `wanted`, escaped, each such word in a
    <mark> (the SQLite snippets)."""
    first = first_match(text, wanted, language) if wanted else None
    start = max(first.start() - width // 3, 0) if first else 0
    if start:  # from the start of a word
        space = _SPACE.search(text, start, first.start())
        start = space.end() if space else first.start()
    end = start + width
    pieces, at = [], start
    for word in _matches(text[start:end], wanted, language) if wanted else ():
        pieces += [text[at : start + word.start()], MARK_START, word.group(), MARK_END]
        at = start + word.end()
    pieces.append(text[at:end])
    prefix = "… " if start else ""
    suffix = " …" if end < len(text) else ""
    return marks_to_html(prefix + "".join(pieces) + suffix)


def marks_to_html(marked):
    """Text with MARK_START/MARK_END around its matches, escaped, the marks turned into <mark> elements."""
    return mark_safe(escape(marked).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))  # noqa: S308
