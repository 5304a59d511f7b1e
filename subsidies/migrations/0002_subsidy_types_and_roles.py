"""The subsidy types (DOMAIN.md §2.5, §2.6, §5) and the bureau roles' subsidy permissions."""

from django.db import migrations

from mamagang.accounts.roles import grant_role_permissions

TYPES = [
    (
        "employer_social_insurance",
        "用人单位社会保险补贴",
        "employer",
        "吸纳妈妈岗人员就业并为其缴纳社会保险的用人单位，按月补贴。",
    ),
    (
        "employer_post",
        "用人单位岗位补贴",
        "employer",
        "设置妈妈岗并招用符合条件人员的用人单位，按月补贴。",
    ),
    (
        "flexible_social_insurance",
        "灵活就业社会保险补贴",
        "person",
        "以灵活就业人员身份缴纳社会保险的妈妈岗人员，按月补贴。",
    ),
    (
        "employment_base_award",
        "妈妈岗就业基地奖补",
        "employer",
        "认定的妈妈岗就业基地，按年度奖补。",
    ),
]


def seed(apps, schema_editor):
    SubsidyType = apps.get_model("subsidies", "SubsidyType")
    for code, name, payee, description in TYPES:
        SubsidyType.objects.update_or_create(
            code=code, defaults={"name": name, "payee": payee, "description": description}
        )
    staff = [
        "subsidies.review_claimline",
        "subsidies.import_contributions",
        "subsidies.run_eligibility",
    ]
    grant_role_permissions(apps, "bureau_staff", staff)
    grant_role_permissions(
        apps,
        "bureau_admin",
        [
            *staff,
            "subsidies.add_subsidypolicy",
            "subsidies.change_subsidypolicy",
            "subsidies.view_subsidypolicy",
            "subsidies.add_raterow",
            "subsidies.change_raterow",
            "subsidies.view_raterow",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("subsidies", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
