"""Give bureau roles the applicant permissions (unmasking is audited per use)."""

from django.db import migrations

from mamagang.accounts.roles import grant_role_permissions


def grant(apps, schema_editor):
    for role in ("bureau_staff", "bureau_admin"):
        grant_role_permissions(
            apps, role, ["applicants.unmask_applicant", "applicants.verify_child"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("applicants", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
