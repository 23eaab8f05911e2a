"""Import: cases from CSV or JSON rows of the exchange format (incidents/exchange/columns.py), with the admin's rules.

`read_csv()` and `read_json()` yield (line number, row) pairs from a file without reading it whole;
`import_rows()` imports them all or nothing. On import, a column that is absent leaves that part of a case
as it is; a column that is present is the truth (an empty `sources` list removes the sources). `reference`,
`id` and `updated_at` identify a case or are informational; `url` is ignored.

Texts: the per-language columns and keys (`title_fr`, a timeline event's `description_en`) are the truth for
their language; the unsuffixed one (`title`), when a row has no per-language column for that text, goes to the
case's `language`, as files written before texts had two languages expect. When both are given, the unsuffixed
text must be one of the per-language ones (or empty): an edit made in the wrong column is refused, not lost. A
timeline event or cost line given in one language only keeps its text in the other from the case's row that
has the same text in the given one (a translation follows its original, not a position in the list).
"""

from __future__ import annotations

import csv
import functools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext_lazy as _

from incidents.api.schemas import text_in
from incidents.exchange.columns import CASE_TEXTS, COLUMN_NAMES, ROW_FIELDS, ROW_TEXTS, in_each_language
from incidents.models import APOLOGY_BY_SLUG, LANGUAGE_CODES, Company, HarmType, Incident, Lesson, Sector, Status
from incidents.services import find_company
from incidents.versions import finish_history_record

# The model of each list column's rows: the case's relation of the same name (`case.sources`...).
ROW_MODELS = {kind: Incident._meta.get_field(kind).related_model for kind in ROW_FIELDS}

# The stored values of each list column's rows that are not texts (the texts are compared language by language).
ROW_VALUES = {
    kind: [name for name in ROW_FIELDS[kind] if name not in {"source", *texts, *in_each_language(texts)}]
    for kind, texts in ROW_TEXTS.items()
}

# Plain case fields, imported as they are written.
CHOICE_FIELDS = ["status", "language", "occurred_precision", "first_response_precision", "resolved_precision"]
DATE_FIELDS = ["occurred_on", "first_response_on", "resolved_on"]


# Reading files ----------------------------------------------------------------------------------------------


class ImportFormatError(Exception):
    """The file itself cannot be read (not a row problem)."""


MAX_JSON_OBJECT_CHARS = 16 * 1024 * 1024


def read_csv(text_file):
    """Yield (line number, row dict) from a CSV file; the line number is where the row starts."""
    csv.field_size_limit(MAX_JSON_OBJECT_CHARS)
    reader = csv.DictReader(text_file)
    if reader.fieldnames is None:
        return
    unknown = [name for name in reader.fieldnames if name not in COLUMN_NAMES]
    if unknown:
        raise ImportFormatError(_("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)})
    next_line = 2
    for row in reader:
        yield next_line, row
        next_line = reader.line_num + 1


def read_json(text_file, chunk_size=1 << 16):
    """Yield (line number, object) from a JSON list of objects (or JSON Lines), without reading it whole."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    buffer, line, eof, in_list = "", 1, False, None
    while True:
        stripped = buffer.lstrip(" \t\r\n,")
        line += buffer.count("\n", 0, len(buffer) - len(stripped))
        buffer = stripped
        if not buffer:
            if eof:
                if in_list:
                    raise ImportFormatError(_("The list of cases is not closed by “]”."))
                return
            chunk = text_file.read(chunk_size)
            eof = not chunk
            buffer += chunk
            continue
        if in_list is None:
            in_list = buffer.startswith("[")
            if in_list:
                buffer = buffer[1:]
                continue
        if in_list and buffer.startswith("]"):
            rest = buffer[1:]
            while rest:
                if rest.strip():
                    raise ImportFormatError(_("Line %(line)s: text after the end of the list.") % {"line": line})
                rest = text_file.read(chunk_size)
            return
        try:
            value, end = decoder.raw_decode(buffer)
        except json.JSONDecodeError as error:
            if not eof and len(buffer) < MAX_JSON_OBJECT_CHARS:
                chunk = text_file.read(chunk_size)
                eof = not chunk
                buffer += chunk
                continue
            raise ImportFormatError(
                _("Line %(line)s: this is not valid JSON (%(error)s).")
                % {"line": line + error.lineno - 1, "error": error.msg}
            ) from error
        if not isinstance(value, dict):
            raise ImportFormatError(_("Line %(line)s: each case must be a JSON object.") % {"line": line})
        yield line, value
        line += buffer.count("\n", 0, end)
        buffer = buffer[end:]


# Importing ----------------------------------------------------------------------------------------------------


class RowError(Exception):
    def __init__(self, messages):
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = [str(m) for m in messages]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    error_count: int = 0

    @property
    def rows(self):
        return self.created + self.updated + self.unchanged + self.error_count


MAX_ERROR_MESSAGES = 100


def _text(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _parse_list(name, value):
    if isinstance(value, list):
        return value
    text = _text(value).strip()
    if not text:
        return []
    try:
        parsed = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise RowError(
            [_("%(column)s: not a JSON list (%(error)s).") % {"column": name, "error": error.msg}]
        ) from error
    if not isinstance(parsed, list) or not all(isinstance(item, dict) for item in parsed):
        raise RowError([_("%(column)s: must be a JSON list of objects.") % {"column": name}])
    return parsed


def _text_language(case):
    """The language a row's unsuffixed texts are in: the case's (an unknown one is refused by validation; until
    then its texts are read as the default language's)."""
    return case.language if case.language in LANGUAGE_CODES else LANGUAGE_CODES[0]


def _texts_given(raw, name, language, newlines=True):
    """The texts of `name` a row gives, by language: its per-language columns, else its unsuffixed one in
    `language` (the case's own); {} when it gives none. Windows line ends become "\n" in a case's texts."""
    given = {code: _text(raw[f"{name}_{code}"]) for code in LANGUAGE_CODES if f"{name}_{code}" in raw}
    if not given and name in raw:
        given = {language: _text(raw[name])}
    return {code: text.replace("\r\n", "\n") for code, text in given.items()} if newlines else given


def _set_text(obj, column, text):
    """Write a text, None when empty (a language without it), leaving an equivalent stored value ("" or None)."""
    if (getattr(obj, column) or "") != text:
        setattr(obj, column, text or None)


def _unsuffixed_disagrees(raw, name, obj, where, newlines=True):
    """The error when a row gives `name` both unsuffixed and per language, and the unsuffixed text is not one of
    `obj`'s (once written); None otherwise."""
    columns = in_each_language([name])
    if name not in raw or not any(column in raw for column in columns):
        return None
    text = _text(raw[name])
    if newlines:
        text = text.replace("\r\n", "\n")
    if not text or text in {getattr(obj, column) or "" for column in columns}:
        return None
    *others, last = columns
    return _("%(column)s does not match %(columns)s: edit the text in the column of its language.") % {
        "column": where,
        "columns": format_lazy(_("{values} or {last}"), values=", ".join(others), last=last),
    }


def _parse_slugs(value):
    if isinstance(value, list):
        return sorted({_text(v).strip() for v in value if _text(v).strip()})
    return sorted({part.strip() for part in _text(value).split(";") if part.strip()})


def _reference_id(raw):
    errors = []
    ids = set()
    reference = _text(raw.get("reference")).strip().upper()
    if reference:
        match = re.fullmatch(r"SC-0*(\d{1,12})", reference)
        if match:
            ids.add(int(match.group(1)))
        else:
            errors.append(_("reference: “%(value)s” is not a reference such as SC-0042.") % {"value": reference})
    number = _text(raw.get("id")).strip()
    if number:
        if number.isdigit() and int(number) > 0:
            ids.add(int(number))
        else:
            errors.append(_("id: “%(value)s” is not a case number.") % {"value": number})
    if len(ids) > 1:
        errors.append(_("reference and id name two different cases."))
    if errors:
        raise RowError(errors)
    return ids.pop() if ids else None


def _find_company(raw, create_companies):
    slug = _text(raw.get("company_slug")).strip()
    name = _text(raw.get("company")).strip()
    company = (Company.objects.filter(slug=slug).first() if slug else None) or find_company(name)
    if company is not None:
        return company
    if not (slug or name):
        raise RowError([_("company: missing.")])
    if not create_companies:
        raise RowError(
            [
                _("company: “%(name)s” is not in the catalogue (add it, or run with --create-companies).")
                % {"name": name or slug}
            ]
        )
    sector_key = _text(raw.get("sector")).strip()
    sector = (
        Sector.objects.filter(slug=sector_key).first() or Sector.objects.filter(name__iexact=sector_key).first()
        if sector_key
        else None
    )
    if sector is None:
        raise RowError(
            [_("sector: “%(sector)s” is not a sector; a new company needs one.") % {"sector": sector_key or "—"}]
        )
    company = Company(name=name or slug, slug=slug or slugify(name)[:200], sector=sector)
    try:
        company.full_clean()
    except ValidationError as error:
        raise RowError([f"company: {message}" for message in error.messages]) from error
    company.save()
    return company


def _keep_translation(row, name, given, existing):
    """Give `row` the texts of `name` in the languages its item left out, from the case's existing row that has
    the same text in a language it gave (the first one), or none."""
    missing = [code for code in LANGUAGE_CODES if code not in given]
    if not missing:
        return
    for old in existing():
        if any(text and (getattr(old, f"{name}_{code}") or "") == text for code, text in given.items()):
            for code in missing:
                setattr(row, f"{name}_{code}", getattr(old, f"{name}_{code}"))
            return


def _build_rows(kind, items, language, existing=list):
    """Validated, unsaved rows (and for costs, the index of their source) from a list of dicts; their texts
    given unsuffixed are in `language`; `existing()` gives the case's current rows (read only when needed)."""
    model, allowed, texts = ROW_MODELS[kind], ROW_FIELDS[kind], ROW_TEXTS[kind]
    built, errors = [], []
    for index, item in enumerate(items):
        unknown = sorted(set(item) - set(allowed))
        if unknown:
            errors.append(
                _("%(column)s[%(index)s]: unknown keys %(keys)s.")
                % {"column": kind, "index": index, "keys": ", ".join(unknown)}
            )
            continue
        values = {key: item[key] for key in ROW_VALUES[kind] if key in item}
        for key, value in list(values.items()):
            if value is None:
                model_field = model._meta.get_field(key)
                values[key] = (
                    None if model_field.null else ("" if not model_field.has_default() else model_field.default)
                )
            elif not isinstance(value, str | bool):
                values[key] = str(value)  # a number, or a list or object where one value belongs
        row = model(**values)  # _sync_rows() gives it its case and position
        for name in texts:
            given = _texts_given(item, name, language, newlines=False)
            for code, text in given.items():
                setattr(row, f"{name}_{code}", text or None)
            _keep_translation(row, name, given, existing)
        source_index = item.get("source")  # only costs have this key
        # Values are converted (dates, decimals) and checked as the admin's inline forms would.
        field_errors = []
        for name in values:
            model_field = model._meta.get_field(name)
            try:
                setattr(row, model_field.attname, model_field.to_python(getattr(row, model_field.attname)))
            except ValidationError as error:
                field_errors.extend(f"{kind}[{index}].{name}: {message}" for message in error.messages)
        if not field_errors:
            try:
                row.full_clean(exclude=["incident"])
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    where = f"{kind}[{index}]" if name == NON_FIELD_ERRORS else f"{kind}[{index}].{name}"
                    field_errors.extend(f"{where}: {message}" for message in messages)
        for name in texts:
            disagreement = _unsuffixed_disagrees(item, name, row, f"{kind}[{index}].{name}", newlines=False)
            if disagreement:
                field_errors.append(disagreement)
        if field_errors:
            errors.extend(field_errors)
            continue
        if source_index is not None and not (isinstance(source_index, int) and source_index >= 0):
            errors.append(_("costs[%(index)s].source: must be the index of a source, from 0.") % {"index": index})
            continue
        built.append((row, source_index))
    if errors:
        raise RowError(errors)
    return built


def _row_values(row, kind):
    """What a row stores, to compare: its values, then its texts in each language (no text: "")."""
    return (
        *(getattr(row, row._meta.get_field(name).attname) for name in ROW_VALUES[kind]),
        *(getattr(row, column) or "" for column in in_each_language(ROW_TEXTS[kind])),
    )


def _wanted_sources(built, source_ids):
    wanted_sources = []
    for index, (_row, source_index) in enumerate(built):
        if source_index is not None and source_index >= len(source_ids):
            raise RowError(
                [_("costs[%(index)s].source: there is no source %(n)s.") % {"index": index, "n": source_index}]
            )
        wanted_sources.append(source_ids[source_index] if source_index is not None else None)
    return wanted_sources


def _existing_rows(case, kind):
    if case._state.adding:
        return []
    model = ROW_MODELS[kind]
    return list(model.objects.filter(incident=case).order_by(*model._meta.ordering))


def _rows_identical(case, kind, built, source_ids):
    existing = _existing_rows(case, kind)
    try:
        wanted_sources = _wanted_sources(built, source_ids)
    except RowError:
        return False  # sources are being rewritten: _sync_rows checks the indexes against the new ones
    return len(existing) == len(built) and all(
        _row_values(old, kind) == _row_values(new, kind) and (kind != "costs" or old.source_id == source_id)
        for old, (new, _index), source_id in zip(existing, built, wanted_sources, strict=True)
    )


def _sync_rows(case, kind, built, source_ids, user, reason):
    """Make the case's rows of `kind` match `built`, in order; returns their ids in order."""
    existing = _existing_rows(case, kind)
    wanted_sources = _wanted_sources(built, source_ids)
    saved = []
    for index, ((row, _source_index), source_id) in enumerate(zip(built, wanted_sources, strict=True)):
        target = existing[index] if index < len(existing) else None
        if target is not None:
            row.pk = target.pk
            unchanged = _row_values(target, kind) == _row_values(row, kind) and target.position == index
            if unchanged and (kind != "costs" or target.source_id == source_id):
                saved.append(target)
                continue
        if kind == "costs":
            row.source_id = source_id
        row.incident = case
        row.position = index
        row._history_user, row._change_reason = user, reason
        row.save()
        saved.append(row)
    for leftover in existing[len(built) :]:
        leftover._history_user, leftover._change_reason = user, reason
        leftover.delete()
    return [row.pk for row in saved]


class CaseImporter:
    """Imports rows one by one with the admin's rules; `result` says what happened."""

    def __init__(self, *, create_companies=False, user=None, reason=""):
        self.create_companies = create_companies
        self.user = user
        self.reason = reason or str(_("Imported"))
        self.result = ImportResult()
        self.explicit_ids = False

    def add_error(self, line, messages):
        self.result.error_count += 1
        for message in messages:
            if len(self.result.errors) < MAX_ERROR_MESSAGES:
                self.result.errors.append(_("line %(line)s: %(message)s") % {"line": line, "message": message})

    def run(self, rows, *, dry_run=False):
        """Import every (line, row) pair in one transaction: any error, or a dry run, imports nothing."""
        with transaction.atomic():
            for line, raw in rows:
                try:
                    with transaction.atomic():
                        outcome = self.import_row(raw)
                except RowError as error:
                    self.add_error(line, error.messages)
                    continue
                except DatabaseError as error:
                    self.add_error(line, [str(error).strip().splitlines()[0]])
                    continue
                setattr(self.result, outcome, getattr(self.result, outcome) + 1)
            if self.result.error_count or dry_run:
                transaction.set_rollback(True)
            elif self.explicit_ids:
                self._reset_sequences()
        return self.result

    def _reset_sequences(self):
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Incident]):
                cursor.execute(statement)

    def _find_case(self, raw, case_id, company):
        # A row's titles, in any language: a case is the same when one of its titles is.
        titles = {_text(raw.get(name)).strip() for name in ["title", *in_each_language(["title"])]} - {""}
        if case_id is not None:
            case = Incident.objects.filter(pk=case_id).first()
            if case is not None:
                own_titles = {getattr(case, column) for column in in_each_language(["title"])}
                if titles and not titles & own_titles and case.company_id != company.pk:
                    title = text_in(case, "title", case.language)
                    raise RowError(
                        [
                            _(
                                "%(ref)s here is “%(title)s” (%(company)s), not this case: "
                                "leave reference and id empty to import it as a new case."
                            )
                            % {"ref": case.reference, "title": title, "company": case.company}
                        ]
                    )
                return case
            self.explicit_ids = True
            return Incident(pk=case_id)
        if not titles:
            return Incident()
        try:
            occurred = parse_date(_text(raw.get("occurred_on")).strip())
        except ValueError:
            occurred = None
        same_title = Q()
        for title in titles:
            for column in in_each_language(["title"]):
                same_title |= Q(**{f"{column}__iexact": title})
        matches = list(Incident.objects.filter(same_title, company=company, occurred_on=occurred)[:2])
        if len(matches) > 1:
            raise RowError([_("two cases of this company have this title and date: give the reference.")])
        return matches[0] if matches else Incident()

    def _assign(self, case, raw, errors):
        present = set(raw)
        for name in CHOICE_FIELDS:
            if name in present and _text(raw[name]).strip():
                setattr(case, name, _text(raw[name]).strip())
        language = _text_language(case)
        for name in CASE_TEXTS:
            for code, text in _texts_given(raw, name, language).items():
                _set_text(case, f"{name}_{code}", text)
            disagreement = _unsuffixed_disagrees(raw, name, case, name)
            if disagreement:
                errors.append(disagreement)
        if "slug" in present or case._state.adding:
            case.slug = _text(raw.get("slug")).strip() or slugify(text_in(case, "title", language))[:200]
        if "country" in present:
            case.country = _text(raw["country"]).strip().upper()
        for name in DATE_FIELDS:
            if name in present:
                text = _text(raw[name]).strip()
                try:
                    value = parse_date(text)
                except ValueError:
                    value = None
                if text and value is None:
                    errors.append(
                        _("%(column)s: “%(value)s” is not a date (YYYY-MM-DD).") % {"column": name, "value": text}
                    )
                setattr(case, name, value)
        if "apology_quality" in present and _text(raw["apology_quality"]).strip():
            slug = _text(raw["apology_quality"]).strip().lower()
            if slug in APOLOGY_BY_SLUG:
                case.apology_quality = APOLOGY_BY_SLUG[slug].value
            else:
                errors.append(
                    _("apology_quality: “%(value)s” is not one of %(choices)s.")
                    % {"value": slug, "choices": ", ".join(APOLOGY_BY_SLUG)}
                )
        if "customers_affected" in present:
            text = _text(raw["customers_affected"]).strip().replace("\u202f", "").replace(" ", "")
            if text and not text.isdigit():
                errors.append(_("customers_affected: “%(value)s” is not a whole number.") % {"value": text})
            else:
                case.customers_affected = int(text) if text else None
        if "published_at" in present and _text(raw["published_at"]).strip():
            text = _text(raw["published_at"]).strip()
            value = parse_datetime(text)
            if value is None:
                errors.append(_("published_at: “%(value)s” is not a date and time (ISO 8601).") % {"value": text})
            else:
                case.published_at = value
        if "merged_into" in present:
            text = _text(raw["merged_into"]).strip().upper()
            if not text:
                case.merged_into = None
            else:
                match = re.fullmatch(r"SC-0*(\d{1,12})", text)
                target = Incident.objects.filter(pk=int(match.group(1))).first() if match else None
                if target is None:
                    errors.append(_("merged_into: there is no case %(ref)s.") % {"ref": text})
                else:
                    case.merged_into = target

    def _m2m(self, raw, errors):
        wanted = {}
        for name, model in (("harm_types", HarmType), ("lessons", Lesson)):
            if name not in raw:
                continue
            slugs = _parse_slugs(raw[name])
            found = dict(model.objects.filter(slug__in=slugs).values_list("slug", "pk"))
            unknown = [slug for slug in slugs if slug not in found]
            if unknown:
                errors.append(_("%(column)s: unknown %(slugs)s.") % {"column": name, "slugs": ", ".join(unknown)})
            wanted[name] = set(found.values())
        return wanted

    def import_row(self, raw):
        unknown = sorted(set(raw) - set(COLUMN_NAMES))
        if unknown:
            raise RowError([_("unknown columns %(names)s.") % {"names": ", ".join(unknown)}])
        case_id = _reference_id(raw)
        company = _find_company(raw, self.create_companies)
        case = self._find_case(raw, case_id, company)
        adding = case._state.adding
        before = {f.attname: getattr(case, f.attname) for f in Incident._meta.concrete_fields}
        errors = []
        case.company = company
        self._assign(case, raw, errors)
        wanted_m2m = self._m2m(raw, errors)
        lists = {}
        language = _text_language(case)
        for kind in ("sources", "timeline", "costs"):
            if kind in raw:
                existing = functools.cache(functools.partial(_existing_rows, case, kind))
                try:
                    lists[kind] = _build_rows(kind, _parse_list(kind, raw[kind]), language, existing)
                except RowError as error:
                    errors.extend(error.messages)
        if case.status == Status.PUBLISHED and not case.published_at:
            case.published_at = timezone.now()  # as the admin's publish action does
        if case.status == Status.MERGED and not case.merged_into_id:
            errors.append(_("status: a merged case needs merged_into."))
        if case.merged_into_id is not None and case.merged_into_id == case.pk:
            # full_clean() leaves merged_into out (the rule above says it better), so its constraint is checked here.
            errors.append(f"merged_into: {_('A case cannot be merged into itself.')}")
        if case.status == Status.RETRACTED and not case.retraction_reason.strip():
            errors.append(_("status: a retracted case needs its retraction_reason."))
        try:
            case.full_clean(exclude=["merged_into"])
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.extend(f"{name}: {message}" if name != NON_FIELD_ERRORS else message for message in messages)
        if case.status == Status.PUBLISHED and not errors:
            errors.extend(self._missing_for_publication(case, lists))
        if errors:
            raise RowError(errors)

        fields_changed = adding or any(
            before[f.attname] != getattr(case, f.attname)
            for f in Incident._meta.concrete_fields
            if f.editable  # not created_at, updated_at and what save() computes
        )
        current_sources = _existing_rows(case, "sources")  # in the order a row's cost indexes count them
        source_ids = [source.pk for source in current_sources]
        rows_changed = {kind for kind in lists if not _rows_identical(case, kind, lists[kind], source_ids)}
        if "sources" in rows_changed and "costs" in lists:
            rows_changed.add("costs")  # their source indexes point to rewritten rows
        m2m_changed = {
            name: ids
            for name, ids in wanted_m2m.items()
            if adding or set(getattr(case, name).values_list("pk", flat=True)) != ids
        }
        if not (fields_changed or rows_changed or m2m_changed):
            return "unchanged"
        # The case's record first, then its rows: they belong to this new version.
        case._history_user, case._change_reason = self.user, self.reason
        case.save(force_insert=adding)
        for kind in ("sources", "timeline", "costs"):
            if kind in rows_changed:
                ids = _sync_rows(case, kind, lists[kind], source_ids, self.user, self.reason)
                if kind == "sources":
                    source_ids = ids
        case.skip_history_when_saving = True
        try:
            for name, ids in m2m_changed.items():
                getattr(case, name).set(ids)
        finally:
            del case.skip_history_when_saving
        finish_history_record(case)
        return "created" if adding else "updated"

    def _missing_for_publication(self, case, lists):
        missing = case.missing_fields_for_publication()
        if "sources" in lists:
            if not lists["sources"]:
                missing.append(_("at least one source"))
        elif case._state.adding or not case.sources.exists():
            missing.append(_("at least one source"))
        without_alt = Q()
        for column in in_each_language(["alt_text"]):
            without_alt &= Q(**{f"{column}__isnull": True}) | Q(**{column: ""})
        if not case._state.adding and case.images.filter(without_alt).exists():
            missing.append(_("alt text for every image"))
        if missing:
            return [_("status: a published case needs %(missing)s.") % {"missing": ", ".join(str(m) for m in missing)}]
        return []


def import_rows(rows, *, create_companies=False, dry_run=False, user=None, reason=""):
    """Import (line, row) pairs all or nothing; returns an `ImportResult`."""
    importer = CaseImporter(create_companies=create_companies, user=user, reason=reason)
    return importer.run(rows, dry_run=dry_run)
