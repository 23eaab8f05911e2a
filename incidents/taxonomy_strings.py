"""Names of the seeded taxonomies, marked for translation.

The four lessons and the harm types are created by migration 0002_seed_taxonomies, and the sectors by the demo
catalogue (fixtures/demo.json). They are database rows, so `makemessages` never sees them in the code; templates
show them through the `translated` filter, which looks each value up in the catalogue at render time. Listing
them here with `gettext_noop` puts their English text into locale/*/django.po so that they can be translated.
Names that editors add later are not listed and show as written.

Keep this list in step with the migration and the fixture: tests/test_i18n.py fails when one of them has no
translation.
"""

from django.utils.translation import gettext_noop

LESSONS = [
    gettext_noop("Apologise, and do it well"),
    gettext_noop("An apology costs almost nothing; refusing one can cost a great deal."),
    gettext_noop("When things go wrong, tell customers at once"),
    gettext_noop("Clear, factual and fast information turns an incident into proof of good faith."),
    gettext_noop("Deliver the service that was promised and paid for"),
    gettext_noop("A service that was sold must be rendered, whatever its price."),
    gettext_noop("A bad buzz costs far more than the remedy"),
    gettext_noop("Refusing a small remedy can end in a loss thousands of times larger."),
]

HARM_TYPES = [
    gettext_noop("Absurd bill"),
    gettext_noop("A bill that bears no relation to what was consumed."),
    gettext_noop("Service not delivered"),
    gettext_noop("The customer paid for a service that never worked."),
    gettext_noop("Unreachable support"),
    gettext_noop("Nobody answers, or answering costs the customer money."),
    gettext_noop("Travel disruption"),
    gettext_noop("Delays, cancellations or passengers left stranded."),
    gettext_noop("Damaged property"),
    gettext_noop("Something the customer owned was broken or lost."),
    gettext_noop("Personal data exposed"),
    gettext_noop("Customers' personal data leaked or was misused."),
    gettext_noop("Unfair charges"),
    gettext_noop("Fees or accounts the customer never agreed to."),
    gettext_noop("Refund refused"),
    gettext_noop("The company would not pay back or compensate."),
    gettext_noop("Mistreatment by staff"),
    gettext_noop("Customers were humiliated, threatened or hurt."),
    gettext_noop("Misleading information"),
    gettext_noop("The company told customers something untrue."),
    gettext_noop("Locked out"),
    gettext_noop("Customers could not reach their account, money or purchase."),
]

SECTORS = [
    gettext_noop("Airlines"),
    gettext_noop("Banking and credit"),
    gettext_noop("Energy"),
    gettext_noop("Food service"),
    gettext_noop("Media and streaming"),
    gettext_noop("Rail"),
    gettext_noop("Retail"),
    gettext_noop("Technology"),
    gettext_noop("Telecoms"),
    gettext_noop("Insurance"),
    gettext_noop("Post and parcels"),
    gettext_noop("Public services"),
    gettext_noop("Hotels and travel booking"),
    gettext_noop("Car makers"),
]
