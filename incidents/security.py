"""Security headers that settings alone cannot express, and the client address behind proxies.

The policy itself lives in settings (the "# Security" block); this module only decides the few
per-response exceptions, so that they are in one place and tested (tests/test_security.py):

- the embed page may be framed by any site: a view decorated with Django's ``xframe_options_exempt``
  gets ``frame-ancestors *`` in its Content-Security-Policy, like it gets no X-Frame-Options;
- the share card, the embed and oEmbed are fetched by other sites: they get
  ``Cross-Origin-Resource-Policy: cross-origin``; everything else ``same-origin``.

The admin gets the same strict policy as the public pages: Django's admin needs no inline script or style.
"""

from __future__ import annotations

import re

from csp.middleware import CSPMiddleware
from django.conf import settings

# Paths other sites may load as resources: the share card (an <img> elsewhere), the embed (an <iframe>)
# and oEmbed (fetched by publishing tools). Extend this list with care: it loosens CORP only.
CROSS_ORIGIN_PATHS = [
    re.compile(r"^/cases/\d+/card\.png$"),
    re.compile(r"^/cases/\d+/embed/$"),
    re.compile(r"^/oembed/$"),
]


def is_frameable(response):
    """A response other sites may frame: its view was decorated with `xframe_options_exempt`."""
    return getattr(response, "xframe_options_exempt", False)


def is_cross_origin_resource(request, response):
    return is_frameable(response) or any(pattern.match(request.path_info) for pattern in CROSS_ORIGIN_PATHS)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the site's one exception: the embed page may be framed."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if is_frameable(response):
            parts.replace = {**(parts.replace or {}), "frame-ancestors": ["*"]}
        return parts


class SecurityHeadersMiddleware:
    """Permissions-Policy and Cross-Origin-Resource-Policy on every response (Django sets the others)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        cross_origin = is_cross_origin_resource(request, response)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "cross-origin" if cross_origin else "same-origin")
        return response


def client_ip_address(request):
    """The address django-axes counts failed logins against.

    With DJANGO_PROXY_COUNT=n trusted proxies in front of the app (each appending to X-Forwarded-For),
    the client is the n-th address from the right of X-Forwarded-For: what the outermost proxy saw.
    Anything left of it was written by the client and is ignored. With no proxy (n=0), or a header
    shorter than the proxies it should have gone through, the socket's address is used.
    """
    count = settings.AXES_IPWARE_PROXY_COUNT
    remote_addr = request.META.get("REMOTE_ADDR", "")
    if not count:
        return remote_addr
    chain = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(chain) < count:
        return remote_addr
    return chain[-count]
