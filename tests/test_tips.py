"""The public "Submit a story" form and its abuse limits."""

import re

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse

from incidents.models import Incident, Tip
from tests import factories

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
    honeypot = BeautifulSoup(response.text, "html.parser").select_one("#id_website")
    assert honeypot.find_parent(attrs={"hidden": True})  # the honeypot is invisible to people
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


class Clock:
    """The time the cache reads: a tip's count lasts an hour, and a test cannot wait one."""

    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now


@pytest.fixture
def clock(settings, monkeypatch):
    from django.core.cache import cache
    from django.core.cache.backends import base, locmem

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tips"}}
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(base, "time", clock)
    monkeypatch.setattr(locmem, "time", clock)
    cache.clear()
    yield clock
    cache.clear()


def send(client, address="198.51.100.20"):
    return client.post(URL, good_post(), REMOTE_ADDR=address).status_code


def test_the_rate_limit_lasts_one_hour_from_the_first_tip(client, settings, clock):
    settings.TIPS_PER_HOUR = 1
    start = clock.now
    assert send(client) == 302
    clock.now = start + 3599
    assert send(client) == 429
    clock.now = start + 3600
    assert send(client) == 302
    assert Tip.objects.count() == 2


def test_a_count_that_expires_while_a_tip_is_counted_starts_again_at_one(client, settings, clock, monkeypatch):
    from django.core.cache import caches

    settings.TIPS_PER_HOUR = 2
    start = clock.now
    assert send(client) == 302  # counted 1 until start + 3600
    clock.now = start + 3599
    backend = caches["default"]
    real_incr = backend.incr
    raced = []

    def incr_after_the_hour(key, *args, **kwargs):
        if not raced:
            raced.append(key)
            clock.now = start + 3600  # the count expires between add() and incr()
        return real_incr(key, *args, **kwargs)

    monkeypatch.setattr(backend, "incr", incr_after_the_hour)
    assert send(client) == 302  # counted 1 again, until start + 7200
    assert len(raced) == 1
    assert send(client) == 302
    assert send(client) == 429
    clock.now = start + 7199
    assert send(client) == 429
    clock.now = start + 7200
    assert send(client) == 302


def test_a_limit_of_one_tip_lets_the_first_one_through(client, settings):
    settings.TIPS_PER_HOUR = 1
    assert send(client) == 302
    assert send(client) == 429


def test_the_client_hash_is_stable_for_an_address_and_a_secret_key(client, settings):
    """Editors compare these hashes across tips: the same address must give the same hash, release after release."""
    settings.SECRET_KEY = "a-key-for-this-test-only"
    client.post(URL, good_post(), REMOTE_ADDR="203.0.113.7")
    assert Tip.objects.get().client_hash == "62795399acb659944fa141b31a4124d5eac16168035da5d695ba09d88db582dd"


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


def test_each_error_is_beside_its_field_and_listed_at_the_top(client):
    response = client.post(URL, good_post(what_happened="Too short.", company_name="", links="not a link"))
    html = BeautifulSoup(response.text, "html.parser")
    assert html.title.text.startswith("Error: Submit a story")
    summary = html.select_one("#form-errors[role=alert]")
    assert [(a["href"], a.text) for a in summary.select("li a")] == [
        ("#id_what_happened", "What happened? — Tell us a little more: at least 30 characters."),
        ("#id_company_name", "Which company? — This field is required."),
        ("#id_links", "Links (optional) — “not a link” is not a web address (it should start with https://)."),
    ]
    for link in summary.select("li a"):
        field = html.select_one(link["href"])
        assert field["aria-invalid"] == "true"
        described = [html.select_one(f"#{id_}").text for id_ in field["aria-describedby"].split()]
        assert link.text.split(" — ", 1)[1] in described  # the field names its own error text
        assert html.select_one(f"label[for={field['id']}]")
    # Fields without an error are not marked, and keep only their help.
    when = html.select_one("#id_when")
    assert not when.has_attr("aria-invalid")
    assert html.select_one(f"#{when['aria-describedby']}").text == "A date, a month or a year: “March 2024” is fine."


def test_the_form_says_once_what_happens_to_an_email_address(client):
    text = BeautifulSoup(client.get(URL).text, "html.parser").select_one("form.tip-form").text
    assert text.count("never published") + text.count("Never published") == 1
    assert "scrambled fingerprint" in text


def test_the_french_form_is_french_to_its_help_texts(client):
    html = BeautifulSoup(client.get("/fr/submit/").text, "html.parser")
    assert html.select_one("#id_links_helptext").text == (
        "Articles de presse, publications, documents\u202f: une adresse web par ligne, 10 au maximum."
    )
    response = client.post("/fr/submit/", good_post(company_name=""))
    assert "Ce champ est obligatoire." in BeautifulSoup(response.text, "html.parser").select_one("#form-errors").text


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


# Tips in the admin: rejecting, and turning a tip into a draft case --------------------------------------------


def tip_action(client, action, *tips):
    return client.post(
        reverse("admin:incidents_tip_changelist"),
        {"action": action, "_selected_action": [tip.pk for tip in tips]},
        follow=True,
    )


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def tip_row(tip):
    return Tip.objects.filter(pk=tip.pk).values().get()


@pytest.fixture
def editor():
    return factories.editor()


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def test_reject_marks_the_selected_tips_rejected_and_nothing_else(editor_client):
    fresh = factories.tip(company_name="Fly Away", editor_note="Call the reader back.")
    checked = factories.tip(company_name="Some Bank", status=Tip.TipStatus.TRIAGED)
    untouched = factories.tip(company_name="Not selected")
    before = {tip.pk: tip_row(tip) for tip in (fresh, checked, untouched)}
    response = tip_action(editor_client, "reject", fresh, checked)
    assert messages_of(response) == ["2 tips rejected."]
    assert tip_row(fresh) == {**before[fresh.pk], "status": "rejected"}
    assert tip_row(checked) == {**before[checked.pk], "status": "rejected"}
    assert tip_row(untouched) == before[untouched.pk]


def test_reject_leaves_a_tip_that_already_has_its_case(editor_client):
    case = factories.draft()
    converted = factories.tip(status=Tip.TipStatus.CONVERTED, incident=case)
    fresh = factories.tip()
    response = tip_action(editor_client, "reject", converted, fresh)
    assert messages_of(response) == ["1 tip rejected."]
    converted.refresh_from_db()
    assert (converted.status, converted.incident) == ("converted", case)
    assert Tip.objects.get(pk=fresh.pk).status == "rejected"


def test_the_convert_action_takes_exactly_one_tip(editor_client):
    first, second = factories.tip(), factories.tip()
    response = tip_action(editor_client, "convert", first, second)
    assert response.redirect_chain == [(reverse("admin:incidents_tip_changelist"), 302)]
    assert messages_of(response) == ["Select exactly one tip."]
    assert not Incident.objects.exists()
    assert set(Tip.objects.values_list("status", flat=True)) == {"new"}
    response = tip_action(editor_client, "convert", first)
    assert response.redirect_chain[0] == (reverse("admin:incidents_tip_convert", args=[first.pk]), 302)


def test_the_convert_form_is_filled_in_from_the_tip(editor_client):
    bank = factories.company(name="Some Bank", country="BE")
    tip = factories.tip(company_name="SOME BANK", what_happened="My card was blocked abroad.\nNobody answered.")
    page = editor_client.get(reverse("admin:incidents_tip_convert", args=[tip.pk]))
    assert page.status_code == 200
    assert page.context["form"].initial == {
        "company": bank,
        "title": "SOME BANK: My card was blocked abroad.",
        "country": "BE",
    }
    assert "The reader named “SOME BANK”: that is Some Bank in the catalogue." in page.text
    assert "My card was blocked abroad.<br>Nobody answered." in page.text
    assert page.context["title"] == f"Turn {tip.reference} into a draft case"


def test_the_proposed_title_is_cut_at_150_characters(editor_client):
    tip = factories.tip(company_name="Some Bank", what_happened="x" * 300)
    page = editor_client.get(reverse("admin:incidents_tip_convert", args=[tip.pk]))
    title = page.context["form"].initial["title"]
    assert title == "Some Bank: " + "x" * 138 + "…"
    assert page.context["form"].initial["company"] is None
    assert page.context["form"].initial["country"] == ""


def test_converting_a_tip_makes_a_draft_with_everything_the_reader_sent(editor_client, editor):
    bank = factories.company(name="Some Bank")
    tip = factories.tip(
        company_name="Some Bank",
        what_happened="The bank froze my account for six weeks.\nNobody answered the phone.",
        when="March 2024",
        links="https://example.org/article\n\nhttps://example.org/post",
    )
    url = reverse("admin:incidents_tip_convert", args=[tip.pk])
    response = editor_client.post(url, {"company": bank.pk, "title": "Account frozen for six weeks", "country": "fr"})
    case = Incident.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:incidents_incident_change", args=[case.pk])
    assert case.status == "draft"
    assert case.title == "Account frozen for six weeks"
    assert case.slug == "account-frozen-for-six-weeks"
    assert case.company == bank
    assert case.country == "FR"
    assert case.summary == "The bank froze my account for six weeks.\nNobody answered the phone."
    assert case.story == (
        "The bank froze my account for six weeks.\nNobody answered the phone.\n\n"
        "When, according to the reader: March 2024\n\n"
        "Links sent by the reader:\n\n"
        "- <https://example.org/article>\n"
        "- <https://example.org/post>"
    )
    tip.refresh_from_db()
    assert (tip.status, tip.incident) == ("converted", case)
    record = case.history.get()
    assert record.history_change_reason == f"Created from reader tip {tip.reference}"
    assert record.history_user == editor
    page = editor_client.get(response.url)
    assert f"Draft {case.reference} created from {tip.reference}." in messages_of(page)


def test_a_when_with_markup_shows_on_the_draft_as_the_reader_typed_it(editor_client):
    from incidents.text import render_markdown

    bank = factories.company(name="Some Bank")
    when = "<March 2024> *or* [April] & <b>May</b>"
    tip = factories.tip(what_happened="The bank froze my account for six weeks.", when=when)
    url = reverse("admin:incidents_tip_convert", args=[tip.pk])
    editor_client.post(url, {"company": bank.pk, "title": "Account frozen", "country": "FR"})
    html = str(render_markdown(Incident.objects.get().story))
    assert "When, according to the reader: &lt;March 2024&gt; *or* [April] &amp; &lt;b&gt;May&lt;/b&gt;" in html


def test_a_long_tip_gives_a_summary_of_600_characters_and_the_whole_story(editor_client):
    bank = factories.company(name="Some Bank")
    text = "word " * 200
    tip = factories.tip(what_happened=text.strip())
    url = reverse("admin:incidents_tip_convert", args=[tip.pk])
    editor_client.post(url, {"company": bank.pk, "title": "A long story", "country": "FR"})
    case = Incident.objects.get()
    assert len(case.summary) == 600 and case.summary.endswith("…")
    assert case.story == text.strip()  # no "when", no links: nothing added


def test_a_tip_that_already_has_a_case_leads_to_it_and_is_not_converted_again(editor_client):
    case = factories.draft()
    tip = factories.tip(status=Tip.TipStatus.CONVERTED, incident=case)
    url = reverse("admin:incidents_tip_convert", args=[tip.pk])
    for response in (
        editor_client.get(url),
        editor_client.post(url, {"company": case.company_id, "title": "Twice", "country": "FR"}),
    ):
        assert response.status_code == 302
        assert response.url == reverse("admin:incidents_incident_change", args=[case.pk])
    assert list(Incident.objects.all()) == [case]
    assert "This tip already has a case." in messages_of(editor_client.get(response.url))
    tip.refresh_from_db()
    assert (tip.status, tip.incident) == ("converted", case)


def test_a_rejected_tip_can_still_be_turned_into_a_case(editor_client):
    """An editor may change their mind: rejecting a tip does not lock it."""
    bank = factories.company(name="Some Bank")
    tip = factories.tip(status=Tip.TipStatus.REJECTED)
    url = reverse("admin:incidents_tip_convert", args=[tip.pk])
    assert editor_client.get(url).status_code == 200
    editor_client.post(url, {"company": bank.pk, "title": "Second look", "country": "FR"})
    tip.refresh_from_db()
    assert tip.status == "converted"
    assert tip.incident.title == "Second look"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"country": "France"}, "country", "Ensure this value has at most 2 characters (it has 6)."),
        ({"country": "F1"}, "country", "Use a two-letter ISO 3166 country code, e.g. FR."),
        ({"title": ""}, "title", "This field is required."),
        ({"title": "x" * 201}, "title", "Ensure this value has at most 200 characters (it has 201)."),
        ({"company": "999999"}, "company", "Select a valid choice. That choice is not one of the available choices."),
    ],
)
def test_an_invalid_conversion_shows_the_error_and_creates_nothing(editor_client, overrides, field, message):
    bank = factories.company(name="Some Bank")
    tip = factories.tip()
    before = tip_row(tip)
    url = reverse("admin:incidents_tip_convert", args=[tip.pk])
    response = editor_client.post(url, {"company": bank.pk, "title": "Account frozen", "country": "FR", **overrides})
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert message.replace("'", "&#x27;") in response.text
    assert not Incident.objects.exists()
    assert tip_row(tip) == before


def test_converting_a_tip_that_does_not_exist_is_a_404(editor_client):
    response = editor_client.get(reverse("admin:incidents_tip_convert", args=[999999]))
    assert response.status_code == 404


def test_a_tip_converted_by_a_french_editor_becomes_a_french_draft():
    from django.utils import translation

    from incidents.models import Tip
    from incidents.tips import draft_from_tip
    from tests import factories

    tip = Tip.objects.create(what_happened="Ma facture a triplé.", company_name="EDF")
    with translation.override("fr"):
        case = draft_from_tip(tip, factories.chief_editor(), company=factories.company(), title="Facture", country="FR")
    assert (case.language, case.title_fr, case.summary_fr) == ("fr", "Facture", "Ma facture a triplé.")
    assert not case.title_en


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_each_label_sits_above_its_field_and_the_summary_leads_to_the_fields(live_server, tab):
    page = tab.page
    page.set_viewport_size({"width": 375, "height": 800})

    def assert_labels_above_fields():
        for field in ("what_happened", "company_name", "when", "links", "contact_email"):
            label = page.locator(f"label[for=id_{field}]").bounding_box()
            box = page.locator(f"#id_{field}").bounding_box()
            assert label["y"] + label["height"] <= box["y"], field  # stacked, never beside the input
            assert abs(label["x"] - box["x"]) < 20, field  # one column, with or without help or error

    page.goto(f"{live_server.url}{URL}")
    assert_labels_above_fields()
    page.locator("#id_what_happened").fill("Too short.")
    page.locator("form.tip-form button[type=submit]").click()
    page.wait_for_load_state()
    summary = page.locator("#form-errors")
    assert summary.get_by_role("link").count() == 2  # what happened, which company
    assert_labels_above_fields()
    summary.get_by_role("link", name="Which company? — This field is required.").click()
    page.wait_for_url("**#id_company_name")
    assert page.locator("#id_company_name").is_visible()
    tab.check()
