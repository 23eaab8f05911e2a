"""Settings for Sévices clients: one module; production differs only by environment variables.

Every variable is listed, with a comment, in `.env.example` and the README.
"""

import hashlib
import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

# An invalid value stops the app at start-up with ImproperlyConfigured naming the variable, never a guess.
TRUE_VALUES = ["1", "true", "yes", "on"]
FALSE_VALUES = ["0", "false", "no", "off"]  # or empty


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES or not value:
        return False
    raise ImproperlyConfigured(
        f"{name} must be {', '.join(TRUE_VALUES)} (true) or {', '.join(FALSE_VALUES)} (false), not {value!r}."
    )


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name, default):
    """A count or a number of seconds: a whole number, 0 or more."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number, 0 or more, not {value!r}.")
    return int(value)


# The test suite runs with debug off, like production, but needs no secret of its own.
TESTING = "pytest" in sys.modules or sys.argv[1:2] == ["test"]

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY and (DEBUG or TESTING):
    SECRET_KEY = "insecure-key-for-development-only"  # noqa: S105
# Without a key and with debug off, commands that sign nothing (makemigrations, collectstatic, makemessages) still
# run; serving refuses to start (sevices/startup.py, called by wsgi.py and asgi.py).

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, whose forms it extends
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "django_filters",
    "simple_history",
    "axes",
    "csp",
    "incidents",
]

MIDDLEWARE = [
    # First, like a caching proxy: a cached page is answered before any other middleware runs.
    "incidents.caching.pages.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "incidents.security.SecurityHeadersMiddleware",
    "incidents.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files come compressed already: before GZip
    # Pages compressed for browsers that accept gzip: a case page's 46 KB of HTML travel as about 11 KB. Its
    # random padding keeps pages with a CSRF token safe from BREACH; cached pages carry none.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "incidents.i18n.LocaleMiddleware",  # the /fr/ prefix; the reader's choice in the admin
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sevices.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "sevices.wsgi.application"

try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as error:  # the URL's password stays out of the message
    raise ImproperlyConfigured(
        f"DATABASE_URL must be a database URL such as postgres://user:password@host:5432/name ({error})"
    ) from None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Django's Redis cache, reusing one redis-py client instead of building one per operation.
    CACHES = {"default": {"BACKEND": "incidents.caching.backend.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sevices"}}
    if not TESTING:
        # Each worker caches in its own memory, so the catalogue generation (incidents/caching/generation.py) is
        # kept in a file that every worker of this machine reads: an edit made through one worker refreshes what
        # every worker has cached, on its next request. One directory per database (DJANGO_GENERATION_DIR).
        _database = DATABASES["default"]
        _named = f"{_database.get('HOST')}:{_database.get('PORT')}/{_database.get('NAME')}".encode()
        CACHES["generation"] = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("DJANGO_GENERATION_DIR", "").strip()
            # In the project's own folder, not a shared temp directory where another user could plant the file
            # this cache unpickles.
            or BASE_DIR / ".generation" / hashlib.blake2b(_named, digest_size=6).hexdigest(),
            "TIMEOUT": None,  # the generation never expires
        }
# Whole pages for anonymous readers (incidents/caching/pages.py), fresh after every edit. On by default with Redis;
# without it, correct on one machine (the generation's file tells every worker), not across machines.
PAGE_CACHE_ENABLED = env_bool("DJANGO_PAGE_CACHE", bool(REDIS_URL) or TESTING)
PAGE_CACHE_SECONDS = env_int("DJANGO_PAGE_CACHE_SECONDS", 600)
# With Redis, each worker also keeps its own copies of the pages it served, up to this many megabytes: a hit
# then reads only the generation from Redis, not the page's 30-50 KB (incidents/caching/pages.py). 0: none.
PAGE_CACHE_LOCAL_BYTES = env_int("DJANGO_PAGE_CACHE_LOCAL_MB", 16 if REDIS_URL else 0) * 1024 * 1024

# The test suite creates many users; a fast hasher keeps it quick. Production keeps Django's default (PBKDF2).
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Case texts in both languages (incidents/translation.py): a text missing in the reader's language falls back
# to the other one, which is then the case's original; pages say so and mark the passage with its `lang`.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "fr")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en", "fr")
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names in production so static files can be cached for a year;
    # plain names in development and tests, which run without collectstatic.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

SITE_NAME = "Sévices clients"

# Reader tips: how many one client (a salted hash of its address) may send per hour. Counted in the cache:
# set REDIS_URL so that every worker shares the count.
TIPS_PER_HOUR = env_int("DJANGO_TIPS_PER_HOUR", 5)

# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto header (set DJANGO_SECURE_PROXY_SSL_HEADER=0 if
# the app is exposed directly).
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "").strip().upper() or "WARNING"
if LOG_LEVEL not in LOG_LEVELS:
    raise ImproperlyConfigured(f"DJANGO_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {LOG_LEVEL!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# In development and tests, serve static files straight from the finders (no collectstatic needed).
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# Security ------------------------------------------------------------------------------------------------------
# What each setting is for, and how to check it, is in docs/security.md. Production is "debug off, not under the
# test runner"; development and tests run over plain HTTP, where Secure and __Host- cookies cannot be set.
from csp.constants import NONE, SELF  # noqa: E402

PRODUCTION = not DEBUG and not TESTING

# HTTPS only: redirect plain HTTP (the proxy's X-Forwarded-Proto says which is which), then a year of HSTS.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Other sites learn that a reader came from here, never which page or search.
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # the embed page opts out with @xframe_options_exempt
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "interest-cohort",  # FLoC, retired by Chrome; kept for the browsers that still know it
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

# Cookies: Secure, and in production __Host- names (no Domain, Path=/, so no subdomain can set or read them).
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
if PRODUCTION:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
# Only editors have sessions: a working day, and none survives closing the browser.
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content-Security-Policy (django-csp 4) on every response, the admin's included. incidents/security.py adds the
# one exception: `frame-ancestors *` for the embed page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}

# django-axes: after 5 failed logins from one address for one username, that pair is locked out (429) for an
# hour, or until `manage.py axes_reset_username <name>` / `axes_reset_ip <address>` / `axes_reset`.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_COOLOFF_TIME = 1  # hours
AXES_RESET_ON_SUCCESS = True
# Trusted proxies in front of the app (0: none). Behind one, every client would otherwise share the proxy's
# address; incidents.security.client_ip_address reads the address the outermost proxy saw.
AXES_IPWARE_PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "incidents.security.client_ip_address"
