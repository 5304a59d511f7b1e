from django.db import migrations

from mamagang.accounts.roles import grant_role_permissions


def seed(apps, schema_editor):
    perms = ["subsidies.recognise_employmentbase", "subsidies.view_employmentbase"]
    grant_role_permissions(apps, "bureau_staff", perms)
    grant_role_permissions(apps, "bureau_admin", perms)


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0004_bases_recognition_year_chunk_started")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
