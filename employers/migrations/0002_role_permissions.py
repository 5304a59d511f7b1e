"""Give bureau roles the registry permissions."""

from django.db import migrations

from mamagang.accounts.roles import grant_role_permissions

STAFF_PERMISSIONS = [
    "employers.decide_registryentry",
    "employers.publish_registryedition",
    "employers.assign_specialist_employer",
    "employers.import_employer",
    "employers.view_employer",
    "employers.view_registryentry",
]


def grant(apps, schema_editor):
    for role in ("bureau_staff", "bureau_admin"):
        grant_role_permissions(apps, role, STAFF_PERMISSIONS)
    grant_role_permissions(apps, "bureau_admin", ["employers.change_registryschedule"])


class Migration(migrations.Migration):
    dependencies = [
        ("employers", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
