"""History that loses nothing (incidents/versions.py): who changed what, comparing versions, restoring one, undeleting a
draft."""

import pytest
from django.urls import reverse

from incidents import versions
from incidents.models import Incident, Source, Status
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
        title="After",
        harm_types=[str(harm.pk)],
        **{"sources-TOTAL_FORMS": "2", **new_source(1, "A second article")},
    )
    assert case.history.count() == versions_before + 1  # m2m signals did not add records of their own
    record = case.history.latest()
    assert record.history_user == editor
    assert record.title == "After"
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
        title="The second title",
        story="Line one\nLine 2",
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
    assert "<del>− Line two</del>" in text and "<ins>+ Line 2</ins>" in text
    assert "Added: Lost luggage" in text
    assert "Added:" in text and "The Paper: Added later" in text
    assert "Restore the older version" in text


def test_restore_brings_back_fields_themes_and_rows_but_not_the_status(client, editor):
    harm = factories.harm_type()
    case = factories.draft(title="Good title", harm_types=[harm])
    original_source = case.sources.get()
    factories.event(case, description="The first event")
    good = case.history.latest()
    save_in_admin(
        client,
        case,
        title="Vandalised",
        status="review",
        harm_types=[],
        **{"sources-0-DELETE": "on", "sources-TOTAL_FORMS": "2", **new_source(1, "Junk source")},
    )
    case.timeline.get().delete()
    assert case.sources.get().title == "Junk source"

    response = client.post(reverse("admin:incidents_incident_restore_version", args=[case.pk, good.history_id]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.title == "Good title"
    assert case.status == Status.REVIEW  # the workflow is not rewound by a restore
    assert list(case.harm_types.all()) == [harm]
    assert [s.pk for s in case.sources.all()] == [original_source.pk]  # same row, same number
    assert case.timeline.get().description == "The first event"
    latest = case.history.latest()
    assert latest.history_change_reason.startswith("Restored the version of")
    assert latest.history_user == editor
    # Nothing was lost: the vandalised version can itself be restored.
    assert case.history.filter(title="Vandalised").exists()


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
