"""PostgreSQL only: small covering indexes for the counts every list page shows.

With 100,000 cases, counting the published cases by apology or by sector read the whole table (rows are
wide: story, rendered story, search text). These indexes let PostgreSQL answer from the index alone
(index-only scans, once VACUUM has marked the pages all-visible, which autovacuum does).
"""

from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS inc_status_apology ON incidents_incident (status, apology_quality, id);
CREATE INDEX IF NOT EXISTS inc_status_company ON incidents_incident (status, company_id, apology_quality, id);
"""
BACKWARD = "DROP INDEX IF EXISTS inc_status_apology, inc_status_company;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0005_editor_groups")]

    operations = [migrations.RunPython(forward, backward)]
