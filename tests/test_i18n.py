"""The French catalogue: complete, compiled from its source, typographically sound, and used by the pages."""

import datetime
import gettext
import importlib
import json
import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from incidents.i18n import in_language
from incidents.models import ApologyQuality, CostKind, DatePrecision, HarmType, Lesson
from tests import factories

LOCALE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES"
PO = polib.pofile(str(LOCALE / "django.po"))
NBSP = "\u00a0"
NNBSP = "\u202f"

# %(name)s, %(n)d, %s, %d... as Python and Django format them; {name} in case a brace string slips in.
PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
BRACE_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@pytest.fixture(autouse=True)
def _back_to_english():
    """A French request leaves French active in the thread (LocaleMiddleware); the next tests expect English."""
    yield
    translation.deactivate()


def entry_id(entry):
    return f"{entry.msgctxt}|{entry.msgid[:60]}" if entry.msgctxt else entry.msgid[:60]


def placeholders(text):
    found = PERCENT_PLACEHOLDER.findall(text) + BRACE_PLACEHOLDER.findall(text)
    return Counter(p for p in found if p != "%%")


def translations(entry):
    """(source text, translation) pairs: one for a simple entry, one per plural form otherwise."""
    if entry.msgid_plural:
        # French uses its singular form for 0 and 1, its plural from 2.
        return [(entry.msgid, entry.msgstr_plural[0]), (entry.msgid_plural, entry.msgstr_plural[1])]
    return [(entry.msgid, entry.msgstr)]


# The catalogue itself --------------------------------------------------------------------------------


def test_the_catalogue_speaks_french_with_french_plurals():
    assert PO.metadata["Language"] == "fr"
    assert PO.metadata["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n>1);"
    assert not PO.metadata_is_fuzzy
    assert len(PO) > 500


def test_every_entry_is_translated_and_none_is_fuzzy():
    untranslated = [entry_id(e) for e in PO if not e.translated()]
    fuzzy = [entry_id(e) for e in PO if "fuzzy" in e.flags]
    obsolete = [entry_id(e) for e in PO.obsolete_entries()]
    assert untranslated == []
    assert fuzzy == []
    assert obsolete == []


def placeholder_faults(entry):
    if entry.msgid_plural:
        # The French singular also serves 0, so it may name the count even when the English singular does not.
        singular = placeholders(entry.msgid) <= placeholders(entry.msgstr_plural[0]) <= placeholders(entry.msgid_plural)
        plural = placeholders(entry.msgstr_plural[1]) == placeholders(entry.msgid_plural)
        ok = singular and plural
    else:
        ok = placeholders(entry.msgstr) == placeholders(entry.msgid)
    tags = all(sorted(HTML_TAG.findall(t)) == sorted(HTML_TAG.findall(s)) for s, t in translations(entry))
    return not (ok and tags)


def test_placeholders_and_markup_survive_translation():
    assert [entry_id(e) for e in PO.translated_entries() if placeholder_faults(e)] == []


def test_the_placeholder_check_catches_a_lost_or_renamed_placeholder():
    assert placeholder_faults(polib.POEntry(msgid="Page %(number)s of %(total)s", msgstr="Page %(number)s"))
    assert placeholder_faults(polib.POEntry(msgid="%(n)d day", msgstr="%(count)d jour"))
    assert placeholder_faults(polib.POEntry(msgid="<strong>%(ref)s</strong>", msgstr="%(ref)s"))
    assert not placeholder_faults(
        polib.POEntry(msgid="Page %(number)s of %(total)s", msgstr="Page %(number)s sur %(total)s")
    )


def punctuation_faults(text):
    """French typography: a narrow no-break space before : ; ? ! and inside « », the typographic apostrophe."""
    text = re.sub(r"<code>.*?</code>|<[^>]+>|&\w+;|\w+://", "", text)
    faults = []
    for match in re.finditer(r"(.)([:;?!])(?=\s|$|\u202f»|»)", text):
        if match.group(1) != NNBSP:
            faults.append(match.group(0))
    faults += re.findall(r"«[^\u202f]|[^\u202f]»", text)
    faults += re.findall(r"\w'\w", text)
    return faults


def test_french_typography():
    faults = {
        entry_id(entry): punctuation_faults(target)
        for entry in PO.translated_entries()
        if not entry.msgctxt  # date formats
        for _source, target in translations(entry)
        if punctuation_faults(target)
    }
    assert faults == {}


def test_the_typography_check_catches_the_usual_faults():
    assert punctuation_faults("Trier par :") == [" :"]
    assert punctuation_faults("Quand ?") == [" ?"]
    assert punctuation_faults("« guillemets »") == ["« ", " »"]
    assert punctuation_faults(f"Trier par{NBSP}: «{NBSP}ça{NBSP}»") == [f"{NBSP}:", f"«{NBSP}", f"{NBSP}»"]
    assert punctuation_faults("l'entreprise") == ["l'e"]
    assert punctuation_faults(f"Trier par{NNBSP}: «{NNBSP}ça{NNBSP}» l’entreprise https://example.org") == []


# The compiled catalogue ------------------------------------------------------------------------------


def test_the_mo_file_gives_every_translation_of_the_po_file():
    with open(LOCALE / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    wrong = []
    for entry in PO.translated_entries():
        if entry.msgid_plural:
            if entry.msgctxt:
                got = [compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
            else:
                got = [compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
            expected = [entry.msgstr_plural[0], entry.msgstr_plural[1]]
        elif entry.msgctxt:
            got, expected = compiled.pgettext(entry.msgctxt, entry.msgid), entry.msgstr
        else:
            got, expected = compiled.gettext(entry.msgid), entry.msgstr
        if got != expected:
            wrong.append(entry_id(entry))
    assert wrong == [], "django.mo is stale: run `make messages` and commit it"


def test_the_mo_file_holds_nothing_the_po_file_does_not():
    compiled = {(e.msgctxt, e.msgid) for e in polib.mofile(str(LOCALE / "django.mo")) if e.msgid}
    source = {(e.msgctxt, e.msgid) for e in PO.translated_entries()}
    assert compiled == source


# Names stored in the database ------------------------------------------------------------------------


def seeded_names():
    seed = importlib.import_module("incidents.migrations.0002_seed_taxonomies")
    names = [text for _slug, title, summary, _pos in seed.LESSONS for text in (title, summary)]
    names += [name for _slug, name, _description in seed.HARMS]
    fixture = json.loads((Path(settings.BASE_DIR) / "fixtures" / "demo.json").read_text(encoding="utf-8"))
    names += [row["fields"]["name"] for row in fixture if row["model"] == "incidents.sector"]
    return names


def test_seeded_taxonomy_names_are_in_the_catalogue():
    """Lessons and harms come from a migration and sectors from the demo fixture: incidents/taxonomy_strings.py."""
    missing = [name for name in seeded_names() if not (PO.find(name) and PO.find(name).translated())]
    assert missing == [], "add them to incidents/taxonomy_strings.py, then `make messages`"


@pytest.mark.django_db
def test_the_four_lessons_in_french():
    seeded = Lesson.objects.order_by("position").values_list("title", flat=True)
    with translation.override("fr"):
        titles = [translation.gettext(title) for title in seeded]
    assert titles == [
        "S’excuser, et bien le faire",
        "Quand ça dérape, il est urgent d’informer ses clients",
        "Le service promis doit être rendu",
        "Un bad buzz coûte bien plus cher que la réparation",
    ]


def test_the_apology_scale_in_french():
    with translation.override("fr"):
        labels = [str(quality.label) for quality in ApologyQuality]
    assert labels == ["Refus", "Aucune", "Fausses excuses", "Protocolaires", "Sincères", "Exemplaires"]


# Pages -----------------------------------------------------------------------------------------------


@pytest.fixture
def french(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


@pytest.fixture
def edf_case():
    """The first story of the seed article: a bill of 88,247 euros in December 2009, and no apology."""
    energy = factories.sector(name="Energy", slug="energy")
    edf = factories.company(name="EDF", slug="edf", sector=energy)
    case = factories.incident(
        title="A bill of 88,247 euros for a house heated with oil",
        company=edf,
        occurred_on=datetime.date(2009, 12, 1),
        occurred_precision=DatePrecision.MONTH,
        first_response_on=datetime.date(2010, 2, 1),
        first_response_precision=DatePrecision.MONTH,
        apology_quality=ApologyQuality.REFUSED,
        harm_types=[HarmType.objects.get(slug="absurd-bill")],
        lessons=[Lesson.objects.get(slug="apologise-well")],
    )
    factories.cost(case, 88247, "EUR", kind=CostKind.BAD_BUZZ)
    return case


@pytest.mark.django_db
def test_home_page_in_french_with_the_language_cookie(french):
    arrival = french.get(reverse("incidents:home"))
    assert arrival.status_code == 302 and arrival.url == "/fr/"
    page = french.get(arrival.url).content.decode()
    assert '<html lang="fr">' in page
    assert "Rechercher un cas" in page
    assert "Les quatre leçons" in page
    assert "Quand ça dérape, il est urgent d’informer ses clients" in page
    assert "Search the cases" not in page


@pytest.mark.django_db
def test_catalogue_in_french_at_its_french_address(client, edf_case):
    page = client.get(in_language(reverse("incidents:incident_list"), "fr"))
    text = page.content.decode()
    assert '<html lang="fr">' in text
    assert "Trier par" in text
    assert "1 cas" in text
    assert "Excuses\u202f: Refus" in text
    assert "Énergie" in text
    assert "Facture absurde" in text


@pytest.mark.django_db
def test_filter_chips_name_seeded_sectors_in_french(french, edf_case):
    page = french.get(in_language(reverse("incidents:incident_list"), "fr"), {"sector": "energy"}).content.decode()
    assert "Secteur\u202f: Énergie" in page


@pytest.mark.django_db
def test_case_page_in_french(french, edf_case):
    page = french.get(in_language(edf_case.get_absolute_url(), "fr")).content.decode()
    assert "L’essentiel" in page
    for label in ("Date", "Entreprise", "Préjudice", "Clients touchés", "Excuses", "Première réponse"):
        assert f"<dt>{label}</dt>" in page
    assert "décembre 2009" in page
    assert "environ 2\u00a0mois après l’incident" in page
    assert "estimé à 88\u00a0247\u00a0€" in page
    assert "S’excuser, et bien le faire" in page
    assert "Victime d’une entreprise du secteur «\u202fÉnergie\u202f»\u202f?" in page


@pytest.mark.django_db
def test_case_page_stays_english_by_default(client, edf_case):
    page = client.get(edf_case.get_absolute_url()).content.decode()
    assert '<html lang="en">' in page
    assert "Key facts" in page
    assert "December 2009" in page
    assert "an estimated €88,247" in page
    assert "L’essentiel" not in page


@pytest.mark.django_db
def test_a_cached_french_page_is_not_served_to_an_english_reader(client, edf_case):
    url = edf_case.get_absolute_url()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert "L’essentiel" in client.get(in_language(url, "fr")).content.decode()
    # The English address stays English for a reader whose cookie says French: links are shared.
    assert "Key facts" in client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Key facts" in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_language_link_switches_to_french(client):
    url = reverse("incidents:set_language", args=["fr"]) + "?next=" + reverse("incidents:incident_list")
    page = client.get(url, follow=True).content.decode()
    assert "Trier par" in page


@pytest.mark.django_db
def test_admin_login_page_in_french(french):
    page = french.get(reverse("admin:login")).content.decode()
    assert '<html lang="fr"' in page
    assert "Sévices clients\u202f: rédaction" in page
    assert "Nom d’utilisateur" in page
    assert "Mot de passe" in page
    assert "Connexion" in page
