"""Search in the reader's language: a search document per language replaces the single one, and each database
gets an index per language (incidents/search.py).

- PostgreSQL: `search_vector_en` and `search_vector_fr`, each from its language's title (weight A) and document
  (B) in the configuration of that language (`sevices_en`, `sevices_fr`, migration 0003), kept current by one
  trigger (bulk inserts included) and GIN-indexed. The single vector, its trigger and its index go.
  A covering index serves the "available in" filter's counts.
- SQLite: an FTS5 table, `incidents_incident_search`, with a title and a body column per language, kept current
  by triggers that call the search module's normalisation (accents folded, words stemmed); after every
  `migrate`, the search module checks that the triggers are still there (a migration that rebuilds the cases'
  table on SQLite drops them).

Every case's documents are then computed once, which fills both indexes through the triggers.
"""

import django.contrib.postgres.search
from django.db import migrations, models

from incidents import search

OLD_TRIGGER = """
DROP TRIGGER IF EXISTS incidents_incident_search_vector_update ON incidents_incident;
DROP FUNCTION IF EXISTS incidents_incident_search_vector();
"""

# As migration 0003 made them, for a migration back.
OLD_FORWARD = """
CREATE FUNCTION incidents_incident_search_vector() RETURNS trigger AS $$
DECLARE
    cfg regconfig := CASE WHEN NEW.language = 'fr' THEN 'sevices_fr'::regconfig ELSE 'sevices_en'::regconfig END;
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector(cfg, coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector(cfg, coalesce(NEW.search_document, '')), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER incidents_incident_search_vector_update
    BEFORE INSERT OR UPDATE OF title, search_document, language ON incidents_incident
    FOR EACH ROW EXECUTE FUNCTION incidents_incident_search_vector();

CREATE INDEX incident_search_vector ON incidents_incident USING gin (search_vector);
"""

FORWARD = """
CREATE FUNCTION incidents_incident_search_vectors() RETURNS trigger AS $$
BEGIN
    NEW.search_vector_en :=
        setweight(to_tsvector('sevices_en', coalesce(nullif(NEW.title_en, ''), NEW.title_fr, '')), 'A')
        || setweight(to_tsvector('sevices_en', coalesce(NEW.search_document_en, '')), 'B');
    NEW.search_vector_fr :=
        setweight(to_tsvector('sevices_fr', coalesce(nullif(NEW.title_fr, ''), NEW.title_en, '')), 'A')
        || setweight(to_tsvector('sevices_fr', coalesce(NEW.search_document_fr, '')), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER incidents_incident_search_vectors_update
    BEFORE INSERT OR UPDATE OF title_en, title_fr, search_document_en, search_document_fr ON incidents_incident
    FOR EACH ROW EXECUTE FUNCTION incidents_incident_search_vectors();

CREATE INDEX incident_search_vector_en ON incidents_incident USING gin (search_vector_en);
CREATE INDEX incident_search_vector_fr ON incidents_incident USING gin (search_vector_fr);

-- The "available in" filter (original language, or translated): its count and facets from the index alone.
CREATE INDEX inc_status_language ON incidents_incident (status, language, translated, company_id, apology_quality, id);
"""

BACKWARD = """
DROP INDEX IF EXISTS incident_search_vector_en, incident_search_vector_fr, inc_status_language;
DROP TRIGGER IF EXISTS incidents_incident_search_vectors_update ON incidents_incident;
DROP FUNCTION IF EXISTS incidents_incident_search_vectors();
"""

SQLITE_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in search.SQLITE_TRIGGERS),
    f"DROP TABLE IF EXISTS {search.SQLITE_TABLE}",
]
BATCH = 1000


def cases_with_documents(apps):
    """Every case with its documents computed (search.case_documents), in batches."""
    Incident = apps.get_model("incidents", "Incident")
    cases = Incident.objects.select_related("company").prefetch_related("company__aliases").order_by("pk")
    batch = []
    for case in cases.iterator(chunk_size=BATCH):
        aliases = [alias.name for alias in case.company.aliases.all()]
        batch.append((case, search.case_documents(case, case.company.name, aliases)))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def drop_old_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD_TRIGGER)


def restore_old_trigger(apps, schema_editor):
    """Back to one document, in the case's own language, and the trigger and index of migration 0003."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD_FORWARD)
    Incident = apps.get_model("incidents", "Incident")
    for batch in cases_with_documents(apps):
        for case, documents in batch:
            case.search_document = documents.get(case.language, documents["en"])
        Incident.objects.bulk_update([case for case, _documents in batch], ["search_document"])


def install_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        search.install_sqlite_index(schema_editor.connection)


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


def fill_documents(apps, schema_editor):
    """Each case's documents; the triggers index them as they are written."""
    Incident = apps.get_model("incidents", "Incident")
    for batch in cases_with_documents(apps):
        for case, documents in batch:
            case.search_document_en, case.search_document_fr = documents["en"], documents["fr"]
        Incident.objects.bulk_update([case for case, _documents in batch], ["search_document_en", "search_document_fr"])


class Migration(migrations.Migration):
    dependencies = [("incidents", "0007_texts_in_both_languages")]

    operations = [
        migrations.RunPython(drop_old_trigger, restore_old_trigger),
        migrations.RemoveField(model_name="incident", name="search_document"),
        migrations.RemoveField(model_name="incident", name="search_vector"),
        migrations.AddField(
            model_name="incident",
            name="search_document_en",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="incident",
            name="search_document_fr",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="incident",
            name="search_vector_en",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="incident",
            name="search_vector_fr",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(install_indexes, remove_indexes),
        migrations.RunPython(fill_documents, migrations.RunPython.noop),
    ]
