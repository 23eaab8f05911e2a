"""Small factory functions: each makes a valid object and takes overrides as keyword arguments."""

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents.models import (
    Company,
    CostEstimate,
    CostKind,
    HarmType,
    Incident,
    Lesson,
    Sector,
    Source,
    Status,
    TimelineEvent,
)

_counter = itertools.count(1)


def sector(**fields):
    n = next(_counter)
    fields.setdefault("name", f"Sector {n}")
    fields.setdefault("slug", f"sector-{n}")
    fields.setdefault("recourse", "Write to the **ombudsman**.")
    return Sector.objects.create(**fields)


def company(**fields):
    n = next(_counter)
    fields.setdefault("name", f"Company {n}")
    fields.setdefault("slug", f"company-{n}")
    fields.setdefault("country", "FR")
    if "sector" not in fields:
        fields["sector"] = sector()
    return Company.objects.create(**fields)


def harm_type(**fields):
    n = next(_counter)
    fields.setdefault("name", f"Harm {n}")
    fields.setdefault("slug", f"harm-{n}")
    return HarmType.objects.create(**fields)


def lesson(**fields):
    n = next(_counter)
    fields.setdefault("title", f"Lesson {n}")
    fields.setdefault("slug", f"lesson-{n}")
    fields.setdefault("summary", "What it teaches.")
    return Lesson.objects.create(**fields)


CASE_TEXTS = ("title", "summary", "story", "lesson", "apology_text", "response", "corrective_actions")


def incident(*, sources=1, harm_types=(), lessons=(), **fields):
    """A published case with one source unless told otherwise."""
    n = next(_counter)
    fields.setdefault("title", f"Case number {n}")
    fields.setdefault("slug", f"case-number-{n}")
    fields.setdefault("summary", f"Summary of case {n}.")
    fields.setdefault("story", f"The story of case {n}.")
    fields.setdefault("lesson", "Apologise early.")
    fields.setdefault("country", "FR")
    fields.setdefault("occurred_on", datetime.date(2020, 1, 15))
    fields.setdefault("status", Status.PUBLISHED)
    if fields["status"] == Status.PUBLISHED:
        fields.setdefault("published_at", timezone.now())
    if "company" not in fields:
        fields["company"] = company()
    # A text given without a language is written in the case's own language (modeltranslation would write it
    # in the active one): `title="..."` on a French case is its French title.
    language = fields.get("language", "en")
    for name in CASE_TEXTS:
        if name in fields:
            fields.setdefault(f"{name}_{language}", fields.pop(name))
    case = Incident.objects.create(**fields)
    for i in range(sources):
        source(incident=case, title=f"Source {i} of case {n}")
    case.harm_types.set(harm_types)
    case.lessons.set(lessons)
    return case


def source(**fields):
    fields.setdefault("title", "An article")
    fields.setdefault("publisher", "Le Monde")
    fields.setdefault("url", "https://example.org/article")
    fields.setdefault("published_on", datetime.date(2020, 2, 1))
    return Source.objects.create(**fields)


def cost(incident, amount, currency="EUR", kind=CostKind.BAD_BUZZ, **fields):
    return CostEstimate.objects.create(
        incident=incident, kind=kind, amount_low=Decimal(amount), currency=currency, **fields
    )


def event(incident, **fields):
    fields.setdefault("date", datetime.date(2020, 1, 20))
    fields.setdefault("description", "Something happened.")
    return TimelineEvent.objects.create(incident=incident, **fields)


def user(*, staff=False, superuser=False, groups=(), perms=(), **fields):
    from django.contrib.auth.models import Group, Permission

    n = next(_counter)
    fields.setdefault("username", f"user{n}")
    person = get_user_model().objects.create_user(
        password="correct horse battery staple", is_staff=staff or superuser, is_superuser=superuser, **fields
    )
    for name in groups:
        person.groups.add(Group.objects.get(name=name))
    for codename in perms:
        app_label, code = codename.split(".")
        person.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=code))
    return person


def editor(**fields):
    """A member of the "Editors" group (migration 0005): writes cases, submits them for review."""
    return user(staff=True, groups=["Editors"], **fields)


def chief_editor(**fields):
    """A member of the "Chief editors" group: also publishes, unpublishes, retracts, merges and deletes."""
    return user(staff=True, groups=["Chief editors"], **fields)


def draft(**fields):
    fields.setdefault("status", Status.DRAFT)
    return incident(**fields)


def tip(**fields):
    from incidents.models import Tip

    fields.setdefault("what_happened", "The bank froze my account for six weeks and nobody answered the phone.")
    fields.setdefault("company_name", "Some Bank")
    return Tip.objects.create(**fields)


def hidden_cases(marker, **fields):
    """A draft, a case in review, a retracted and a merged case, each titled with `marker`: none may be seen."""
    survivor = fields.pop("merged_into", None) or incident(title="The surviving case")
    cases = {
        status: incident(title=f"{marker} {status}", summary=f"{marker} summary", status=status, **fields)
        for status in (Status.DRAFT, Status.REVIEW, Status.RETRACTED)
    }
    cases[Status.RETRACTED].retraction_reason = f"{marker}: the sources did not hold."
    cases[Status.RETRACTED].save()
    cases[Status.MERGED] = incident(
        title=f"{marker} merged", summary=f"{marker} summary", status=Status.MERGED, merged_into=survivor, **fields
    )
    return cases


def editor_groups():
    """The groups "Editors" and "Chief editors" as migrations 0005 and 0012 make them.

    A transactional test without serialized rollback empties the database, groups included; this puts
    them back, with the migrations' own lists of permissions (0012 adds the right of reply and promises).
    """
    import importlib

    from django.contrib.auth.models import Group, Permission

    groups = importlib.import_module("incidents.migrations.0005_editor_groups").GROUPS
    replies = importlib.import_module("incidents.migrations.0012_editors_write_replies_and_promises")
    for name, codenames in groups.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            wanted = set(codenames) | (set(replies.CODENAMES) if name in replies.GROUPS else set())
            permissions = Permission.objects.filter(content_type__app_label="incidents", codename__in=wanted)
            group.permissions.set(permissions)
