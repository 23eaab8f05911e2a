"""Trust: headers on every page, HTTPS behind the proxy, the production settings as shipped, error pages,
login lockout, and who may do what in the admin. docs/security.md explains each rule."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import models
from django.test import Client, RequestFactory, override_settings
from django.urls import NoReverseMatch, path, reverse

from incidents.models import Incident, Lesson, Sector, Status
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
    if response.status_code == 404:
        pytest.skip("the embed page is not routed yet")
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

ROLES = ["anonymous", "reader", "editor", "chief editor"]


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


def catalogue():
    """One object of each kind the admin manages, so that every change, delete and history page has one."""
    case = factories.incident(status=Status.DRAFT, sources=1)
    factories.cost(case, "1000")
    factories.event(case)
    factories.incident()  # a published case
    for model in admin.site._registry:
        if not model.objects.exists():
            make_any(model)


def make_any(model):
    """A row of a model no factory covers, with the simplest valid values."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.has_default() or field.null or getattr(field, "auto_now_add", False):
            continue
        if isinstance(field, models.ForeignKey):
            target = field.related_model
            values[field.name] = target.objects.first() or make_any(target)
        elif isinstance(field, (models.CharField, models.TextField, models.SlugField)):
            values[field.name] = f"x{secrets.token_hex(3)}"
        elif isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
            values[field.name] = 1
        elif isinstance(field, models.DateTimeField):
            from django.utils import timezone

            values[field.name] = timezone.now()
    try:
        return model.objects.create(**values)
    except Exception:  # a model with rules of its own: its pages are then checked without an object
        return None


def table(model):
    return list(model.objects.order_by("pk").values())


def admin_urls(model, model_admin):
    """Every page of a model's admin, its own extra views included, for one existing object."""
    obj = model.objects.order_by("pk").first()
    history_model = getattr(model, "history", None)
    history_id = history_model.order_by("pk").values_list("history_id", flat=True).first() if history_model else None
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    urls = {"changelist": reverse(f"{info}_changelist")}
    if obj is None:
        return urls, None
    for pattern in model_admin.get_urls():
        name = getattr(pattern, "name", None)
        if not name or name.endswith("_changelist") or "autocomplete" in name:
            continue
        kwargs = {}
        if "<path:object_id>" in str(pattern.pattern):
            kwargs["object_id"] = obj.pk
        if "history_id" in str(pattern.pattern):
            if history_id is None:
                continue
            kwargs["history_id"] = history_id
        try:
            urls[name.removeprefix(f"{model._meta.app_label}_{model._meta.model_name}_")] = reverse(
                f"admin:{name}", kwargs=kwargs
            )
        except NoReverseMatch:
            continue
    return urls, obj


def request_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def expected_status(kind, model_admin, user, obj):
    """What Django's permission rules promise for this page: the HTTP answer must agree with them."""
    request = request_for(user)
    allowed = {
        "changelist": model_admin.has_view_or_change_permission(request),
        "add": model_admin.has_add_permission(request),
        "change": model_admin.has_view_or_change_permission(request, obj),
        "history": model_admin.has_view_or_change_permission(request, obj),
        "delete": model_admin.has_delete_permission(request, obj),
    }
    return allowed.get(kind)


@pytest.mark.parametrize("role", ROLES)
def test_admin_matrix_every_page_of_every_model(role):
    catalogue()
    client, user = client_for(role)
    for model, model_admin in admin.site._registry.items():
        urls, obj = admin_urls(model, model_admin)
        for kind, url in urls.items():
            response = client.get(url)
            where = f"{role} GET {url}"
            assert response.status_code < 500, where
            if user is None or not user.is_staff:
                assert response.status_code == 302, where
                assert response.headers["Location"].startswith("/admin/login/"), where
                continue
            allowed = expected_status(kind, model_admin, user, obj)
            if allowed is True:
                assert response.status_code in (200, 302), where
            elif allowed is False:
                assert response.status_code == 403, where
            else:  # an extra view of the model admin: it decides, but never lets a reader in
                assert response.status_code in (200, 302, 403, 404, 405), where


@pytest.mark.parametrize("role", ["anonymous", "reader"])
def test_outsiders_change_nothing_by_posting_to_any_admin_page(role):
    catalogue()
    client, _user = client_for(role)
    for model, model_admin in admin.site._registry.items():
        before = table(model)
        urls, obj = admin_urls(model, model_admin)
        for _kind, url in urls.items():
            response = client.post(url, {"post": "yes", "reason": "forged", "title": "forged", "name": "forged"})
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/admin/login/"), url
        assert table(model) == before, model


@pytest.mark.parametrize("role", ROLES)
def test_admin_actions_run_only_for_those_allowed(role):
    catalogue()
    superuser_request = request_for(factories.user(superuser=True))
    client, user = client_for(role)
    for model, model_admin in admin.site._registry.items():
        obj = model.objects.order_by("pk").first()
        if obj is None:
            continue
        allowed = set(model_admin.get_actions(request_for(user))) if user and user.is_staff else set()
        for action in model_admin.get_actions(superuser_request):
            if action in allowed:
                continue
            before = table(model)
            response = client.post(
                reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"),
                {"action": action, "_selected_action": [obj.pk], "index": 0, "post": "yes", "reason": "forged"},
            )
            assert response.status_code in (200, 302, 403), (role, model, action)
            assert table(model) == before, (role, model, action)


@pytest.mark.parametrize("role", ROLES)
def test_a_forged_list_editable_post_changes_a_lesson_only_for_those_who_may(role):
    lesson = Lesson.objects.create(title="Say sorry", slug="say-sorry", summary="Early.", position=1)
    client, user = client_for(role)
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
    may = user is not None and user.is_staff and user.has_perm("incidents.change_lesson")
    assert lesson.position == (99 if may else 1)


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
    if not Permission.objects.filter(codename="add_tip").exists():
        return
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/submit/", {"company_name": "Forged"}).status_code == 403
