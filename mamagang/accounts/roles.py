"""
The four roles. Each is a Django group holding permissions; code checks
permissions, never group names. Later apps add their permissions to these
groups in their own data migrations with `grant_role_permissions`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("求职者")
    EMPLOYER_MEMBER = "employer_member", _("用人单位人员")
    BUREAU_STAFF = "bureau_staff", _("人社部门工作人员")
    BUREAU_ADMIN = "bureau_admin", _("人社部门管理员")


_REGISTRY_STAFF = [
    "employers.decide_registryentry",
    "employers.publish_registryedition",
    "employers.assign_specialist_employer",
    "employers.import_employer",
    "employers.view_employer",
    "employers.view_registryentry",
]

_JOBS_STAFF = ["jobs.moderate_job", "jobs.view_job"]
_APPLICANTS_STAFF = [
    "applicants.unmask_applicant",
    "applicants.verify_child",
    "applicants.view_eligibilitypolicy",
]
_SUBSIDIES_STAFF = [
    "subsidies.review_claimline",
    "subsidies.import_contributions",
    "subsidies.run_eligibility",
    "subsidies.recognise_employmentbase",
    "subsidies.view_employmentbase",
]

# What each role holds once all migrations ran (each app's data migration
# grants its own part; tests check the groups against this table).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.APPLICANT: ["accounts.use_applicant_area"],
    Role.EMPLOYER_MEMBER: ["accounts.use_employer_workspace"],
    Role.BUREAU_STAFF: [
        "accounts.use_staff_workspace",
        "core.view_auditevent",
        *_REGISTRY_STAFF,
        *_JOBS_STAFF,
        *_APPLICANTS_STAFF,
        *_SUBSIDIES_STAFF,
    ],
    Role.BUREAU_ADMIN: [
        "accounts.use_staff_workspace",
        "accounts.manage_staff_scopes",
        "accounts.view_staffregionscope",
        "core.view_auditevent",
        *_REGISTRY_STAFF,
        *_JOBS_STAFF,
        *_APPLICANTS_STAFF,
        *_SUBSIDIES_STAFF,
        "subsidies.add_subsidypolicy",
        "subsidies.change_subsidypolicy",
        "subsidies.view_subsidypolicy",
        "subsidies.add_raterow",
        "subsidies.change_raterow",
        "subsidies.view_raterow",
        # Eligibility policies, on the staff pages (the admin shows them read-only).
        "applicants.add_eligibilitypolicy",
        "applicants.change_eligibilitypolicy",
        "employers.change_registryschedule",
        "jobs.change_jobregionsetting",
        "jobs.change_minimumwage",
    ],
}

# Roles a member of the public may choose when registering.
SELF_SERVICE_ROLES = (Role.APPLICANT, Role.EMPLOYER_MEMBER)


def grant_role_permissions(apps, role: str, permissions: list[str]) -> None:
    """
    Add `permissions` ("app_label.codename") to the group of `role`.

    Meant for data migrations: it creates missing permission rows first,
    because Django only creates them after all migrations have run.
    """
    from django.contrib.auth.management import create_permissions

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group, _ = Group.objects.get_or_create(name=role)
    for dotted in permissions:
        app_label, codename = dotted.split(".")
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        group.permissions.add(permission)
