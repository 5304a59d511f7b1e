"""
Demo mothers for `make run`: 李晓梅 (the demo applicant 13800000001, 宝安)
with a complete profile, and a dozen more mothers in 宝安, 南山, 龙岗, 天河
(and 中山 when its regions are loaded) with children of all ages: one whose
child reaches the age limit within 60 days (so the re-check warns her and
her employer), one whose child is over the limit, one whose child's evidence
waits for staff, one near retirement. They apply to the demo posts, and the
employers' members move the applications through every status; two are
hired with the 妈妈岗 declaration and one more is registered offline.

It runs the real services, with dates relative to today so the ages stay
true, and ends with the daily re-check. Idempotent: if 李晓梅 has a profile,
nothing is created. Runs after jobs.demo (it needs the demo posts).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from employers.models import Employer
from jobs.demo import _employers as demo_employers
from jobs.models import Job
from mamagang.accounts.models import User
from mamagang.accounts.roles import Role
from mamagang.accounts.services import user_role_grant
from mamagang.core.audit import audit_record
from mamagang.core.demo import DEMO_PASSWORD
from mamagang.regions.models import Region

from .eligibility import statutory_retirement
from .management.commands.applicants_generate import make_id_number
from .models import Applicant, Application, Child, Consent, EligibilityPolicy
from .services import (
    applicant_free_windows_set,
    applicant_intentions_update,
    applicant_personal_update,
    applicant_profile_create,
    applicants_recheck,
    application_hire,
    application_invite_interview,
    application_mark_viewed,
    application_offer,
    application_reject,
    application_submit,
    application_withdraw,
    child_add,
    child_verify,
    consent_give,
    employment_register_offline,
    work_experience_add,
)

LI_XIAOMEI = "13800000001"
OFFLINE_HIRE = "13800000018"  # 吴春燕: 暖心家政 registers a hire it made offline
ZHONGSHAN = "442000"  # a city without districts: its streets hang off the city
ZHONGSHAN_POLICY_REFERENCE = "中府函〔2023〕270号"
WEEKDAYS_9_TO_3 = [(day, 540, 900) for day in range(5)]
MORNINGS = [(day, 540, 720) for day in range(5)]
SCHOOL_HOURS = [(day, 570, 930) for day in range(5)]
WEEKENDS = [(5, 480, 1080), (6, 480, 1080)]


@dataclass
class DemoChild:
    # Age in months today; the birth month is derived so ages stay true.
    age_months: int | None = None
    verified: bool = True
    relationship: str = Child.Relationship.PARENT
    evidence: str = Child.Evidence.BIRTH_CERTIFICATE
    # Instead of an age: "cutoff_soon" (reaches 13 within 60 days).
    special: str = ""


@dataclass
class DemoMother:
    phone: str
    name: str
    district: str
    hometown: str  # the first six digits of her ID number: where she was born
    age: int
    children: list[DemoChild]
    windows: list[tuple[int, int, int]]
    street: str | None = None
    retirement_category: str = "F50"
    category: str = Applicant.Category.MOTHER
    education: str = Applicant.Education.SENIOR_HIGH
    skills: list[str] = field(default_factory=list)
    intentions: dict = field(default_factory=dict)
    near_retirement: bool = False


def _years(years: int, months: int = 0) -> int:
    return years * 12 + months


MOTHERS: list[DemoMother] = [
    DemoMother(
        "13800000010",
        "张丽娟",
        "440306",
        "430124",
        34,
        [DemoChild(_years(5, 4))],
        MORNINGS,
        street="440306017",
        skills=["保洁", "收纳"],
        intentions={"intended_sectors": ["housekeeping"], "hours_per_week": 15},
    ),
    DemoMother(
        "13800000011",
        "王秀英",
        "440305",
        "450881",
        38,
        [DemoChild(_years(9, 2)), DemoChild(_years(3, 7))],
        SCHOOL_HOURS,
        skills=["收纳整理", "育儿"],
        intentions={"intended_sectors": ["housekeeping", "resident_services"]},
    ),
    DemoMother(
        "13800000012",
        "陈海燕",
        "440307",
        "360730",
        40,
        [DemoChild(special="cutoff_soon")],
        WEEKDAYS_9_TO_3,
        education=Applicant.Education.JUNIOR_HIGH,
        skills=["包装", "质检"],
        intentions={"intended_sectors": ["manufacturing"], "hours_per_week": 20},
    ),
    DemoMother(
        "13800000013",
        "刘美玲",
        "440106",
        "440106",
        41,
        [DemoChild(_years(14, 3))],  # over the limit: not eligible
        SCHOOL_HOURS,
        education=Applicant.Education.BACHELOR,
        skills=["辅导作业", "办公软件"],
        intentions={"intended_sectors": ["resident_services"]},
    ),
    DemoMother(
        "13800000014",
        "黄淑华",
        "440306",
        "441481",
        55,
        [DemoChild(_years(11, 1), relationship=Child.Relationship.ADOPTIVE_PARENT)],
        WEEKDAYS_9_TO_3,
        retirement_category="F55",
        education=Applicant.Education.COLLEGE,
        near_retirement=True,
        skills=["门岗登记", "收发快递"],
        intentions={"intended_sectors": ["manufacturing", "resident_services"]},
    ),
    DemoMother(
        "13800000015",
        "赵婷婷",
        "440305",
        "420111",
        29,
        [DemoChild(_years(1, 2), verified=False)],  # evidence waits for staff
        [(day, 1200, 1320) for day in range(7)],
        education=Applicant.Education.BACHELOR,
        skills=["电脑打字", "客服"],
        intentions={
            "intended_location_modes": ["at_home"],
            "intended_employment_forms": ["remote"],
        },
    ),
    DemoMother(
        "13800000016",
        "孙雪",
        "440307",
        "440307",
        36,
        [DemoChild(_years(4, 6)), DemoChild(_years(8, 0))],
        MORNINGS + [(day, 1140, 1260) for day in range(5)],
        skills=["手工编织"],
        intentions={"intended_post_modes": ["take_home_piecework"], "intended_sectors": []},
    ),
    DemoMother(
        "13800000017",
        "周慧",
        "440106",
        "440104",
        33,
        [DemoChild(_years(6, 5))],
        MORNINGS,
        education=Applicant.Education.COLLEGE,
        skills=["排课", "家长沟通"],
        intentions={"intended_sectors": ["resident_services"]},
    ),
    DemoMother(
        "13800000018",
        "吴春燕",
        "440306",
        "441422",
        37,
        [DemoChild(_years(10, 0))],
        WEEKDAYS_9_TO_3,
        street="440306017",
        skills=["保洁"],
        intentions={"intended_sectors": ["housekeeping", "ecommerce"]},
    ),
    DemoMother(
        "13800000019",
        "徐佳怡",
        "440305",
        "430521",
        31,
        [DemoChild(_years(3, 1))],
        SCHOOL_HOURS,
        skills=["收银"],
        intentions={"intended_sectors": ["culture_tourism"]},
    ),
    DemoMother(
        "13800000020",
        "郑小红",
        ZHONGSHAN,
        "442000",
        49,
        # A grandmother raising her grandson: 中山 admits other caregivers.
        [
            DemoChild(
                _years(6, 0),
                relationship=Child.Relationship.GUARDIAN,
                evidence=Child.Evidence.GUARDIANSHIP,
            )
        ],
        WEEKDAYS_9_TO_3,
        street="442000001",
        retirement_category="F50",
        category=Applicant.Category.OTHER_CAREGIVER_CHILD,
        education=Applicant.Education.JUNIOR_HIGH,
        skills=["手工串珠"],
        intentions={"intended_post_modes": ["take_home_piecework"]},
    ),
]

# (applicant phone, employer key in employers.demo, post title, final status, days ago)
APPLICATIONS: list[tuple[str, str, str, str, int]] = [
    (LI_XIAOMEI, "fuhai", "电商直播助理（上午场）", "interview", 3),
    (LI_XIAOMEI, "fuhai", "线上客服（居家办公）", "submitted", 1),
    (LI_XIAOMEI, "jinggong", "宝妈班组质检员", "viewed", 2),
    ("13800000010", "nuanxin", "钟点保洁员（上午班）", "hired", 6),
    ("13800000011", "nuanxin", "收纳整理师（学徒）", "offered", 4),
    ("13800000012", "jinggong", "包装工（午间短班）", "hired", 6),
    ("13800000013", "wushan", "课后托管老师", "rejected", 5),
    ("13800000014", "jinggong", "门卫（白班）", "submitted", 1),
    ("13800000015", "fuhai", "线上客服（居家办公）", "withdrawn", 4),
    ("13800000016", "fuhai", "手工编织婴儿鞋帽（带回家做）", "viewed", 2),
    ("13800000017", "wushan", "教务助理（上午班）", "interview", 3),
    ("13800000018", "fuhai", "电商直播助理（上午场）", "submitted", 2),
    ("13800000019", "yuehai", "文创店收银员", "offered", 5),
]
REJECT_REASON = "本岗位需持教师资格证，暂不匹配；欢迎关注本单位的教务助理岗位。"
WITHDRAW_NOTE = "已找到离家更近的工作，谢谢。"


def _staff() -> dict[str, User]:
    phones = {
        "wang": "13800000002",
        "baoan_staff": "13800000003",
        "city_admin": "13800000004",
        "liu": "13800000005",
        "tianhe_staff": "13800000006",
        "root": "13800000009",
    }
    by_phone = {u.phone: u for u in User.objects.filter(phone__in=phones.values())}
    return {key: by_phone[phone] for key, phone in phones.items() if phone in by_phone}


def _verifier(staff: dict[str, User], district: str) -> User:
    """The demo bureau user whose scope covers `district`."""
    if district == "440306":
        return staff["baoan_staff"]
    if district.startswith("4403"):
        return staff["city_admin"]
    if district == "440106":
        return staff["tianhe_staff"]
    # No demo staff covers 中山: the technical admin (a superuser) stands in.
    return staff["root"]


def _member(staff: dict[str, User], employer: Employer) -> User:
    """王建华 where he is a member, else 刘芳 (as jobs.demo picks authors)."""
    if employer.memberships.filter(user=staff["wang"]).exists():
        return staff["wang"]
    return staff["liu"]


def _birth_month(today: datetime.date, age_months: int) -> tuple[int, int]:
    total = today.year * 12 + today.month - 1 - age_months
    return total // 12, total % 12 + 1


def _cutoff_soon_birth(today: datetime.date) -> tuple[int, int]:
    """A birth month whose 13th birthday (the cut-off) falls 21 to 52 days from today."""
    soon = today + datetime.timedelta(days=20)
    year, month = (soon.year + 1, 1) if soon.month == 12 else (soon.year, soon.month + 1)
    return year - 13, month


def _near_retirement_birth(today: datetime.date, category: str) -> datetime.date:
    """The latest birth date (the 20th of a month) retiring 4 to 7 months from now."""
    year, month = today.year - 50, today.month
    while True:
        birth = datetime.date(year, month, 20)
        retires = statutory_retirement(birth, category).date
        if retires <= today + datetime.timedelta(days=120):
            break
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    # One month at a time forward until the date is about half a year away.
    while statutory_retirement(birth, category).date < today + datetime.timedelta(days=150):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        birth = datetime.date(year, month, 20)
    return birth


def demo_applicants_load() -> str:
    """Create the demo mothers, their applications and hires, then re-check (once)."""
    # Each application move texts the other side; keep the demo's texts in memory.
    with override_settings(SMS_BACKEND="mamagang.core.sms.LocmemSmsBackend"):
        return _demo_applicants_load()


@transaction.atomic
def _demo_applicants_load() -> str:
    li = User.objects.filter(phone=LI_XIAOMEI).first()
    if li is None:
        return "Demo mothers: skipped (load the demo users first)."
    if Applicant.objects.filter(user=li).exists():
        return "Demo mothers: already there."
    employers = demo_employers()
    if not Job.objects.filter(employer__in=employers.values()).exists():
        return "Demo mothers: skipped (load the demo posts first)."

    now = timezone.now()
    today = timezone.localdate(now)
    staff = _staff()
    codes = {m.district for m in MOTHERS} | {m.street for m in MOTHERS if m.street}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes | {"440306017"})}

    policy = _zhongshan_policy(regions)
    mothers = {LI_XIAOMEI: _li_xiaomei(li, regions, staff, today)}
    id_numbers: dict[str, str] = {}
    for n, spec in enumerate(MOTHERS):
        if spec.district not in regions:
            continue  # e.g. 中山 when only Shenzhen and Guangzhou are loaded
        mothers[spec.phone], id_numbers[spec.phone] = _mother(spec, n, regions, staff, today)

    statuses = _applications(mothers, employers, staff, now)
    offline = _offline_registration(
        mothers.get(OFFLINE_HIRE), id_numbers.get(OFFLINE_HIRE), employers, staff, today
    )
    stats = applicants_recheck(on=today)

    summary = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    return (
        f"Demo mothers: {len(mothers)} profiles, applications ({summary}), "
        f"{offline} offline registration, {'a' if policy else 'no'} 中山 policy; "
        f"re-check: {stats.eligible} eligible, {stats.warned} warned."
    )


def _zhongshan_policy(regions: dict[str, Region]) -> EligibilityPolicy | None:
    """中山 admits other caregivers of children too (中府函〔2023〕270号)."""
    if ZHONGSHAN not in regions:
        return None
    valid_from = datetime.date(2023, 11, 2)
    existing = EligibilityPolicy.objects.filter(
        region=regions[ZHONGSHAN], valid_from=valid_from
    ).first()
    if existing is not None:  # entered by hand in the admin already
        return existing
    policy = EligibilityPolicy(
        region=regions[ZHONGSHAN],
        valid_from=valid_from,
        admitted_categories=[
            Applicant.Category.MOTHER,
            Applicant.Category.OTHER_CAREGIVER_CHILD,
        ],
        legal_reference=ZHONGSHAN_POLICY_REFERENCE,
    )
    policy.full_clean()
    policy.save()
    audit_record(
        actor=None,
        action="eligibility_policy.created",
        obj=policy,
        after={
            "region": ZHONGSHAN,
            "valid_from": policy.valid_from.isoformat(),
            "admitted_categories": policy.admitted_categories,
            "legal_reference": policy.legal_reference,
        },
    )
    return policy


def _add_children(
    applicant: Applicant,
    user: User,
    children: list[DemoChild],
    verifier: User,
    today: datetime.date,
) -> None:
    for spec in children:
        if spec.special == "cutoff_soon":
            year, month = _cutoff_soon_birth(today)
        else:
            year, month = _birth_month(today, spec.age_months or 0)
        child = child_add(
            applicant=applicant,
            added_by=user,
            birth_year=year,
            birth_month=month,
            relationship=spec.relationship,
            evidence=spec.evidence,
            guardian_consent=True,
        )
        if spec.verified:
            child_verify(child=child, verified_by=verifier)


def _li_xiaomei(
    user: User, regions: dict[str, Region], staff: dict[str, User], today: datetime.date
) -> Applicant:
    """The demo applicant: every profile area filled in, both consents given."""
    applicant = applicant_profile_create(
        user=user,
        full_name="李晓梅",
        id_number=make_id_number("430421", datetime.date(today.year - 35, 4, 12), 128),
        residence_district=regions["440306"],
        residence_street=regions.get("440306017"),
        retirement_category=Applicant.RetirementCategory.F50,
        sensitive_data_consent=True,
    )
    applicant_personal_update(
        applicant=applicant,
        updated_by=user,
        education=Applicant.Education.SENIOR_HIGH,
        skills=["电脑打字", "收银", "短视频剪辑"],
        certificates=["健康证"],
    )
    _add_children(
        applicant,
        user,
        [DemoChild(_years(7, 3)), DemoChild(_years(2, 5), verified=False)],
        staff["baoan_staff"],
        today,
    )
    applicant_free_windows_set(applicant=applicant, updated_by=user, windows=WEEKDAYS_9_TO_3)
    applicant_intentions_update(
        applicant=applicant,
        updated_by=user,
        intended_post_modes=[Job.PostMode.SELF_CHOSEN_SLOTS],
        intended_location_modes=[Job.LocationMode.NEARBY, Job.LocationMode.ON_SITE],
        intended_employment_forms=[Job.EmploymentForm.PART_TIME_HOURLY],
        hours_per_week=25,
        intended_sectors=[Employer.Sector.ECOMMERCE],
        training_needs=[Applicant.TrainingNeed.LIVE_STREAMING],
        training_other="想学习短视频带货",
    )
    work_experience_add(
        applicant=applicant,
        added_by=user,
        organisation="深圳市宝安区某电子厂",
        role="质检员",
        start_year=today.year - 14,
        end_year=today.year - 8,
    )
    consent_give(applicant=applicant, kind=Consent.Kind.EMPLOYMENT_REGISTRATION)
    return applicant


def _mother(
    spec: DemoMother,
    n: int,
    regions: dict[str, Region],
    staff: dict[str, User],
    today: datetime.date,
) -> tuple[Applicant, str]:
    """Create her account and profile; return it with her ID number."""
    user = User.objects.create_user(
        phone=spec.phone, password=DEMO_PASSWORD, display_name=spec.name
    )
    user_role_grant(user=user, role=Role.APPLICANT, granted_by=None)
    if spec.near_retirement:
        birth = _near_retirement_birth(today, spec.retirement_category)
    else:
        birth = datetime.date(today.year - spec.age, 3 + n % 9, 8 + n)
    # Even sequence digits: a woman's number (GB 11643).
    id_number = make_id_number(spec.hometown, birth, 200 + 2 * n)
    applicant = applicant_profile_create(
        user=user,
        full_name=spec.name,
        id_number=id_number,
        residence_district=regions[spec.district],
        residence_street=regions.get(spec.street) if spec.street else None,
        category=spec.category,
        retirement_category=spec.retirement_category,
        sensitive_data_consent=True,
    )
    applicant_personal_update(
        applicant=applicant, updated_by=user, education=spec.education, skills=spec.skills
    )
    _add_children(applicant, user, spec.children, _verifier(staff, spec.district), today)
    applicant_free_windows_set(applicant=applicant, updated_by=user, windows=spec.windows)
    intentions = {
        "intended_post_modes": [Job.PostMode.SELF_CHOSEN_SLOTS],
        "intended_employment_forms": [Job.EmploymentForm.PART_TIME_HOURLY],
        **spec.intentions,
    }
    applicant_intentions_update(applicant=applicant, updated_by=user, **intentions)
    return applicant, id_number


# The employer's moves that lead to each final status (after submission).
PATHS: dict[str, list[str]] = {
    "submitted": [],
    "viewed": ["viewed"],
    "interview": ["viewed", "interview"],
    "offered": ["viewed", "offered"],
    "hired": ["viewed", "offered", "hired"],
    "rejected": ["viewed", "rejected"],
    "withdrawn": ["viewed", "withdrawn"],
}


def _applications(
    mothers: dict[str, Applicant],
    employers: dict[str, Employer],
    staff: dict[str, User],
    now: datetime.datetime,
) -> dict[str, int]:
    statuses: dict[str, int] = {}
    for phone, employer_key, title, status, days_ago in APPLICATIONS:
        applicant = mothers.get(phone)
        employer = employers.get(employer_key)
        job = Job.objects.filter(employer=employer, title=title).first() if employer else None
        if applicant is None or job is None:
            continue
        member = _member(staff, employer)
        # A lived-in history: submitted some days ago (not before the post
        # opened), each later move some hours after the one before.
        opened = timezone.make_aware(datetime.datetime.combine(job.valid_from, datetime.time(9)))
        when = max(now - datetime.timedelta(days=days_ago), opened)
        step = (now - when) / (len(PATHS[status]) + 1)
        application = application_submit(
            applicant=applicant,
            job=job,
            message="您好，我住在附近，时间上可以配合，希望有机会面谈。",
            now=when,
        )
        for move in PATHS[status]:
            when += step
            application = _move(application, move, member, applicant, when, now)
        statuses[application.status] = statuses.get(application.status, 0) + 1
    return statuses


def _move(
    application: Application,
    move: str,
    member: User,
    applicant: Applicant,
    when: datetime.datetime,
    now: datetime.datetime,
) -> Application:
    if move == "viewed":
        return application_mark_viewed(application=application, by=member, now=when)
    if move == "interview":
        # Interviews lie ahead: the day after tomorrow at 10:00.
        day = timezone.localdate(now) + datetime.timedelta(days=2)
        at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
        return application_invite_interview(
            application=application,
            by=member,
            at=at,
            place="单位前台（请提前10分钟到达）",
            note="请带上身份证。",
            now=when,
        )
    if move == "offered":
        return application_offer(
            application=application, by=member, note="欢迎加入！请确认入职日期。", now=when
        )
    if move == "hired":
        application_hire(
            application=application,
            by=member,
            start_date=timezone.localdate(when),
            declared_mamagang=True,
            now=when,
        )
        return Application.objects.get(pk=application.pk)
    if move == "rejected":
        return application_reject(
            application=application, by=member, reason=REJECT_REASON, now=when
        )
    if move == "withdrawn":
        return application_withdraw(
            application=application, by=applicant.user, note=WITHDRAW_NOTE, now=when
        )
    raise ValueError(move)


def _offline_registration(
    applicant: Applicant | None,
    id_number: str | None,
    employers: dict[str, Employer],
    staff: dict[str, User],
    today: datetime.date,
) -> int:
    """吴春燕 consents, then 暖心家政 registers the hire it made offline by her ID number."""
    employer = employers.get("nuanxin")
    if applicant is None or id_number is None or employer is None:
        return 0
    consent_give(applicant=applicant, kind=Consent.Kind.EMPLOYMENT_REGISTRATION)
    employment_register_offline(
        employer=employer,
        registered_by=_member(staff, employer),
        id_number=id_number,
        start_date=today - datetime.timedelta(days=30),
        employment_form=Job.EmploymentForm.PART_TIME_HOURLY,
        declared_mamagang=True,
    )
    return 1
