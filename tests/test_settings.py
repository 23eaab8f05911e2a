"""sevices/settings.py read from the environment in a fresh process: documented values parse as the README says,
anything else stops the start with a message naming the variable."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

PROBE = """
import json
from django.conf import settings as s
database = s.DATABASES["default"]
print(json.dumps({
    "DEBUG": s.DEBUG,
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": s.CSRF_TRUSTED_ORIGINS,
    "ENGINE": database["ENGINE"],
    "NAME": str(database["NAME"]),
    "HOST": database["HOST"],
    "PORT": database["PORT"],
    "CONN_MAX_AGE": database["CONN_MAX_AGE"],
    "PAGE_CACHE_ENABLED": s.PAGE_CACHE_ENABLED,
    "PAGE_CACHE_SECONDS": s.PAGE_CACHE_SECONDS,
    "TIPS_PER_HOUR": s.TIPS_PER_HOUR,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_PROXY_SSL_HEADER": getattr(s, "SECURE_PROXY_SSL_HEADER", None),
    "AXES_IPWARE_PROXY_COUNT": s.AXES_IPWARE_PROXY_COUNT,
    "LOG_LEVEL": s.LOGGING["root"]["level"],
    "GENERATION_DIR": str(s.CACHES.get("generation", {}).get("LOCATION", "")),
}))
"""


def load_settings(**variables):
    """Run the probe in a new process with only these settings variables (plus a secret key) set."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST")) and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(DJANGO_SETTINGS_MODULE="sevices.settings", DJANGO_SECRET_KEY="a-key-for-this-test-only")
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def settings_with(**variables):
    result = load_settings(**variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refusal(**variables):
    """The last line of what a start with these variables prints: the error a deployer reads."""
    result = load_settings(**variables)
    assert result.returncode != 0, result.stdout
    return result.stderr.strip().splitlines()[-1]


# Valid values --------------------------------------------------------------------------------------------------


def test_defaults_without_any_variable():
    found = settings_with()
    # The file the workers share the catalogue generation through: in the project's folder, never in a temp
    # directory another user could write first.
    assert found.pop("GENERATION_DIR").startswith(str(BASE_DIR / ".generation") + os.sep)
    assert found == {
        "DEBUG": False,
        "ALLOWED_HOSTS": [],
        "CSRF_TRUSTED_ORIGINS": [],
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(BASE_DIR / "db.sqlite3"),
        "HOST": "",
        "PORT": "",
        "CONN_MAX_AGE": 60,
        "PAGE_CACHE_ENABLED": False,
        "PAGE_CACHE_SECONDS": 600,
        "TIPS_PER_HOUR": 5,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "AXES_IPWARE_PROXY_COUNT": 0,
        "LOG_LEVEL": "WARNING",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("yes", True),
        ("on", True),
        (" TRUE ", True),
        ("Yes", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
        ("OFF", False),
        ("", False),
    ],
)
def test_booleans_parse_as_documented(value, expected):
    assert settings_with(DJANGO_DEBUG=value)["DEBUG"] is expected
    assert settings_with(DJANGO_PAGE_CACHE=value)["PAGE_CACHE_ENABLED"] is expected


def test_every_variable_is_read():
    values = settings_with(
        DJANGO_DEBUG="on",
        DJANGO_ALLOWED_HOSTS=" sevicesclients.example , ,www.sevicesclients.example",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://sevicesclients.example",
        DATABASE_URL="postgres://sevices:secret@db.example:5433/catalogue",
        DJANGO_CONN_MAX_AGE="0",
        DJANGO_PAGE_CACHE="yes",
        DJANGO_PAGE_CACHE_SECONDS=" 30 ",
        DJANGO_TIPS_PER_HOUR="12",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_HSTS_SECONDS="3600",
        DJANGO_SECURE_PROXY_SSL_HEADER="off",
        DJANGO_PROXY_COUNT="1",
        DJANGO_LOG_LEVEL="info",
        DJANGO_GENERATION_DIR="/var/lib/sevices/generation",
    )
    assert values == {
        "DEBUG": True,
        "ALLOWED_HOSTS": ["sevicesclients.example", "www.sevicesclients.example"],
        "CSRF_TRUSTED_ORIGINS": ["https://sevicesclients.example"],
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "catalogue",
        "HOST": "db.example",
        "PORT": 5433,
        "CONN_MAX_AGE": 0,
        "PAGE_CACHE_ENABLED": True,
        "PAGE_CACHE_SECONDS": 30,
        "TIPS_PER_HOUR": 12,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_PROXY_SSL_HEADER": None,
        "AXES_IPWARE_PROXY_COUNT": 1,
        "LOG_LEVEL": "INFO",
        "GENERATION_DIR": "/var/lib/sevices/generation",
    }


# Invalid values -------------------------------------------------------------------------------------------------

BOOLEAN = "must be 1, true, yes, on (true) or 0, false, no, off (false), not"
WHOLE = "must be a whole number, 0 or more, not"
ERROR = "django.core.exceptions.ImproperlyConfigured: "


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_DEBUG", "maybe", f"DJANGO_DEBUG {BOOLEAN} 'maybe'."),
        ("DJANGO_DEBUG", "2", f"DJANGO_DEBUG {BOOLEAN} '2'."),
        ("DJANGO_PAGE_CACHE", "enabled", f"DJANGO_PAGE_CACHE {BOOLEAN} 'enabled'."),
        ("DJANGO_SECURE_SSL_REDIRECT", "y", f"DJANGO_SECURE_SSL_REDIRECT {BOOLEAN} 'y'."),
        ("DJANGO_SECURE_PROXY_SSL_HEADER", "nope", f"DJANGO_SECURE_PROXY_SSL_HEADER {BOOLEAN} 'nope'."),
        ("DJANGO_TIPS_PER_HOUR", "five", f"DJANGO_TIPS_PER_HOUR {WHOLE} 'five'."),
        ("DJANGO_TIPS_PER_HOUR", "2.5", f"DJANGO_TIPS_PER_HOUR {WHOLE} '2.5'."),
        ("DJANGO_CONN_MAX_AGE", "-1", f"DJANGO_CONN_MAX_AGE {WHOLE} '-1'."),
        ("DJANGO_PAGE_CACHE_SECONDS", "10m", f"DJANGO_PAGE_CACHE_SECONDS {WHOLE} '10m'."),
        ("DJANGO_SECURE_HSTS_SECONDS", "-3600", f"DJANGO_SECURE_HSTS_SECONDS {WHOLE} '-3600'."),
        ("DJANGO_PROXY_COUNT", "-1", f"DJANGO_PROXY_COUNT {WHOLE} '-1'."),
        (
            "DJANGO_LOG_LEVEL",
            "loud",
            "DJANGO_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'LOUD'.",
        ),
    ],
)
def test_an_invalid_value_stops_the_start_and_names_the_variable(variable, value, message):
    assert refusal(**{variable: value}) == ERROR + message


@pytest.mark.parametrize(
    "url",
    ["localhost:5432/sevices", "postgress://sevices:hunter2@db.example/sevices", "postgres://db.example:port/x"],
)
def test_a_database_url_that_is_not_one_stops_the_start(url):
    line = refusal(DATABASE_URL=url)
    assert line.startswith(
        ERROR + "DATABASE_URL must be a database URL such as postgres://user:password@host:5432/name"
    )
    assert "hunter2" not in line  # the password is not printed to the logs
