"""Create the four role groups and give them their permissions."""

from django.db import migrations

from mamagang.accounts.roles import grant_role_permissions

# Frozen here: later migrations add permissions, they never edit this list.
ROLE_PERMISSIONS = {
    "applicant": ["accounts.use_applicant_area"],
    "employer_member": ["accounts.use_employer_workspace"],
    "bureau_staff": ["accounts.use_staff_workspace", "core.view_auditevent"],
    "bureau_admin": [
        "accounts.use_staff_workspace",
        "accounts.manage_staff_scopes",
        "accounts.view_staffregionscope",
        "core.view_auditevent",
    ],
}


def create_roles(apps, schema_editor):
    for role, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(apps, role, permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
