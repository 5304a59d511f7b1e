"""
Demo employers for `make run`: several Shenzhen and Guangzhou districts, every
registry state, and published editions. Names are fictional; codes are valid.
Runs the real services with past dates, so histories and editions look lived-in.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from mamagang.accounts.models import User
from mamagang.core.identifiers import uscc_check_character
from mamagang.regions.models import Region

from .models import Employer, EmployerMembership, RegistryEntry
from .services import (
    employer_register,
    employer_specialist_assign,
    registry_entry_approve,
    registry_entry_create,
    registry_entry_reject,
    registry_entry_remove,
    registry_entry_return,
    registry_entry_submit,
    registry_entry_suspend,
    registry_entry_update,
)
from .services.editions import registry_edition_publish

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def _uscc(prefix: str, division: str, subject: str) -> str:
    body = f"{prefix}{division}{subject}"
    return body + uscc_check_character(body)


# (key, name, uscc prefix, district, street, sector, size, facilities, who registers)
EMPLOYERS = [
    (
        "nuanxin",
        "深圳市宝安区暖心家政服务有限公司",
        "91",
        "440306",
        "440306017",
        "housekeeping",
        "small",
        {"has_nursing_room": True, "has_school_run_arrangement": True},
        "wang",
    ),
    (
        "jinggong",
        "深圳市沙井精工电子有限公司",
        "91",
        "440306",
        "440306022",
        "manufacturing",
        "medium",
        {"has_nursing_room": True, "has_women_home": True, "has_childcare": True},
        "liu",
    ),
    (
        "yuncang",
        "深圳市西乡云仓电商有限公司",
        "91",
        "440306",
        "440306018",
        "ecommerce",
        "small",
        {"has_school_run_arrangement": True},
        "wang",
    ),
    (
        "fuhai",
        "深圳市福海母婴用品有限公司",
        "91",
        "440306",
        "440306021",
        "ecommerce",
        "small",
        {"has_nursing_room": True},
        "liu",
    ),
    (
        "fuyong",
        "深圳市福永顺达物流有限公司",
        "91",
        "440306",
        "440306020",
        "other",
        "medium",
        {},
        "liu",
    ),
    (
        "xinan",
        "深圳市宝安区新安社区服务中心",
        "52",
        "440306",
        "440306017",
        "resident_services",
        "micro",
        {"has_women_home": True},
        "liu",
    ),
    (
        "yuehai",
        "深圳市南山区粤海文旅发展有限公司",
        "91",
        "440305",
        "440305007",
        "culture_tourism",
        "small",
        {"has_nursing_room": True, "has_school_run_arrangement": True},
        "liu",
    ),
    (
        "haowei",
        "深圳市蛇口好味餐饮管理有限公司",
        "91",
        "440305",
        "440305005",
        "catering",
        "small",
        {},
        "liu",
    ),
    (
        "qiaoshou",
        "深圳市龙华区民治巧手手工坊",
        "92",
        "440309",
        "440309002",
        "handcraft",
        "micro",
        {"has_school_run_arrangement": True},
        "liu",
    ),
    (
        "xingchen",
        "深圳市龙华区星辰直播科技有限公司",
        "91",
        "440309",
        "440309003",
        "new_platform",
        "small",
        {},
        "liu",
    ),
    (
        "wushan",
        "广州市天河区五山教育科技有限公司",
        "91",
        "440106",
        "440106001",
        "resident_services",
        "small",
        {"has_childcare": True},
        "liu",
    ),
]

DESCRIPTIONS = {
    "nuanxin": "提供钟点保洁、收纳整理服务，可按上午或下午时段接单，方便接送孩子。",
    "jinggong": "电子元器件检测与包装，设“宝妈班组”，9:00–15:00 自选时段上班。",
    "yuncang": "电商客服、订单处理岗位，可居家办公，按件计酬。",
    "yuehai": "景区讲解、文创产品设计岗位，工作日弹性排班。",
    "qiaoshou": "来料加工（手工串珠、编织），可领料回家做。",
}


def _demo_users() -> dict[str, User]:
    by_phone = {
        "wang": "13800000002",
        "liu": "13800000005",
        "baoan_staff": "13800000003",
        "city_admin": "13800000004",
        "tianhe_staff": "13800000006",
    }
    users = {u.phone: u for u in User.objects.filter(phone__in=by_phone.values())}
    return {key: users[phone] for key, phone in by_phone.items()}


@transaction.atomic
def demo_employers_load() -> str:
    """Create the demo employers, their registry histories and editions (once)."""
    first_uscc = _uscc("91", "440306", "MA5DM0001")
    if Employer.objects.filter(uscc=first_uscc).exists():
        return "Demo employers: already there."
    users = _demo_users()
    regions = {r.code: r for r in Region.objects.filter(code__in=_region_codes())}

    employers: dict[str, Employer] = {}
    for n, (key, name, prefix, district, street, sector, size, flags, who) in enumerate(
        EMPLOYERS, 1
    ):
        employers[key] = employer_register(
            registered_by=users[who],
            uscc=_uscc(prefix, district, f"MA5DM{n:04d}"),
            name=name,
            sector=sector,
            district=regions[district],
            street=regions[street],
            address=f"{regions[street].name}示范路{n}号",
            contact_name="陈女士" if who == "liu" else "王建华",
            contact_phone=f"0755-2{n:03d}0000",
            size=size,
            description=DESCRIPTIONS.get(key, ""),
            **flags,
        )
    # 王建华 also belongs to the 沙井 factory, so the workspace shows switching.
    EmployerMembership.objects.create(
        employer=employers["jinggong"], user=users["wang"], role=EmployerMembership.Role.MEMBER
    )

    def apply(key: str, when: datetime, posts: int = 3) -> RegistryEntry:
        employer = employers[key]
        who = (
            users["wang"]
            if employer.memberships.filter(user=users["wang"]).exists()
            else users["liu"]
        )
        entry = registry_entry_create(employer=employer, created_by=who)
        registry_entry_update(
            entry=entry,
            updated_by=who,
            declared_posts=posts,
            declaration="岗位工作时间避开上学放学时段，可按需请假。",
        )
        return registry_entry_submit(
            entry=entry, submitted_by=who, declaration_confirmed=True, now=when
        )

    staff, admin = users["baoan_staff"], users["city_admin"]
    shenzhen, baoan, nanshan = regions["440300"], regions["440306"], regions["440305"]

    # September: the first employers are listed; October's editions publish them.
    for key in ("nuanxin", "jinggong"):
        registry_entry_approve(entry=apply(key, _at(9, 8)), decided_by=staff, now=_at(9, 15))
    registry_entry_approve(entry=apply("yuehai", _at(9, 10)), decided_by=admin, now=_at(9, 18))
    registry_entry_approve(entry=apply("qiaoshou", _at(9, 12)), decided_by=admin, now=_at(9, 20))
    registry_entry_approve(entry=apply("xingchen", _at(9, 12)), decided_by=admin, now=_at(9, 21))
    for region in (baoan, nanshan, regions["440309"], shenzhen):
        registry_edition_publish(region=region, published_by=None, now=_at(10, 1, 9))

    # October: more decisions; November's editions carry the changes.
    registry_entry_approve(entry=apply("fuhai", _at(10, 9)), decided_by=staff, now=_at(10, 20))
    registry_entry_suspend(
        entry=employers["qiaoshou"].registry_entries.get(),
        decided_by=admin,
        reason="接到举报称岗位未按承诺弹性安排，核查期间暂停。",
        now=_at(10, 22),
    )
    registry_entry_remove(
        entry=employers["xingchen"].registry_entries.get(),
        decided_by=admin,
        reason="单位已迁出深圳市，申请移出名录。",
        now=_at(10, 25),
    )
    registry_entry_reject(
        entry=apply("xinan", _at(10, 12), posts=1),
        decided_by=staff,
        reason="申报的岗位为公益性岗位，不属于妈妈岗，请通过公益性岗位渠道申报。",
        now=_at(10, 16),
    )
    for region in (baoan, regions["440309"], shenzhen):
        registry_edition_publish(region=region, published_by=None, now=_at(11, 1, 9))

    # November: open work for staff and employers.
    registry_entry_return(
        entry=apply("haowei", _at(11, 10)),
        decided_by=admin,
        reason="请补充说明岗位如何方便接送孩子（上下班时间）。",
        now=_at(11, 12),
    )
    apply("yuncang", _at(11, 20))  # waits for 陈思远 in the 宝安 queue
    registry_entry_create(employer=employers["fuyong"], created_by=users["liu"])  # a draft
    registry_entry_approve(
        entry=apply("wushan", _at(9, 5)), decided_by=users["tianhe_staff"], now=_at(9, 9)
    )

    employer_specialist_assign(employer=employers["nuanxin"], specialist=staff, assigned_by=admin)
    employer_specialist_assign(employer=employers["jinggong"], specialist=staff, assigned_by=admin)
    return f"Demo employers: {len(employers)} created, editions published."


def _region_codes() -> set[str]:
    codes = {"440300", "440100"}
    for row in EMPLOYERS:
        codes.update({row[3], row[4]})
    return codes
