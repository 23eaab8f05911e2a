"""The benchmark behind docs/performance.md: `make bench`.

Builds (once) a PostgreSQL database of 100,000 synthetic cases, then measures the production stack (gunicorn
sync workers, whitenoise, PostgreSQL) with wrk against a ceiling: a separate one-view Django project
(scripts/ceiling/, "Hello, world" through SecurityMiddleware and CommonMiddleware only) served by the same
gunicorn flags and interpreter, and measured in the same run, alternating with the site's runs. Each page's
throughput is reported as a ratio to the ceiling runs next to it, with p50 and p99, the median of three.

Three ways of asking:
- warm: the same URL again and again, no Redis and so no page cache (the README's default set-up);
- cached: with Redis and the page cache on (every request after the first is a hit);
- cold: with Redis and the page cache on, Redis emptied before each run, and every request a different URL
  (20,000 published case pages in a shuffled order; a shuffled mix of 2,000 list URLs), as a crawler asks:
  every request is a miss. wrk walks the URL file with scripts/loadtest.lua, which counts page-cache hits.

It also times the admin (a logged-in client in process, on the admin's real URLs: milliseconds and queries),
records the largest gunicorn worker's RSS, and writes the table between the markers of docs/performance.md.

Environment: BENCH_DB (sevices_bench), BENCH_PG (postgres://postgres@127.0.0.1:5432), BENCH_REDIS
(redis://127.0.0.1:6379/3), BENCH_COUNT (100000), BENCH_RUNS (3), BENCH_SECONDS (10), BENCH_CONNECTIONS (16),
BENCH_WORKERS (2), BENCH_PORT and BENCH_CEILING_PORT (free ones). For a quick look without touching the
report: BENCH_ONLY="list,case page" (page names) and/or BENCH_MODES=warm,cold (any of warm, cached, cold,
admin). `python scripts/bench.py --build` only builds the database.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
LUA = ROOT / "scripts" / "loadtest.lua"
DB = os.environ.get("BENCH_DB", "sevices_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3")
COUNT = int(os.environ.get("BENCH_COUNT", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
ALL_MODES = ["warm", "cached", "cold", "admin"]
ONLY = [name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()]
MODES = [mode.strip() for mode in os.environ.get("BENCH_MODES", ",".join(ALL_MODES)).split(",") if mode.strip()]
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
COLD_CASES, COLD_LISTS = 20_000, 2_000


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = int(os.environ.get("BENCH_PORT") or _free_port())
CEILING_PORT = int(os.environ.get("BENCH_CEILING_PORT") or _free_port())

ENV = {
    **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_PAGE_CACHE", "DJANGO_SETTINGS_MODULE")},
    "DATABASE_URL": f"{PG}/{DB}",
    "DJANGO_SECRET_KEY": "benchmark-only-not-a-secret",
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_LOG_LEVEL": "ERROR",
    "PYTHONPATH": str(ROOT),
}
# The same flags for the site and the ceiling: only the application differs.
GUNICORN_FLAGS = ["--workers", str(WORKERS), "--worker-class", "sync", "--log-level", "warning", "--timeout", "300"]


def manage(*args, env=None, **kwargs):
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env or ENV, check=True, **kwargs)


def django_shell(code, env=None):
    done = manage("shell", "-c", code, env=env, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def redis_flush():
    subprocess.run(["redis-cli", "-u", REDIS, "FLUSHDB"], check=True, capture_output=True)


def load_average():
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


# The database --------------------------------------------------------------------------------------


def build_database():
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB}"')
    manage("migrate", "--noinput", "-v0")
    have = int(
        django_shell(
            "from incidents.synthetic.generator import synthetic_incidents; print(synthetic_incidents().count())"
        )
    )
    made = None
    if have < COUNT:
        started = time.perf_counter()
        manage("generate_cases", "--count", str(COUNT - have), "--seed", "42")
        made = (COUNT - have, time.perf_counter() - started)
        with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")  # what autovacuum does on a live site: visibility map, statistics
    return made


URLS_CODE = r"""
import json, random
from django.db.models import Count
from incidents.filters import SORTS
from incidents.models import Company, Incident, Sector
rng = random.Random(42)
company = (Company.objects.filter(slug__startswith="synthetic-").annotate(n=Count("incidents")).order_by("-n").first())
case = Incident.objects.published().filter(company=company).newest().first()
pages = {
    "list": "/cases/",
    "search": "/cases/?q=facture",
    "case page": case.get_absolute_url(),
    "company page": company.get_absolute_url(),
}
ids = list(Incident.objects.published().values_list("pk", "slug"))
rng.shuffle(ids)
cases = ["/cases/%d/%s/" % row for row in ids[:COLD_CASES]]
sorts = [key for key in SORTS if key != "newest"]
def paged(url, n):  # page 1 has no page parameter (?page=1 redirects to the list's short address)
    return url if n == 1 else url + ("&" if "?" in url else "?") + "page=%d" % n
lists = [paged("/cases/", n) for n in range(1, 401)]
for i, slug in enumerate(Sector.objects.order_by("slug").values_list("slug", flat=True)):
    sort = sorts[i % len(sorts)]
    lists += [paged("/cases/?sector=%s" % slug, n) for n in range(1, 41)]
    lists += [paged("/cases/?sector=%s&sort=%s" % (slug, sort), n) for n in range(1, 41)]
words = ["facture", "refund", "retard", "parcel", "bank", "train", "insurance", "colis", "flight", "fraud", "delay",
         "remboursement", "internet", "contract", "invoice", "apology", "excuses", "assurance", "vol", "dress",
         "energy", "phone", "water", "card", "account"]
searches = [paged("/cases/?q=%s" % word, n) for word in words for n in range(1, 41)]
lists = lists[: COLD_LISTS - 200] + searches[: max(200, COLD_LISTS - len(lists))]
rng.shuffle(lists)
print(json.dumps({"pages": pages, "cold cases": cases, "cold lists": lists[:COLD_LISTS]}))
"""


def urls():
    code = URLS_CODE.replace("COLD_CASES", str(COLD_CASES)).replace("COLD_LISTS", str(COLD_LISTS))
    return json.loads(django_shell(code))


# The servers ---------------------------------------------------------------------------------------


class Server:
    """gunicorn serving the site (in one of the three modes) or the ceiling project, on its own port."""

    def __init__(self, port, env, app, chdir):
        self.port, self.env, self.app, self.chdir = port, env, app, chdir
        self.process = None

    def __enter__(self):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                sys.exit(f"Port {self.port} is taken: set BENCH_PORT / BENCH_CEILING_PORT to free ones.")
        self.process = subprocess.Popen(
            [GUNICORN, self.app, *GUNICORN_FLAGS, "--bind", f"127.0.0.1:{self.port}", "--chdir", str(self.chdir)],
            env=self.env,
        )
        for _ in range(300):
            try:
                get(self.port, "/healthz" if self.app == "sevices.wsgi" else "/")
                break
            except OSError:
                time.sleep(0.1)
        return self

    def workers(self):
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def rss_mb(self):
        return max((_rss(pid) for pid in self.workers()), default=0.0)

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def site(mode, static_root):
    env = {**ENV, "DJANGO_STATIC_ROOT": static_root}
    if mode == "warm":
        env["DJANGO_PAGE_CACHE"] = "0"  # no REDIS_URL: per-process memory cache, no page cache
    else:
        env.update(REDIS_URL=REDIS, DJANGO_PAGE_CACHE="1")
    return Server(PORT, env, "sevices.wsgi", ROOT)


def ceiling():
    env = {**ENV, "DJANGO_SETTINGS_MODULE": "ceiling.settings"}
    env.pop("DATABASE_URL")
    return Server(CEILING_PORT, env, "ceiling.wsgi", ROOT / "scripts" / "ceiling")


def get(port, path):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, response.read()


def _rss(pid):
    out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True).stdout
    return int(out) / 1024 if out.strip() else 0.0


# wrk -----------------------------------------------------------------------------------------------


def wrk(port, path="/", url_file=None, offset=0, stride=0):
    """One wrk run: req/s, p50, p99 (ms), errors; with `url_file`, each request is the next URL of the file
    (scripts/loadtest.lua: thread n starts at `offset + n * stride`), and the page cache's hits are counted."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "30s", "--latency",
               "-H", "X-Forwarded-Proto: https"]  # fmt: skip
    env = dict(os.environ)
    if url_file:
        command += ["-s", str(LUA)]
        env.update(LOAD_URLS=str(url_file), LOAD_OFFSET=str(offset), LOAD_STRIDE=str(stride))
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True, env=env
    ).stdout

    def latency(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
        "hits": 0,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }
    if url_file:
        summary = json.loads(out.strip().splitlines()[-1])
        result["hits"] = summary.get("page_cache_hits", 0)
    return result


def measure(server, name, mode, run_one, rss):
    """A page's runs alternate with runs of the ceiling, so that its ratio holds on a noisy machine."""
    runs, ceilings = [], []
    for number in range(RUNS):
        ceilings.append(wrk(CEILING_PORT)["rps"])
        runs.append(run_one(number))
        rss.append(server.rss_mb())
    result = {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "hits": sum(r["hits"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "ratio": statistics.median(r["rps"] / c for r, c in zip(runs, ceilings, strict=True)),
        "ceiling": statistics.median(ceilings),
        "load": load_average(),
    }
    # Hits are counted only where wrk walks a file of URLs (the cold runs); a single URL's runs do not count them.
    hits = f"  hits {result['hits']} of {result['requests']}" if mode == "cold" else ""
    print(f"  {mode:6} {name:14} {result['rps']:7.0f} req/s  p50 {result['p50']:7.1f} ms  p99 {result['p99']:7.1f} ms"
          f"  ratio {result['ratio']:.3f} (ceiling {result['ceiling']:.0f})  errors {result['errors']}"
          f"{hits}  load {result['load']}", flush=True)  # fmt: skip
    return result


def run_mode(mode, pages, cold, static_root, rss):
    results = {}
    if mode == "cold":
        redis_flush()
    with site(mode, static_root) as server:
        if mode in ("warm", "cached"):
            for name, path in pages.items():
                get(PORT, path)  # warm both workers' per-process pieces (and, cached, the page)
                get(PORT, path)
                results[name] = measure(server, name, mode, lambda _n, path=path: wrk(PORT, path), rss)
        else:
            for name, url_file in cold.items():

                def run_one(number, url_file=url_file):
                    redis_flush()  # the crawler's URLs are all new: nothing cached, not even the generation
                    # Each run, and each of wrk's two threads, walks its own share of the file.
                    share = len(url_file.read_text().split()) // RUNS
                    return wrk(PORT, url_file=url_file, offset=number * share, stride=share // 2)

                results[name] = measure(server, name, mode, run_one, rss)
    return results


# The admin -----------------------------------------------------------------------------------------

ADMIN_CODE = r"""
import json, statistics, time
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from incidents.models import Incident
User = get_user_model()
user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
    "bench-admin", "bench-admin@example.org", None)
client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
client.force_login(user)
model_admin = admin.site._registry[Incident]
request = type("R", (), {"user": user, "GET": {}})()
columns = list(model_admin.get_list_display(request))
if model_admin.get_actions(client.get("/admin/").wsgi_request):
    columns = ["action_checkbox", *columns]
by_update = columns.index("updated_at")
urls = {
    "case list": "/admin/incidents/incident/",
    "search 'refund'": "/admin/incidents/incident/?q=refund",
    "published, by last update": f"/admin/incidents/incident/?status__exact=published&o=-{by_update}",
    "company list": "/admin/incidents/company/",
}
out = {}
for name, url in urls.items():
    status = client.get(url).status_code  # warm
    runs = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            ms = (time.perf_counter() - started) * 1000
        runs.append((ms, len(ctx.captured_queries), sum(float(q["time"]) for q in ctx.captured_queries) * 1000))
    ms, queries, sql_ms = sorted(runs)[len(runs) // 2]  # the median run, its queries and their time
    out[name] = {"url": url, "status": response.status_code, "ms": ms, "queries": queries, "sql_ms": sql_ms}
print(json.dumps(out))
"""


def admin_timings(static_root):
    env = {**ENV, "DJANGO_STATIC_ROOT": static_root, "DJANGO_DEBUG": "1"}  # DEBUG: query times are recorded
    env["DJANGO_SECURE_PROXY_SSL_HEADER"] = "1"
    result = json.loads(django_shell(ADMIN_CODE, env=env))
    for name, r in result.items():
        print(f"  admin  {name:28} {r['status']}  {r['ms']:7.0f} ms  {r['queries']} queries "
              f"({r['sql_ms']:.0f} ms SQL)", flush=True)  # fmt: skip
    return result


# The report ----------------------------------------------------------------------------------------


def machine():
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} x {cpu}, {mem:.0f} GB RAM, {platform.system()} {platform.release()}, Python " + (
        f"{platform.python_version()}, {pg}"
    )


def report(made, results, rss, admin, load_before):
    lines = [
        START,
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine()}; {COUNT:,} synthetic cases; gunicorn "
        f"{WORKERS} sync workers for the site and for the ceiling (scripts/ceiling/: one view, SecurityMiddleware "
        f"and CommonMiddleware); wrk 2 threads, {CONNECTIONS} connections, {SECONDS} s; median of {RUNS} runs, "
        f"each alternating with a run of the ceiling; load average before the run: {load_before}, after: "
        f"{load_average()}.",
        "",
    ]
    if made:
        lines += [f"Generation: {made[0]:,} cases in {made[1]:.0f} s.", ""]
    lines += [
        "| page | mode | req/s | p50 ms | p99 ms | ceiling req/s | ratio | errors | load average |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for mode, table in results.items():
        for name, r in table.items():
            hits = f" ({r['hits']} hits of {r['requests']})" if mode == "cold" else ""
            lines.append(
                f"| {name} | {mode}{hits} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['ceiling']:.0f} "
                f"| {r['ratio']:.3f} | {r['errors']} | {r['load']} |"
            )
    if rss:
        lines += ["", f"Largest gunicorn worker RSS during the run: {max(rss):.0f} MB."]
    if admin:
        lines += ["", "The admin, in process, logged in (median of 5, after one warm-up request):", ""]
        lines += ["| admin page | URL | ms | queries | SQL ms |", "|---|---|---|---|---|"]
        for name, r in admin.items():
            lines.append(f"| {name} | `{r['url']}` | {r['ms']:.0f} | {r['queries']} | {r['sql_ms']:.0f} |")
    lines.append(END)
    text = DOC.read_text()
    block = "\n".join(lines)
    text = (
        re.sub(re.escape(START) + ".*" + re.escape(END), lambda _m: block, text, flags=re.S)
        if START in text
        else (text + "\n" + block + "\n")
    )
    DOC.write_text(text)
    print(block)


def main():
    load_before = load_average()
    if "--build" in sys.argv:
        print("made", build_database(), flush=True)
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    print(f"Database {DB}: making sure it holds {COUNT:,} synthetic cases...", flush=True)
    made = build_database()
    found = urls()
    pages = {name: url for name, url in found["pages"].items() if not ONLY or name in ONLY}
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    cold = {}
    for name, key in (("cold case pages", "cold cases"), ("cold list pages", "cold lists")):
        if not ONLY or name in ONLY:
            cold[name] = workdir / f"{key.replace(' ', '-')}.txt"
            cold[name].write_text("\n".join(found[key]) + "\n")
    static_root = str(workdir / "static")
    manage("collectstatic", "--noinput", "-v0", env={**ENV, "DJANGO_STATIC_ROOT": static_root})
    results, rss, admin = {}, [], {}
    try:
        with ceiling():
            for mode in MODES:
                if mode == "admin":
                    admin = admin_timings(static_root)
                elif mode in ALL_MODES:
                    results[mode] = run_mode(mode, pages, cold, static_root, rss)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if ONLY or MODES != ALL_MODES:
        print("A partial run (BENCH_ONLY or BENCH_MODES): docs/performance.md is left as it is.")
        return
    report(made, results, rss, admin, load_before)


if __name__ == "__main__":
    main()
