"""Citations: each format read back by a real parser, with the right content type and file name."""

import datetime
import json

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from django.utils import timezone

from incidents.citations import bibtex_escape
from incidents.models import Status
from tests import factories

pytestmark = pytest.mark.django_db

TRICKY_TITLE = "Électricité: 50% & $100 {braces} #1 under_score ~ back\\slash, à l'œil"


@pytest.fixture
def case():
    return factories.incident(title=TRICKY_TITLE, slug="electricite", language="fr")


def test_bibtex_is_read_by_bibtexparser_with_accents_and_special_characters(client, case):
    response = client.get(f"/cases/{case.pk}/cite.bib")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="sevices-clients-SC-{case.pk:04d}.bib"'
    text = response.content.decode("utf-8")
    assert "Électricité" in text and "œil" in text  # UTF-8, not LaTeX accents
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.entry_type == "misc"
    assert entry.key == f"sc{case.pk:04d}"
    fields = entry.fields_dict
    assert fields["title"].value == f"{TRICKY_TITLE} (SC-{case.pk:04d})"
    assert fields["author"].value == "Sévices clients"
    assert fields["url"].value == f"http://testserver/cases/{case.pk}/electricite/"
    assert fields["urldate"].value == timezone.localdate().isoformat()
    assert fields["year"].value == str(timezone.localdate().year)


def test_bibtex_escape_leaves_no_unbalanced_brace():
    escaped = bibtex_escape("}{ odd } braces {")
    library = bibtexparser.parse_string("@misc{k, title = {" + escaped + "}}")
    assert not library.failed_blocks and library.entries[0].key == "k"


def test_ris_is_read_by_rispy(client, case):
    response = client.get(f"/cases/{case.pk}/cite.ris")
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="sevices-clients-SC-{case.pk:04d}.ris"'
    (entry,) = rispy.loads(response.content.decode("utf-8"))
    assert entry["type_of_reference"] == "ELEC"
    assert entry["title"] == f"{TRICKY_TITLE} (SC-{case.pk:04d})"
    assert entry["authors"] == ["Sévices clients"]
    assert entry["urls"] == [f"http://testserver/cases/{case.pk}/electricite/"]
    assert entry["access_date"] == timezone.localdate().strftime("%Y/%m/%d")
    assert entry["id"] == f"SC-{case.pk:04d}"


def test_csl_json_has_every_required_field(client, case):
    response = client.get(f"/cases/{case.pk}/cite.json")
    assert response["Content-Type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="sevices-clients-SC-{case.pk:04d}.json"'
    (item,) = json.loads(response.content)
    assert item["id"] == f"SC-{case.pk:04d}"
    assert item["type"] == "webpage"
    assert item["title"] == f"{TRICKY_TITLE} (SC-{case.pk:04d})"
    assert item["URL"] == f"http://testserver/cases/{case.pk}/electricite/"
    assert item["publisher"] == item["container-title"] == "Sévices clients"
    today = timezone.localdate()
    assert item["accessed"] == {"date-parts": [[today.year, today.month, today.day]]}
    issued = timezone.localtime(case.updated_at).date()
    assert item["issued"] == {"date-parts": [[issued.year, issued.month, issued.day]]}


def test_citation_of_a_pinned_revision_points_at_it(client, case):
    record = case.history.first()
    case.title = "A new title"
    case.save()
    (item,) = json.loads(client.get(f"/cases/{case.pk}/cite.json", {"revision": record.history_id}).content)
    assert item["URL"] == f"http://testserver/cases/{case.pk}/revisions/{record.history_id}/"
    assert item["title"].startswith("Électricité")
    disposition = client.get(f"/cases/{case.pk}/cite.bib", {"revision": record.history_id})["Content-Disposition"]
    assert f"-r{record.history_id}.bib" in disposition
    assert client.get(f"/cases/{case.pk}/cite.bib", {"revision": "abc"}).status_code == 404
    assert client.get(f"/cases/{case.pk}/cite.bib", {"revision": "999999"}).status_code == 404


def test_only_published_cases_can_be_cited(client):
    for status in (Status.DRAFT, Status.REVIEW, Status.RETRACTED):
        hidden = factories.incident(status=status)
        assert client.get(f"/cases/{hidden.pk}/cite.bib").status_code == 404, status
    assert client.get("/cases/999999/cite.bib").status_code == 404
    case = factories.incident()
    assert client.get(f"/cases/{case.pk}/cite.doc").status_code == 404


def test_case_page_cite_box_has_plain_text_with_retrieval_date_and_downloads(client, case, settings):
    case.published_at = timezone.make_aware(datetime.datetime(2026, 1, 5, 12))
    case.save()
    page = client.get(case.get_absolute_url()).text
    box = page.split('class="cite-box"')[1].split("</section>")[0]
    issued = timezone.localtime(case.updated_at).date()
    today = timezone.localdate()
    expected = (
        f"Sévices clients. ({issued.year}, {issued:%B} {issued.day}). "
        f"{TRICKY_TITLE} (SC-{case.pk:04d}). Retrieved {today:%B} {today.day}, {today.year}, "
        f"from http://testserver{case.get_absolute_url()}"
    )
    from django.utils.html import escape

    # The title is marked with its language inside the interface's sentence.
    assert f'<span lang="{case.language}">{escape(TRICKY_TITLE)}</span>' in box
    assert escape(expected) in box.replace(f'<span lang="{case.language}">', "").replace("</span>", "")
    for fmt in ("bib", "ris", "json"):
        assert f'href="/cases/{case.pk}/cite.{fmt}"' in box


def test_french_dates_write_the_first_of_a_month_1er():
    from django.utils import translation

    from incidents.citations import Citation, plain_text

    first = datetime.date(2026, 3, 1)
    citation = Citation(
        reference="SC-0042",
        title="Une facture",
        summary="",
        company="EDF",
        language="fr",
        url="https://example.org/cases/42/",
        version_url="https://example.org/cases/42/",
        version_date=first,
        published_date=first,
        accessed=first,
    )
    with translation.override("fr"):
        text = plain_text(citation)
    assert "(2026, 1er mars)" in text and "1er mars 2026" in text
    with translation.override("en"):
        assert "(2026, March 1)" in plain_text(citation)


def test_the_retracted_card_and_a_revision_write_1er_in_french(client, case):
    first = timezone.make_aware(datetime.datetime(2026, 3, 1, 12))
    revision = case.history.filter(status=Status.PUBLISHED).first()
    case.history.filter(history_id=revision.history_id).update(history_date=first)
    page = client.get(f"/fr/cases/{case.pk}/revisions/{revision.history_id}/").text
    assert "1er mars 2026" in page and " 1 mars 2026" not in page
    case.status, case.retraction_reason, case.retracted_at = Status.RETRACTED, "Une erreur.", first
    case.save()
    card = client.get(f"/fr/cases/{case.pk}/embed/").text
    assert "1er mars 2026" in card and " 1 mars 2026" not in card
