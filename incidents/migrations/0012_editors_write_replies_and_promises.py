"""Both editorial groups write a case's right of reply and promises, in the case form like its other rows.

Migration 0005 gave the groups their permissions before these two models existed (0009): without these, the case
form left both out for every editor and chief editor, and only a superuser could record them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ["rightofreply", "promise"]
CODENAMES = [f"{action}_{model}" for model in MODELS for action in ("add", "change", "view", "delete")]
GROUPS = ["Editors", "Chief editors"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.filter(content_type__app_label="incidents", codename__in=CODENAMES))
    if len(permissions) != len(CODENAMES):
        raise RuntimeError(f"Unknown permissions among {CODENAMES}")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="incidents", codename__in=CODENAMES)
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0011_country_optional_on_drafts")]

    operations = [migrations.RunPython(grant, revoke)]
