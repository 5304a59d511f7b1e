"""
Let bureau staff view the eligibility policies and bureau admins also add and
change them on the staff pages (the admin shows them read-only).
"""

from django.db import migrations

from mamagang.accounts.roles import grant_role_permissions


def grant(apps, schema_editor):
    grant_role_permissions(apps, "bureau_staff", ["applicants.view_eligibilitypolicy"])
    grant_role_permissions(
        apps,
        "bureau_admin",
        [
            "applicants.view_eligibilitypolicy",
            "applicants.add_eligibilitypolicy",
            "applicants.change_eligibilitypolicy",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("applicants", "0005_evidence_withdrawn"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
