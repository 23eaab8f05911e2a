"""The public "Submit a story" form and its abuse limits."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Tip

pytestmark = pytest.mark.django_db

URL = "/submit/"
STORY = "The airline lost my wheelchair and told me to come back in a week. Nobody called back."


def good_post(**overrides):
    return {
        "what_happened": STORY,
        "company_name": "Fly Away",
        "when": "March 2024",
        "links": "https://example.org/article\nhttps://example.org/post",
        "contact_email": "reader@example.org",
        "website": "",
        **overrides,
    }


def test_the_form_has_its_url_name_and_a_csrf_token(client):
    assert reverse("incidents:submit") == URL
    response = client.get(URL)
    assert response.status_code == 200
    assert "Submit a story" in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text
    assert '<div hidden aria-hidden="true">' in response.text  # the honeypot is invisible to people
    assert "no-cache" in response["Cache-Control"]


def test_a_story_lands_in_the_inbox_and_the_reader_gets_its_reference(client):
    response = client.post(URL, good_post(), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    tip = Tip.objects.get()
    assert tip.status == Tip.TipStatus.NEW
    assert tip.company_name == "Fly Away"
    assert tip.contact_email == "reader@example.org"
    assert tip.links == "https://example.org/article\nhttps://example.org/post"
    thanks = client.get(response.url)
    assert thanks.status_code == 200
    assert re.search(r"TIP-\d{5}", thanks.text).group(0) == tip.reference
    assert tip.reference in thanks.text


def test_the_client_address_is_kept_only_as_a_salted_hash(client):
    client.post(URL, good_post(), REMOTE_ADDR="203.0.113.7")
    tip = Tip.objects.get()
    assert len(tip.client_hash) == 64
    assert "203.0.113.7" not in tip.client_hash
    import hashlib

    assert tip.client_hash != hashlib.sha256(b"203.0.113.7").hexdigest()  # salted, not a bare hash


def test_the_thanks_page_does_not_reveal_a_forged_reference(client):
    response = client.get(reverse("incidents:submit_thanks"), {"ref": "TIP-00001"})
    assert response.status_code == 200
    assert 'id="tip-reference"' not in response.text
    assert "We received it." in response.text


def test_honeypot_filled_saves_nothing_but_looks_like_success(client):
    response = client.post(URL, good_post(website="http://spam.example"))
    assert response.status_code == 302
    assert response.url == reverse("incidents:submit_thanks")
    assert not Tip.objects.exists()
    assert "Thank you for your story" in client.get(response.url).text


def test_missing_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    response = client.post(URL, good_post())
    assert response.status_code == 403
    assert not Tip.objects.exists()


def test_a_post_with_the_token_from_the_form_is_accepted():
    client = Client(enforce_csrf_checks=True)
    page = client.get(URL)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    assert client.post(URL, good_post(csrfmiddlewaretoken=token)).status_code == 302
    assert Tip.objects.count() == 1


def test_rate_limit_answers_429_with_a_clear_message(client, settings):
    settings.TIPS_PER_HOUR = 5
    for n in range(5):
        assert client.post(URL, good_post(company_name=f"Company {n}"), REMOTE_ADDR="198.51.100.1").status_code == 302
    response = client.post(URL, good_post(), REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 429
    assert "Several stories were sent from your connection in the last hour" in response.text
    assert Tip.objects.count() == 5
    # Another reader is not affected.
    assert client.post(URL, good_post(), REMOTE_ADDR="198.51.100.2").status_code == 302


def test_robots_count_towards_the_rate_limit(client, settings):
    settings.TIPS_PER_HOUR = 2
    for _ in range(2):
        client.post(URL, good_post(website="spam"), REMOTE_ADDR="198.51.100.9")
    assert client.post(URL, good_post(), REMOTE_ADDR="198.51.100.9").status_code == 429


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("what_happened", "x" * 5001, "Ensure this value has at most 5000 characters (it has 5001)."),
        ("company_name", "x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
        ("when", "x" * 101, "Ensure this value has at most 100 characters (it has 101)."),
        ("links", "https://example.org/" + "x" * 2000, "Ensure this value has at most 2000 characters"),
        ("what_happened", "Too short.", "Tell us a little more: at least 30 characters."),
        ("links", "javascript:alert(1)", "is not a web address"),
        ("contact_email", "not-an-email", "Enter a valid email address."),
    ],
)
def test_oversize_and_invalid_fields_get_a_form_error(client, field, value, message):
    response = client.post(URL, good_post(**{field: value}))
    assert response.status_code == 400
    assert message in response.text
    assert "Please correct the form" in response.text
    assert not Tip.objects.exists()


def test_too_many_links_are_refused(client):
    links = "\n".join(f"https://example.org/{n}" for n in range(11))
    response = client.post(URL, good_post(links=links))
    assert "At most 10 links, please." in response.text


def test_a_huge_body_is_refused_before_reading_the_form(client):
    response = client.post(URL, good_post(what_happened="x" * 70_000))
    assert response.status_code == 413
    assert "That is far more text than this form takes." in response.text
    assert not Tip.objects.exists()


def test_html_is_stored_and_shown_as_plain_text(client):
    story = "<script>alert('x')</script> The shop <b>refused</b> my refund and laughed at me. Twice!"
    response = client.post(URL, good_post(what_happened=story, company_name="<i>Shop</i>\x07\u202e"))
    tip = Tip.objects.get()
    assert tip.what_happened == story  # kept verbatim, as text
    assert tip.company_name == "<i>Shop</i>"  # control and bidi-override characters removed
    thanks = client.get(response.url)
    assert "<script>" not in thanks.text
    # The editors read it escaped.
    from tests import factories

    client.force_login(factories.editor())
    page = client.get(reverse("admin:incidents_tip_change", args=[tip.pk]))
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page.text
    assert "<script>alert('x')" not in page.text
    assert "&lt;b&gt;refused&lt;/b&gt;" in page.text


def test_form_errors_echo_the_text_back_escaped(client):
    response = client.post(URL, good_post(what_happened="<script>alert(1)</script>", contact_email="bad"))
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_a_nul_byte_is_a_form_error_not_a_database_error(client):
    response = client.post(URL, good_post(company_name="Shop\x00"))
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.text


def test_only_get_and_post(client):
    assert client.put(URL).status_code == 405
