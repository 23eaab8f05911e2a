"""The benchmark behind docs/performance.md: `make bench`.

Builds (once) a PostgreSQL database of 100,000 synthetic cases, prints the query plans of the public
pages, starts the production stack (gunicorn sync workers, whitenoise, PostgreSQL, Redis) and measures
with wrk a hello-world view (/healthz, the ceiling) and the public pages, uncached (page cache off) and
cached. Each measurement is the median of several runs. The results, with the machine's description,
replace the "Measured" section of docs/performance.md.

Environment: BENCH_DB (sevices_bench), BENCH_PG (postgres://postgres@127.0.0.1:5432), BENCH_REDIS
(redis://127.0.0.1:6379/3), BENCH_COUNT (100000), BENCH_RUNS (3), BENCH_SECONDS (10), BENCH_CONNECTIONS (16),
BENCH_PORT (a free one), BENCH_WORKERS (4, as the README recommends on two cores). For a quick look at a few
pages without touching the report: BENCH_ONLY="list,case page" and/or BENCH_MODES=cached.
"""

from __future__ import annotations

import http.client
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DB = os.environ.get("BENCH_DB", "sevices_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3")
COUNT = int(os.environ.get("BENCH_COUNT", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = int(os.environ.get("BENCH_PORT") or _free_port())
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
ONLY = [name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()]
MODES = [mode.strip() for mode in os.environ.get("BENCH_MODES", "uncached,cached").split(",") if mode.strip()]
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

ENV = {
    **os.environ,
    "DATABASE_URL": f"{PG}/{DB}",
    "DJANGO_SECRET_KEY": "benchmark-only-not-a-secret",
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_LOG_LEVEL": "ERROR",
    "PYTHONPATH": str(ROOT),
}


def manage(*args, env=None, **kwargs):
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env or ENV, check=True, **kwargs)


def django_shell(code, env=None):
    done = manage("shell", "-c", code, env=env, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


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


def sample_urls():
    code = (
        "from incidents.models import *; from django.db.models import Count;"
        "c = Company.objects.filter(slug__startswith='synthetic-').annotate(n=Count('incidents'))"
        ".order_by('-n').first();"
        "s = Sector.objects.filter(slug__startswith='synthetic-').first();"
        "i = Incident.objects.published().filter(company=c).newest().first();"
        "print(c.slug, s.slug, i.get_absolute_url())"
    )
    company, sector, case = django_shell(code).split()
    return {
        "home": "/",
        "list": "/cases/",
        "list, by sector": f"/cases/?sector={sector}",
        "list, by cost": "/cases/?sort=cost",
        "list, page 2000": "/cases/?page=2000",
        "search": "/cases/?q=glasgow",
        "case page": case,
        "company page": f"/companies/{company}/",
        "feed": "/feed/",
    }


# Query plans ---------------------------------------------------------------------------------------

EXPLAIN_CODE = r"""
import json, re, sys
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
urls = URLS
client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
out = {}
for name, url in urls.items():
    client.get(url)  # warm the database's buffers
    cache.clear()  # but plan every query of a cold page: count and facets included
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(url).status_code
    rows = []
    for q in ctx.captured_queries:
        if "incidents_incident" not in q["sql"]:
            continue
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, TIMING OFF) " + q["sql"])
            plan = [r[0] for r in cur.fetchall()]
        touching = [l for l in plan if "Scan" in l and re.search(r"on incidents_incident\b(?!_)", l)]
        seq = any("Seq Scan" in l for l in touching)
        scans = sorted({l.strip().split("  (")[0].lstrip("-> ").strip() for l in touching})
        ms = float(plan[-1].split(":")[1].split()[0])
        rows.append({"scans": scans, "seq": seq, "ms": ms})
    out[name] = {"status": status, "queries": len(ctx.captured_queries), "plans": rows}
print(json.dumps(out))
"""


def explain(urls):
    import json

    env = {**ENV, "DJANGO_PAGE_CACHE": "0", "DJANGO_DEBUG": "1"}  # DEBUG only to skip the static manifest
    code = EXPLAIN_CODE.replace("URLS", repr(urls))
    return json.loads(django_shell(code, env=env))


# The stack -----------------------------------------------------------------------------------------


class Stack:
    def __init__(self, cached, static_root):
        self.env = {
            **ENV,
            "REDIS_URL": REDIS,
            "DJANGO_PAGE_CACHE": "1" if cached else "0",
            "DJANGO_STATIC_ROOT": static_root,
        }
        self.process = None

    def __enter__(self):
        import socket

        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", PORT)) == 0:
                sys.exit(f"Port {PORT} is taken: set BENCH_PORT to a free one.")
        subprocess.run(["redis-cli", "-u", REDIS, "FLUSHDB"], check=True, capture_output=True)
        self.process = subprocess.Popen(
            [GUNICORN, "sevices.wsgi", "--workers", str(WORKERS), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{PORT}", "--log-level", "warning", "--timeout", "300"],
            cwd=ROOT, env=self.env,
        )  # fmt: skip
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        return self

    def workers(self):
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def rss_mb(self):
        sizes = []
        for pid in self.workers():
            out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True).stdout
            if out.strip():
                sizes.append(int(out) / 1024)
        return max(sizes, default=0.0)

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def get(path):
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, response.read()


def wrk(path):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "-H", "X-Forwarded-Proto: https",
         f"http://127.0.0.1:{PORT}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def latency(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
    }


def measure(stack, urls, label, rss):
    """Each page's runs alternate with runs of the ceiling, so that its ratio holds on a noisy machine."""
    results = {}
    for name, path in urls.items():
        get(path)  # warm the worker that answers first
        runs, ceilings = [], []
        for _ in range(RUNS):
            ceilings.append(wrk("/healthz")["rps"])
            runs.append(wrk(path))
            rss.append(stack.rss_mb())
        results[name] = {
            "rps": statistics.median(r["rps"] for r in runs),
            "p50": statistics.median(r["p50"] for r in runs),
            "p99": statistics.median(r["p99"] for r in runs),
            "errors": sum(r["errors"] for r in runs),
            "ratio": statistics.median(r["rps"] / c for r, c in zip(runs, ceilings, strict=True)),
            "ceiling": statistics.median(ceilings),
        }
        r = results[name]
        print(f"  {label:9} {name:18} {r['rps']:8.0f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms"
              f"  ratio {r['ratio']:.2f}  errors {r['errors']}", flush=True)  # fmt: skip
    return results


def export_memory(stack):
    """RSS of the worker that streams the whole catalogue as CSV and JSON, before and after."""
    out = {}
    for path in ("/data/cases.csv", "/data/cases.json"):
        before = {pid: _rss(pid) for pid in stack.workers()}
        peak = dict(before)
        stop = threading.Event()

        def watch(peak=peak, stop=stop):
            while not stop.is_set():
                for pid in peak:
                    peak[pid] = max(peak[pid], _rss(pid))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        started = time.perf_counter()
        try:
            status, body = get(path)
        except (OSError, http.client.HTTPException) as error:
            status, body = f"failed ({type(error).__name__})", getattr(error, "partial", b"")
        finally:
            stop.set()
            watcher.join()
        growth = max(peak[pid] - before[pid] for pid in before)
        out[path] = {"status": status, "mb": len(body) / 1e6, "seconds": time.perf_counter() - started, "rss": growth}
        print(f"  export {path}: {status}, {len(body) / 1e6:.1f} MB, RSS +{growth:.1f} MB", flush=True)
    return out


def _rss(pid):
    out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True).stdout
    return int(out) / 1024 if out.strip() else 0.0


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


def report(made, plans, results, rss, exports):
    lines = [
        START,
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; {COUNT:,} synthetic cases; gunicorn {WORKERS} sync "
        f"workers; wrk 2 threads, {CONNECTIONS} connections, {SECONDS} s; median of {RUNS} runs, each page's runs "
        f"alternating with runs of the ceiling (/healthz); load average before the run: {LOAD_BEFORE}.",
        "",
    ]
    if made:
        lines += [f"Generation: {made[0]:,} cases in {made[1]:.0f} s.", ""]
    lines += [
        "| page | cache | req/s | p50 ms | p99 ms | ceiling req/s | ratio to ceiling | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, table in results.items():
        for name, r in table.items():
            lines.append(
                f"| {name} | {label} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['ceiling']:.0f} "
                f"| {r['ratio']:.2f} | {r['errors']} |"
            )
    lines += ["", f"Largest gunicorn worker RSS during the run: {max(rss):.0f} MB.", ""]
    for path, e in exports.items():
        lines.append(
            f"- `{path}`: {e['status']}, {e['mb']:.1f} MB in {e['seconds']:.1f} s, worker RSS +{e['rss']:.0f} MB"
        )
    lines += ["", "Query plans (EXPLAIN ANALYZE, page cache off, warm), queries touching `incidents_incident`:", ""]
    lines += ["| page | queries | scans of incidents_incident | seq scan | SQL ms |", "|---|---|---|---|---|"]
    for name, p in plans.items():
        scans = sorted({s for row in p["plans"] for s in row["scans"]})
        seq = "yes" if any(row["seq"] for row in p["plans"]) else "no"
        total = sum(row["ms"] for row in p["plans"])
        lines.append(f"| {name} | {p['queries']} | {'; '.join(scans)} | {seq} | {total:.1f} |")
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


LOAD_BEFORE = ""


def main():
    global LOAD_BEFORE
    LOAD_BEFORE = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    print(f"Database {DB}: making sure it holds {COUNT:,} synthetic cases...", flush=True)
    made = build_database()
    urls = sample_urls()
    partial = bool(ONLY) or MODES != ["uncached", "cached"]
    if ONLY:
        urls = {name: url for name, url in urls.items() if name in ONLY}
    print("Query plans...", flush=True)
    plans = {} if partial else explain(urls)
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    manage("collectstatic", "--noinput", "-v0", env={**ENV, "DJANGO_STATIC_ROOT": static_root})
    pages = dict(urls)
    results, rss = {}, []
    exports = {}
    try:
        for label in MODES:
            with Stack(label == "cached", static_root) as stack:
                results[label] = measure(stack, pages, label, rss)
                if label == "uncached" and not partial:
                    exports = export_memory(stack)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
    if partial:
        print("A partial run (BENCH_ONLY or BENCH_MODES): docs/performance.md is left as it is.")
        return
    report(made, plans, results, rss, exports)


if __name__ == "__main__":
    main()
