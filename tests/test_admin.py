import pytest
from django.urls import reverse

from incidents.models import Incident, Status
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    editor = factories.user(superuser=True)
    client.force_login(editor)
    return client


def test_non_staff_user_is_refused_by_the_admin(client):
    client.force_login(factories.user())
    response = client.get(reverse("admin:incidents_incident_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("admin:incidents_incident_changelist"))
    assert response.status_code == 302


def test_changelist_lists_cases_with_facets_and_search(editor_client):
    case = factories.incident(title="Guitar broken at O'Hare")
    factories.incident(title="Overbilled meter")
    response = editor_client.get(reverse("admin:incidents_incident_changelist"), {"q": "guitar"})
    assert response.status_code == 200
    assert "Guitar broken at O&#x27;Hare" in response.text
    assert "Overbilled meter" not in response.text
    response = editor_client.get(reverse("admin:incidents_incident_changelist"), {"q": case.reference})
    assert "Guitar broken" in response.text


@pytest.mark.parametrize(
    "name",
    ["incident", "company", "sector", "lesson", "harmtype", "tip"],
)
def test_every_changelist_and_add_page_opens(editor_client, name):
    factories.incident()
    assert editor_client.get(reverse(f"admin:incidents_{name}_changelist")).status_code == 200
    assert editor_client.get(reverse(f"admin:incidents_{name}_add")).status_code == 200


def test_change_page_saves_case_with_inlines(editor_client):
    case = factories.incident(sources=0)
    url = reverse("admin:incidents_incident_change", args=[case.pk])
    page = editor_client.get(url)
    assert page.status_code == 200
    data = {
        "title": "A new title",
        "slug": "a-new-title",
        "status": Status.PUBLISHED,
        "company": case.company_id,
        "summary": "Summary.",
        "story": "Story.",
        "lesson": "Lesson.",
        "country": "FR",
        "language": "fr",
        "occurred_on": "2020-01-01",
        "occurred_precision": "day",
        "first_response_precision": "day",
        "resolved_precision": "day",
        "apology_quality": "3",
        "costs-TOTAL_FORMS": "1",
        "costs-INITIAL_FORMS": "0",
        "costs-0-kind": "bad_buzz",
        "costs-0-amount_low": "1000",
        "costs-0-currency": "EUR",
        "costs-0-method": "other",
        "costs-0-position": "0",
        "sources-TOTAL_FORMS": "1",
        "sources-INITIAL_FORMS": "0",
        "sources-0-kind": "press",
        "sources-0-language": "fr",
        "sources-0-position": "0",
        "sources-0-title": "Un article",
        "sources-0-publisher": "Le Monde",
        "sources-0-url": "https://www.lemonde.fr/",
        "timeline-TOTAL_FORMS": "1",
        "timeline-INITIAL_FORMS": "0",
        "timeline-0-date": "2020-01-02",
        "timeline-0-precision": "day",
        "timeline-0-description": "Complaint to customer service",
        "timeline-0-channel": "customer_service",
        "timeline-0-position": "0",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "corrections-TOTAL_FORMS": "0",
        "corrections-INITIAL_FORMS": "0",
    }
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    case.refresh_from_db()
    assert case.title == "A new title"
    assert case.sources.get().publisher == "Le Monde"
    assert case.timeline.get().channel == "customer_service"
    assert case.costs.get().amount_low == 1000
    assert case.headline_cost_eur == 1000


def test_publish_action_refuses_incomplete_cases(editor_client):
    ready = factories.incident(status=Status.DRAFT)
    incomplete = factories.incident(status=Status.DRAFT, sources=0)
    response = editor_client.post(
        reverse("admin:incidents_incident_changelist"),
        {"action": "publish", "_selected_action": [ready.pk, incomplete.pk]},
        follow=True,
    )
    assert "at least one source" in response.text
    assert Incident.objects.get(pk=ready.pk).status == Status.PUBLISHED
    assert Incident.objects.get(pk=incomplete.pk).status == Status.DRAFT
