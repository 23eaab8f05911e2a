"""Lighthouse scores of the home page, the case list and a case page, on a phone and on a desk: `make lighthouse`.

Serves the demo catalogue as production does (gunicorn, debug off, hashed and compressed static files through
whitenoise) on a throwaway SQLite database, then runs Google's Lighthouse (the npm package, pinned below and
installed once into a cache folder) in Debian's Chromium against each page, with its mobile (the default: a
Moto G-class phone on a throttled 4G network) and desktop settings. Prints the four scores of each run and exits
non-zero when one is below 100. The JSON reports are kept in lighthouse/ (git-ignored) for a closer look.

Needs node, npm and /usr/bin/chromium. LIGHTHOUSE_PAGES="home,case" limits the pages.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
VERSION = "12.8.2"
HOME = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sevices" / f"lighthouse-{VERSION}"
BINARY = HOME / "node_modules" / ".bin" / "lighthouse"
REPORTS = ROOT / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def install():
    if BINARY.exists():
        return
    HOME.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--prefix", str(HOME), "--no-audit", "--no-fund", f"lighthouse@{VERSION}"], check=True
    )


def case_path(env):
    """The address of the demo's most complete case (the one with the most sources), read from the database."""
    code = (
        "from django.db.models import Count\n"
        "from incidents.models import Incident\n"
        "case = Incident.objects.published().annotate(n=Count('sources')).order_by('-n', 'pk').first()\n"
        "print(case.get_absolute_url())"
    )
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def main():
    if not Path("/usr/bin/chromium").exists():
        sys.exit("Lighthouse needs Debian's Chromium: apt-get install -y chromium")
    install()
    workdir = Path(tempfile.mkdtemp(prefix="sevices-lighthouse-"))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")},
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_SECRET_KEY": "lighthouse-only-not-a-secret",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback, as Lighthouse treats localhost as secure
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
    }
    for command in (["migrate", "--noinput"], ["load_demo", "--verbosity", "0"], ["collectstatic", "--noinput"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    pages = {"home": "/", "list": "/cases/", "case": case_path(env)}
    wanted = [p.strip() for p in os.environ.get("LIGHTHOUSE_PAGES", "").split(",") if p.strip()] or list(pages)
    server = subprocess.Popen(
        [GUNICORN, "sevices.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"], cwd=ROOT, env=env
    )
    failures = []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        # Warm each worker as a server in service is (templates compiled, modules imported): the score is that of
        # a reader's visit, not of the first request after a deploy.
        for _ in range(4):
            for name in wanted:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{pages[name]}", timeout=30).read()
        REPORTS.mkdir(exist_ok=True)
        for name in wanted:
            for form in ("mobile", "desktop"):
                report = REPORTS / f"{name}-{form}.json"
                command = [
                    str(BINARY),
                    f"http://127.0.0.1:{port}{pages[name]}",
                    "--quiet",
                    "--output=json",
                    f"--output-path={report}",
                    f"--only-categories={','.join(CATEGORIES)}",
                    "--chrome-flags=--headless=new --no-sandbox",
                ]
                if form == "desktop":
                    command.append("--preset=desktop")
                for _attempt in range(3):  # Lighthouse now and then loses its connection to Chromium: try again
                    done = subprocess.run(command, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"})
                    if done.returncode == 0:
                        break
                else:
                    sys.exit(f"Lighthouse failed three times on {name} ({form})")
                scores = json.loads(report.read_text())["categories"]
                line = {c: round(scores[c]["score"] * 100) for c in CATEGORIES}
                print(f"{name:5} {form:8} " + "  ".join(f"{c} {s}" for c, s in line.items()), flush=True)
                failures += [f"{name} {form} {c} {s}" for c, s in line.items() if s < 100]
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        sys.exit("Below 100: " + "; ".join(failures))


if __name__ == "__main__":
    main()
