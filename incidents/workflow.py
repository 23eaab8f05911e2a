"""The editorial workflow: who may do what to a case, and the state changes that follow.

Editors write and submit for review; chief editors publish, unpublish, retract and merge; only a draft is
deleted. Every change is saved through `Model.save()` or `delete()`, attributed to its editor, so that the
history (incidents/versions.py) records it and an editor can restore an earlier version. A case is published on
its texts in its original language; a missing translation is a warning (`untranslated`), never a refusal.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from incidents.models import LANGUAGE_CODES, CostEstimate, Incident, Status
from incidents.versions import CASCADE_REASON, INLINES, finish_history_record, record_as, translated_texts

PUBLISH_PERMISSION = "incidents.publish_incident"
MERGE_PERMISSION = "incidents.merge_incident"


class WorkflowError(Exception):
    """A refusal an editor reads: the message says why and what to do."""


def can_publish(user):
    return user.has_perm(PUBLISH_PERMISSION)


def can_merge(user):
    return user.has_perm(MERGE_PERMISSION)


def allowed_statuses(user, current):
    """The statuses `user` may give a case that is now `current` (itself included)."""
    if can_publish(user):
        allowed = [Status.DRAFT, Status.REVIEW, Status.PUBLISHED]
        if current in (Status.PUBLISHED, Status.RETRACTED):
            allowed.append(Status.RETRACTED)
        if current == Status.MERGED:
            allowed.append(Status.MERGED)
        return allowed
    if current in (Status.DRAFT, Status.REVIEW, None, ""):
        return [Status.DRAFT, Status.REVIEW]
    return [current]


def check_status_change(user, old_status, new_status):
    """Refuse a status an editor may not set, however it was posted."""
    if new_status != old_status and new_status not in allowed_statuses(user, old_status):
        raise WorkflowError(
            _("You may not change a case from “%(old)s” to “%(new)s”.")
            % {"old": Status(old_status or Status.DRAFT).label, "new": Status(new_status).label}
        )


def missing_message(missing):
    return gettext("To be published, this case still needs: %(missing)s.") % {
        "missing": ", ".join(str(m) for m in missing)
    }


# The sentence that names what a language lacks, one per language so that each reads naturally once translated.
NOT_YET_TRANSLATED = {
    "en": _("Not yet translated into English: %(texts)s."),
    "fr": _("Not yet translated into French: %(texts)s."),
}
# A case's rows whose texts are written in each language, and how a count of them reads.
ROW_TEXTS = [
    ("timeline", ngettext_lazy("%(count)d timeline event", "%(count)d timeline events", "count")),
    ("costs", ngettext_lazy("%(count)d cost", "%(count)d costs", "count")),
    ("images", ngettext_lazy("%(count)d image", "%(count)d images", "count")),
    ("corrections", ngettext_lazy("%(count)d correction", "%(count)d corrections", "count")),
]


def _lacks(obj, name, language):
    """Whether text `name` of `obj` is written in another language but not in `language`."""
    if (getattr(obj, f"{name}_{language}") or "").strip():
        return False
    return any((getattr(obj, f"{name}_{other}") or "").strip() for other in LANGUAGE_CODES if other != language)


def untranslated(incident):
    """What each language lacks that the other has: {language: [the case's texts..., "2 timeline events"...]}.

    Publishing needs the texts in the case's original language only; this list is the warning for the rest.
    """
    rows = {kind: list(getattr(incident, kind).all()) for kind, _label in ROW_TEXTS}
    result = {}
    for language in LANGUAGE_CODES:
        lacking = [
            Incident._meta.get_field(name).verbose_name
            for name in translated_texts(Incident)
            if _lacks(incident, name, language)
        ]
        for kind, label in ROW_TEXTS:
            model = Incident._meta.get_field(kind).related_model
            names = translated_texts(model)
            count = sum(1 for row in rows[kind] if any(_lacks(row, name, language) for name in names))
            if count:
                lacking.append(label % {"count": count})
        if lacking:
            result[language] = lacking
    return result


def translation_warnings(incident):
    """`untranslated(incident)` as sentences an editor reads ("Not yet translated into French: title, story.")."""
    return [
        NOT_YET_TRANSLATED[language] % {"texts": ", ".join(str(text) for text in texts)}
        for language, texts in untranslated(incident).items()
    ]


def fairness_warnings(incident):
    """A case with no request for comment on record: said to the editor, never a refusal to publish."""
    from incidents.newsroom import RightOfReply

    if incident.pk and not RightOfReply.objects.filter(incident_id=incident.pk).exists():
        return [_("No request for comment to the company is on record: record its right of reply.")]
    return []


def publish(incident, user):
    """Publish `incident`, refused when its original language lacks what publishing needs; returns the warnings
    about what is not yet translated."""
    check_status_change(user, incident.status, Status.PUBLISHED)
    missing = incident.missing_for_publication()
    if missing:
        raise WorkflowError(missing_message(missing))
    incident.status = Status.PUBLISHED
    incident.published_at = incident.published_at or timezone.now()
    record_as(incident, user, _("Published"))
    incident.save()
    return translation_warnings(incident) + fairness_warnings(incident)


def unpublish(incident, user):
    if incident.status != Status.PUBLISHED:
        raise WorkflowError(_("%(ref)s is not published.") % {"ref": incident.reference})
    check_status_change(user, incident.status, Status.DRAFT)
    incident.status = Status.DRAFT
    record_as(incident, user, _("Unpublished"))
    incident.save()


def submit_for_review(incident, user):
    if incident.status != Status.DRAFT:
        raise WorkflowError(
            _("Only a draft can be submitted for review (%(ref)s is not).") % {"ref": incident.reference}
        )
    check_status_change(user, incident.status, Status.REVIEW)
    incident.status = Status.REVIEW
    record_as(incident, user, _("Submitted for review"))
    incident.save()


def retract(incident, user, reason):
    if incident.status != Status.PUBLISHED:
        raise WorkflowError(_("Only a published case can be retracted."))
    check_status_change(user, incident.status, Status.RETRACTED)
    if not reason.strip():
        raise WorkflowError(_("Say why the case is retracted: readers will see it."))
    incident.status = Status.RETRACTED
    # Written in the case's original language, like its other texts; an earlier reason's translation goes (the
    # new one is added in the case's form).
    for language in LANGUAGE_CODES:
        setattr(incident, f"retraction_reason_{language}", reason.strip() if language == incident.language else None)
    incident.retracted_at = timezone.now()
    record_as(incident, user, _("Retracted"))
    incident.save()


def check_merge(case, target):
    if not target or target.pk == case.pk:
        raise WorkflowError(_("Choose another case to merge into."))
    if case.status == Status.MERGED:
        raise WorkflowError(_("%(ref)s is already merged.") % {"ref": case.reference})
    if target.status in (Status.MERGED, Status.RETRACTED):
        raise WorkflowError(
            _("%(ref)s is %(status)s: merge into the case that stays.")
            % {"ref": target.reference, "status": target.get_status_display().lower()}
        )
    if case.status == Status.PUBLISHED and target.status != Status.PUBLISHED:
        raise WorkflowError(
            _("%(ref)s is published: its readers must land on a published case; publish %(target)s first.")
            % {"ref": case.reference, "target": target.reference}
        )


@transaction.atomic
def merge(case, target, user, *, sources=(), timeline=(), costs=()):
    """Merge duplicate `case` into `target`, moving the chosen rows; `case`'s address will answer 301."""
    if not can_merge(user):
        raise WorkflowError(_("Only a chief editor can merge cases."))
    check_merge(case, target)
    # The cases' records come first: the moved rows then belong to these new versions.
    for earlier in Incident.objects.filter(merged_into=case):
        earlier.merged_into = target  # cases already merged into `case` now lead straight to `target`
        record_as(earlier, user, gettext("Merged into %(ref)s") % {"ref": target.reference})
        earlier.save()
    case.status = Status.MERGED
    case.merged_into = target
    case.featured = False
    record_as(case, user, gettext("Merged into %(ref)s") % {"ref": target.reference})
    case.save()
    record_as(target, user, gettext("%(ref)s merged into this case") % {"ref": case.reference})
    target.save()
    moved_sources = {s.pk for s in sources}
    for kind, rows in (("sources", sources), ("timeline", timeline), ("costs", costs)):
        highest = getattr(target, kind).order_by("-position").values_list("position", flat=True).first()
        next_position = (highest or 0) + 1
        for offset, row in enumerate(sorted(rows, key=lambda r: (r.position, r.pk))):
            if row.incident_id != case.pk:
                raise WorkflowError(_("Only rows of %(ref)s can be moved.") % {"ref": case.reference})
            row.incident = target
            row.position = next_position + offset
            if kind == "costs" and row.source_id and row.source_id not in moved_sources:
                row.source = None  # its source stays behind with the merged case
            row._history_user = user
            row._change_reason = gettext("Moved from %(ref)s by a merge") % {"ref": case.reference}
            row.save()
    # Costs left behind must not point to a source that moved away.
    for cost in CostEstimate.objects.filter(incident=case, source_id__in=moved_sources):
        cost.source = None
        cost._history_user = user
        cost.save()
    finish_history_record(case)
    finish_history_record(target)
    return target


@transaction.atomic
def delete_case(incident, user):
    """Delete a draft and its rows, each row's deletion tagged so that `restore_deleted` brings it back."""
    if incident.status != Status.DRAFT:
        raise WorkflowError(_("Only a draft can be deleted; retract a published case instead."))
    for _kind, model, _label in reversed(INLINES):
        for row in model.objects.filter(incident=incident):
            row._history_user, row._change_reason = user, CASCADE_REASON
            row.delete()
    incident._history_user = user
    incident.delete()
