"""Fairness on the record: a right of reply, promises kept or broken, each figure with what it is and its
source, and stories where no apology was owed kept out of the apology figures."""

import datetime

import pytest

from incidents import stats
from incidents.models import ApologyQuality, CostMethod, Incident, Promise, ReplyStatus, RightOfReply
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    case = factories.incident(title="A bill of 88,247 euros", language="en")
    case.source = case.sources.get()
    return case


def test_the_case_page_shows_the_companys_reply_verbatim_dated_and_sourced(client, case):
    url = case.get_absolute_url()
    assert "No request for comment is on record for this case." in client.get(url).text
    RightOfReply.objects.create(
        incident=case,
        requested_on=datetime.date(2026, 11, 2),
        requested_by="Sévices clients",
        channel="email to the press office",
        status=ReplyStatus.REPLIED,
        text_en="We regret the error and have refunded the customer.",
        replied_on=datetime.date(2026, 11, 5),
        source=case.source,
    )
    page = client.get(url).text
    assert '<time datetime="2026-11-02">Asked for comment by Sévices clients on ' in page
    assert "(email to the press office)." in page
    assert '<blockquote class="reply-text" lang="en"><p>We regret the error and have refunded the customer.' in page
    assert f'href="#source-{case.source.pk}"' in page and f'id="source-{case.source.pk}"' in page
    assert "Replied" in page and 'datetime="2026-11-05"' in page
    # A French reader reads the reply as it was given, marked as English.
    assert '<blockquote class="reply-text" lang="en">' in client.get("/fr" + url).text


def test_a_request_for_comment_without_its_author_names_nobody(client, case):
    RightOfReply.objects.create(incident=case, requested_on=datetime.date(2026, 3, 1))
    page = client.get(case.get_absolute_url()).text
    assert '<time datetime="2026-03-01">Asked for comment on March 1, 2026</time>' in page
    assert "Asked for comment by" not in page  # the company is never named as the one who asked
    assert "Réaction demandée le 1er mars 2026" in client.get("/fr" + case.get_absolute_url()).text


def test_promises_show_when_they_were_made_and_whether_they_were_kept(client, case):
    Promise.objects.create(
        incident=case, text_en="We will stop charging for the hotline.", made_on=datetime.date(2020, 3, 1)
    )
    Promise.objects.create(
        incident=case,
        text_en="Bills will be checked by a person.",
        outcome="broken",
        checked_on=datetime.date(2021, 6, 1),
    )
    page = client.get(case.get_absolute_url()).text
    assert "We will stop charging for the hotline." in page and "Not yet known" in page
    assert "Bills will be checked by a person." in page and "Broken" in page and 'datetime="2021-06-01"' in page


def test_each_figure_says_what_it_is_and_links_its_source(client, case):
    factories.cost(
        case, "180000000", currency="USD", method=CostMethod.PRESS_ESTIMATE, source=case.source, note_en="Disputed."
    )
    factories.cost(case, "1200", currency="USD", kind="remedy", method=CostMethod.COMPANY_FORECAST, source=case.source)
    page = client.get(case.get_absolute_url()).text
    assert "Press estimate" in page and "Company forecast" in page and "Disputed." in page
    assert page.count(f'href="#source-{case.source.pk}"') >= 2


def test_a_story_where_no_apology_was_owed_stays_out_of_the_apology_figures(case):
    company = case.company
    for _ in range(2):
        factories.incident(company=company, apology_quality=ApologyQuality.REFUSED)
    good_service = factories.incident(
        company=company, apology_quality=ApologyQuality.EXEMPLARY, apology_owed=False, corrective_actions="Praise."
    )
    cases = Incident.objects.published()
    summary = stats.case_summary(cases, groups=stats.SECTOR)[0]
    assert summary["apology_not_owed"] == 1
    assert summary[f"apology_{ApologyQuality.EXEMPLARY}"] == 0
    assert summary["apology_mean"] < 1  # three refusals-or-none... and no exemplary one counted
    assert good_service.pk not in [row["pk"] for row in stats.best_recoveries(cases)]
    ranking = stats.worst_apologies(cases)
    assert [row["n"] for row in ranking if row["slug"] == company.slug] == [3]


def test_a_company_page_lists_the_promises_of_its_cases(client, case):
    Promise.objects.create(
        incident=case, text_en="We will answer within a week.", outcome="kept", made_on=datetime.date(2021, 1, 4)
    )
    hidden = factories.draft(company=case.company, title="A draft")
    Promise.objects.create(incident=hidden, text_en="A promise nobody may read yet.")
    page = client.get(case.company.get_absolute_url()).text
    assert "We will answer within a week." in page and "Kept" in page
    assert f'href="{case.get_absolute_url()}"' in page.split('id="promises-title"')[1]
    assert "A promise nobody may read yet." not in page
