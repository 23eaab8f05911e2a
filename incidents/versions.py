"""The history of a case: its versions, what changed between two of them, and restoring one.

Every change goes through `Model.save()` or `delete()` so that django-simple-history records it
(`QuerySet.update()` would not). One admin save makes exactly one historical record of the case, written
before its inlines are saved and completed after them (`finish_history_record`: harm types, lesson themes).
A version of a case is that record together with its sources, timeline, costs, images and corrections as
they stood just before the case's next record: the same reading as the public revision page
(incidents/citations.py). Code that changes rows therefore saves the case first, then the rows.

Texts are written in each language (incidents/translation.py): their history keeps one column per language
(`title_en`, `title_fr`), which is what a comparison shows ("title (French)") and what a restore writes. The
column without a language that modeltranslation keeps beside them holds whichever language was active when the
row was saved: it is left out of both.

Who may change a case's status is decided in incidents/workflow.py; a restore leaves the status alone.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.translator import NotRegistered, translator

from incidents.models import Company, Incident, Language, Status
from incidents.text import date_format


def _related(name):
    return Incident._meta.get_field(name).related_model


# The inline rows that make up a version, by the case's relation to them (`case.sources`...), in the order
# they are restored (costs may point to sources).
INLINES = [
    (name, _related(name), label)
    for name, label in [
        ("sources", _("Sources")),
        ("timeline", _("Timeline")),
        ("costs", _("Costs")),
        ("images", _("Images")),
        ("corrections", _("Corrections")),
    ]
]
M2M_FIELDS = [(name, _related(name)) for name in ("harm_types", "lessons")]
# What a restore leaves alone: the workflow has its own actions, with their own permissions.
WORKFLOW_FIELDS = {
    "id",
    "status",
    "featured",
    "merged_into",
    "retracted_at",
    "retraction_reason",
    "published_at",
    "created_at",
    "updated_at",
}
# Derived values, recomputed on save; never shown in a comparison.
DERIVED_FIELDS = {"response_days", "resolution_days", "headline_cost_eur"}
# Why a row's deletion was recorded: along with its case (`restore_deleted` brings it back) or by an editor.
CASCADE_REASON = "Deleted with its case"
REMOVED_REASON = "Removed from its case"


def translated_texts(model):
    """The names of `model`'s texts written in each language, in the order of its fields (derived ones left out)."""
    try:
        names = translator.get_options_for_model(model).all_fields
    except NotRegistered:
        return []
    return [f.name for f in model._meta.concrete_fields if f.name in names and f.editable]


def _language_free(model_field, model):
    """The column without a language of a translated text (`title` beside `title_en` and `title_fr`)."""
    return not hasattr(model_field, "translated_field") and model_field.name in translated_texts(model)


def field_label(model_field):
    """What an editor calls a field: its verbose name, with the language of a translated text's column."""
    original = getattr(model_field, "translated_field", None)
    if original is None:
        return model_field.verbose_name
    return gettext("%(field)s (%(language)s)") % {
        "field": original.verbose_name,
        "language": Language(model_field.language).label,
    }


class RestoreError(Exception):
    """A restore refused: the message says why and what to do."""


def record_as(instance, user, reason):
    """What the next historical record of `instance` says: who changed it and why."""
    instance._history_user = user
    instance._change_reason = str(reason)


# Versions --------------------------------------------------------------------------------------------


def finish_history_record(incident):
    """Complete the case's latest historical record once its inlines and m2m are saved.

    The admin saves a case before its inlines and harm types; this copies the final harm types, lesson
    themes and derived values (headline cost) into that record, instead of one record per m2m signal.
    """
    record = incident.history.order_by("-history_date", "-history_id").first()
    if record is None:
        return None
    fresh = Incident.objects.get(pk=incident.pk)
    for tracked in type(record).tracked_fields:
        setattr(record, tracked.attname, getattr(fresh, tracked.attname))
    record.save()
    for name, _model in M2M_FIELDS:
        model_field = Incident._meta.get_field(name)
        history_rows = getattr(record, name)
        history_rows.all().delete()
        through = model_field.remote_field.through
        source_name, target_name = model_field.m2m_field_name(), model_field.m2m_reverse_field_name()
        history_rows.model.objects.bulk_create(
            history_rows.model(
                history=record, **{"id": row.pk, f"{source_name}_id": incident.pk, f"{target_name}_id": target_id}
            )
            for row, target_id in (
                (row, getattr(row, f"{target_name}_id")) for row in through.objects.filter(**{source_name: incident})
            )
        )
    return record


@dataclass
class Version:
    """A case as it stood at one historical record: fields, m2m ids and inline rows."""

    record: object
    fields: dict
    m2m: dict = field(default_factory=dict)
    inlines: dict = field(default_factory=dict)

    @property
    def date(self):
        return self.record.history_date


def _sort_key(model):
    names = [name.lstrip("-") for name in model._meta.ordering]
    return lambda row: tuple((getattr(row, n) is None, getattr(row, n) or 0) for n in names) + (row.pk,)


def version_end(record):
    """The moment a version stops standing: just before the case's next record, or now."""
    following = (
        type(record)
        .objects.filter(id=record.id)
        .filter(
            Q(history_date__gt=record.history_date)
            | Q(history_date=record.history_date, history_id__gt=record.history_id)
        )
        .order_by("history_date", "history_id")
        .values_list("history_date", flat=True)
        .first()
    )
    return following - datetime.timedelta(microseconds=1) if following else timezone.now()


def inline_records(model, incident_id, at, *, deleted_with_case_at=None):
    """Historical records of the rows belonging to the case at date `at`, latest record per row.

    A row whose last record is a deletion is left out, unless it was deleted along with the case
    (`deleted_with_case_at` is the date of the case's deletion record).
    """
    history = model.history.model
    ever_here = history.objects.filter(incident_id=incident_id).values("id")
    latest = {}
    for record in history.objects.filter(id__in=ever_here, history_date__lte=at).order_by("history_date", "history_id"):
        latest[record.id] = record
    kept = []
    for record in latest.values():
        if record.incident_id != incident_id:
            continue
        if record.history_type == "-" and not _deleted_with_case(record, deleted_with_case_at):
            continue
        kept.append(record)
    return kept


def unrecorded_rows(model, incident_id):
    """Rows written without any history (loaddata, bulk_create): part of every version, as they are now.

    The public revision page reads them the same way; a restore therefore never deletes them.
    """
    current = model.objects.filter(incident_id=incident_id)
    recorded = model.history.model.objects.filter(id__in=current.values("id")).values("id")
    return list(current.exclude(pk__in=recorded))


def _deleted_with_case(record, case_deleted_at):
    """A row's deletion that belongs to the deletion of its case (tagged by `delete_case`, or a cascade)."""
    if case_deleted_at is None:
        return False
    if record.history_change_reason == CASCADE_REASON:
        return True
    # Deleted by a cascade outside the admin (the shell): untagged, in the same second as the case.
    return not record.history_change_reason and case_deleted_at - record.history_date < datetime.timedelta(seconds=1)


def version(record, *, deleted_with_case_at=None):
    """The version of a case at historical record `record`."""
    fields = {f.attname: getattr(record, f.attname) for f in type(record).tracked_fields}
    m2m = {}
    for name, _model in M2M_FIELDS:
        target_name = Incident._meta.get_field(name).m2m_reverse_field_name()
        m2m[name] = sorted(getattr(record, name).values_list(f"{target_name}_id", flat=True))
    inlines = {}
    end = record.history_date if deleted_with_case_at else version_end(record)
    for kind, model, _label in INLINES:
        rows = [r.instance for r in inline_records(model, record.id, end, deleted_with_case_at=deleted_with_case_at)]
        rows += unrecorded_rows(model, record.id)
        inlines[kind] = sorted(rows, key=_sort_key(model))
    return Version(record=record, fields=fields, m2m=m2m, inlines=inlines)


def content_fields():
    """The case's fields a version restores: everything an editor writes, not the workflow."""
    return [
        f
        for f in Incident.history.model.tracked_fields
        if _base_name(f) not in WORKFLOW_FIELDS
        and f.name not in DERIVED_FIELDS
        and f.editable
        and not _language_free(f, Incident)
    ]


def _base_name(model_field):
    """`retraction_reason` for `retraction_reason_fr`: the rules that name a text hold in every language."""
    return getattr(model_field, "translated_field", model_field).name


def _case_fields():
    """The case's fields a version shows, each text once per language."""
    return [
        f
        for f in Incident.history.model.tracked_fields
        if f.name not in DERIVED_FIELDS and not _language_free(f, Incident)
    ]


def _display(model_field, value):
    if value in (None, ""):
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        related = model_field.related_model.objects.filter(pk=value).first()
        return str(related) if related else f"#{value} ({gettext('deleted')})"
    if hasattr(value, "year") and hasattr(value, "hour"):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if hasattr(value, "year"):
        return date_format(value, "DATE_FORMAT")
    return str(value)


def contents(snapshot):
    """What version `snapshot` contained, ready for a template: (label, text) of each field an editor writes,
    (label, objects) of harm types and themes, (label, rows) of each inline."""
    fields = [
        (field_label(original), _display(original, snapshot.fields[f.attname]))
        for f in _case_fields()
        for original in [Incident._meta.get_field(f.name)]
    ]
    m2m = [
        (Incident._meta.get_field(name).verbose_name, model.objects.filter(pk__in=snapshot.m2m[name]))
        for name, model in M2M_FIELDS
    ]
    inlines = [(label, snapshot.inlines[kind]) for kind, _model, label in INLINES]
    return fields, m2m, inlines


def same(old, new):
    """Whether two values of a field read the same: a text never written (None) and an emptied one ("") do."""
    return old == new or (old in (None, "") and new in (None, ""))


_WORDS = re.compile(r"\s+|[^\s]+")


def _word_marks(old_line, new_line):
    """Two versions of one line, word by word: each side as (kind, text) pieces, "removed" pieces on the old side,
    "added" ones on the new side, the rest "same"."""
    old_words, new_words = _WORDS.findall(old_line), _WORDS.findall(new_line)
    before, after = [], []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            before.append(("same", "".join(old_words[i1:i2])))
            after.append(("same", "".join(new_words[j1:j2])))
            continue
        if i2 > i1:
            before.append(("removed", "".join(old_words[i1:i2])))
        if j2 > j1:
            after.append(("added", "".join(new_words[j1:j2])))
    return before, after


def text_sides(old, new):
    """Two versions of a text for a side-by-side comparison: (before, after), each a list of lines, each line a
    list of (kind, text) pieces. What went is marked "removed" on the before side only, what came "added" on the
    after side only; a line changed in place is compared word by word."""
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    before, after = [], []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            before.extend([("same", line)] for line in old_lines[i1:i2])
            after.extend([("same", line)] for line in new_lines[j1:j2])
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for old_line, new_line in zip(old_lines[i1 : i1 + paired], new_lines[j1 : j1 + paired], strict=True):
            old_marks, new_marks = _word_marks(old_line, new_line)
            before.append(old_marks)
            after.append(new_marks)
        before.extend([("removed", line)] for line in old_lines[i1 + paired : i2])
        after.extend([("added", line)] for line in new_lines[j1 + paired : j2])
    return before, after


def _row_fields(model):
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable and f.name not in ("id", "incident") and not _language_free(f, model)
    ]


def compare(old, new):
    """What changed from version `old` to version `new`, ready for a template."""
    changes = []
    for model_field in _case_fields():
        if model_field.name in ("id", "updated_at"):
            continue
        original = Incident._meta.get_field(model_field.name)
        before, after = old.fields.get(model_field.attname), new.fields.get(model_field.attname)
        if same(before, after):
            continue
        change = {
            "label": field_label(original),
            "old": _display(original, before),
            "new": _display(original, after),
            "sides": text_sides(before, after) if original.get_internal_type() == "TextField" else None,
        }
        changes.append(change)
    for name, model in M2M_FIELDS:
        removed = set(old.m2m[name]) - set(new.m2m[name])
        added = set(new.m2m[name]) - set(old.m2m[name])
        if removed or added:
            names = {obj.pk: str(obj) for obj in model.objects.filter(pk__in=removed | added)}
            changes.append(
                {
                    "label": Incident._meta.get_field(name).verbose_name,
                    "old": ", ".join(sorted(str(names.get(pk, pk)) for pk in removed)) or "—",
                    "new": ", ".join(sorted(str(names.get(pk, pk)) for pk in added)) or "—",
                    "sides": None,
                    "m2m": True,
                }
            )
    inline_changes = []
    for kind, model, label in INLINES:
        before = {row.pk: row for row in old.inlines[kind]}
        after = {row.pk: row for row in new.inlines[kind]}
        rows = []
        for pk in after.keys() - before.keys():
            rows.append({"kind": "added", "text": str(after[pk]), "fields": []})
        for pk in before.keys() - after.keys():
            rows.append({"kind": "removed", "text": str(before[pk]), "fields": []})
        for pk in before.keys() & after.keys():
            fields = []
            for row_field in _row_fields(model):
                a, b = getattr(before[pk], row_field.attname), getattr(after[pk], row_field.attname)
                if not same(a, b):
                    fields.append(
                        {"label": field_label(row_field), "old": _display(row_field, a), "new": _display(row_field, b)}
                    )
            if fields:
                rows.append({"kind": "changed", "text": str(after[pk]), "fields": fields})
        if rows:
            inline_changes.append({"label": label, "rows": rows})
    return changes, inline_changes


# The rows whose changes a version lists under "What changed": those it restores, and the right of reply and
# promises written in the same form.
LISTED_ROWS = [(model, label) for _kind, model, label in INLINES] + [
    (_related("reply"), _("Right of reply")),
    (_related("promises"), _("Promises")),
]
ROW_CHANGE_KINDS = {"+": _("added"), "~": _("changed"), "-": _("removed")}


def row_changes(records):
    """What each of a case's versions changed in its rows: {history_id: [{"label", "kind", "text"}...]}.

    `records` are historical records of one case, newest first (a page of its history). A row's change belongs
    to the version that stood when it was made: the admin saves a case first, then its rows, so the rows an
    editor added in one save are listed with the version that save made, as they are on the public revision page.
    """
    records = list(records)
    if not records:
        return {}
    case_id = records[0].id
    within = {"history_date__gte": records[-1].history_date}
    # A page of an older part of the history ends where the next version begins: later changes are not its own.
    newer = (
        type(records[0])
        .objects.filter(id=case_id, history_date__gt=records[0].history_date)
        .order_by("history_date")
        .values_list("history_date", flat=True)
        .first()
    )
    if newer is not None:
        within["history_date__lt"] = newer
    changes = {record.history_id: [] for record in records}
    found = []
    for model, label in LISTED_ROWS:
        for row in model.history.model.objects.filter(incident_id=case_id, **within).order_by(
            "history_date", "history_id"
        ):
            found.append((row.history_date, label, row))
    for date, label, row in sorted(found, key=lambda item: item[0]):
        # The newest version made at or before the change (records are newest first).
        owner = next((record for record in records if record.history_date <= date), None)
        if owner is not None:
            changes[owner.history_id].append(
                {
                    "label": label,
                    "kind": ROW_CHANGE_KINDS.get(row.history_type, row.history_type),
                    "text": Truncator(str(row.instance)).chars(90),
                }
            )
    return changes


def row_change_reason(changes):
    """A change reason for a save that only changed rows: "Changed: images, sources"."""
    labels = list(dict.fromkeys(str(change["label"]).lower() for change in changes))
    return gettext("Changed: %(parts)s") % {"parts": ", ".join(labels)} if labels else ""


def row_history(incident, limit=200):
    """Recent changes to a case's sources, timeline, costs, images and corrections, newest first."""
    entries = []
    for _kind, model, label in INLINES:
        history = model.history.model
        ids = history.objects.filter(incident_id=incident.pk).values("id")
        for record in (
            history.objects.filter(id__in=ids).select_related("history_user").order_by("-history_date")[:limit]
        ):
            entries.append({"label": label, "record": record, "text": Truncator(str(record.instance)).chars(120)})
    entries.sort(key=lambda e: e["record"].history_date, reverse=True)
    return entries[:limit]


# Restoring -------------------------------------------------------------------------------------------


def _check_restorable(incident, target_version):
    company_id = target_version.fields["company_id"]
    if not Company.objects.filter(pk=company_id).exists():
        raise RestoreError(_("The company of that version was deleted; restore or recreate it first."))
    if incident.status == Status.PUBLISHED:
        probe = Incident(**{f.attname: target_version.fields[f.attname] for f in content_fields()})
        missing = probe.missing_fields_for_publication()
        if not target_version.inlines["sources"]:
            missing.append(_("at least one source"))
        alt_text = f"alt_text_{probe.language}"
        if any(not getattr(image, alt_text) for image in target_version.inlines["images"]):
            missing.append(_("alt text for every image"))
        if missing:
            raise RestoreError(
                _("This case is published and that version lacks %(missing)s. Unpublish it first, or edit it.")
                % {"missing": ", ".join(str(m) for m in missing)}
            )


def _restore_rows(incident, target_version, user, reason):
    source_ids = {}
    for kind, model, _label in INLINES:
        current = {row.pk: row for row in model.objects.filter(incident=incident)}
        wanted = target_version.inlines[kind]
        wanted_ids = {row.pk for row in wanted}
        for pk, row in current.items():
            if pk not in wanted_ids:
                row._history_user, row._change_reason = user, reason
                row.delete()
        for row in wanted:
            old_pk = row.pk
            row.incident_id = incident.pk
            if kind == "costs" and row.source_id:
                row.source_id = source_ids.get(row.source_id)
            row._history_user, row._change_reason = user, reason
            if old_pk in current:
                existing = current[old_pk]
                if all(same(getattr(existing, f.attname), getattr(row, f.attname)) for f in _row_fields(model)):
                    if kind == "sources":
                        source_ids[old_pk] = old_pk
                    continue
                row.save()
            elif model.objects.filter(pk=old_pk).exists():
                # The row has moved to another case since (a merge): bring back a copy.
                row.pk = row.id = None
                row._state.adding = True
                row.save()
            else:
                row._state.adding = True
                row.save(force_insert=True)
            if kind == "sources":
                source_ids[old_pk] = row.pk


@transaction.atomic
def restore_version(record, user):
    """Put the content of an earlier version back: fields, harm types, themes and every inline row.

    The status, publication and merge fields stay as they are now; they have their own actions.
    """
    incident = Incident.objects.select_for_update().get(pk=record.id)
    target_version = version(record)
    _check_restorable(incident, target_version)
    reason = gettext("Restored the version of %(date)s") % {
        "date": date_format(timezone.localtime(record.history_date), "DATETIME_FORMAT")
    }
    for model_field in content_fields():
        setattr(incident, model_field.attname, target_version.fields[model_field.attname])
    try:
        incident.full_clean(exclude=["slug"])
    except ValidationError as error:
        raise RestoreError(" ".join(error.messages)) from error
    record_as(incident, user, reason)
    incident.save()  # the restore's record first; the rows restored after it belong to it
    _restore_rows(incident, target_version, user, reason)
    _set_m2m(incident, target_version)
    finish_history_record(incident)
    return incident


def _set_m2m(incident, target_version):
    incident.skip_history_when_saving = True
    try:
        for name, model in M2M_FIELDS:
            getattr(incident, name).set(model.objects.filter(pk__in=target_version.m2m[name]))
    finally:
        del incident.skip_history_when_saving


def deleted_cases():
    """The deletion records of cases that are still deleted, newest first (one per case)."""
    history = Incident.history.model
    records = (
        history.objects.filter(history_type="-")
        .exclude(id__in=Incident.objects.values("id"))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    seen, latest = set(), []
    for record in records[:500]:
        if record.id not in seen:
            seen.add(record.id)
            latest.append(record)
    return latest


@transaction.atomic
def restore_deleted(deletion_record, user):
    """Bring back a deleted case, as a draft, with the rows that were deleted along with it."""
    history = Incident.history.model
    if deletion_record.history_type != "-":
        raise RestoreError(_("That record is not a deletion."))
    if Incident.objects.filter(pk=deletion_record.id).exists():
        raise RestoreError(_("%(ref)s exists: it was restored already.") % {"ref": f"SC-{deletion_record.id:04d}"})
    target_version = version(deletion_record, deleted_with_case_at=deletion_record.history_date)
    last_save = (
        history.objects.filter(id=deletion_record.id, history_date__lte=deletion_record.history_date)
        .exclude(history_type="-")
        .order_by("-history_date", "-history_id")
        .first()
    )
    if last_save:
        target_version.m2m = version(last_save).m2m  # a deletion record's own m2m rows are empty
    if not Company.objects.filter(pk=target_version.fields["company_id"]).exists():
        raise RestoreError(_("The company of that case was deleted; restore or recreate it first."))
    incident = Incident(**{f.attname: target_version.fields[f.attname] for f in history.tracked_fields})
    incident.status = Status.DRAFT
    incident.published_at = incident.retracted_at = incident.merged_into_id = None
    incident.featured = False
    record_as(incident, user, gettext("Restored after deletion"))
    incident.save(force_insert=True)
    created_at = target_version.fields["created_at"]
    Incident.objects.filter(pk=incident.pk).update(created_at=created_at)  # auto_now_add set it to now
    incident.created_at = created_at
    _restore_rows(incident, target_version, user, gettext("Restored after deletion"))
    _set_m2m(incident, target_version)
    finish_history_record(incident)
    return incident
