"""Each language's typography, one rule per test, on what readers see: French puts a narrow no-break space before
; : ? ! and inside « », keeps a number and its unit together, writes "1er mars" and "1,5 jour"; English writes
"17%"; amounts are written one way whatever their size; the French charts' axis labels do not overlap; and the
French reads as written in French (counts that read at 0 and 1, no multiplication sign inside a sentence, one
glossary, no serial comma, no capital after a colon). The catalogue's own checks (placeholders, apostrophes, a
compiled catalogue in step with its source) are in tests/test_i18n.py."""

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.cache import cache
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from incidents import charts
from incidents.i18n import in_language
from incidents.models import ApologyQuality, Correction, CostKind, DatePrecision, Incident, Lesson
from incidents.text import date_format, format_big_money, format_money, format_percent
from tests import factories

NBSP = "\u00a0"
NNBSP = "\u202f"
PO = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"))


@pytest.fixture(autouse=True)
def _back_to_english():
    yield
    translation.deactivate()


class VisibleText(HTMLParser):
    """The text a reader meets on a page: text nodes (charts' labels and tooltips included) and the attributes
    read aloud or shown (aria-label, placeholder, alt, title, meta description); code samples, scripts and hidden
    elements left out."""

    SKIPPED = {"script", "style", "code"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    READ = {"aria-label", "placeholder", "alt", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open, self.texts = [], []  # the open elements, each marked True when its content is not read

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        hidden = tag in self.SKIPPED or "hidden" in attrs or attrs.get("aria-hidden") == "true"
        if any(self.open) or hidden:
            if tag not in self.VOID:
                self.open.append(True)
            return
        self.texts += [value for name, value in attrs.items() if name in self.READ and value]
        if tag == "meta" and attrs.get("name") == "description":
            self.texts.append(attrs.get("content") or "")
        if tag not in self.VOID:
            self.open.append(False)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.open.pop()

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.open:
            self.open.pop()

    def handle_data(self, data):
        if not any(self.open) and data.strip():
            self.texts.append(data)


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    return [re.sub(r"[ \t\r\n]+", " ", text) for text in parser.texts]


def french_punctuation_faults(text):
    """; : ? ! without a narrow no-break space before them, « » without one inside."""
    faults = [m.group(0) for m in re.finditer(r"(?:^|.)[:;?!](?=[\s»]|$)", text) if not m.group(0).startswith(NNBSP)]
    return faults + re.findall(rf"«[^{NNBSP}]|[^{NNBSP}]»", text)


def english_punctuation_faults(text):
    """; : ? ! with a space before them."""
    return re.findall(r"[\s\u00a0\u202f][:;?!](?=\s|$)", text)


@pytest.fixture
def catalogue():
    """A French case and an English one, costed (a ratio), dated, with a timeline, in a seeded sector and lesson."""
    energy = factories.sector(name="Energy", slug="energy", recourse="Write to the ombudsman")
    edf = factories.company(name="EDF", slug="edf", sector=energy)
    lesson = Lesson.objects.get(slug="apologise-well")
    french = factories.incident(
        language="fr",
        title="Une facture de quatre-vingt-huit mille euros",
        summary="Une retraitée reçoit une facture absurde",
        story="EDF refuse de la corriger pendant des mois",
        lesson="Reconnaître l’erreur tout de suite",
        company=edf,
        occurred_on=datetime.date(2009, 12, 1),
        occurred_precision=DatePrecision.MONTH,
        first_response_on=datetime.date(2010, 2, 1),
        first_response_precision=DatePrecision.MONTH,
        apology_quality=ApologyQuality.REFUSED,
        customers_affected=1200000,
        lessons=[lesson],
    )
    factories.cost(french, "88247", "EUR", kind=CostKind.BAD_BUZZ)
    factories.cost(french, "500", "EUR", kind=CostKind.REMEDY)
    factories.event(french, description="La facture arrive")
    Correction.objects.create(incident=french, date=datetime.date(2024, 3, 1), note="la date de la facture")
    english = factories.incident(title="A bill nobody could explain", company=edf, lessons=[lesson])
    return {"french": french, "english": english, "edf": edf, "energy": energy, "lesson": lesson}


def public_pages(client, catalogue, language):
    """The pages of the catalogue in a language, each as its text: the list with filters and a filter it does not
    understand (chips and an error list), a case, a company, a sector, a lesson, the figures, the static pages."""
    paths = [
        reverse("incidents:home"),
        reverse("incidents:incident_list") + "?sector=energy&apology=refused&year_from=abc",
        catalogue["french"].get_absolute_url(),
        catalogue["english"].get_absolute_url(),
        catalogue["edf"].get_absolute_url(),
        catalogue["energy"].get_absolute_url(),
        catalogue["lesson"].get_absolute_url(),
        reverse("incidents:insights"),
        reverse("incidents:methodology"),
        reverse("incidents:about"),
        reverse("incidents:data"),
        reverse("incidents:corrections"),
    ]
    paths = [in_language(path, language) for path in paths] + [f"/{language}/no-such-page/".replace("/en/", "/")]
    return {path: visible_text(client.get(path).content.decode()) for path in paths}


# Typography of each language -------------------------------------------------------------------------


@pytest.mark.django_db
def test_french_pages_put_a_narrow_no_break_space_before_double_punctuation_and_inside_guillemets(client, catalogue):
    french = public_pages(client, catalogue, "fr")
    faults = {path: [f for text in texts for f in french_punctuation_faults(text)] for path, texts in french.items()}
    assert {path: found for path, found in faults.items() if found} == {}
    case_page = " ".join(french[in_language(catalogue["french"].get_absolute_url(), "fr")])
    assert f"Victime d’une entreprise du secteur «{NNBSP}Énergie{NNBSP}»{NNBSP}?" in case_page


@pytest.mark.django_db
def test_english_pages_put_no_space_before_a_colon(client, catalogue):
    faults = {
        path: [f for text in texts for f in english_punctuation_faults(text)]
        for path, texts in public_pages(client, catalogue, "en").items()
    }
    assert {path: found for path, found in faults.items() if found} == {}


def test_the_punctuation_checks_catch_the_usual_faults():
    assert french_punctuation_faults("Trier par : date") == [" :"]
    assert french_punctuation_faults(f"Trier par{NBSP}: date ; heure") == [f"{NBSP}:", " ;"]
    assert french_punctuation_faults("« ici »") == ["« ", " »"]
    assert french_punctuation_faults("Quand?") == ["d?"]
    assert french_punctuation_faults(f"Quand{NNBSP}? «{NNBSP}ici{NNBSP}» 14:05 https://example.org") == []
    assert english_punctuation_faults("Apology : refused") == [" :"]
    assert english_punctuation_faults("Apology: refused, at 14:05") == []


@pytest.mark.django_db
def test_french_keeps_numbers_and_their_units_together(client, catalogue):
    page = client.get(in_language(catalogue["french"].get_absolute_url(), "fr")).content.decode()
    assert f"estimé à 88{NBSP}247{NBSP}€" in page
    assert f"1{NBSP}200{NBSP}000" in page  # customers affected
    assert f"environ 2{NBSP}mois après l’incident" in page
    with translation.override("fr"):
        assert charts.number(1234.5) == f"1{NBSP}234,5"
        assert format_big_money(Decimal("2500000"), "EUR") == f"2,5{NBSP}millions{NBSP}€"


def test_shortened_texts_keep_their_no_break_spaces():
    """A card shows the first words of a summary: "88 247 €" and "« Dell Hell »" stay whole and unbroken."""
    summary = f"Une facture de 88{NBSP}247{NBSP}€ et des billets «{NNBSP}Dell Hell{NNBSP}» qui font le tour du web"
    shortened = Template("{% load catalogue %}{{ text|truncate_words:9 }}").render(Context({"text": summary}))
    assert shortened == f"Une facture de 88{NBSP}247{NBSP}€ et des billets «{NNBSP}Dell Hell{NNBSP}» …"
    assert Template("{% load catalogue %}{{ text|truncate_words:30 }}").render(Context({"text": summary})) == summary


@pytest.mark.django_db
def test_french_writes_the_first_of_the_month_1er(client, catalogue):
    case_page = client.get(in_language(catalogue["french"].get_absolute_url(), "fr")).text
    assert ">1er mars 2024</time>" in case_page  # its corrections
    corrections = client.get(in_language(reverse("incidents:corrections"), "fr")).text
    assert ">1er mars 2024</time>" in corrections
    assert ">March 1, 2024</time>" in client.get(reverse("incidents:corrections")).text
    for day, french, english in ((1, "1er mars 2024", "March 1, 2024"), (2, "2 mars 2024", "March 2, 2024")):
        moment = timezone.make_aware(datetime.datetime(2024, 3, day, 12))
        Incident.objects.update(updated_at=moment)
        cache.clear()  # the page is cached until the catalogue changes, and update() tells no one
        assert (
            f"Dernière modification{NNBSP}: {french}." in client.get(in_language(reverse("incidents:data"), "fr")).text
        )
        assert f"Last change: {english}." in client.get(reverse("incidents:data")).text
    with translation.override("fr"):
        assert date_format(datetime.date(2009, 12, 1), "MONTH_DAY_FORMAT") == "1er décembre"
        assert date_format(datetime.date(2009, 12, 1), "YEAR_MONTH_FORMAT") == "décembre 2009"
        assert date_format(datetime.date(2009, 12, 1), "SHORT_DATE_FORMAT") == "01/12/2009"
        assert date_format(datetime.datetime(2024, 3, 1, 14, 5), "DATETIME_FORMAT") == "1er mars 2024 14:05"


def test_french_uses_the_singular_below_two_and_english_only_for_one():
    # Delays are whole days (no "0,5 jour"): French "1 jour", "2 jours"; English "1 day", "2 days".
    with translation.override("fr"):
        assert [charts.days_text(n) for n in (0.5, 1, 1.4, 2)] == [
            f"1{NBSP}jour",
            f"1{NBSP}jour",
            f"1{NBSP}jour",
            f"2{NBSP}jours",
        ]
    with translation.override("en"):
        assert [charts.days_text(n) for n in (0.5, 1, 1.5, 2)] == ["1 day", "1 day", "2 days", "2 days"]


def test_english_percentages_have_no_space_and_french_ones_a_narrow_one():
    rows = [{"label": "All", "counts": [1, 0, 0, 1, 4, 0]}]
    levels = [str(quality.label) for quality in ApologyQuality]
    with translation.override("en"):
        assert format_percent(16.7) == "17%"
        assert "All · Sincere: 4 (67%)" in charts.apology_bars("a", "Apologies", "Shares.", rows, levels)
    with translation.override("fr"):
        levels = [str(quality.label) for quality in ApologyQuality]
        assert format_percent(16.7) == f"17{NNBSP}%"
        assert f"All · Sincères{NNBSP}: 4 (67{NNBSP}%)" in charts.apology_bars("a", "Excuses", "Parts.", rows, levels)


def axis_label_spans(svg):
    """The horizontal extent of each label of a chart's axis (its labels are centred, muted and on one line), as
    the chart measures text."""
    labels = re.findall(
        rf'<text x="([\d.]+)" y="([\d.]+)" text-anchor="middle" font-size="12" fill="{charts.MUTED}">([^<]+)</text>',
        svg,
    )
    axis = max({y for _x, y, _t in labels}, key=lambda y: sum(1 for label in labels if label[1] == y))
    return [
        (float(x) - charts.text_width(t, 12) / 2, float(x) + charts.text_width(t, 12) / 2, t)
        for x, y, t in labels
        if y == axis
    ]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_delay_axis_labels_do_not_overlap(language):
    """Twenty years on a log scale put "1 an", "2 ans", "5 ans", "10 ans", "20 ans" a few pixels apart."""
    rows = [{"label": "Slow", "n": 2, "min": 1, "q1": 30, "median": 400, "q3": 3000, "max": 7000}]
    with translation.override(language):
        svg = str(charts.delay_boxes("d", "Delays", "Very slow.", rows, "Note."))
        last = charts.delay_ticks()[-1][1]
    spans = axis_label_spans(svg)
    assert len(spans) >= 5
    assert all(right + 6 <= next_left for (_l, right, _t), (next_left, _r, _n) in zip(spans, spans[1:], strict=False))
    assert spans[-1][2] == last  # the end of the axis is always named
    if language == "fr":
        assert f"1{NBSP}an" in [label for _l, _r, label in spans]


def test_the_ratio_axis_labels_do_not_overlap():
    rows = [
        {"label": "A", "bad_buzz": 2.0, "remedy": 10.0, "bad_buzz_text": "2", "remedy_text": "10", "figure": "×0,2"},
        {"label": "B", "bad_buzz": 2e9, "remedy": 1.0, "bad_buzz_text": "2", "remedy_text": "1", "figure": "×2"},
    ]
    for row in rows:
        row["tooltip"] = row["label"]
    with translation.override("fr"):
        svg = str(charts.price_pairs("r", "Ratios", "Two.", rows, "EUR"))
    spans = axis_label_spans(svg)
    assert len(spans) >= 4
    assert all(right + 6 <= next_left for (_l, right, _t), (next_left, _r, _n) in zip(spans, spans[1:], strict=False))


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("currency", ["EUR", "USD", "GBP", "CAD", "AUD", "JPY", "CHF"])
def test_one_currency_style_for_small_and_big_amounts(language, currency):
    """The same sign in the same place, whether the amount is written in full or in millions."""
    with translation.override(language):
        small = format_money(Decimal("1200"), currency)
        big = format_big_money(Decimal("180000000"), currency)
    if language == "fr":
        assert small.endswith(NBSP + small.split(NBSP)[-1]) and big.endswith(NBSP + small.split(NBSP)[-1])
        assert small.split(NBSP)[-1] in ("€", "£", currency)
    else:
        sign = small.removesuffix("1,200").rstrip(NBSP)
        assert big.startswith(sign) and sign in ("€", "$", "£", "CA$", "A$", "¥", currency)
        assert big.removeprefix(sign).lstrip(NBSP) == "180 million"


# French that reads as written in French ---------------------------------------------------------------


@pytest.mark.django_db
def test_counts_read_well_at_zero_and_one(client):
    """No "1 cas publiés" nor "0 cas sur 1 sont datés": plural forms, or the noun first ("Cas datés : 1 sur 1")."""
    energy = factories.sector(name="Energy", slug="energy")
    case = factories.incident(company=factories.company(name="EDF", sector=energy), occurred_on=None)
    insights = " ".join(visible_text(client.get(in_language(reverse("incidents:insights"), "fr")).text))
    assert "Vue d’ensemble de 1 cas publié." in insights
    assert f"Cas datés{NNBSP}: 0 sur 1." in insights
    assert f"Première réponse — cas datés{NNBSP}: 0 sur 1{NNBSP}; assez précis pour être comptés{NNBSP}: 0." in insights
    company = " ".join(visible_text(client.get(in_language(case.company.get_absolute_url(), "fr")).text))
    assert f"Cas publiés{NNBSP}: 1 pour EDF, 1 pour l’ensemble «{NNBSP}Énergie{NNBSP}», qui l’inclut." in company
    english = " ".join(visible_text(client.get(case.company.get_absolute_url()).text))
    assert "Figures from 1 published case of EDF, beside the 1 of Energy (which include it)." in english
    for page in (insights, company):
        assert not re.search(r"\b[01] cas (publiés|sont|ont)\b", page)


@pytest.mark.django_db
def test_no_multiplication_sign_inside_a_french_sentence(client, catalogue):
    """ "×176" is a figure for a table or a chart; a sentence names the ratio first and gives it after a colon."""
    pages = [in_language(reverse("incidents:insights"), "fr"), in_language(catalogue["edf"].get_absolute_url(), "fr")]
    for path in pages:
        html = client.get(path).content.decode()
        sentences = [t for t in visible_text(re.sub(r"<svg.*?</svg>", "", html, flags=re.S)) if "×" in t and "." in t]
        assert "fois" in html, path  # the ratio is written in words in a sentence ("environ 100 fois")
        for sentence in sentences:
            assert re.search(rf"{NNBSP}: ×\S+ \(n = \d+\)\.", sentence), sentence
            assert not re.search(r"\w ×", sentence), sentence


FORBIDDEN = {
    "remède": "remedy is « réparation »",
    "dossier": "case is « cas »",
    "affaire": "case is « cas »",
    "Formelles": "the “Formal” apology level is « Protocolaires »",
    "Maltraitance": "« Mauvais traitements »",
    "Valeur médiatique": "« Équivalent publicitaire »",
    "depuis moins de": "“updated within” is « il y a moins de »",
    "euros approximatifs": "amounts are converted into euros, approximately",
    "Chaque cas évalue": "a case does not evaluate",
    "la bad buzz": "bad buzz is masculine",
    "une bad buzz": "bad buzz is masculine",
    "bad buzzs": "bad buzz is invariable",
}
# Sources whose term the French gives inside a quotation, in the words of the quoted article.
QUOTED = {
    "The idea comes from the French site sevicesclients.com, which a 2018 article of the customer-experience magazine "
    "En-Contact described as allowing an “almost anthropological” look at how fast, and how willingly, companies "
    "seize these cases to do better."
}
GLOSSARY = {  # an English term in the source -> the French term its translation must use
    r"\bremed(y|ies)\b": "réparation",
    r"\bcorrective actions\b": "mesures correctives",
    r"\bharm\b": "préjudice",
    r"\bcompan(y|ies)\b": "entreprise",
    r"\breader tips?\b": "signalement",
    r"\bclassification\b": "catégories",
}


def french_texts():
    for entry in PO.translated_entries():
        if entry.msgctxt:  # date formats
            continue
        if entry.msgid_plural:
            yield entry.msgid, entry.msgstr_plural[0]
            yield entry.msgid_plural, entry.msgstr_plural[1]
        else:
            yield entry.msgid, entry.msgstr


def unquoted(text):
    """A French text without its quotations (the En-Contact article is quoted as it was written)."""
    return re.sub(r"«[^»]*»", "", text)


def words(source):
    """An English source without its placeholders and the names of import columns (`company: missing.`)."""
    return re.sub(r"%\([^)]*\)\w|^[a-z_]+(\[[^]]*\])?(\.[a-z_]+)?:|--[a-z-]+", "", source)


def test_the_french_catalogue_follows_the_glossary():
    forbidden = [
        (word, reason, target)
        for _source, target in french_texts()
        for word, reason in FORBIDDEN.items()
        if word.lower() in unquoted(target).lower()
    ]
    assert forbidden == []
    missing = [
        (term, french, source)
        for source, target in french_texts()
        for term, french in GLOSSARY.items()
        if re.search(term, words(source), re.IGNORECASE)
        and french not in unquoted(target).lower()
        and source not in QUOTED
    ]
    assert missing == []


def serial_commas(text):
    """A list of three or more ending in ", et": « a, b, et c ». A comma that closes a list within the list
    (« une référence, les formats RIS et BibTeX, et un lien ») stays: it is not the English serial comma."""
    return re.findall(r"[^,;:.]+, (?:(?! et )[^,;:.])+, et [^,;:.]+", unquoted(text))


def test_no_serial_comma_before_et_in_a_french_list():
    assert serial_commas("Ce qui s’est passé, ce que cela a coûté, et la leçon.") != []
    assert serial_commas("Ce qui s’est passé, ce que cela a coûté et la leçon.") == []
    assert serial_commas("Une référence, les formats RIS et BibTeX, et un lien.") == []
    assert [target for _source, target in french_texts() if serial_commas(target)] == []


def capitals_after_a_colon(text):
    """A capital right after a colon, where the catalogue wrote the word (not a placeholder, a code or a name)."""
    return re.findall(rf"{NNBSP}: ([A-ZÀÂÉÈÊÎÔÛÇ][a-zàâéèêëîïôûç]\w*)", unquoted(text))


def test_no_capital_after_a_colon_in_french():
    assert capitals_after_a_colon(f"Date{NNBSP}: Mars") == ["Mars"]
    assert capitals_after_a_colon(f"Flux{NNBSP}: RSS et Atom, %(n)s{NNBSP}: %(value)s") == []
    assert [target for _source, target in french_texts() if capitals_after_a_colon(target)] == []
