"""The backup drill (docs/operations.md): back up, restore into an empty database, and find everything again."""

import sqlite3
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from incidents.backups import BackupError, backup, restore
from incidents.models import Correction, IncidentImage
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump reads committed rows only


@pytest.fixture
def catalogue(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "cases").mkdir(parents=True)
    (settings.MEDIA_ROOT / "cases" / "receipt.png").write_bytes(b"\x89PNG\r\n\x1a\n not really an image")
    case = factories.incident(title="A bill in two languages", language="en", title_fr="Une facture en deux langues")
    factories.cost(case, "88247", note_en="The bill", note_fr="La facture", claimed_by_en="The customer")
    factories.event(case, description_en="Bill sent", description_fr="Facture envoyée")
    Correction.objects.create(incident=case, note_en="Date fixed", note_fr="Date corrigée")
    IncidentImage.objects.create(incident=case, image="cases/receipt.png", alt_text_en="A receipt", width=1, height=1)
    case.summary_fr = "Résumé"
    case.save()  # a second history row
    return case


def rows(cursor, tables):
    found = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608
        found[table] = [tuple(row) for row in cursor.fetchall()]
    return found


def test_a_backup_restored_into_an_empty_database_holds_every_row_and_file(catalogue, tmp_path, settings):
    from incidents.backups import catalogue_tables

    manifest = backup(tmp_path / "backup")
    tables = catalogue_tables(connection)
    assert {"incidents_incident", "incidents_historicalincident", "incidents_source"} <= set(tables)
    with connection.cursor() as cursor:
        before = rows(cursor, tables)
    assert manifest["rows"]["incidents_historicalincident"] >= 2
    restored_media = tmp_path / "restored-media"

    if connection.vendor == "sqlite":
        target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "restored.sqlite3")}
        restore(tmp_path / "backup", database=target, media_root=restored_media)
        # Read back the way Django reads SQLite, so that dates compare as dates on both sides.
        with sqlite3.connect(target["NAME"], detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES) as db:
            after = rows(db.cursor(), tables)
    else:
        import psycopg

        name = f"restore_{uuid.uuid4().hex[:8]}"
        params = {k: v for k, v in connection.get_connection_params().items() if k != "dbname"}
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            target = {**connection.settings_dict, "NAME": name}
            restore(tmp_path / "backup", database=target, media_root=restored_media)
            with psycopg.connect(dbname=name, **params) as db:
                from psycopg.types.string import TextLoader

                for json_type in ("json", "jsonb"):  # as Django reads them: text, decoded by the field
                    db.adapters.register_loader(json_type, TextLoader)
                after = rows(db.cursor(), tables)
        finally:
            with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    assert after == before  # every case, translation, source, cost, event, correction, image and history row
    assert (restored_media / "cases" / "receipt.png").read_bytes() == (
        settings.MEDIA_ROOT / "cases" / "receipt.png"
    ).read_bytes()


def test_a_restore_never_overwrites_a_catalogue_and_a_backup_never_overwrites_a_backup(catalogue, tmp_path):
    backup(tmp_path / "backup")
    with pytest.raises(BackupError, match="already holds files"):
        backup(tmp_path / "backup")
    if connection.vendor == "sqlite":
        # The database the catalogue lives in holds cases: restoring over it is refused, and it is unchanged.
        occupied = tmp_path / "occupied.sqlite3"
        restore(tmp_path / "backup", database={"ENGINE": "sqlite3", "NAME": str(occupied)}, media_root=tmp_path / "m")
        with pytest.raises(BackupError, match="already holds cases"):
            restore(tmp_path / "backup", database={"ENGINE": "sqlite3", "NAME": str(occupied)})
    else:
        with pytest.raises(CommandError, match="already holds cases"):
            call_command("restore", str(tmp_path / "backup"))
    with pytest.raises(CommandError, match="is not a backup of this site"):
        call_command("restore", str(tmp_path))
