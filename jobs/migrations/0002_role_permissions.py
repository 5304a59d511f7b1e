"""Give bureau roles the permission to moderate posts."""

from django.db import migrations

from mamagang.accounts.roles import grant_role_permissions


def grant(apps, schema_editor):
    for role in ("bureau_staff", "bureau_admin"):
        grant_role_permissions(apps, role, ["jobs.moderate_job", "jobs.view_job"])
    grant_role_permissions(
        apps, "bureau_admin", ["jobs.change_jobregionsetting", "jobs.change_minimumwage"]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
