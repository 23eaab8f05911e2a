"""PostgreSQL restarts under a running site (gunicorn, persistent connections): only the requests in flight during
the restart fail; every request after it succeeds, with no app server restarted (docs/operations.md).

The test runs its own PostgreSQL cluster on a free port, so that restarting it disturbs nothing else."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        pytest.fail("PostgreSQL's server programs (pg_ctl, initdb) are not installed")
    return found[-1].parent


def as_postgres(command, **kwargs):
    """PostgreSQL refuses to run as root: run its programs as the postgres user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + command, check=True, capture_output=True, text=True, **kwargs)


@pytest.fixture
def own_postgres():
    """A PostgreSQL cluster of our own: (port, pg_ctl command prefix)."""
    pg = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="sevices-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    as_postgres([str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = [str(pg / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w"]
    as_postgres([*ctl, "start"])
    try:
        as_postgres([str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "sevices"])
        yield port, ctl
    finally:
        subprocess.run(
            (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + [*ctl, "stop", "-m", "immediate"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.postgres
def test_a_postgresql_restart_fails_only_the_requests_in_flight(own_postgres):
    port, ctl = own_postgres
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/sevices",
        "DJANGO_DEBUG": "1",
        "DJANGO_PAGE_CACHE": "0",  # every request reads the database
        "DJANGO_LOG_LEVEL": "CRITICAL",
    }
    env.pop("REDIS_URL", None)
    for command in (["migrate", "--noinput", "-v0"], ["load_demo", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    web = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "sevices.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{web}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    answers, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            started = time.monotonic()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{web}/cases/", timeout=10) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = None
            answers.append((started, time.monotonic(), status))

    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{web}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        readers = [threading.Thread(target=reader) for _ in range(2)]
        for thread in readers:
            thread.start()
        time.sleep(2)
        restart_began = time.monotonic()
        as_postgres([*ctl, "restart", "-m", "fast"])
        restart_ended = time.monotonic()
        time.sleep(3)
        stop.set()
        for thread in readers:
            thread.join(timeout=15)
        # A quiet site whose database restarts: the next readers must not pay for the connections it cut.
        as_postgres([*ctl, "restart", "-m", "fast"])
        quiet_restart = [urllib.request.urlopen(f"http://127.0.0.1:{web}/cases/", timeout=10).status for _ in range(6)]
    finally:
        server.terminate()
        server.wait(timeout=20)

    before = [a for a in answers if a[1] < restart_began]
    after = [a for a in answers if a[0] > restart_ended]
    during = [a for a in answers if a not in before and a not in after]
    assert before and after, "the readers ran before and after the restart"
    assert all(status == 200 for _, _, status in before)
    # Once PostgreSQL is back, every request succeeds: each worker notices its dead connection and opens a new one.
    assert all(status == 200 for _, _, status in after), [a for a in after if a[2] != 200][:5]
    assert len(after) > 10
    # Only requests in flight while it restarted may have failed, and none was left without an answer.
    assert all(status in (200, 500) for _, _, status in during)
    assert quiet_restart == [200] * 6
