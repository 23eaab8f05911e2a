"""History that loses nothing (incidents/versions.py): who changed what, comparing versions, restoring one, undeleting a
draft."""

import datetime
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from incidents import versions, workflow
from incidents.models import CostEstimate, Incident, IncidentImage, Source, Status
from tests import factories
from tests.test_admin import admin_form_data, changelist_action

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    person = factories.editor(username="marie")
    client.force_login(person)
    return person


def change_url(case):
    return reverse("admin:incidents_incident_change", args=[case.pk])


def save_in_admin(client, case, **overrides):
    response = client.post(change_url(case), admin_form_data(client.get(change_url(case)), **overrides))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    return response


def new_source(index, title):
    return {
        f"sources-{index}-kind": "press",
        f"sources-{index}-language": "en",
        f"sources-{index}-title": title,
        f"sources-{index}-publisher": "The Paper",
        f"sources-{index}-url": "https://example.org/x",
        f"sources-{index}-position": str(index),
    }


def test_one_admin_save_is_one_version_with_who_and_every_part(client, editor):
    harm = factories.harm_type(name="Lost luggage")
    case = factories.draft(title="Before")
    versions_before = case.history.count()
    save_in_admin(
        client,
        case,
        title_en="After",
        title_fr="Après",
        harm_types=[str(harm.pk)],
        **{"sources-TOTAL_FORMS": "2", **new_source(1, "A second article")},
    )
    assert case.history.count() == versions_before + 1  # m2m signals did not add records of their own
    record = case.history.latest()
    assert record.history_user == editor
    assert (record.title_en, record.title_fr) == ("After", "Après")
    assert list(record.harm_types.values_list("harmtype_id", flat=True)) == [harm.pk]
    source_record = Source.history.get(title="A second article")
    assert source_record.history_user == editor and source_record.history_type == "+"
    # The rows saved with the case belong to that version (it stands until the case's next record).
    assert "A second article" in [s.title for s in versions.version(record).inlines["sources"]]
    assert "A second article" not in [s.title for s in versions.version(case.history.earliest()).inlines["sources"]]

    page = client.get(reverse("admin:incidents_incident_history", args=[case.pk]))
    assert page.status_code == 200
    assert "marie" in page.text
    assert "A second article" in page.text  # changes to rows are listed with the case's
    assert 'name="old"' in page.text and 'name="new"' in page.text


def test_compare_shows_what_changed_in_fields_themes_and_rows(client, editor):
    harm = factories.harm_type(name="Lost luggage")
    case = factories.draft(title="The first title", story="Line one\nLine two")
    first = case.history.latest()
    save_in_admin(
        client,
        case,
        title_en="The second title",
        title_fr="Le deuxième titre",
        story_en="Line one\nLine 2",
        harm_types=[str(harm.pk)],
        **{"sources-TOTAL_FORMS": "2", **new_source(1, "Added later")},
    )
    second = case.history.latest()
    response = client.get(
        reverse("admin:incidents_incident_compare", args=[case.pk]),
        {"old": first.history_id, "new": second.history_id},
    )
    assert response.status_code == 200
    text = response.text
    assert "<del>The first title</del>" in text and "<ins>The second title</ins>" in text
    assert '<th scope="row">Title (English)</th>' in text and '<th scope="row">Title (French)</th>' in text
    assert "<del>—</del>" in text and "<ins>Le deuxième titre</ins>" in text  # the translation, added
    assert "Summary (French)" not in text  # saved empty where it was never written: no change to show
    # Each side its own text: what went struck out on the left, what came marked on the right.
    before, after = re.search(
        r'<td class="diff diff-before">(.*?)</td>\s*<td class="diff diff-after">(.*?)</td>', text
    ).groups()
    assert before == "<div>Line one</div><div>Line <del>two</del></div>"
    assert after == "<div>Line one</div><div>Line <ins>2</ins></div>"
    assert "Added: Lost luggage" in text
    assert "Added:" in text and "The Paper: Added later" in text
    assert "Restore the older version" in text


def test_restore_brings_back_fields_themes_and_rows_but_not_the_status(client, editor):
    harm = factories.harm_type()
    case = factories.draft(title="Good title", title_fr="Bon titre", harm_types=[harm])
    original_source = case.sources.get()
    factories.event(case, description="The first event", description_fr="Le premier événement")
    good = case.history.latest()
    save_in_admin(
        client,
        case,
        title_en="Vandalised",
        title_fr="Vandalisé",
        status="review",
        harm_types=[],
        **{"sources-0-DELETE": "on", "sources-TOTAL_FORMS": "2", **new_source(1, "Junk source")},
    )
    case.timeline.get().delete()
    assert case.sources.get().title == "Junk source"

    response = client.post(reverse("admin:incidents_incident_restore_version", args=[case.pk, good.history_id]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.title_en, case.title_fr) == ("Good title", "Bon titre")  # both languages come back
    assert case.status == Status.REVIEW  # the workflow is not rewound by a restore
    assert list(case.harm_types.all()) == [harm]
    assert [s.pk for s in case.sources.all()] == [original_source.pk]  # same row, same number
    event = case.timeline.get()
    assert (event.description_en, event.description_fr) == ("The first event", "Le premier événement")
    latest = case.history.latest()
    assert latest.history_change_reason.startswith("Restored the version of")
    assert latest.history_user == editor
    # Nothing was lost: the vandalised version can itself be restored.
    assert case.history.filter(title_en="Vandalised", title_fr="Vandalisé").exists()


def test_restoring_a_version_without_sources_onto_a_published_case_is_refused(client, editor):
    case = factories.draft(sources=0, title="Early draft")
    early = case.history.latest()
    case.title = "Sourced draft"
    case.save()
    factories.source(incident=case)
    case.status = Status.PUBLISHED
    case.save()
    response = client.post(
        reverse("admin:incidents_incident_restore_version", args=[case.pk, early.history_id]), follow=True
    )
    assert "This case is published and that version lacks at least one source." in response.text
    assert case.sources.count() == 1


def test_history_after_a_bulk_publish_and_restore(client):
    chief = factories.chief_editor(username="chief")
    client.force_login(chief)
    cases = [factories.draft(title=f"Bulk {n}") for n in range(3)]
    before = {case.pk: case.history.latest() for case in cases}
    changelist_action(client, "publish", *cases)
    for case in cases:
        record = case.history.latest()
        assert record.status == Status.PUBLISHED
        assert record.history_user == chief
        assert record.history_change_reason == "Published"
        changes, _rows = versions.compare(versions.version(before[case.pk]), versions.version(record))
        assert {str(change["label"]) for change in changes} >= {"status", "published at"}
    changelist_action(client, "unpublish", cases[0])
    assert cases[0].history.latest().history_change_reason == "Unpublished"
    # The version page of the draft offers to restore it, and restoring keeps the current status.
    case = cases[1]
    case.refresh_from_db()
    case.title = "Edited after publication"
    case.save()
    page = client.get(reverse("admin:incidents_incident_simple_history", args=[case.pk, before[case.pk].history_id]))
    assert "Restore this version" in page.text and "Bulk 1" in page.text
    client.post(reverse("admin:incidents_incident_restore_version", args=[case.pk, before[case.pk].history_id]))
    case.refresh_from_db()
    assert case.title == "Bulk 1" and case.status == Status.PUBLISHED


def test_a_deleted_draft_comes_back_with_the_rows_deleted_along_with_it(client):
    client.force_login(factories.chief_editor())
    harm = factories.harm_type()
    case = factories.draft(title="Deleted by mistake", sources=2, harm_types=[harm])
    event = factories.event(case)
    cost = factories.cost(case, 300, source=case.sources.first())
    removed_earlier = case.sources.last()
    save_in_admin(client, case, **{"sources-1-DELETE": "on"})  # an editor's deliberate removal
    assert case.sources.count() == 1
    pk = case.pk

    response = client.post(reverse("admin:incidents_incident_delete", args=[pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Incident.objects.filter(pk=pk).exists()

    listing = client.get(reverse("admin:incidents_incident_deleted"))
    assert "Deleted by mistake" in listing.text
    deletion = Incident.history.get(id=pk, history_type="-")
    response = client.post(reverse("admin:incidents_incident_restore_deleted", args=[deletion.history_id]))
    assert response.status_code == 302
    assert response.url == reverse("admin:incidents_incident_change", args=[pk])

    restored = Incident.objects.get(pk=pk)
    assert restored.title == "Deleted by mistake" and restored.status == Status.DRAFT
    assert list(restored.harm_types.all()) == [harm]
    assert restored.timeline.get().pk == event.pk
    assert restored.costs.get().pk == cost.pk and restored.costs.get().source_id == restored.sources.get().pk
    assert removed_earlier.pk not in set(restored.sources.values_list("pk", flat=True))
    assert restored.history.latest().history_change_reason == "Restored after deletion"
    assert "Deleted by mistake" not in client.get(reverse("admin:incidents_incident_deleted")).text
    # Restoring twice is refused, not duplicated.
    response = client.post(reverse("admin:incidents_incident_restore_deleted", args=[deletion.history_id]), follow=True)
    assert "exists: it was restored already" in response.text


def test_bulk_deletion_of_drafts_leaves_deletion_records(client):
    client.force_login(factories.chief_editor())
    drafts = [factories.draft() for _ in range(2)]
    response = client.post(
        reverse("admin:incidents_incident_changelist"),
        {"action": "delete_selected", "_selected_action": [d.pk for d in drafts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Incident.objects.filter(pk__in=[d.pk for d in drafts]).exists()
    assert Incident.history.filter(history_type="-", id__in=[d.pk for d in drafts]).count() == 2
    assert len(versions.deleted_cases()) == 2


def test_restoring_a_version_after_a_merge_copies_rows_that_moved(client):
    client.force_login(factories.chief_editor())
    duplicate, kept = factories.incident(), factories.incident()
    before_merge = duplicate.history.latest()
    moving = duplicate.sources.get()
    client.post(
        reverse("admin:incidents_incident_merge", args=[duplicate.pk]),
        {"target": kept.reference, "sources": [moving.pk], "confirmed": "on"},
    )
    assert Source.objects.get(pk=moving.pk).incident == kept
    versions.restore_version(before_merge, factories.chief_editor())
    assert Source.objects.get(pk=moving.pk).incident == kept  # the kept case keeps its source
    copy = duplicate.sources.get()
    assert copy.title == moving.title and copy.pk != moving.pk


def test_the_version_page_is_read_only_and_posting_to_it_does_nothing(client, editor):
    case = factories.draft(title="Version one")
    record = case.history.latest()
    url = reverse("admin:incidents_incident_simple_history", args=[case.pk, record.history_id])
    page = client.get(url)
    assert page.status_code == 200
    assert "This is the current version." in page.text
    assert client.post(url, {"title": "Sneaky", "status": "published"}).status_code == 403
    case.refresh_from_db()
    assert case.title == "Version one" and case.status == Status.DRAFT


def test_a_draft_deleted_outside_the_admin_comes_back_with_its_rows():
    case = factories.draft(sources=2)
    factories.event(case)
    pk = case.pk
    case.delete()  # a plain cascade, as in the shell
    restored = versions.restore_deleted(Incident.history.get(id=pk, history_type="-"), factories.editor())
    assert restored.sources.count() == 2 and restored.timeline.count() == 1


def test_rows_written_without_history_are_in_every_version_and_survive_a_restore():
    """loaddata and bulk_create write no history: such rows are kept, as the public revision page shows them."""
    case = factories.draft(title="Loaded from a fixture", sources=0)
    first = case.history.latest()
    Source.objects.bulk_create([Source(incident=case, title="Fixture source", publisher="Archive")])
    case.title = "Edited later"
    case.save()
    assert [s.title for s in versions.version(first).inlines["sources"]] == ["Fixture source"]
    versions.restore_version(first, factories.editor())
    case.refresh_from_db()
    assert case.title == "Loaded from a fixture"
    assert [s.title for s in case.sources.all()] == ["Fixture source"]


# Comparing, piece by piece ------------------------------------------------------------------------------------


def test_a_long_text_of_repeated_lines_compares_with_only_the_new_line_marked():
    """Repeated lines (blank ones, a table's rules) are matched too, however often they occur."""
    old = "\n".join(["Refused."] * 200)
    before, after = versions.text_sides(old, "A new first line.\n" + old)
    assert before == [[("same", "Refused.")]] * 200
    assert after == [[("added", "A new first line.")]] + [[("same", "Refused.")]] * 200


def field(name):
    return Incident._meta.get_field(name)


def test_values_are_displayed_as_an_editor_reads_them():
    company = factories.company(name="Rail Company")
    assert versions._display(field("title"), "A title") == "A title"
    assert versions._display(field("customers_affected"), 1200) == "1200"
    assert versions._display(field("customers_affected"), 0) == "0"
    assert versions._display(field("title"), "") == "—"
    assert versions._display(field("customers_affected"), None) == "—"
    assert versions._display(field("apology_quality"), 3) == "Formal"
    assert versions._display(field("apology_quality"), 0) == "Refused"
    assert versions._display(field("language"), "xx") == "xx"  # a choice since removed shows as stored
    assert versions._display(field("company"), company.pk) == "Rail Company"
    assert versions._display(field("company"), 987654) == "#987654 (deleted)"
    assert versions._display(field("occurred_on"), datetime.date(2024, 3, 5)) == "March 5, 2024"
    moment = datetime.datetime(2024, 3, 5, 14, 30, tzinfo=datetime.UTC)
    assert versions._display(field("published_at"), moment) == "March 5, 2024, 3:30 p.m."  # in Paris time


def test_row_history_lists_every_kind_of_row_newest_first_with_who_did_it(django_assert_num_queries):
    editor = factories.editor(username="paul")
    case = factories.draft(sources=0)
    source = factories.source(incident=case, publisher="The Paper", title="A very long title " * 9)
    factories.event(case, date=datetime.date(2021, 5, 2), description="The refusal")
    for title in ("Second title", "Third title"):
        source.title = title
        source._history_user = editor
        source.save()
    with django_assert_num_queries(5):  # one per kind of row, their editors with them
        entries = [
            (str(e["label"]), e["text"], e["record"].history_type, e["record"].history_user)
            for e in versions.row_history(case)
        ]
    assert entries == [
        ("Sources", "The Paper: Third title", "~", editor),
        ("Sources", "The Paper: Second title", "~", editor),
        ("Timeline", "May 2, 2021: The refusal", "+", None),
        ("Sources", "The Paper: " + "A very long title " * 6 + "…", "+", None),  # cut at 120 characters
    ]
    assert [e["text"] for e in versions.row_history(case, limit=2)] == [
        "The Paper: Third title",
        "The Paper: Second title",
    ]


def test_deleted_cases_lists_each_case_still_deleted_once_newest_first(django_assert_num_queries):
    chief = factories.chief_editor(username="chief")
    first, second, back = (factories.draft(title=title) for title in ("Deleted twice", "Deleted once", "Restored"))
    first_pk, back_pk = first.pk, back.pk
    workflow.delete_case(first, chief)
    workflow.delete_case(back, chief)
    versions.restore_deleted(Incident.history.get(id=back_pk, history_type="-"), chief)
    workflow.delete_case(second, chief)
    again = versions.restore_deleted(Incident.history.get(id=first_pk, history_type="-"), chief)
    workflow.delete_case(again, chief)
    with django_assert_num_queries(1):
        listed = [(record.title, record.history_user.username) for record in versions.deleted_cases()]
    assert listed == [("Deleted twice", "chief"), ("Deleted once", "chief")]


def test_rows_deleted_a_second_or_more_before_their_case_stay_deleted():
    """Untagged deletions (the shell) count as the case's cascade only within the same second."""
    case = factories.draft(sources=0)
    for title in ("Deleted a second before", "Deleted 1.5 seconds before", "Deleted with the case"):
        factories.source(incident=case, title=title)
    pk = case.pk
    for row in case.sources.exclude(title="Deleted with the case"):
        row.delete()
    case.delete()
    deletion = Incident.history.get(id=pk, history_type="-")
    # As if the sources had been added a minute before and the first two deleted a little before the case.
    Source.history.filter(incident_id=pk, history_type="+").update(
        history_date=deletion.history_date - datetime.timedelta(minutes=1)
    )
    for title, seconds in (("Deleted a second before", 1), ("Deleted 1.5 seconds before", 1.5)):
        Source.history.filter(title=title, history_type="-").update(
            history_date=deletion.history_date - datetime.timedelta(seconds=seconds)
        )
    restored = versions.restore_deleted(deletion, factories.editor())
    assert [s.title for s in restored.sources.all()] == ["Deleted with the case"]


def test_a_versions_rows_are_in_the_order_of_the_page_undated_ones_last():
    case = factories.draft(sources=0)
    for title, position, published_on in [
        ("Fourth", 2, datetime.date(2019, 1, 1)),
        ("Third, undated", 1, None),
        ("Second", 1, datetime.date(2021, 7, 1)),
        ("First", 1, datetime.date(2021, 6, 1)),
        ("Before all", 0, datetime.date(2022, 1, 1)),
    ]:
        factories.source(incident=case, title=title, position=position, published_on=published_on)
    rows = versions.version(case.history.latest()).inlines["sources"]
    assert [s.title for s in rows] == ["Before all", "First", "Second", "Third, undated", "Fourth"]


def test_a_version_stands_until_the_microsecond_before_the_next_record():
    case = factories.draft(sources=0, title="Version one")
    first = case.history.latest()
    just_before = factories.source(incident=case, title="Saved just before the next version")
    same_moment = factories.source(incident=case, title="Saved with the next version")
    case.title = "Version two"
    case.save()
    second = case.history.latest()
    Source.history.filter(id=just_before.pk).update(
        history_date=second.history_date - datetime.timedelta(microseconds=1)
    )
    Source.history.filter(id=same_moment.pk).update(history_date=second.history_date)
    assert [s.title for s in versions.version(first).inlines["sources"]] == ["Saved just before the next version"]
    assert [s.title for s in versions.version(second).inlines["sources"]] == [
        "Saved just before the next version",
        "Saved with the next version",
    ]


def test_compare_lists_each_change_of_fields_themes_and_rows_and_nothing_else():
    luggage, rude, delays, noise, gone, gone_too = (
        factories.harm_type(name=name)
        for name in ("Lost luggage", "Rude staff", "Delays", "Noise", "Deleted since", "Also deleted since")
    )
    theme = factories.lesson(title="Listen first")
    case = factories.draft(sources=0, title="Old title", story="Same line\nOld line", harm_types=[rude, luggage, gone])
    factories.source(incident=case, title="Kept", publisher="The Paper")
    removed = factories.source(incident=case, title="Removed", publisher="The Paper")
    event = factories.event(case, date=datetime.date(2021, 5, 2), description="Before")
    versions.finish_history_record(case)
    first = case.history.latest()
    case.title_en = "New title"
    case.title_fr = "Nouveau titre"  # a translation added: listed in its own language
    case.story_en = "Same line\nNew line"
    case.customers_affected = 1200
    case.save()
    case.harm_types.set([noise, delays, gone_too])
    case.lessons.set([theme])
    removed.delete()
    factories.source(incident=case, title="Added", publisher="The Paper")
    factories.cost(case, 500)  # changes the headline cost too, a derived value never listed
    event.description_en = "After"
    event.description_fr = "Après"
    event.save()
    versions.finish_history_record(case)
    second = case.history.latest()
    gone_pk, gone_too_pk = gone.pk, gone_too.pk
    gone.delete()
    gone_too.delete()

    changes, row_changes = versions.compare(versions.version(first), versions.version(second))
    assert [{**change, "label": str(change["label"])} for change in changes] == [
        {"label": "title (English)", "old": "Old title", "new": "New title", "sides": None},
        {"label": "title (French)", "old": "—", "new": "Nouveau titre", "sides": None},
        {
            "label": "story (English)",
            "old": "Same line\nOld line",
            "new": "Same line\nNew line",
            "sides": (
                [[("same", "Same line")], [("removed", "Old"), ("same", " line")]],
                [[("same", "Same line")], [("added", "New"), ("same", " line")]],
            ),
        },
        {"label": "customers affected", "old": "—", "new": "1200", "sides": None},
        {
            "label": "harm",
            "old": f"{gone_pk}, Lost luggage, Rude staff",
            "new": f"{gone_too_pk}, Delays, Noise",
            "sides": None,
            "m2m": True,
        },
        {"label": "lesson themes", "old": "—", "new": "Listen first", "sides": None, "m2m": True},
    ]
    assert [{**group, "label": str(group["label"])} for group in row_changes] == [
        {
            "label": "Sources",
            "rows": [
                {"kind": "added", "text": "The Paper: Added", "fields": []},
                {"kind": "removed", "text": "The Paper: Removed", "fields": []},
            ],
        },
        {
            "label": "Timeline",
            "rows": [
                {
                    "kind": "changed",
                    "text": "May 2, 2021: After",
                    "fields": [
                        {"label": "what happened (English)", "old": "Before", "new": "After"},
                        {"label": "what happened (French)", "old": "—", "new": "Après"},
                    ],
                }
            ],
        },
        {"label": "Costs", "rows": [{"kind": "added", "text": "Cost of the bad buzz: €500", "fields": []}]},
    ]
    backwards, _rows = versions.compare(versions.version(second), versions.version(first))
    assert [(str(change["label"]), change["old"], change["new"]) for change in backwards if change.get("m2m")] == [
        ("harm", f"{gone_too_pk}, Delays, Noise", f"{gone_pk}, Lost luggage, Rude staff"),
        ("lesson themes", "Listen first", "—"),
    ]
    assert versions.compare(versions.version(second), versions.version(second)) == ([], [])


def test_two_records_in_the_same_microsecond_are_two_versions():
    """A coarse clock can give two saves the same date: the record written first ends where the next begins."""
    case = factories.draft(sources=0, title="Version one")
    first = case.history.latest()
    case.title = "Version two"
    case.save()
    second = case.history.latest()
    Incident.history.filter(history_id=second.history_id).update(history_date=first.history_date)
    factories.source(incident=case, title="Added to version two")
    version_one = versions.version(first)
    assert (version_one.record, version_one.date, version_one.fields["title"]) == (
        first,
        first.history_date,
        "Version one",
    )
    assert version_one.inlines["sources"] == []
    assert [s.title for s in versions.version(case.history.get(history_id=second.history_id)).inlines["sources"]] == [
        "Added to version two"
    ]


# Restoring, refused ----------------------------------------------------------------------------------------


def test_restoring_a_version_whose_company_was_deleted_is_refused():
    gone = factories.company(name="Gone since")
    case = factories.draft(company=gone, title="First title")
    early = case.history.latest()
    case.company = factories.company(name="Kept")
    case.title = "Second title"
    case.save()
    gone.delete()
    with pytest.raises(versions.RestoreError) as refusal:
        versions.restore_version(early, factories.editor())
    assert str(refusal.value) == "The company of that version was deleted; restore or recreate it first."
    assert Incident.objects.get(pk=case.pk).title == "Second title"


def test_an_incomplete_version_is_restored_onto_a_draft_not_onto_a_published_case(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    chief = factories.chief_editor()
    case = factories.draft(sources=0, summary=" ", lesson="")
    image = IncidentImage(incident=case, alt_text="")
    image.image.save("queue.png", ContentFile(b"not read here"), save=False)
    image.save()
    early = case.history.latest()
    case.summary, case.lesson = "A summary.", "A lesson."
    case.save()
    image.alt_text = "A queue at the counter"
    image.save()
    factories.source(incident=case)
    workflow.publish(case, chief)

    with pytest.raises(versions.RestoreError) as refusal:
        versions.restore_version(early, chief)
    assert str(refusal.value) == (
        "This case is published and that version lacks a summary, the lesson, at least one source, "
        "alt text for every image. Unpublish it first, or edit it."
    )
    assert Incident.objects.get(pk=case.pk).summary == "A summary."

    workflow.unpublish(case, chief)
    restored = versions.restore_version(early, chief)
    assert (restored.summary, restored.lesson, restored.status) == (" ", "", Status.DRAFT)
    assert [i.alt_text for i in restored.images.all()] == [""]
    assert restored.sources.count() == 0


def test_records_are_read_in_the_order_of_their_dates_not_of_their_numbers():
    """Two editors' saves can be numbered in the other order than they are dated (a transaction that began first
    commits last): a version is what stood at its date."""
    case = factories.draft(sources=0, title="One")
    source = factories.source(incident=case, title="First title")
    case.title = "Two"
    case.save()
    source.title = "Second title"
    source.save()
    case.title = "Three"
    case.save()
    one, two, three = case.history.order_by("history_id")
    first_source, second_source = Source.history.filter(id=source.pk).order_by("history_id")
    base = timezone.now() - datetime.timedelta(hours=1)
    for history, record, seconds in [
        (Incident.history, one, 0),
        (Incident.history, three, 5),  # numbered last, dated second
        (Source.history, second_source, 8),  # numbered after the first title, dated before it
        (Source.history, first_source, 10),
        (Incident.history, two, 20),
    ]:
        history.filter(history_id=record.history_id).update(history_date=base + datetime.timedelta(seconds=seconds))
    one, two = (case.history.get(history_id=record.history_id) for record in (one, two))
    assert versions.version(one).inlines["sources"] == []  # "Three" came next, before any source
    assert [s.title for s in versions.version(two).inlines["sources"]] == ["First title"]


def test_rows_removed_or_moved_away_are_not_in_the_later_versions():
    chief = factories.chief_editor()
    case, target = factories.draft(sources=0), factories.draft(sources=0)
    moved = factories.source(incident=case, title="Moved by the merge")
    removed = factories.source(incident=case, title="Removed by an editor")
    factories.source(incident=case, title="Kept")
    before = case.history.latest()
    removed.delete()
    workflow.merge(case, target, chief, sources=[moved])
    # A version is what stood just before the case's next record: the removal came before the merge's.
    assert [s.title for s in versions.version(before).inlines["sources"]] == ["Moved by the merge", "Kept"]
    assert [s.title for s in versions.version(case.history.latest()).inlines["sources"]] == ["Kept"]
    assert [s.title for s in versions.version(target.history.latest()).inlines["sources"]] == ["Moved by the merge"]


def test_a_row_saved_twice_in_the_same_microsecond_shows_its_last_save():
    case = factories.draft(sources=0)
    source = factories.source(incident=case, title="First save")
    source.title = "Second save"
    source.save()
    first, second = Source.history.filter(id=source.pk).order_by("history_id")
    Source.history.filter(history_id=first.history_id).update(history_date=second.history_date)
    assert [s.title for s in versions.version(case.history.latest()).inlines["sources"]] == ["Second save"]


def test_a_restore_is_one_record_and_rewrites_only_the_rows_that_changed():
    editor = factories.editor()
    harm = factories.harm_type(name="Lost luggage")
    case = factories.draft(sources=0, title="Good title", harm_types=[harm])
    factories.source(incident=case, title="Unchanged one", position=1)
    cited = factories.source(incident=case, title="Unchanged two", position=2)
    edited = factories.source(incident=case, title="Original title", position=3)
    cost = factories.cost(case, 100, source=cited)
    good = case.history.latest()
    case.title = "Vandalised"
    case.save()
    case.harm_types.set([])
    edited.title = "Vandalised title"
    edited.save()
    cost.amount_low = 999
    cost.save()
    records_before = case.history.count()

    restored = versions.restore_version(good, editor)

    assert case.history.count() == records_before + 1  # the restore's one record, harm types included
    assert list(case.history.latest().harm_types.values_list("harmtype_id", flat=True)) == [harm.pk]
    assert [(s.title, Source.history.filter(id=s.pk).count()) for s in restored.sources.all()] == [
        ("Unchanged one", 1),  # left alone: no record of a restore that changed nothing
        ("Unchanged two", 1),
        ("Original title", 3),
    ]
    latest_of_edited = Source.history.filter(id=edited.pk).latest("history_date")
    assert latest_of_edited.history_user == editor
    assert latest_of_edited.history_change_reason.startswith("Restored the version of ")
    cost.refresh_from_db()
    assert (cost.amount_low, cost.source_id) == (100, cited.pk)
    assert (restored.title, list(restored.harm_types.all())) == ("Good title", [harm])


def test_the_contents_of_a_version_are_every_written_field_the_themes_and_the_rows():
    harm = factories.harm_type(name="Lost luggage")
    case = factories.draft(
        title="Shown",
        title_fr="Affiché",
        slug="shown",
        company=factories.company(name="Rail Company"),
        harm_types=[harm],
    )
    factories.cost(case, 100)
    case.save()  # the headline cost, a derived value, is never shown
    fields, m2m, inlines = versions.contents(versions.version(case.history.latest()))
    shown = [(str(label), text) for label, text in fields]
    # Each text once per language; never the column without a language, which holds whichever was active.
    assert [label for label, _text in shown] == [
        "ID",
        "title (English)",
        "title (French)",
        "slug",
        "summary (English)",
        "summary (French)",
        "story (English)",
        "story (French)",
        "lesson (English)",
        "lesson (French)",
        "company",
        "customers affected",
        "country",
        "original language",
        "happened on",
        "precision",
        "first response on",
        "precision",
        "resolved on",
        "precision",
        "apology",
        "an apology was owed",
        "what the apology (or refusal) said (English)",
        "what the apology (or refusal) said (French)",
        "the company's response (English)",
        "the company's response (French)",
        "corrective actions (English)",
        "corrective actions (French)",
        "status",
        "featured",
        "merged into",
        "retracted at",
        "why it was retracted (English)",
        "why it was retracted (French)",
        "created at",
        "published at",
        "updated at",
    ]
    assert shown[1:16] == [
        ("title (English)", "Shown"),
        ("title (French)", "Affiché"),
        ("slug", "shown"),
        ("summary (English)", case.summary_en),
        ("summary (French)", "—"),
        ("story (English)", case.story_en),
        ("story (French)", "—"),
        ("lesson (English)", "Apologise early."),
        ("lesson (French)", "—"),
        ("company", "Rail Company"),
        ("customers affected", "—"),
        ("country", "FR"),
        ("original language", "English"),
        ("happened on", "Jan. 15, 2020"),
        ("precision", "Day"),
    ]
    assert [(str(label), list(objects)) for label, objects in m2m] == [("harm", [harm]), ("lesson themes", [])]
    assert [(str(label), [str(row) for row in rows]) for label, rows in inlines] == [
        ("Sources", [f"Le Monde: {case.sources.get().title}"]),
        ("Timeline", []),
        ("Costs", ["Cost of the bad buzz: €100"]),
        ("Images", []),
        ("Corrections", []),
    ]


def test_the_record_completed_after_a_save_is_the_latest_by_date():
    luggage, delays = factories.harm_type(name="Lost luggage"), factories.harm_type(name="Delays")
    case = factories.draft(title="One", harm_types=[luggage])
    latest = case.history.latest()
    case.title = "Two"
    case.save()
    numbered_last = case.history.order_by("history_id").last()
    Incident.history.filter(history_id=numbered_last.history_id).update(
        history_date=latest.history_date - datetime.timedelta(seconds=1)  # numbered last, dated first
    )
    case.skip_history_when_saving = True
    case.harm_types.set([delays])
    del case.skip_history_when_saving
    record = versions.finish_history_record(case)
    assert record.history_id == latest.history_id
    assert list(record.harm_types.values_list("harmtype_id", flat=True)) == [delays.pk]


def test_row_history_shows_the_200_latest_changes():
    case = factories.draft(sources=0)
    source = factories.source(incident=case, title="Edited very often")
    record = Source.history.get(id=source.pk)
    start = record.history_date
    copies = []
    for n in range(1, 206):  # 205 more changes, a minute apart
        copy = Source.history.get(history_id=record.history_id)
        copy.history_id, copy.history_type = None, "~"
        copy.history_date = start + datetime.timedelta(minutes=n)
        copies.append(copy)
    Source.history.bulk_create(copies)
    entries = versions.row_history(case)
    assert len(entries) == 200
    assert entries[0]["record"].history_date == start + datetime.timedelta(minutes=205)
    assert entries[-1]["record"].history_date == start + datetime.timedelta(minutes=6)


def test_restoring_a_version_from_before_a_merge_points_its_costs_to_the_copied_sources():
    chief = factories.chief_editor()
    case, target = factories.incident(sources=0), factories.incident()
    moved = factories.source(incident=case, title="Moved by the merge")
    cost = factories.cost(case, 100, source=moved)
    before_merge = case.history.latest()
    workflow.merge(case, target, chief, sources=[moved])
    versions.restore_version(before_merge, chief)
    copy = case.sources.get()
    assert (copy.title, copy.pk != moved.pk) == ("Moved by the merge", True)
    assert CostEstimate.objects.get(pk=cost.pk).source_id == copy.pk  # not the source the kept case now has


def test_deleted_cases_are_listed_by_the_date_of_their_deletion():
    """Not by the records' numbers: a save that began first can be numbered last."""
    chief = factories.chief_editor()
    noon, morning = factories.draft(title="Deleted at noon"), factories.draft(title="Deleted in the morning")
    morning_pk = morning.pk
    workflow.delete_case(noon, chief)
    workflow.delete_case(morning, chief)
    Incident.history.filter(id=morning_pk).update(history_date=F("history_date") - datetime.timedelta(hours=3))
    assert [record.title for record in versions.deleted_cases()] == ["Deleted at noon", "Deleted in the morning"]


# Both languages --------------------------------------------------------------------------------------------------


def test_the_history_list_names_each_change_with_its_language(client, editor):
    case = factories.draft(title="A title")
    save_in_admin(client, case, title_fr="Un titre", story_en="A new story.")
    page = client.get(reverse("admin:incidents_incident_history", args=[case.pk]))
    changed = re.findall(r"<li><strong>(.*?)</strong></li>", page.text)
    assert changed == ["Story (English)", "Title (French)"]  # not the column without a language


def test_a_published_case_refuses_a_version_that_lacks_a_text_in_its_original_language(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    chief = factories.chief_editor()
    case = factories.draft(language="fr", title_fr="Titre", summary_fr="Résumé.", story_fr="", lesson_fr="Leçon.")
    image = IncidentImage(incident=case, alt_text_en="A queue", alt_text_fr=None)
    image.image.save("queue.png", ContentFile(b"not read here"), save=False)
    image.save()
    early = case.history.latest()  # French story missing (the English one is there), French alt text missing
    case.story_fr = "Le récit."
    case.save()
    image.alt_text_fr = "Une file"
    image.save()
    workflow.publish(case, chief)
    with pytest.raises(versions.RestoreError) as refusal:
        versions.restore_version(early, chief)
    assert str(refusal.value) == (
        "This case is published and that version lacks the story, alt text for every image. "
        "Unpublish it first, or edit it."
    )


def test_a_restore_leaves_the_retraction_reason_alone_in_both_languages():
    chief = factories.chief_editor()
    case = factories.incident(title="Before")
    before = case.history.latest()
    case.title = "After"
    case.save()
    workflow.retract(case, chief, "The source withdrew its article.")
    case.retraction_reason_fr = "La source a retiré son article."
    case.save()
    versions.restore_version(before, chief)
    case.refresh_from_db()
    assert case.title_en == "Before"
    assert (case.retraction_reason_en, case.retraction_reason_fr) == (
        "The source withdrew its article.",
        "La source a retiré son article.",
    )


def test_each_side_of_a_text_comparison_marks_only_its_own_changes():
    before, after = versions.text_sides("Kept\nThe shop refused\nGone", "Kept\nThe shop paid back\nNew line")
    assert before == [[("same", "Kept")], [("same", "The shop "), ("removed", "refused")], [("removed", "Gone")]]
    assert after == [[("same", "Kept")], [("same", "The shop "), ("added", "paid back")], [("added", "New line")]]
    assert versions.text_sides(None, "New text") == ([], [[("added", "New text")]])
    assert versions.text_sides("Old text", "") == ([[("removed", "Old text")]], [])


def test_a_save_that_only_adds_a_row_says_so_in_the_history(client, editor, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    case = factories.draft(title="A case with a picture to come")
    save_in_admin(client, case)  # nothing changed: no reason, nothing listed
    unchanged = case.history.latest()
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 60, 40)).save(buffer, "PNG")
    upload = SimpleUploadedFile("box.png", buffer.getvalue(), content_type="image/png")
    page = client.get(change_url(case))
    data = admin_form_data(
        page,
        **{"images-TOTAL_FORMS": "1", "images-0-alt_text_en": "The empty parcel box", "images-0-position": "0"},
    )
    response = client.post(change_url(case), {**data, "images-0-image": upload})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    record = case.history.latest()
    assert record.history_change_reason == "Changed: images"
    assert unchanged.history_change_reason in (None, "")

    history = client.get(reverse("admin:incidents_incident_history", args=[case.pk]))
    rows = re.findall(r"<tr>(.*?)</tr>", history.text, re.S)
    newest = next(row for row in rows if 'name="new"' in row and "checked" in row.split('name="new"')[1][:80])
    assert "Changed: images" in newest
    assert "<strong>Images</strong>: added, The empty parcel box" in newest
    older = [row for row in rows if 'name="old"' in row and row is not newest]
    assert all("The empty parcel box" not in row for row in older)


def test_a_page_of_older_versions_lists_only_the_row_changes_made_in_its_own_time():
    """The admin's history shows a long history a page at a time: a source added by a later version is that
    version's change, never the newest version's of an older page."""
    case = factories.draft(title="A case with a long history")
    case.title = "A second title"
    case.save()
    Source.objects.create(incident=case, url="https://example.org/later", title="Added after the second title")
    older_page = list(case.history.order_by("-history_date", "-history_id"))[1:]  # every version but the newest
    changes = versions.row_changes(older_page)
    assert all("Added after the second title" not in str(change) for listed in changes.values() for change in listed)
    everything = versions.row_changes(case.history.order_by("-history_date", "-history_id"))
    assert any("Added after the second title" in str(change) for listed in everything.values() for change in listed)
