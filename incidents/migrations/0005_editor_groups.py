"""The two editorial groups and their permissions.

Editors add, change and view the whole catalogue, and may remove rows inside a case (a wrong source, a
duplicate timeline event: the history keeps them); they cannot publish, merge or delete a case, a company
or a taxonomy term. Chief editors may do all of that too.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CATALOGUE = [
    "incident",
    "company",
    "companyalias",
    "sector",
    "lesson",
    "harmtype",
    "source",
    "timelineevent",
    "costestimate",
    "incidentimage",
    "correction",
    "tip",
]
ROWS_OF_A_CASE = ["companyalias", "source", "timelineevent", "costestimate", "incidentimage", "correction"]

EDITORS = [
    f"{action}_{model}"
    for model in CATALOGUE
    for action in ("add", "change", "view")
    if (action, model) != ("add", "tip")
] + [f"delete_{model}" for model in ROWS_OF_A_CASE]
CHIEF_EDITORS = EDITORS + [f"delete_{model}" for model in CATALOGUE] + ["publish_incident", "merge_incident"]

GROUPS = {"Editors": EDITORS, "Chief editors": CHIEF_EDITORS}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(content_type__app_label="incidents", codename__in=set(codenames))
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Unknown permissions for {name}: {sorted(missing)}")
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("incidents", "0004_history_of_harm_types_and_themes"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
