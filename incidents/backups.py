"""Backups of the catalogue and their restore: the database and the uploaded files, on PostgreSQL or SQLite.

`manage.py backup <folder>` (or `make backup`) writes into a new folder:
- `database.dump`: PostgreSQL's `pg_dump --format=custom` (consistent: one snapshot, taken while the site runs);
  or `database.sqlite3`: SQLite's online backup API (consistent too, while the site runs);
- `media.tar.gz`: every uploaded file (images and their renditions, company logos);
- `manifest.json`: when, from which database vendor, and how many rows of each table, to check a restore.

`manage.py restore <folder>` puts them back into an empty database (one that holds no case: a new one, migrated
or not) and the media folder. docs/operations.md is the drill.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connections

MANIFEST = "manifest.json"
PG_DUMP, SQLITE_COPY, MEDIA = "database.dump", "database.sqlite3", "media.tar.gz"


class BackupError(Exception):
    """A backup or a restore that cannot be done: the message says why; nothing was changed."""


def backup(folder, *, alias="default", media_root=None):
    """Write a backup of database `alias` and of the media folder into `folder` (which must not exist yet)."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} already holds files: give a new folder for each backup.")
    folder.mkdir(parents=True, exist_ok=True)
    connection = connections[alias]
    if connection.vendor == "postgresql":
        run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={folder / PG_DUMP}"],
            connection.settings_dict,
        )
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(folder / SQLITE_COPY)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    else:
        raise BackupError(f"No backup for {connection.vendor} databases.")
    media = Path(media_root or settings.MEDIA_ROOT)
    with tarfile.open(folder / MEDIA, "w:gz") as archive:
        if media.is_dir():
            archive.add(media, arcname=".")
    manifest = {
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "vendor": connection.vendor,
        "rows": row_counts(connection),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def restore(folder, *, database=None, media_root=None):
    """Restore a backup into `database` (a DATABASES entry; the default one if None) and the media folder.

    The database must hold no case: a restore never overwrites a catalogue."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{folder} is not a backup of this site ({error}).") from None
    database = database or connections["default"].settings_dict
    vendor = "postgresql" if "postgresql" in database["ENGINE"] else "sqlite" if "sqlite" in database["ENGINE"] else "?"
    if vendor != manifest["vendor"]:
        raise BackupError(f"This backup is of a {manifest['vendor']} database; the target is {vendor}.")
    if holds_cases(database, vendor):
        raise BackupError("The target database already holds cases: restore into a new, empty database.")
    if vendor == "postgresql":
        run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={database['NAME']}",
                str(folder / PG_DUMP),
            ],
            database,
        )
    else:
        source = sqlite3.connect(folder / SQLITE_COPY)
        target = sqlite3.connect(database["NAME"])
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    media = Path(media_root or settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / MEDIA, "r:gz") as archive:
        archive.extractall(media, filter="data")  # no path outside the media folder, no links out of it
    return manifest


def run(command, database):
    """A PostgreSQL client program, connected through libpq's environment (the password never on a command line)."""
    env = {
        **os.environ,
        "PGHOST": str(database.get("HOST") or ""),
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": str(database.get("USER") or ""),
        "PGPASSWORD": str(database.get("PASSWORD") or ""),
        "PGDATABASE": str(database["NAME"]),
    }
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def catalogue_tables(connection):
    """The site's tables (the catalogue, its history, editors and their sessions): what a backup must carry."""
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return sorted(name for name in names if not name.startswith("sqlite_"))


def row_counts(connection):
    counts = {}
    with connection.cursor() as cursor:
        for table in catalogue_tables(connection):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 (names from the schema itself)
            counts[table] = cursor.fetchone()[0]
    return counts


def holds_cases(database, vendor):
    if vendor == "sqlite":
        if not Path(database["NAME"]).exists():
            return False
        with sqlite3.connect(database["NAME"]) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return "incidents_incident" in tables and db.execute("SELECT 1 FROM incidents_incident").fetchone()
    import psycopg

    params = {
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "dbname": database["NAME"],
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}) as db:
        exists = db.execute("SELECT to_regclass('incidents_incident')").fetchone()[0]
        return bool(exists) and db.execute("SELECT 1 FROM incidents_incident LIMIT 1").fetchone() is not None
