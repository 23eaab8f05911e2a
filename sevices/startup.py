"""What the app checks before it serves a single request."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_secret_key():
    """Refuse to serve without DJANGO_SECRET_KEY: sessions, CSRF tokens and signed links all depend on it."""
    try:
        settings.SECRET_KEY  # noqa: B018 - Django raises on an empty key when it is read
    except ImproperlyConfigured:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development).") from None
