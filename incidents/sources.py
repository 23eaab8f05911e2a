"""Link checks: is each page the catalogue cites still where its source says it is? (`manage.py check_sources`)

A source's URL is asked for with HEAD, then with GET when HEAD is refused (405, 501, or no answer at all),
following up to five redirects, one request at a time and at most one a second to the same host. What was found
is written on the source (`checked_at`, `check_status`, `check_error`) with a queryset update: a link check
writes no history version, leaves the case as it was and empties no cached page. It never hides a case: a dead
link is for an editor to look at (the admin's list of sources, filter "link"), the archived copy beside it.
"""

from __future__ import annotations

import dataclasses
import datetime
import socket
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import requests
from django.db.models import Q
from django.utils import timezone
from urllib3.exceptions import LocationValueError, NameResolutionError, ReadTimeoutError

from incidents.models import Source

# Names the site and what the request is for, so that a publisher reading its logs knows who asks and why.
USER_AGENT = "SevicesClientsLinkCheck/1.0 (Sevices clients catalogue; checks that the pages its cases cite are online)"
DEFAULT_TIMEOUT = 10.0  # seconds, for each request
DEFAULT_DELAY = 1.0  # seconds between two requests to the same host
MAX_REDIRECTS = 5
HEAD_REFUSED = {405, 501}  # the server does not do HEAD: ask again with GET
# Failures a GET would meet just the same: not worth a second request.
NOT_RETRIED = {"DNS failure", "TLS error", "invalid URL"}
ERROR_LENGTH = Source._meta.get_field("check_error").max_length

# What the last check found. The admin's "link" filter and `check_sources --only-dead` both read these.
CHECKED = Q(checked_at__isnull=False)
DEAD = CHECKED & ~Q(check_error="")
FINE = CHECKED & Q(check_error="")
NEVER_CHECKED = ~Q(url="") & Q(checked_at__isnull=True)  # a print source (no URL) is never checked


class Link(NamedTuple):
    source: int  # the source's id
    case: int  # its case's id
    url: str


@dataclasses.dataclass(frozen=True)
class LinkResult:
    status: int | None  # HTTP status of the final answer; None when no answer came
    error: str = ""  # why the link is not fine ("HTTP 404", "timeout", "DNS failure"...); "" when it is
    redirects: int = 0

    @property
    def outcome(self) -> str:
        """fine, redirected (fine, at another address), dead (the server answered with an error) or error (no
        answer: timeout, DNS, TLS, refused connection, too many redirects)."""
        if self.error:
            return "dead" if self.status is not None else "error"
        return "redirected" if self.redirects else "fine"


@dataclasses.dataclass
class Summary:
    checked: int = 0
    fine: int = 0
    redirected: int = 0
    dead: int = 0
    errors: int = 0

    def add(self, result: LinkResult) -> None:
        self.checked += 1
        field = "errors" if result.outcome == "error" else result.outcome
        setattr(self, field, getattr(self, field) + 1)


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # not a URL: requests says so, with the reason
        return ""


class Throttle:
    """At most one request every `delay` seconds to each host; a request to another host does not wait."""

    def __init__(self, delay: float, *, clock: Callable[[], float] = time.monotonic, sleep=time.sleep):
        self.delay, self.clock, self.sleep = delay, clock, sleep
        self._last: dict[str, float] = {}

    def wait(self, url: str) -> None:
        """Sleep until `url`'s host may be asked again, then count this request as its last."""
        host = host_of(url)
        last = self._last.get(host)
        if last is not None:
            pause = last + self.delay - self.clock()
            if pause > 0:
                self.sleep(pause)
        self._last[host] = self.clock()


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "*/*"
    return session


def sources_to_check(
    *,
    only_dead: bool = False,
    older_than: int | None = None,
    case: int | None = None,
    now: datetime.datetime | None = None,
) -> list[Link]:
    """The sources with a URL: those of one case, those that failed last time, those not checked for
    `older_than` days (or never), as asked."""
    sources = Source.objects.exclude(url="")
    if case is not None:
        sources = sources.filter(incident_id=case)
    if only_dead:
        sources = sources.filter(DEAD)
    if older_than is not None:
        cutoff = (now or timezone.now()) - datetime.timedelta(days=older_than)
        sources = sources.filter(Q(checked_at__isnull=True) | Q(checked_at__lt=cutoff))
    return [Link(*row) for row in sources.order_by("pk").values_list("pk", "incident_id", "url")]


def interleave_by_host(links: Iterable[Link]) -> Iterator[Link]:
    """The same links, hosts taking turns, so that one host's pause is spent asking the others."""
    queues: dict[str, deque[Link]] = defaultdict(deque)
    for link in links:
        queues[host_of(link.url)].append(link)
    while queues:
        for host in list(queues):
            yield queues[host].popleft()
            if not queues[host]:
                del queues[host]


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it wraps: requests wraps urllib3's errors, which wrap the socket's."""
    seen, pending = set(), [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([*current.args, getattr(current, "reason", None), current.__cause__, current.__context__])


def describe_error(error: BaseException) -> str:
    """A short reason an editor can read, for a request that got no HTTP answer."""
    causes = list(_causes(error))

    def found(*kinds):
        return any(isinstance(cause, kinds) for cause in causes)

    invalid = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)
    if found(*invalid, LocationValueError) or not isinstance(error, requests.RequestException):
        return "invalid URL"  # urllib's and urllib3's parsers raise ValueError
    if found(requests.exceptions.Timeout, ReadTimeoutError, TimeoutError):
        return "timeout"
    if found(requests.exceptions.SSLError):
        return "TLS error"
    if found(NameResolutionError, socket.gaierror):
        return "DNS failure"
    if found(ConnectionRefusedError):
        return "connection refused"
    if found(ConnectionResetError):
        return "connection reset"
    if found(requests.exceptions.ConnectionError):
        return "connection failed"
    return f"request failed ({type(error).__name__})"[:ERROR_LENGTH]


def follow(session: requests.Session, method: str, url: str, *, timeout: float, throttle: Throttle) -> LinkResult:
    """Ask for `url` with `method`, following redirects one by one so that each waits its turn at its host."""
    for redirects in range(MAX_REDIRECTS + 1):
        throttle.wait(url)
        # stream: the status and headers are all a check needs, not the body (a GET may be a large PDF).
        with session.request(method, url, allow_redirects=False, timeout=timeout, stream=True) as response:
            target = session.get_redirect_target(response)
            status = response.status_code
        if target is None:
            return LinkResult(status, "" if 200 <= status < 300 else f"HTTP {status}", redirects)
        url = urljoin(url, target)
    return LinkResult(None, "too many redirects", MAX_REDIRECTS)


def check_url(url: str, *, session: requests.Session, throttle: Throttle, timeout: float) -> LinkResult:
    """HEAD first; GET when HEAD is refused (405, 501) or gets no answer, unless a GET would fail the same way."""
    try:
        result = follow(session, "HEAD", url, timeout=timeout, throttle=throttle)
    except (requests.RequestException, ValueError) as error:
        reason = describe_error(error)
        if reason in NOT_RETRIED:
            return LinkResult(None, reason)
    else:
        if result.status not in HEAD_REFUSED:
            return result
    try:
        return follow(session, "GET", url, timeout=timeout, throttle=throttle)
    except (requests.RequestException, ValueError) as error:
        return LinkResult(None, describe_error(error))


def record(source_id: int, result: LinkResult, *, now: datetime.datetime) -> None:
    """Write what was found on the source, and nothing else: no history version, no page-cache signal, the
    case untouched (a queryset update sends no signal and calls no save())."""
    Source.objects.filter(pk=source_id).update(
        checked_at=now, check_status=result.status, check_error=result.error[:ERROR_LENGTH]
    )


def check_links(
    links: Iterable[Link],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    delay: float = DEFAULT_DELAY,
    session: requests.Session | None = None,
    throttle: Throttle | None = None,
    progress: Callable[[Link, LinkResult], None] | None = None,
) -> Summary:
    """Check each link, record the result on its source, and count the outcomes."""
    session = session or new_session()
    throttle = throttle or Throttle(delay)
    summary = Summary()
    for link in interleave_by_host(links):
        result = check_url(link.url, session=session, throttle=throttle, timeout=timeout)
        record(link.source, result, now=timezone.now())
        summary.add(result)
        if progress is not None:
            progress(link, result)
    return summary
