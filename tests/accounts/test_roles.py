import pytest
from django.contrib.auth.models import Group

from mamagang.accounts.roles import ROLE_PERMISSIONS, Role

pytestmark = pytest.mark.django_db


def test_every_role_group_exists_with_its_permissions():
    for role in Role:
        group = Group.objects.get(name=role.value)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert set(ROLE_PERMISSIONS[role]) <= granted, role


@pytest.mark.parametrize(
    ("fixture", "allowed"),
    [
        ("applicant", {"accounts.use_applicant_area"}),
        ("employer_member", {"accounts.use_employer_workspace"}),
        ("staff_user", {"accounts.use_staff_workspace"}),
        ("bureau_admin", {"accounts.use_staff_workspace", "accounts.manage_staff_scopes"}),
    ],
)
def test_role_permission_matrix(request, fixture, allowed):
    user = request.getfixturevalue(fixture)
    checked = {
        "accounts.use_applicant_area",
        "accounts.use_employer_workspace",
        "accounts.use_staff_workspace",
        "accounts.manage_staff_scopes",
    }

    assert {perm for perm in checked if user.has_perm(perm)} == allowed
