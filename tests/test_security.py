"""Trust: headers on every page, HTTPS behind the proxy, the production settings as shipped, error pages,
login lockout, and who may do what in the admin. docs/security.md explains each rule."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.test import Client, RequestFactory, override_settings
from django.urls import path, reverse
from django.utils import timezone

from incidents.models import Incident, Lesson, Sector, Tip
from incidents.security import client_ip_address
from tests import factories
from tests.test_leaks import PUBLIC_SURFACES, make_world, routed_surfaces

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
ONE_YEAR = 365 * 24 * 3600
PASSWORD = "correct horse battery staple"

STRICT_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "manifest-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}
# Other sites load these: the share card as an image, the embed in a frame, oEmbed from publishing tools.
CROSS_ORIGIN = {"share card", "embed", "oEmbed"}


def policy(response):
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def assert_security_headers(response, *, frameable=False, cross_origin=False):
    expected = dict(STRICT_POLICY)
    if frameable:
        expected["frame-ancestors"] = "*"
    assert policy(response) == expected
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == ("cross-origin" if cross_origin else "same-origin")
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics", "interest-cohort"):
        assert f"{feature}=()" in response.headers["Permissions-Policy"]
    if frameable:
        assert "X-Frame-Options" not in response.headers
    else:
        assert response.headers["X-Frame-Options"] == "DENY"


# Headers ---------------------------------------------------------------------------------------------------


def test_every_public_page_type_carries_the_security_headers_cached_or_not(client):
    world = make_world()
    for surface in routed_surfaces(PUBLIC_SURFACES, world):
        for attempt in ("first", "cached"):
            response = client.get(surface.url(world))
            # 404 and 400: what a reader gets for the hidden company, as a page or as a filter of the data.
            assert response.status_code in (200, 400, 404), (surface.name, attempt)
            frameable = surface.name == "embed"
            try:
                assert_security_headers(
                    response, frameable=frameable, cross_origin=surface.name in CROSS_ORIGIN or frameable
                )
            except AssertionError as error:
                raise AssertionError(f"{surface.name} ({attempt}): {error}") from error


def test_error_and_static_responses_carry_the_headers_too(client):
    assert_security_headers(client.get("/cases/999999/nothing/"))
    static = client.get("/static/css/site.css")  # served by whitenoise, before the frame-options middleware
    assert static.headers["X-Content-Type-Options"] == "nosniff"
    assert static.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "default-src 'none'" in static.headers["Content-Security-Policy"]


def test_the_embed_page_may_be_framed_by_any_site_and_nothing_else(client):
    case = factories.incident()
    response = client.get(f"/cases/{case.pk}/embed/")
    assert response.status_code == 200
    assert_security_headers(response, frameable=True, cross_origin=True)
    assert_security_headers(client.get(case.get_absolute_url()))


def test_every_admin_page_type_carries_the_same_strict_headers(client):
    assert_security_headers(client.get("/admin/login/"))
    client.force_login(factories.user(superuser=True))
    case = factories.incident()
    for url in (
        "/admin/",
        reverse("admin:incidents_incident_changelist"),
        reverse("admin:incidents_incident_change", args=[case.pk]),
        reverse("admin:incidents_incident_history", args=[case.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)


def test_hsts_is_sent_over_https_for_a_year_with_subdomains_and_preload(client):
    response = client.get("/", secure=True)
    assert response.headers["Strict-Transport-Security"] == f"max-age={ONE_YEAR}; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in client.get("/").headers  # never over plain HTTP


# Behind the TLS proxy ----------------------------------------------------------------------------------------

BEHIND_PROXY = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SESSION_COOKIE_NAME": "__Host-sessionid",
    "CSRF_COOKIE_NAME": "__Host-csrftoken",
}


@override_settings(**BEHIND_PROXY)
def test_plain_http_is_redirected_to_https_keeping_the_address(client):
    response = client.get("/cases/?q=refund&page=2")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/cases/?q=refund&page=2"


@override_settings(**BEHIND_PROXY)
def test_a_request_the_proxy_marks_https_is_served_with_hsts_and_no_redirect_loop(client):
    response = client.get("/cases/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith(f"max-age={ONE_YEAR}")
    assert client.get("/cases/", headers={"X-Forwarded-Proto": "http"}).status_code == 301


@override_settings(**BEHIND_PROXY)
def test_behind_the_proxy_cookies_are_secure_host_only_and_end_with_the_browser(client):
    factories.user(username="editor", staff=True)
    https = {"X-Forwarded-Proto": "https"}
    client.get("/admin/login/", headers=https)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "editor", "password": PASSWORD}, headers=https, REMOTE_ADDR="1.2.3.4"
    )
    assert response.status_code == 302
    for name in ("__Host-sessionid", "__Host-csrftoken"):
        cookie = client.cookies[name]
        assert cookie["secure"] is True, name
        assert cookie["path"] == "/", name
        assert not cookie["domain"], name
        assert cookie["samesite"] == "Lax", name
    session = client.cookies["__Host-sessionid"]
    assert session["httponly"] is True
    assert not session["expires"] and not session["max-age"]  # gone when the browser closes


def test_sessions_last_a_working_day_at_most(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


# The production settings, as shipped -------------------------------------------------------------------------


def production_env(**extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="sevicesclients.example",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://sevicesclients.example",
        DJANGO_DEBUG="0",
    )
    env.update(extra)
    return {key: value for key, value in env.items() if value is not None}


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_deploy_check_finds_no_issue_with_the_production_configuration():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_does_fail_on_a_debug_configuration():
    """The check above is not vacuous: debug on, it reports what production must not have."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_DEBUG="1")
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG


@pytest.mark.parametrize("server", ["sevices.wsgi", "sevices.asgi"])
def test_production_refuses_to_start_without_a_secret_key(server):
    result = subprocess.run(
        [sys.executable, "-c", f"import {server}"],
        cwd=BASE_DIR,
        env=production_env(DJANGO_SECRET_KEY=None),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def test_commands_that_sign_nothing_run_without_a_secret_key():
    result = manage("makemigrations", "--check", "--dry-run", DJANGO_SECRET_KEY=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


PRODUCTION_PROBE = """
import json
from django.conf import settings as s
from django.test import Client
names = ["DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
         "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_AGE",
         "SESSION_EXPIRE_AT_BROWSER_CLOSE", "SECURE_PROXY_SSL_HEADER", "X_FRAME_OPTIONS", "AXES_FAILURE_LIMIT",
         "AXES_IPWARE_PROXY_COUNT", "AXES_LOCKOUT_PARAMETERS"]
out = {name: getattr(s, name) for name in names}
client = Client(HTTP_HOST="sevicesclients.example")
plain = client.get("/admin/login/")
https = client.get("/admin/login/", headers={"X-Forwarded-Proto": "https"})
out["plain"] = [plain.status_code, plain.headers.get("Location")]
out["https"] = [https.status_code, dict(https.headers), {k: dict(v) for k, v in https.cookies.items()}]
out["bad_host"] = Client(HTTP_HOST="evil.example").get("/admin/login/").status_code
print(json.dumps(out))
"""


def test_production_settings_and_responses_as_shipped(tmp_path):
    """A real process with the production environment: settings, then requests through the whole stack."""
    static = {"DJANGO_STATIC_ROOT": str(tmp_path), "DJANGO_LOG_LEVEL": "CRITICAL"}
    collected = manage("collectstatic", "--noinput", "--verbosity", "0", **static)
    assert collected.returncode == 0, collected.stderr
    result = manage("shell", "-c", PRODUCTION_PROBE, DJANGO_PROXY_COUNT="1", **static)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["DEBUG"] is False
    assert out["SECURE_SSL_REDIRECT"] is True
    assert out["SECURE_HSTS_SECONDS"] == ONE_YEAR
    assert out["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is out["SECURE_HSTS_PRELOAD"] is True
    assert out["SESSION_COOKIE_SECURE"] is out["CSRF_COOKIE_SECURE"] is True
    assert out["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert out["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert out["SESSION_COOKIE_AGE"] == 8 * 3600
    assert out["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert out["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert out["X_FRAME_OPTIONS"] == "DENY"
    assert out["AXES_FAILURE_LIMIT"] == 5
    assert out["AXES_IPWARE_PROXY_COUNT"] == 1
    assert out["AXES_LOCKOUT_PARAMETERS"] == [["ip_address", "username"]]

    assert out["plain"] == [301, "https://sevicesclients.example/admin/login/"]
    status, headers, cookies = out["https"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == f"max-age={ONE_YEAR}; includeSubDomains; preload"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert cookies["__Host-csrftoken"]["secure"] is True
    assert cookies["__Host-csrftoken"]["path"] == "/"
    assert not cookies["__Host-csrftoken"]["domain"]
    assert out["bad_host"] == 400


# Errors --------------------------------------------------------------------------------------------------------


def exploding_view(request):
    raise RuntimeError("kaboom in the database layer")


urlpatterns = [path("explode/", exploding_view)]
handler500 = "incidents.views.server_error"


@pytest.mark.urls("tests.test_security")
def test_an_exception_shows_the_designed_error_page_and_nothing_of_the_code(client, settings):
    client.raise_request_exception = False
    response = client.get("/explode/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "Something went wrong on our side" in text
    for secret in ("Traceback", "kaboom", "RuntimeError", "exploding_view", settings.SECRET_KEY, "DATABASES"):
        assert secret not in text
    assert_security_headers(response)


def test_a_bad_host_header_gets_400_and_no_detail(client):
    response = client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "evil.example" not in text
    assert "ALLOWED_HOSTS" not in text
    assert "Traceback" not in text


def test_a_missing_page_shows_the_designed_404_without_debug_detail(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "This page does not exist" in text
    assert "URLconf" not in text and "Traceback" not in text


# Login lockout (django-axes) -----------------------------------------------------------------------------------


def attempt(client, username, password, ip="203.0.113.10", **headers):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=ip, headers=headers
    )


def test_five_failures_lock_that_address_and_username_out_even_with_the_right_password(client):
    factories.user(username="editor", staff=True)
    for _ in range(4):
        response = attempt(client, "editor", "wrong")
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()
    assert attempt(client, "editor", "wrong").status_code == 429
    response = attempt(client, "editor", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_touch_other_clients_or_other_accounts(client):
    factories.user(username="editor", staff=True)
    factories.user(username="chief", staff=True)
    for _ in range(5):
        attempt(client, "editor", "wrong", ip="203.0.113.10")
    assert attempt(Client(), "editor", PASSWORD, ip="198.51.100.20").status_code == 302
    assert attempt(Client(), "chief", PASSWORD, ip="203.0.113.10").status_code == 302


def test_axes_reset_unlocks(client):
    factories.user(username="editor", staff=True)
    for _ in range(5):
        attempt(client, "editor", "wrong")
    assert attempt(client, "editor", PASSWORD).status_code == 429
    call_command("axes_reset_username", "editor", verbosity=0)
    assert attempt(client, "editor", PASSWORD).status_code == 302


@override_settings(AXES_IPWARE_PROXY_COUNT=1)
def test_behind_a_proxy_each_client_is_counted_by_its_own_address(client):
    factories.user(username="editor", staff=True)
    proxy = "127.0.0.1"
    for _ in range(5):
        attempt(client, "editor", "wrong", ip=proxy, **{"X-Forwarded-For": "198.51.100.7"})
    assert attempt(client, "editor", PASSWORD, ip=proxy, **{"X-Forwarded-For": "198.51.100.7"}).status_code == 429
    # A forged header is kept by the proxy, which appends the real address: still the locked client.
    forged = {"X-Forwarded-For": "192.0.2.99, 198.51.100.7"}
    assert attempt(Client(), "editor", PASSWORD, ip=proxy, **forged).status_code == 429
    # Another reader behind the same proxy is not locked out.
    assert attempt(Client(), "editor", PASSWORD, ip=proxy, **{"X-Forwarded-For": "198.51.100.8"}).status_code == 302


def test_without_a_proxy_a_forwarded_for_header_is_ignored():
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="203.0.113.10", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip_address(request) == "203.0.113.10"
    with override_settings(AXES_IPWARE_PROXY_COUNT=2):
        chain = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1, 10.0.0.1")
        assert client_ip_address(chain) == "198.51.100.1"
        short = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1")
        assert client_ip_address(short) == "10.0.0.2"


# Who may do what in the admin ----------------------------------------------------------------------------------
#
# The newsroom's rules (the docstring of migration 0005): editors add, change and view the whole catalogue and may
# remove rows inside a case; they cannot publish, merge or delete a case, a company, a sector, a lesson theme or a
# harm type. Chief editors may do all of that, but even they delete only drafts: a published case is retracted. Tips
# come from readers, never from the admin's add page. Staff accounts, groups and the login records (django-axes)
# are the superuser's business: neither group may open them. Anonymous visitors and readers (accounts without
# staff status) are sent to the login page from every admin address.
#
# The tables below say so, answer by answer; they are not derived from the code that enforces them.

ROLES = ["anonymous", "reader", "editor", "chief editor"]
LOGIN = "login"  # 302 to the admin's login page
YES, NO = "yes", "no"  # an admin action runs / is not offered (nothing happens)

# (model, page, object of the world or None): HTTP answer to a GET by (anonymous, reader, editor, chief editor).
ADMIN_PAGES = {
    ("auth.group", "changelist", None): (LOGIN, LOGIN, 403, 403),
    ("auth.group", "add", None): (LOGIN, LOGIN, 403, 403),
    ("auth.group", "change", "group"): (LOGIN, LOGIN, 403, 403),
    ("auth.group", "history", "group"): (LOGIN, LOGIN, 403, 403),
    ("auth.group", "delete", "group"): (LOGIN, LOGIN, 403, 403),
    ("auth.user", "changelist", None): (LOGIN, LOGIN, 403, 403),
    ("auth.user", "add", None): (LOGIN, LOGIN, 403, 403),
    ("auth.user", "change", "user"): (LOGIN, LOGIN, 403, 403),
    ("auth.user", "history", "user"): (LOGIN, LOGIN, 403, 403),
    ("auth.user", "delete", "user"): (LOGIN, LOGIN, 403, 403),
    ("auth.user", "password_change", "user"): (LOGIN, LOGIN, 403, 403),
    ("axes.accessattempt", "changelist", None): (LOGIN, LOGIN, 403, 403),
    ("axes.accessattempt", "add", None): (LOGIN, LOGIN, 403, 403),
    ("axes.accessattempt", "change", "login attempt"): (LOGIN, LOGIN, 403, 403),
    ("axes.accessattempt", "history", "login attempt"): (LOGIN, LOGIN, 403, 403),
    ("axes.accessattempt", "delete", "login attempt"): (LOGIN, LOGIN, 403, 403),
    ("axes.accesslog", "changelist", None): (LOGIN, LOGIN, 403, 403),
    ("axes.accesslog", "add", None): (LOGIN, LOGIN, 403, 403),
    ("axes.accesslog", "change", "login record"): (LOGIN, LOGIN, 403, 403),
    ("axes.accesslog", "history", "login record"): (LOGIN, LOGIN, 403, 403),
    ("axes.accesslog", "delete", "login record"): (LOGIN, LOGIN, 403, 403),
    ("axes.accessfailurelog", "changelist", None): (LOGIN, LOGIN, 403, 403),
    ("axes.accessfailurelog", "add", None): (LOGIN, LOGIN, 403, 403),
    ("axes.accessfailurelog", "change", "login failure"): (LOGIN, LOGIN, 403, 403),
    ("axes.accessfailurelog", "history", "login failure"): (LOGIN, LOGIN, 403, 403),
    ("axes.accessfailurelog", "delete", "login failure"): (LOGIN, LOGIN, 403, 403),
    ("incidents.sector", "changelist", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.sector", "add", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.sector", "change", "sector"): (LOGIN, LOGIN, 200, 200),
    ("incidents.sector", "history", "sector"): (LOGIN, LOGIN, 200, 200),
    ("incidents.sector", "delete", "sector"): (LOGIN, LOGIN, 403, 200),
    ("incidents.company", "changelist", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.company", "add", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.company", "change", "company"): (LOGIN, LOGIN, 200, 200),
    ("incidents.company", "history", "company"): (LOGIN, LOGIN, 200, 200),
    ("incidents.company", "delete", "company"): (LOGIN, LOGIN, 403, 200),
    ("incidents.lesson", "changelist", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.lesson", "add", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.lesson", "change", "lesson"): (LOGIN, LOGIN, 200, 200),
    ("incidents.lesson", "history", "lesson"): (LOGIN, LOGIN, 200, 200),
    ("incidents.lesson", "delete", "lesson"): (LOGIN, LOGIN, 403, 200),
    ("incidents.harmtype", "changelist", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.harmtype", "add", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.harmtype", "change", "harm type"): (LOGIN, LOGIN, 200, 200),
    ("incidents.harmtype", "history", "harm type"): (LOGIN, LOGIN, 200, 200),
    ("incidents.harmtype", "delete", "harm type"): (LOGIN, LOGIN, 403, 200),
    ("incidents.incident", "changelist", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.incident", "add", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.incident", "change", "draft"): (LOGIN, LOGIN, 200, 200),
    ("incidents.incident", "change", "published"): (LOGIN, LOGIN, 200, 200),
    ("incidents.incident", "history", "draft"): (LOGIN, LOGIN, 200, 200),
    ("incidents.incident", "simple_history", "draft"): (LOGIN, LOGIN, 200, 200),  # one version, read-only
    ("incidents.incident", "compare", "draft"): (LOGIN, LOGIN, 200, 200),
    ("incidents.incident", "deleted", None): (LOGIN, LOGIN, 200, 200),  # recently deleted cases
    ("incidents.incident", "restore_version", "draft"): (LOGIN, LOGIN, 405, 405),  # a GET never restores
    ("incidents.incident", "restore_deleted", "deleted case"): (LOGIN, LOGIN, 405, 405),
    ("incidents.incident", "retract", "published"): (LOGIN, LOGIN, 403, 200),
    ("incidents.incident", "merge", "published"): (LOGIN, LOGIN, 403, 200),
    ("incidents.incident", "delete", "draft"): (LOGIN, LOGIN, 403, 200),
    ("incidents.incident", "delete", "published"): (LOGIN, LOGIN, 403, 403),  # retracted, never deleted
    # Sources: a read-only list of what the link check found (incidents/admin_sources.py); edited on their case.
    ("incidents.source", "changelist", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.source", "add", None): (LOGIN, LOGIN, 403, 403),
    ("incidents.source", "change", "source"): (LOGIN, LOGIN, 200, 200),  # shown read-only
    ("incidents.source", "history", "source"): (LOGIN, LOGIN, 200, 200),
    ("incidents.source", "delete", "source"): (LOGIN, LOGIN, 403, 403),
    ("incidents.tip", "changelist", None): (LOGIN, LOGIN, 200, 200),
    ("incidents.tip", "add", None): (LOGIN, LOGIN, 403, 403),  # tips come from readers
    ("incidents.tip", "change", "tip"): (LOGIN, LOGIN, 200, 200),
    ("incidents.tip", "history", "tip"): (LOGIN, LOGIN, 200, 200),
    ("incidents.tip", "delete", "tip"): (LOGIN, LOGIN, 403, 200),
    ("incidents.tip", "convert", "tip"): (LOGIN, LOGIN, 200, 200),
    ("incidents.tip", "convert", "converted tip"): (LOGIN, LOGIN, 302, 302),  # to the case it already has
}

# (model, page, object): what the POST does when it is allowed, then the answer to (anonymous, reader, editor,
# chief editor): 302 when done, 403 when refused; a refusal changes nothing.
GONE = ("gone",)
ADMIN_POSTS = {
    ("auth.group", "delete", "group"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("auth.user", "delete", "user"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("axes.accessattempt", "delete", "login attempt"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("axes.accesslog", "delete", "login record"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("axes.accessfailurelog", "delete", "login failure"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("incidents.sector", "delete", "sector"): (GONE, (LOGIN, LOGIN, 403, 302)),
    ("incidents.company", "delete", "company"): (GONE, (LOGIN, LOGIN, 403, 302)),
    ("incidents.lesson", "delete", "lesson"): (GONE, (LOGIN, LOGIN, 403, 302)),
    ("incidents.harmtype", "delete", "harm type"): (GONE, (LOGIN, LOGIN, 403, 302)),
    ("incidents.incident", "delete", "draft"): (GONE, (LOGIN, LOGIN, 403, 302)),
    ("incidents.incident", "delete", "published"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("incidents.incident", "retract", "published"): (("set", "status", "retracted"), (LOGIN, LOGIN, 403, 302)),
    ("incidents.incident", "merge", "published"): (("set", "status", "merged"), (LOGIN, LOGIN, 403, 302)),
    ("incidents.incident", "restore_version", "draft"): (("set", "title", "The first title"), (LOGIN, LOGIN, 302, 302)),
    ("incidents.incident", "restore_deleted", "deleted case"): (("back",), (LOGIN, LOGIN, 302, 302)),
    ("incidents.source", "delete", "source"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("incidents.tip", "delete", "tip"): (GONE, (LOGIN, LOGIN, 403, 302)),
    ("incidents.tip", "convert", "tip"): (("set", "status", "converted"), (LOGIN, LOGIN, 302, 302)),
}

# (model, action, selected object): what the action does, then whether (anonymous, reader, editor, chief editor)
# may run it. 403: the role cannot open that model's list at all.
ADMIN_ACTIONS = {
    ("auth.group", "delete_selected", "group"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("auth.user", "delete_selected", "user"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("axes.accessattempt", "delete_selected", "login attempt"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("axes.accessattempt", "cleanup_expired_attempts", "login attempt"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("axes.accesslog", "delete_selected", "login record"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("axes.accessfailurelog", "delete_selected", "login failure"): (GONE, (LOGIN, LOGIN, 403, 403)),
    ("incidents.sector", "delete_selected", "sector"): (GONE, (LOGIN, LOGIN, NO, YES)),
    ("incidents.company", "delete_selected", "company"): (GONE, (LOGIN, LOGIN, NO, YES)),
    ("incidents.lesson", "delete_selected", "lesson"): (GONE, (LOGIN, LOGIN, NO, YES)),
    ("incidents.harmtype", "delete_selected", "harm type"): (GONE, (LOGIN, LOGIN, NO, YES)),
    ("incidents.incident", "submit_for_review", "draft"): (("set", "status", "review"), (LOGIN, LOGIN, YES, YES)),
    ("incidents.incident", "publish", "draft"): (("set", "status", "published"), (LOGIN, LOGIN, NO, YES)),
    ("incidents.incident", "unpublish", "published"): (("set", "status", "draft"), (LOGIN, LOGIN, NO, YES)),
    ("incidents.incident", "retract", "published"): (("opens", "retract"), (LOGIN, LOGIN, NO, YES)),
    ("incidents.incident", "merge", "published"): (("opens", "merge"), (LOGIN, LOGIN, NO, YES)),
    ("incidents.incident", "delete_selected", "draft"): (GONE, (LOGIN, LOGIN, NO, YES)),
    ("incidents.tip", "convert", "tip"): (("opens", "convert"), (LOGIN, LOGIN, YES, YES)),
    ("incidents.tip", "reject", "tip"): (("set", "status", "rejected"), (LOGIN, LOGIN, YES, YES)),
    ("incidents.tip", "delete_selected", "tip"): (GONE, (LOGIN, LOGIN, NO, YES)),
}


def make_role(role):
    if role == "anonymous":
        return None
    if role == "reader":
        return factories.user()
    factories.editor_groups()
    return factories.user(staff=True, groups=[{"editor": "Editors", "chief editor": "Chief editors"}[role]])


def client_for(role, **kwargs):
    client = Client(**kwargs)
    user = make_role(role)
    if user is not None:
        client.force_login(user)
    return client, user


def admin_world():
    """The object each admin page of the tables acts on, every one deletable by whoever may delete it."""
    factories.editor_groups()
    kept = factories.incident(title="The case that stays")
    draft = factories.draft(title="The first title")  # complete: it could be published
    draft.title = "A later title"
    draft.save()
    gone = factories.draft(title="A deleted draft")
    gone_id = gone.pk
    gone.delete()
    tip = factories.tip(company_name="Some Bank")
    attempt = AccessAttempt.objects.create(
        user_agent="Mozilla/5.0",
        ip_address="203.0.113.5",
        username="someone",
        http_accept="text/html",
        path_info="/admin/login/",
        get_data="",
        post_data="username=someone",
        failures_since_start=2,
    )
    AccessAttemptExpiration.objects.create(access_attempt=attempt, expires_at=timezone.now() - timedelta(hours=1))
    login = {
        "user_agent": "Mozilla/5.0",
        "ip_address": "203.0.113.5",
        "username": "someone",
        "http_accept": "text/html",
    }
    return {
        "group": Group.objects.get(name="Chief editors"),
        "user": factories.user(username="someone"),
        "login attempt": attempt,
        "login record": AccessLog.objects.create(path_info="/admin/login/", **login),
        "login failure": AccessFailureLog.objects.create(path_info="/admin/login/", **login),
        "sector": factories.sector(name="A sector without companies"),
        "company": factories.company(name="A company without cases"),
        "lesson": factories.lesson(title="A lesson theme"),
        "harm type": factories.harm_type(name="A harm type"),
        "kept": kept,
        "source": kept.sources.get(),
        "draft": draft,
        "published": factories.incident(title="A published duplicate"),
        "deleted case": Incident.history.get(id=gone_id, history_type="-"),
        "tip": tip,
        "converted tip": factories.tip(status=Tip.TipStatus.CONVERTED, incident=kept),
    }


def admin_url(model, page, target, world):
    app_label, model_name = model.split(".")
    name = f"admin:{app_label}_{model_name}_{page}"
    if target is None:
        return reverse(name)
    obj = world[target]
    if page in ("simple_history", "restore_version"):
        return reverse(name, args=[obj.pk, obj.history.earliest().history_id])
    if page == "restore_deleted":
        return reverse(name, args=[obj.history_id])
    return reverse(name, args=[obj.pk])


def post_data(page, world):
    return {
        "delete": {"post": "yes"},
        "retract": {"reason": "The main source withdrew its article."},
        "merge": {"target": world["kept"].reference, "confirmed": "on"},
        "restore_version": {},
        "restore_deleted": {},
        "convert": {"company": world["company"].pk, "title": "Account frozen for six weeks", "country": "FR"},
    }[page]


def snapshot():
    """Every row of every model the admin manages: what a refused request must leave exactly as it was."""
    return {model: list(model.objects.order_by("pk").values()) for model in admin.site._registry}


def done(effect, obj, response):
    """Whether `effect`, as the tables write it, has happened to `obj`."""
    kind, *detail = effect
    if kind == "gone":
        return not type(obj).objects.filter(pk=obj.pk).exists()
    if kind == "back":  # a deleted case restored from its deletion record
        return Incident.objects.filter(pk=obj.id).exists()
    if kind == "set":
        field, value = detail
        return getattr(type(obj).objects.get(pk=obj.pk), field) == value
    if kind == "opens":  # an action that leads to its own form
        page = f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{detail[0]}"
        return response.status_code == 302 and response.headers["Location"] == reverse(page, args=[obj.pk])
    raise AssertionError(f"unknown effect {effect}")


@contextmanager
def undone():
    """Undo what the block wrote, whatever happens in it: every row of a table starts from the same world."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def assert_sent_to_login(response, where):
    assert response.status_code == 302, where
    assert response.headers["Location"].startswith("/admin/login/"), where


def test_the_tables_cover_every_model_page_and_action_of_the_admin():
    """A model, page or action added to the admin without its rows here fails, rather than going unchecked."""
    superuser = RequestFactory().get("/admin/")
    superuser.user = factories.user(superuser=True)
    pages, actions = set(), set()
    for model, model_admin in admin.site._registry.items():
        label, prefix = model._meta.label_lower, f"{model._meta.app_label}_{model._meta.model_name}_"
        for pattern in model_admin.get_urls():
            if pattern.name is None:  # Django's old-style "<id>/" address, a redirect to the change page
                continue
            assert pattern.name.startswith(prefix), pattern.name
            pages.add((label, pattern.name.removeprefix(prefix)))
        actions.update((label, name) for name in model_admin.get_actions(superuser))
    assert {(model, page) for model, page, _target in ADMIN_PAGES} == pages
    assert {(model, action) for model, action, _target in ADMIN_ACTIONS} == actions
    assert {(model, page) for model, page, _target in ADMIN_POSTS} <= pages
    assert {key for key in ADMIN_POSTS if key[1] == "delete"} == {key for key in ADMIN_PAGES if key[1] == "delete"}


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_answer_each_role_as_the_newsroom_rules_say(role):
    world = admin_world()
    client, _user = client_for(role)
    column = ROLES.index(role)
    for (model, page, target), answers in ADMIN_PAGES.items():
        url = admin_url(model, page, target, world)
        where = f"{role} GET {url} ({model} {page} {target})"
        expected = answers[column]
        with undone():
            response = client.get(url)
            if expected == LOGIN:
                assert_sent_to_login(response, where)
            else:
                assert response.status_code == expected, where


@pytest.mark.parametrize("role", ROLES)
def test_admin_posts_change_data_only_for_those_allowed(role):
    world = admin_world()
    client, _user = client_for(role)
    column = ROLES.index(role)
    for (model, page, target), (effect, answers) in ADMIN_POSTS.items():
        url = admin_url(model, page, target, world)
        where = f"{role} POST {url} ({model} {page} {target})"
        expected, obj = answers[column], world[target]
        before = snapshot()
        with undone():
            response = client.post(url, post_data(page, world))
            if expected == LOGIN:
                assert_sent_to_login(response, where)
            else:
                assert response.status_code == expected, where
            if expected == 302:
                assert done(effect, obj, response), where
            else:
                assert snapshot() == before, where


@pytest.mark.parametrize("role", ROLES)
def test_admin_actions_run_only_for_those_allowed(role):
    world = admin_world()
    client, _user = client_for(role)
    column = ROLES.index(role)
    for (model, action, target), (effect, answers) in ADMIN_ACTIONS.items():
        url = admin_url(model, "changelist", None, world)
        obj = world[target]
        where = f"{role} {model} action {action} on {target}"
        expected = answers[column]
        data = {"action": action, "_selected_action": [obj.pk], "index": 0, "post": "yes"}
        before = snapshot()
        with undone():
            response = client.post(url, data)
            if expected == LOGIN:
                assert_sent_to_login(response, where)
            elif expected == 403:
                assert response.status_code == 403, where
            if expected == YES:
                assert response.status_code == 302, where
                assert done(effect, obj, response), where
            else:
                assert not done(effect, obj, response), where
                assert snapshot() == before, where


@pytest.mark.parametrize("role", ["anonymous", "reader"])
def test_outsiders_change_nothing_by_posting_to_any_admin_page(role):
    world = admin_world()
    client, _user = client_for(role)
    before = snapshot()
    for model, page, target in ADMIN_PAGES:
        url = admin_url(model, page, target, world)
        response = client.post(url, {"post": "yes", "reason": "forged", "title": "forged", "name": "forged"})
        assert_sent_to_login(response, url)
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_a_forged_list_editable_post_changes_a_lesson_only_for_those_who_may(role):
    lesson = Lesson.objects.create(title="Say sorry", slug="say-sorry", summary="Early.", position=1)
    client, _user = client_for(role)
    client.post(
        reverse("admin:incidents_lesson_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(lesson.pk),
            "form-0-position": "99",
            "_save": "Save",
        },
    )
    lesson.refresh_from_db()
    # Editors and chief editors change lesson themes; the others are sent to the login page.
    assert lesson.position == {"anonymous": 1, "reader": 1, "editor": 99, "chief editor": 99}[role]


def test_posts_without_a_csrf_token_are_refused_everywhere():
    superuser = factories.user(superuser=True)
    lesson = Lesson.objects.create(title="Say sorry", slug="say-sorry", summary="Early.", position=1)
    client = Client(enforce_csrf_checks=True)
    assert client.post("/admin/login/", {"username": superuser.username, "password": PASSWORD}).status_code == 403
    client.force_login(superuser)
    sectors = Sector.objects.count()
    response = client.post(reverse("admin:incidents_sector_add"), {"name": "Forged", "slug": "forged"})
    assert response.status_code == 403
    assert Sector.objects.count() == sectors
    response = client.post(
        reverse("admin:incidents_lesson_changelist"),
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": lesson.pk, "form-0-position": "9"},
    )
    assert response.status_code == 403
    lesson.refresh_from_db()
    assert lesson.position == 1
    case = factories.incident()
    response = client.post(reverse("admin:incidents_incident_delete", args=[case.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Incident.objects.filter(pk=case.pk).exists()
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/submit/", {"company_name": "Forged"}).status_code == 403
    assert not Tip.objects.exists()


@pytest.mark.django_db
def test_the_groups_a_test_puts_back_are_the_groups_the_migrations_made():
    """Transactional tests rebuild the editorial groups (factories.editor_groups): with the permissions every
    migration gave them, or an editor in those tests could not see a case's right of reply and promises."""
    from django.contrib.auth.models import Group

    migrated = {group.name: set(group.permissions.values_list("codename", flat=True)) for group in Group.objects.all()}
    assert {"add_rightofreply", "change_promise"} <= migrated["Editors"]
    Group.objects.all().delete()
    factories.editor_groups()
    rebuilt = {group.name: set(group.permissions.values_list("codename", flat=True)) for group in Group.objects.all()}
    assert rebuilt == migrated
