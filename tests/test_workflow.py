"""The editorial workflow on its own (incidents/workflow.py): who may set which status, and what each state
change does to a case, its rows and its history. The admin pages that call it are tested in test_admin.py."""

import pytest

from incidents import workflow
from incidents.models import CostEstimate, Incident, RightOfReply, Source, Status, TimelineEvent
from incidents.versions import CASCADE_REASON
from tests import factories

pytestmark = pytest.mark.django_db

D, R, P, X, M = Status.DRAFT, Status.REVIEW, Status.PUBLISHED, Status.RETRACTED, Status.MERGED


def latest_record(case):
    return Incident.history.filter(id=case.pk).order_by("-history_date", "-history_id").first()


# Roles and statuses ---------------------------------------------------------------------------------------


def test_the_two_groups_have_the_permissions_of_their_role():
    editor, chief = factories.editor(), factories.chief_editor()
    assert editor.has_perm("incidents.change_incident") and editor.has_perm("incidents.add_incident")
    assert editor.has_perm("incidents.delete_source")  # rows inside a case; history keeps them
    assert not editor.has_perm("incidents.publish_incident")
    assert not editor.has_perm("incidents.merge_incident")
    assert not editor.has_perm("incidents.delete_incident")
    for codename in ("publish_incident", "merge_incident", "delete_incident", "change_incident"):
        assert chief.has_perm(f"incidents.{codename}")


@pytest.mark.parametrize(
    ("role", "current", "allowed"),
    [
        ("editor", None, [D, R]),
        ("editor", "", [D, R]),  # a case being created, before its status is set
        ("editor", D, [D, R]),
        ("editor", R, [D, R]),
        ("editor", P, [P]),
        ("editor", X, [X]),
        ("editor", M, [M]),
        ("chief_editor", None, [D, R, P]),
        ("chief_editor", D, [D, R, P]),
        ("chief_editor", R, [D, R, P]),
        ("chief_editor", P, [D, R, P, X]),
        ("chief_editor", X, [D, R, P, X]),
        ("chief_editor", M, [D, R, P, M]),
    ],
)
def test_the_statuses_each_role_may_give_a_case(role, current, allowed):
    user = factories.editor() if role == "editor" else factories.chief_editor()
    assert workflow.allowed_statuses(user, current) == allowed


def test_a_status_change_the_user_may_not_make_is_refused_with_both_statuses_named():
    editor = factories.editor()
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.check_status_change(editor, Status.DRAFT, Status.PUBLISHED)
    assert str(refusal.value) == "You may not change a case from “Draft” to “Published”."
    with pytest.raises(workflow.WorkflowError, match="from “Published” to “Draft”"):
        workflow.check_status_change(editor, Status.PUBLISHED, Status.DRAFT)
    workflow.check_status_change(editor, Status.DRAFT, Status.REVIEW)
    workflow.check_status_change(editor, Status.PUBLISHED, Status.PUBLISHED)  # unchanged is never refused


# State changes ----------------------------------------------------------------------------------------------


def test_publishing_sets_the_date_once_and_records_who_did_it():
    chief = factories.chief_editor()
    case = factories.draft()
    workflow.publish(case, chief)
    case.refresh_from_db()
    first_published = case.published_at
    assert case.status == Status.PUBLISHED and first_published is not None
    record = latest_record(case)
    assert (record.status, record.history_user, record.history_change_reason) == (P, chief, "Published")

    workflow.unpublish(case, chief)
    workflow.publish(case, chief)
    case.refresh_from_db()
    assert case.published_at == first_published  # republishing keeps the first publication date


def test_publishing_an_incomplete_case_names_what_it_lacks_and_changes_nothing():
    case = factories.draft(summary="  ", lesson="", sources=0)
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.publish(case, factories.chief_editor())
    assert str(refusal.value) == "To be published, this case still needs: a summary, the lesson, at least one source."
    assert Incident.objects.get(pk=case.pk).status == Status.DRAFT


def test_a_draft_without_a_country_is_kept_but_not_published():
    case = factories.draft(country="")
    with pytest.raises(workflow.WorkflowError, match="still needs: the country"):
        workflow.publish(case, factories.chief_editor())
    assert Incident.objects.get(pk=case.pk).status == D


def test_an_editor_cannot_publish_even_a_complete_case():
    case = factories.draft()
    with pytest.raises(workflow.WorkflowError):
        workflow.publish(case, factories.editor())
    assert Incident.objects.get(pk=case.pk).status == Status.DRAFT


def test_an_editor_publishing_a_case_in_review_is_told_its_actual_status():
    case = factories.incident(status=Status.REVIEW)
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.publish(case, factories.editor())
    assert str(refusal.value) == "You may not change a case from “In review” to “Published”."
    assert Incident.objects.get(pk=case.pk).status == Status.REVIEW


def test_an_editor_cannot_unpublish_a_case():
    case = factories.incident()
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.unpublish(case, factories.editor())
    assert str(refusal.value) == "You may not change a case from “Published” to “Draft”."
    assert Incident.objects.get(pk=case.pk).status == Status.PUBLISHED


def test_only_a_published_case_is_unpublished():
    chief = factories.chief_editor()
    draft = factories.draft()
    with pytest.raises(workflow.WorkflowError, match=f"^SC-{draft.pk:04d} is not published.$"):
        workflow.unpublish(draft, chief)
    case = factories.incident()
    workflow.unpublish(case, chief)
    assert Incident.objects.get(pk=case.pk).status == Status.DRAFT
    assert (latest_record(case).history_user, latest_record(case).history_change_reason) == (chief, "Unpublished")


def test_only_a_draft_is_submitted_for_review_and_an_editor_may_do_it():
    editor = factories.editor()
    case = factories.draft()
    workflow.submit_for_review(case, editor)
    assert Incident.objects.get(pk=case.pk).status == Status.REVIEW
    assert (latest_record(case).history_user, latest_record(case).history_change_reason) == (
        editor,
        "Submitted for review",
    )
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.submit_for_review(case, editor)
    assert str(refusal.value) == f"Only a draft can be submitted for review (SC-{case.pk:04d} is not)."


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_retracting_needs_a_reason(reason):
    case = factories.incident()
    with pytest.raises(workflow.WorkflowError, match=r"^Say why the case is retracted: readers will see it\.$"):
        workflow.retract(case, factories.chief_editor(), reason)
    assert Incident.objects.get(pk=case.pk).status == Status.PUBLISHED


def test_retracting_keeps_the_reason_and_the_moment():
    chief = factories.chief_editor()
    case = factories.incident()
    workflow.retract(case, chief, "  The company was misidentified.\n")
    case.refresh_from_db()
    assert (case.status, case.retraction_reason) == (Status.RETRACTED, "The company was misidentified.")
    assert case.retracted_at is not None
    record = latest_record(case)
    assert (record.status, record.history_user, record.history_change_reason) == (X, chief, "Retracted")
    with pytest.raises(workflow.WorkflowError, match=r"^Only a published case can be retracted\.$"):
        workflow.retract(factories.draft(), factories.chief_editor(), "A reason.")


def test_only_a_draft_is_deleted_and_its_rows_are_tagged_for_a_restore():
    chief = factories.chief_editor()
    with pytest.raises(workflow.WorkflowError, match="Only a draft can be deleted"):
        workflow.delete_case(factories.incident(), chief)
    case = factories.draft(sources=2)
    pk = case.pk
    workflow.delete_case(case, chief)
    assert not Incident.objects.filter(pk=pk).exists()
    deletions = Source.history.filter(incident_id=pk, history_type="-")
    assert [record.history_change_reason for record in deletions] == [CASCADE_REASON, CASCADE_REASON]
    assert Incident.history.get(id=pk, history_type="-").history_user == chief


# Merging --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_status", "target_status", "message"),
    [
        (Status.MERGED, Status.PUBLISHED, "{case} is already merged."),
        (Status.PUBLISHED, Status.MERGED, "{target} is merged into another case: merge into the case that stays."),
        (Status.PUBLISHED, Status.RETRACTED, "{target} is retracted: merge into the case that stays."),
        (
            Status.PUBLISHED,
            Status.DRAFT,
            "{case} is published: its readers must land on a published case; publish {target} first.",
        ),
    ],
)
def test_merges_that_would_strand_readers_are_refused(case_status, target_status, message):
    survivor = factories.incident()
    target = factories.incident(status=target_status, merged_into=survivor if target_status == M else None)
    case = factories.incident(status=case_status, merged_into=survivor if case_status == M else None)
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.check_merge(case, target)
    assert str(refusal.value) == message.format(case=f"SC-{case.pk:04d}", target=f"SC-{target.pk:04d}")


def test_a_case_is_never_merged_into_itself_or_nothing():
    case = factories.incident()
    for target in (case, None):
        with pytest.raises(workflow.WorkflowError, match=r"^Choose another case to merge into\.$"):
            workflow.check_merge(case, target)


def test_a_draft_may_be_merged_into_a_draft():
    workflow.check_merge(factories.draft(), factories.draft())


def test_only_a_chief_editor_merges():
    case, target = factories.incident(), factories.incident()
    with pytest.raises(workflow.WorkflowError, match="Only a chief editor can merge cases."):
        workflow.merge(case, target, factories.editor())
    assert Incident.objects.get(pk=case.pk).status == Status.PUBLISHED


def test_merging_moves_the_chosen_rows_after_the_targets_own_and_leaves_the_rest():
    chief = factories.chief_editor()
    target = factories.incident(sources=0)
    factories.source(incident=target, title="Target's first", position=1)
    factories.source(incident=target, title="Target's second", position=4)
    case = factories.incident(sources=0, featured=True)
    moved = factories.source(incident=case, title="Moved", position=0)
    stays = factories.source(incident=case, title="Stays", position=1)
    event = factories.event(case, description="The first refusal")
    cost_of_moved = factories.cost(case, 1000, source=moved)
    cost_of_kept = factories.cost(case, 2000, source=stays)
    left_behind = factories.cost(case, 3000, source=moved)

    workflow.merge(case, target, chief, sources=[moved], timeline=[event], costs=[cost_of_moved, cost_of_kept])

    case.refresh_from_db()
    assert (case.status, case.merged_into_id, case.featured) == (Status.MERGED, target.pk, False)
    assert [(s.title, s.position) for s in target.sources.all()] == [
        ("Target's first", 1),
        ("Target's second", 4),
        ("Moved", 5),
    ]
    assert [s.title for s in case.sources.all()] == ["Stays"]
    assert TimelineEvent.objects.get(pk=event.pk).incident_id == target.pk
    moved_costs = {c.amount_low: c.source_id for c in CostEstimate.objects.filter(incident=target)}
    assert moved_costs == {1000: moved.pk, 2000: None}  # its source stayed behind with the merged case
    assert CostEstimate.objects.get(pk=left_behind.pk).source_id is None  # its source moved away
    assert latest_record(case).history_change_reason == f"Merged into {target.reference}"
    assert latest_record(target).history_change_reason == f"{case.reference} merged into this case"
    assert Source.history.filter(id=moved.pk).latest("history_date").history_change_reason == (
        f"Moved from {case.reference} by a merge"
    )


def test_merging_refuses_rows_of_another_case_and_undoes_everything():
    chief = factories.chief_editor()
    case, target, other = factories.incident(), factories.incident(), factories.incident()
    with pytest.raises(workflow.WorkflowError, match=f"Only rows of {case.reference} can be moved."):
        workflow.merge(case, target, chief, sources=list(other.sources.all()))
    assert Incident.objects.get(pk=case.pk).status == Status.PUBLISHED
    assert other.sources.count() == 1


def test_cases_already_merged_into_the_duplicate_follow_it_to_the_target():
    chief = factories.chief_editor()
    first, second, last = factories.incident(), factories.incident(), factories.incident()
    workflow.merge(first, second, chief)
    workflow.merge(second, last, chief)
    assert Incident.objects.get(pk=first.pk).merged_into_id == last.pk
    assert Incident.objects.get(pk=second.pk).merged_into_id == last.pk
    assert latest_record(first).history_change_reason == f"Merged into {last.reference}"


# Two languages: the original is required, the translation is a warning -----------------------------------------

FRENCH_TEXTS = {"title": "Guitare cassée", "summary": "Un résumé.", "story": "Le récit.", "lesson": "S'excuser tôt."}


def french_case(**fields):
    """A draft written in French, its texts in French only."""
    for name, text in FRENCH_TEXTS.items():
        fields.setdefault(f"{name}_fr", text)
        fields.setdefault(f"{name}_en", None)
    fields.setdefault("status", Status.DRAFT)
    return factories.incident(language="fr", **fields)


def test_a_case_is_published_on_its_original_language_and_told_what_the_other_lacks():
    chief = factories.chief_editor()
    case = french_case(story_fr="", story_en="The story, in English only.")
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.publish(case, chief)  # its English story does not stand in for the French one
    assert str(refusal.value) == "To be published, this case still needs: the story."
    assert Incident.objects.get(pk=case.pk).status == Status.DRAFT

    case.story_fr, case.story_en = "Le récit.", None
    warnings = workflow.publish(case, chief)
    assert Incident.objects.get(pk=case.pk).status == Status.PUBLISHED
    assert warnings == [
        "Not yet translated into English: title, summary, story, lesson.",
        "No request for comment to the company is on record: record its right of reply.",
    ]
    complete = factories.draft(**{f"{n}_fr": t for n, t in FRENCH_TEXTS.items()})
    complete.reply = RightOfReply.objects.create(incident=complete, status="no_reply")
    assert workflow.publish(complete, chief) == []


def test_untranslated_names_what_each_language_lacks_that_the_other_has(settings, tmp_path):
    from django.core.files.base import ContentFile

    from incidents.models import Correction, IncidentImage

    settings.MEDIA_ROOT = tmp_path
    case = factories.draft(
        title_fr="Titre",  # in both: not listed
        response="They refunded everyone.",
        apology_text_fr="« Nous sommes désolés. »",  # French only: English lacks it
    )
    factories.event(case, description="In both", description_fr="Dans les deux")
    factories.event(case, description="English only")
    factories.event(case, description="English only too")
    factories.cost(case, 100, note="English note", claimed_by_fr="Le Monde")  # lacking in each language
    image = IncidentImage(incident=case, alt_text="A queue", caption_fr="Une file")
    image.image.save("queue.png", ContentFile(b"not read here"), save=False)
    image.save()
    Correction.objects.create(incident=case, date="2021-01-01", note_fr="Date corrigée.", note_en=None)
    untranslated = {language: [str(text) for text in texts] for language, texts in workflow.untranslated(case).items()}
    assert untranslated == {
        "en": ["what the apology (or refusal) said", "1 cost", "1 image", "1 correction"],
        "fr": ["summary", "story", "lesson", "the company's response", "2 timeline events", "1 cost", "1 image"],
    }
    assert workflow.translation_warnings(case) == [
        "Not yet translated into English: what the apology (or refusal) said, 1 cost, 1 image, 1 correction.",
        "Not yet translated into French: summary, story, lesson, the company's response, 2 timeline events, 1 cost, "
        "1 image.",
    ]


def test_a_retraction_reason_is_written_in_the_cases_language_and_an_earlier_ones_translation_goes():
    chief = factories.chief_editor()
    case = french_case(status=Status.PUBLISHED, retraction_reason_en="An earlier retraction, since undone.")
    workflow.retract(case, chief, "  La source s'est rétractée.\n")
    case.refresh_from_db()
    assert (case.retraction_reason_fr, case.retraction_reason_en) == ("La source s'est rétractée.", None)


def test_publishing_a_case_with_no_request_for_comment_warns_but_does_not_refuse():
    import datetime

    from incidents import workflow
    from incidents.newsroom import ReplyStatus, RightOfReply

    case = factories.draft(title="Not asked yet")
    warnings = workflow.publish(case, factories.chief_editor())
    assert case.status == Status.PUBLISHED
    assert "No request for comment to the company is on record: record its right of reply." in warnings
    RightOfReply.objects.create(incident=case, requested_on=datetime.date(2026, 12, 1), status=ReplyStatus.NO_REPLY)
    assert workflow.fairness_warnings(case) == []
