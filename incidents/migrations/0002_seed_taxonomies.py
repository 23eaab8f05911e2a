"""The four lessons of the seed article and a first list of harms: every installation starts with them."""

from django.db import migrations

LESSONS = [
    (
        "apologise-well",
        "Apologise, and do it well",
        "An apology costs almost nothing; refusing one can cost a great deal.",
        1,
    ),
    (
        "inform-customers-at-once",
        "When things go wrong, tell customers at once",
        "Clear, factual and fast information turns an incident into proof of good faith.",
        2,
    ),
    (
        "deliver-what-was-promised",
        "Deliver the service that was promised and paid for",
        "A service that was sold must be rendered, whatever its price.",
        3,
    ),
    (
        "bad-buzz-costs-more",
        "A bad buzz costs far more than the remedy",
        "Refusing a small remedy can end in a loss thousands of times larger.",
        4,
    ),
]

HARMS = [
    ("absurd-bill", "Absurd bill", "A bill that bears no relation to what was consumed."),
    ("service-not-delivered", "Service not delivered", "The customer paid for a service that never worked."),
    ("unreachable-support", "Unreachable support", "Nobody answers, or answering costs the customer money."),
    ("travel-disruption", "Travel disruption", "Delays, cancellations or passengers left stranded."),
    ("damaged-property", "Damaged property", "Something the customer owned was broken or lost."),
    ("data-breach", "Personal data exposed", "Customers' personal data leaked or was misused."),
    ("unfair-charges", "Unfair charges", "Fees or accounts the customer never agreed to."),
    ("refund-refused", "Refund refused", "The company would not pay back or compensate."),
    ("mistreatment", "Mistreatment by staff", "Customers were humiliated, threatened or hurt."),
    ("misleading-information", "Misleading information", "The company told customers something untrue."),
    ("locked-out", "Locked out", "Customers could not reach their account, money or purchase."),
]


def seed(apps, schema_editor):
    Lesson = apps.get_model("incidents", "Lesson")
    HarmType = apps.get_model("incidents", "HarmType")
    for slug, title, summary, position in LESSONS:
        Lesson.objects.get_or_create(slug=slug, defaults={"title": title, "summary": summary, "position": position})
    for slug, name, description in HARMS:
        HarmType.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
