"""How the app starts serving, for wsgi.py and asgi.py alike: settings chosen, Django set up, checks passed."""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def serve(get_application):
    """The application a server runs, built by Django's `get_wsgi_application` or `get_asgi_application`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sevices.settings")
    application = get_application()
    require_secret_key()
    return application


def require_secret_key():
    """Refuse to serve without DJANGO_SECRET_KEY: sessions, CSRF tokens and signed links all depend on it."""
    try:
        settings.SECRET_KEY  # noqa: B018 - Django raises on an empty key when it is read
    except ImproperlyConfigured:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development).") from None
