"""
Realistic demo data for `make run`: one user of each role (and a few more).

Idempotent: running it again changes nothing. Each app adds its own step to
settings.MAMAGANG_DEMO_STEPS (employers, posts, mothers, claims), so this
package never imports the domain apps.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from mamagang.accounts.models import User
from mamagang.accounts.roles import Role
from mamagang.accounts.services import staff_scope_grant, user_role_grant
from mamagang.regions.models import Region

from .services import notification_send

DEMO_PASSWORD = "mamagang-demo"  # noqa: S105 (demo data only; printed by make run)


@dataclass(frozen=True)
class DemoUser:
    phone: str
    display_name: str
    role: str | None
    description: str
    email: str = ""
    scope_codes: tuple[str, ...] = ()
    superuser: bool = False
    # Bureau admins edit eligibility and subsidy policies in the admin site (/admin/).
    admin_site: bool = False


DEMO_USERS = [
    DemoUser("13800000001", "李晓梅", Role.APPLICANT, "求职妈妈（宝安区）", "mother@example.cn"),
    DemoUser("13800000002", "王建华", Role.EMPLOYER_MEMBER, "用人单位经办人", "hr@example.cn"),
    DemoUser(
        "13800000003",
        "陈思远",
        Role.BUREAU_STAFF,
        "宝安区人社局工作人员",
        "staff@example.cn",
        scope_codes=("440306",),
    ),
    DemoUser(
        "13800000004",
        "赵丽华",
        Role.BUREAU_ADMIN,
        "深圳市人社局管理员（全市各区；补贴政策、就业基地；/admin/ 中维护资格政策）",
        "admin@example.cn",
        scope_codes=("440300",),
        admin_site=True,
    ),
    DemoUser(
        "13800000005",
        "刘芳",
        Role.EMPLOYER_MEMBER,
        "多家示范单位的经办人",
        "liu@example.cn",
    ),
    DemoUser(
        "13800000006",
        "黄海燕",
        Role.BUREAU_STAFF,
        "广州市天河区人社局工作人员",
        "tianhe@example.cn",
        scope_codes=("440106",),
    ),
    DemoUser(
        "13800000009",
        "系统管理员",
        None,
        "技术管理员（/admin/）",
        "root@example.cn",
        superuser=True,
    ),
]


def demo_users_load() -> str:
    """Create the demo users (if missing) and say how many were new."""
    results = _demo_users_create()
    created = sum(1 for _, was_created in results if was_created)
    return f"Demo users: {created} created, {len(results) - created} already there."


@transaction.atomic
def _demo_users_create() -> list[tuple[DemoUser, bool]]:
    results = []
    for spec in DEMO_USERS:
        user = User.objects.filter(phone=spec.phone).first()
        created = user is None
        if created:
            manager = User.objects.create_superuser if spec.superuser else User.objects.create_user
            user = manager(
                phone=spec.phone,
                password=DEMO_PASSWORD,
                display_name=spec.display_name,
                email=spec.email,
            )
        if spec.admin_site and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        if spec.role:
            user_role_grant(user=user, role=spec.role, granted_by=None)
        for code in spec.scope_codes:
            staff_scope_grant(user=user, region=Region.objects.get(code=code), granted_by=None)
        if created:
            notification_send(
                recipient=user,
                kind="welcome",
                title="欢迎使用妈妈岗服务平台",
                body=f"{spec.display_name}，您好！这是演示账户（{spec.description}）。",
            )
        results.append((spec, created))
    return results
