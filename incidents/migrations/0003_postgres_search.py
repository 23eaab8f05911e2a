"""PostgreSQL only: the sort indexes (NULLS LAST) and full-text search: accent-insensitive French and English configurations, a stored
tsvector kept current by a trigger (so bulk inserts are covered too), and a GIN index on it.

On SQLite these operations do nothing; search falls back to a plain text match.
"""

import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

FORWARD = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'sevices_fr') THEN
        CREATE TEXT SEARCH CONFIGURATION sevices_fr (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION sevices_fr
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'sevices_en') THEN
        CREATE TEXT SEARCH CONFIGURATION sevices_en (COPY = english);
        ALTER TEXT SEARCH CONFIGURATION sevices_en
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
    END IF;
END
$$;

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
CREATE INDEX company_name_trgm ON incidents_company USING gin (name gin_trgm_ops);

-- Each public sort reads its index in order and stops at the page's last row.
CREATE INDEX inc_newest ON incidents_incident (status, published_at DESC NULLS LAST, id DESC);
CREATE INDEX inc_occurred ON incidents_incident (status, occurred_on DESC NULLS LAST, id DESC);
CREATE INDEX inc_cost ON incidents_incident (status, headline_cost_eur DESC NULLS LAST, id DESC);
CREATE INDEX inc_slowest ON incidents_incident (status, response_days DESC NULLS LAST, id DESC);
CREATE INDEX inc_apology ON incidents_incident (status, apology_quality, published_at DESC NULLS LAST, id DESC);
CREATE INDEX inc_updated ON incidents_incident (status, updated_at DESC);
"""

BACKWARD = """
DROP INDEX IF EXISTS inc_newest, inc_occurred, inc_cost, inc_slowest, inc_apology, inc_updated;
DROP INDEX IF EXISTS company_name_trgm;
DROP INDEX IF EXISTS incident_search_vector;
DROP TRIGGER IF EXISTS incidents_incident_search_vector_update ON incidents_incident;
DROP FUNCTION IF EXISTS incidents_incident_search_vector();
DROP TEXT SEARCH CONFIGURATION IF EXISTS sevices_fr;
DROP TEXT SEARCH CONFIGURATION IF EXISTS sevices_en;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_seed_taxonomies")]

    operations = [
        UnaccentExtension(),
        TrigramExtension(),
        migrations.AddField(
            model_name="incident",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
