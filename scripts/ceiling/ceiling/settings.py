"""The benchmark's ceiling (scripts/bench.py): a bare Django project with one view and only the two middleware
every Django site keeps. Served by the same gunicorn, flags and interpreter as the site, it measures what
Django itself costs per request here, so that each page's ratio to it is what the site adds."""

SECRET_KEY = "benchmark-ceiling-signs-nothing"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "ceiling.urls"
WSGI_APPLICATION = "ceiling.wsgi.application"
DATABASES = {}
USE_I18N = False
USE_TZ = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
