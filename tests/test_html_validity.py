"""Every kind of public page is valid HTML, in both languages, by the Nu HTML Checker (the W3C's validator).

The checker is the npm package `vnu-jar`, run with `java -jar`. The test installs the pinned version itself into a
cache folder (`npm install`, once per machine), so a fresh clone needs only node, npm and Java 17; without them
the test is skipped on a workstation and fails in CI (tests/conftest.py). `VNU_JAR=/path/to/vnu.jar` uses a jar
that is already there.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from incidents.models import Company, Incident, Lesson, Sector, Status
from tests.conftest import in_ci

pytestmark = pytest.mark.django_db

VNU_VERSION = "26.9.27"
VNU_HOME = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sevices" / f"vnu-jar-{VNU_VERSION}"


def unavailable(reason):
    if in_ci():
        pytest.fail(f"the HTML checker is needed in CI: {reason}")
    pytest.skip(f"the HTML checker is not available: {reason}")


@pytest.fixture(scope="session")
def vnu_jar():
    """The path of vnu.jar, installed with npm on first use."""
    if os.environ.get("VNU_JAR"):
        return Path(os.environ["VNU_JAR"])
    if not shutil.which("java"):
        unavailable("java is not installed (the checker needs Java 11 or later)")
    jar = VNU_HOME / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if not jar.exists():
        if not shutil.which("npm"):
            unavailable("npm is not installed, to fetch vnu-jar")
        VNU_HOME.mkdir(parents=True, exist_ok=True)
        # --ignore-scripts: its postinstall would download a Java runtime; the machine's Java is used instead.
        command = ["npm", "install", "--prefix", str(VNU_HOME), "--no-audit", "--no-fund", "--ignore-scripts"]
        done = subprocess.run([*command, f"vnu-jar@{VNU_VERSION}"], capture_output=True, text=True, timeout=600)
        if done.returncode or not jar.exists():
            unavailable(f"npm install vnu-jar@{VNU_VERSION} failed: {done.stderr[-500:]}")
    return jar


def check(jar, files):
    """The checker's errors for each file: {file name: ["line 12: message", ...]}, files without error left out."""
    done = subprocess.run(
        ["java", "-jar", str(jar), "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(done.stderr or done.stdout)
    errors = {}
    for message in report["messages"]:
        if message["type"] in ("error", "non-document-error"):
            name = Path(message.get("url", "?").removeprefix("file:")).name
            errors.setdefault(name, []).append(f"line {message.get('lastLine', '?')}: {message['message']}")
    return errors


def test_the_checker_finds_errors(vnu_jar, tmp_path):
    """The checker and the way its report is read do see an error: a test that cannot fail proves nothing."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html lang="en"><title>x</title><p id="a"></p><p id="a"><time datetime="soon">')
    assert {message.split(": ", 1)[1] for message in check(vnu_jar, [page])["broken.html"]} >= {
        "Duplicate ID “a”.",
    }


def page_addresses():
    """{name: address} of each kind of public page, in the demo catalogue (English addresses)."""
    case = (
        Incident.objects.published()
        .filter(corrections__isnull=False, timeline__isnull=False, costs__isnull=False)
        .distinct()
        .first()
        or Incident.objects.published().first()
    )
    others = list(Incident.objects.published().exclude(pk=case.pk).order_by("pk"))
    retracted = others[-1]
    retracted.status = Status.RETRACTED
    retracted.retraction_reason = "The sources did not hold: we withdraw it."
    retracted.save()
    company = Company.objects.filter(incidents__status=Status.PUBLISHED).distinct().first()
    sector = Sector.objects.filter(companies__incidents__status=Status.PUBLISHED).distinct().first()
    lesson = Lesson.objects.filter(incidents__status=Status.PUBLISHED).distinct().first()
    revision = case.history.filter(status=Status.PUBLISHED).first()
    cases = reverse("incidents:incident_list")
    return {
        "home": reverse("incidents:home"),
        "list": cases,
        "filtered-list": f"{cases}?sector={sector.slug}&sort=cost&page=2",
        "list-with-an-error": f"{cases}?year_from=abc&sector={sector.slug}",
        "search": f"{cases}?q=refund",
        "case": case.get_absolute_url(),
        "another-case": others[0].get_absolute_url(),
        "retracted-case": retracted.get_absolute_url(),
        "revision": reverse("incidents:case_revision", kwargs={"pk": case.pk, "history_id": revision.history_id}),
        "embed": reverse("incidents:case_embed", kwargs={"pk": case.pk}),
        "retracted-embed": reverse("incidents:case_embed", kwargs={"pk": retracted.pk}),
        "share-on-mastodon": reverse("incidents:share_mastodon", kwargs={"pk": case.pk}) + "?server=piaille.fr",
        "share-on-mastodon-error": reverse("incidents:share_mastodon", kwargs={"pk": case.pk}) + "?server=nowhere",
        "company": company.get_absolute_url(),
        "company-list": reverse("incidents:company_list"),
        "sector": sector.get_absolute_url(),
        "sector-list": reverse("incidents:sector_list"),
        "lesson": lesson.get_absolute_url(),
        "insights": reverse("incidents:insights"),
        "data": reverse("incidents:data"),
        "corrections": reverse("incidents:corrections"),
        "methodology": reverse("incidents:methodology"),
        "about": reverse("incidents:about"),
        "submit": reverse("incidents:submit"),
        "submit-thanks": reverse("incidents:submit_thanks"),
        "not-found": "/no-such-page/",
    }


def test_every_kind_of_page_is_valid_html_in_both_languages(client, vnu_jar, tmp_path):
    call_command("load_demo", verbosity=0)
    addresses = page_addresses()
    files = []
    for language, prefix in (("en", ""), ("fr", "/fr")):
        responses = {name: client.get(prefix + url) for name, url in addresses.items()}
        too_short = {"what_happened": "Too short.", "links": "not a link"}
        responses["submit-with-errors"] = client.post(prefix + reverse("incidents:submit"), too_short)
        for name, response in responses.items():
            expected = {"not-found": 404, "submit-with-errors": 400, "share-on-mastodon-error": 400}.get(name, 200)
            assert response.status_code == expected, (language, name, response.status_code)
            page = tmp_path / f"{language}-{name}.html"
            page.write_bytes(response.content)
            files.append(page)
    errors = check(vnu_jar, files)  # one Java start for every page
    assert not errors, "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in sorted(errors.items()))
