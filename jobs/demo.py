"""
Demo job posts for `make run`, shaped like the published 妈妈岗 catalogues
(DOMAIN.md §2.12): hourly catering and housekeeping shifts around the school
run, take-home piecework (Zoucheng style: 30 pieces ≈ 100 CNY), live-streaming
and customer-service posts, a doorkeeper post. They are spread over 宝安, 南山,
龙华 and 天河. The demo employers come from employers/demo.py. Only listed
employers publish. The others hold drafts, including a part-time draft paid
below Shenzhen's hourly minimum, so its warning shows.

It runs the real services and loads the minimum-wage table first. Idempotent:
if the first post exists, nothing is created.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from employers.demo import EMPLOYERS, _uscc
from employers.models import Employer
from mamagang.accounts.models import User
from mamagang.regions.models import Region

from .management.commands.jobs_minimum_wages_load import minimum_wages_load
from .models import Job, JobRegionSetting
from .schedule import Window, parse_time, windows_for
from .services import job_approve, job_close, job_create, job_return, job_submit

WEEKDAYS = range(5)
MON_TO_SAT = range(6)
WEEKEND = (5, 6)


def _shift(days, start: str, end: str) -> list[Window]:
    return windows_for(days, parse_time(start), parse_time(end))


def _split_shift(days) -> list[Window]:
    """09:30–11:30 and 13:30–15:30: after drop-off, a lunch break, before pick-up."""
    return _shift(days, "09:30", "11:30") + _shift(days, "13:30", "15:30")


@dataclass
class DemoPost:
    employer: str  # key in employers.demo.EMPLOYERS
    title: str
    occupation: str
    description: str
    district: str
    windows: list[Window]
    pay: tuple[str, str, str]  # unit, min, max
    employment_form: str = Job.EmploymentForm.PART_TIME_HOURLY
    location_mode: str = Job.LocationMode.ON_SITE
    post_modes: tuple[str, ...] = (Job.PostMode.SELF_CHOSEN_SLOTS,)
    street: str | None = None
    pieces_per_hour: str | None = None
    pay_cycle_days: int = 15
    headcount: int = 2
    certificates: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # "published" (default), "draft", "submitted", "returned", "closed"
    outcome: str = "published"


F, M, R = Job.EmploymentForm, Job.PostMode, Job.LocationMode

POSTS: list[DemoPost] = [
    DemoPost(
        "nuanxin",
        "钟点保洁员（上午班）",
        "家政保洁",
        "为宝安区新安、西乡一带家庭提供日常保洁，每单2–3小时，公司统一派单、提供工具和培训。"
        "上午送完孩子后上班，下午接孩子前结束。",
        "440306",
        _shift(WEEKDAYS, "09:00", "12:00"),
        ("hour", "28", "35"),
        street="440306017",
        headcount=6,
        certificates="健康证",
        extra={"training_provided": True, "work_injury_insurance": True},
    ),
    DemoPost(
        "nuanxin",
        "收纳整理师（学徒）",
        "收纳整理",
        "上门为家庭整理衣橱、儿童房，老师傅带教，可按接送时间自选上午或下午时段。",
        "440305",
        _split_shift(WEEKDAYS),
        ("hour", "30", "40"),
        post_modes=(M.SELF_CHOSEN_SLOTS, M.ON_DEMAND_LEAVE),
        headcount=3,
        extra={"training_provided": True, "promotion_path": "学徒→整理师→培训讲师"},
    ),
    DemoPost(
        "nuanxin",
        "家政保洁（龙华片区）",
        "家政保洁",
        "龙华民治、大浪片区家庭保洁及开荒保洁，按单计时，孩子放假期间可按需请假。",
        "440309",
        _shift(WEEKDAYS, "09:00", "13:00"),
        ("hour", "28", "32"),
        post_modes=(M.ON_DEMAND_LEAVE,),
        headcount=4,
        certificates="健康证",
    ),
    DemoPost(
        "nuanxin",
        "育儿嫂（白班）",
        "育儿嫂",
        "照看1–3岁幼儿白天起居，雇主家在南山区，工作日白班，周末休息。",
        "440305",
        _shift(WEEKDAYS, "09:00", "15:00"),
        ("month", "4800", "6000"),
        employment_form=F.FULL_TIME_FLEXIBLE,
        pay_cycle_days=30,
        headcount=2,
        certificates="健康证；育婴员证优先",
        extra={"has_labour_contract": True, "contract_months": 12, "social_insurance": True},
    ),
    DemoPost(
        "nuanxin",
        "家政客服（电话派单）",
        "客服",
        "在公司接听客户电话、安排保洁阿姨派单，会用微信和电脑即可，工作日 9:00–15:00。",
        "440306",
        _shift(WEEKDAYS, "09:00", "15:00"),
        ("month", "4500", "5200"),
        employment_form=F.FULL_TIME_FLEXIBLE,
        street="440306017",
        pay_cycle_days=30,
        headcount=1,
        extra={"has_labour_contract": True, "contract_months": 12, "social_insurance": True},
        outcome="closed",
    ),
    DemoPost(
        "jinggong",
        "宝妈班组质检员",
        "质检员",
        "电子元器件外观检验，坐班，车间设母婴室和托管角。宝妈班组 9:00–15:00，可提前一天请假。",
        "440306",
        _shift(WEEKDAYS, "09:00", "15:00"),
        ("month", "5200", "6200"),
        employment_form=F.FULL_TIME_FLEXIBLE,
        post_modes=(M.SELF_CHOSEN_SLOTS, M.ON_DEMAND_LEAVE),
        street="440306022",
        pay_cycle_days=30,
        headcount=15,
        extra={
            "has_labour_contract": True,
            "contract_months": 24,
            "social_insurance": True,
            "work_injury_insurance": True,
            "training_provided": True,
            "promotion_path": "质检员→班组长",
        },
    ),
    DemoPost(
        "jinggong",
        "包装工（午间短班）",
        "包装工",
        "产品装盒、贴标，每天上午两小时、下午两小时，中间可回家做饭。",
        "440306",
        _split_shift(WEEKDAYS),
        ("hour", "27", "30"),
        street="440306022",
        headcount=10,
        extra={"work_injury_insurance": True},
    ),
    DemoPost(
        "jinggong",
        "线材分拣（领料回家做）",
        "来料加工",
        "把电子线材按颜色分拣、扎捆，领料回家做，每周一、四到厂里交货领料，按件计酬。",
        "440306",
        [],
        ("piece", "0.60", "0.80"),
        employment_form=F.PIECEWORK,
        location_mode=R.AT_HOME,
        post_modes=(M.TAKE_HOME,),
        pieces_per_hour="45",
        pay_cycle_days=15,
        headcount=20,
    ),
    DemoPost(
        "jinggong",
        "门卫（白班）",
        "保安",
        "厂区门岗登记、收发快递，白班 8:30–15:30，适合需要下午接孩子的妈妈。",
        "440306",
        _shift(MON_TO_SAT, "08:30", "15:30"),
        ("month", "4600", "5000"),
        employment_form=F.FULL_TIME_FLEXIBLE,
        street="440306022",
        pay_cycle_days=30,
        headcount=2,
        certificates="保安员证优先",
        extra={"has_labour_contract": True, "contract_months": 12, "social_insurance": True},
    ),
    DemoPost(
        "fuhai",
        "手工编织婴儿鞋帽（带回家做）",
        "手工编织",
        "领毛线回家编织婴儿鞋帽，熟手约30件可得100元，按件计酬、每半月结算，"
        "时间自由安排。首次领料免费培训。",
        "440306",
        [],
        ("piece", "3.30", "3.50"),
        employment_form=F.PIECEWORK,
        location_mode=R.AT_HOME,
        post_modes=(M.TAKE_HOME, M.TASK_BASED),
        street="440306021",
        pieces_per_hour="3",
        headcount=30,
        extra={"training_provided": True},
    ),
    DemoPost(
        "fuhai",
        "手工串珠安抚链（计件）",
        "手工串珠",
        "按样品串制婴儿安抚链、手机链，材料包送到社区服务点领取，在家完成后交回验收。",
        "440306",
        [],
        ("piece", "1.20", "1.50"),
        employment_form=F.PIECEWORK,
        location_mode=R.COMMUNITY,
        post_modes=(M.TAKE_HOME,),
        pieces_per_hour="12",
        headcount=20,
    ),
    DemoPost(
        "fuhai",
        "电商直播助理（上午场）",
        "直播助理",
        "协助主播讲解母婴用品、上架链接、回复评论，上午场 9:30–12:00，可远程参与后台工作。",
        "440306",
        _shift(WEEKDAYS, "09:30", "12:00"),
        ("hour", "30", "38"),
        post_modes=(M.NEW_BUSINESS, M.SELF_CHOSEN_SLOTS),
        street="440306021",
        headcount=3,
        extra={"training_provided": True, "work_injury_insurance": True},
    ),
    DemoPost(
        "fuhai",
        "线上客服（居家办公）",
        "电商客服",
        "在家用电脑回复网店咨询、处理售后，公司提供话术培训，工作日上午 9:00–12:00。",
        "440306",
        _shift(WEEKDAYS, "09:00", "12:00"),
        ("hour", "26", "30"),
        employment_form=F.REMOTE,
        location_mode=R.AT_HOME,
        post_modes=(M.NEW_BUSINESS,),
        headcount=5,
        extra={"training_provided": True},
    ),
    DemoPost(
        "fuhai",
        "社区团购分拣员",
        "分拣员",
        "社区团购自提点商品分拣、核对，早班 9:00–11:30，离家近。",
        "440309",
        _shift(MON_TO_SAT, "09:00", "11:30"),
        ("hour", "26", "28"),
        location_mode=R.COMMUNITY,
        headcount=4,
    ),
    DemoPost(
        "yuehai",
        "景区讲解员（周末班）",
        "讲解员",
        "南山区文旅街区讲解，周末两天 9:00–13:00，普通话标准，会粤语或英语优先。",
        "440305",
        _shift(WEEKEND, "09:00", "13:00"),
        ("hour", "35", "45"),
        street="440305007",
        headcount=4,
        extra={"training_provided": True},
    ),
    DemoPost(
        "yuehai",
        "文创店收银员",
        "收银员",
        "文创商店收银、理货，工作日 9:30–11:30 和 13:30–15:30 两段，中午可回家。",
        "440305",
        _split_shift(WEEKDAYS),
        ("hour", "27", "30"),
        street="440305007",
        headcount=2,
    ),
    DemoPost(
        "yuehai",
        "景区安检门岗",
        "保安",
        "景区入口安检、验票，白班 9:00–15:00，需站立工作，统一发放制服。",
        "440305",
        _shift(WEEKDAYS, "09:00", "15:00"),
        ("month", "4800", "5400"),
        employment_form=F.DISPATCH,
        pay_cycle_days=30,
        headcount=3,
        certificates="保安员证",
        extra={"has_labour_contract": True, "contract_months": 12, "social_insurance": True},
    ),
    DemoPost(
        "yuehai",
        "文创产品设计（远程）",
        "设计",
        "按主题设计文创产品图案，按任务结算，可在家完成，每周到公司沟通一次。",
        "440305",
        [],
        ("piece", "300", "800"),
        employment_form=F.OUTSOURCED,
        location_mode=R.AT_HOME,
        post_modes=(M.TASK_BASED, M.NEW_BUSINESS),
        pieces_per_hour="0.1",
        pay_cycle_days=30,
        headcount=2,
        extra={"other_requirements": "请附作品集"},
    ),
    DemoPost(
        "wushan",
        "课后托管老师",
        "托管老师",
        "天河区五山校区小学生课后托管，辅导作业，工作日 13:30–16:00，自己的孩子可一同托管。",
        "440106",
        _shift(WEEKDAYS, "13:30", "16:00"),
        ("hour", "30", "35"),
        street="440106001",
        headcount=3,
        certificates="教师资格证优先",
    ),
    DemoPost(
        "wushan",
        "教务助理（上午班）",
        "教务助理",
        "排课、家长沟通、资料整理，工作日 9:00–12:00，熟悉办公软件。",
        "440106",
        _shift(WEEKDAYS, "09:00", "12:00"),
        ("hour", "28", "32"),
        street="440106001",
        headcount=1,
    ),
    DemoPost(
        "wushan",
        "校区门卫",
        "门卫",
        "校区门岗登记、接送时段秩序维护，8:30–15:30，周末休息。",
        "440106",
        _shift(WEEKDAYS, "08:30", "15:30"),
        ("month", "4200", "4600"),
        employment_form=F.FULL_TIME_FLEXIBLE,
        pay_cycle_days=30,
        headcount=1,
        extra={"has_labour_contract": True, "contract_months": 12, "social_insurance": True},
        outcome="submitted",
    ),
    DemoPost(
        "wushan",
        "线上作业批改（居家）",
        "作业批改",
        "在家通过平台批改小学作业，按份计酬，时间自由。",
        "440106",
        [],
        ("piece", "1.50", "2.00"),
        employment_form=F.REMOTE,
        location_mode=R.AT_HOME,
        post_modes=(M.TASK_BASED, M.NEW_BUSINESS),
        pieces_per_hour="20",
        headcount=10,
        outcome="returned",
    ),
    # Employers not (or not yet) in the registry: drafts only.
    DemoPost(
        "haowei",
        "餐厅兼职服务员（午市）",
        "餐饮服务员",
        "蛇口门店午市点餐、传菜，10:30–14:00，包工作餐，需健康证。",
        "440305",
        _shift(WEEKDAYS, "10:30", "14:00"),
        ("hour", "18", "20"),
        street="440305005",
        headcount=4,
        certificates="健康证",
        outcome="draft",
    ),
    DemoPost(
        "yuncang",
        "仓库打包员（下午班）",
        "包装工",
        "电商仓库订单打包，13:00–16:00，按小时计薪。",
        "440306",
        _shift(WEEKDAYS, "13:00", "16:00"),
        ("hour", "26", "28"),
        street="440306018",
        headcount=6,
        outcome="draft",
    ),
]

REVIEWED_DISTRICT = "440106"  # 天河 reviews posts before publication: shows the review queue.
RETURN_REASON = "请写明每份作业的批改要求和大约用时，方便妈妈们估算收入。"


def _users() -> dict[str, User]:
    phones = {"wang": "13800000002", "liu": "13800000005", "tianhe_staff": "13800000006"}
    by_phone = {u.phone: u for u in User.objects.filter(phone__in=phones.values())}
    return {key: by_phone[phone] for key, phone in phones.items()}


def _employers() -> dict[str, Employer]:
    usccs = {row[0]: _uscc(row[2], row[3], f"MA5DM{n:04d}") for n, row in enumerate(EMPLOYERS, 1)}
    by_uscc = {e.uscc: e for e in Employer.objects.filter(uscc__in=usccs.values())}
    return {key: by_uscc[uscc] for key, uscc in usccs.items() if uscc in by_uscc}


def _fields(post: DemoPost, regions: dict[str, Region], today: datetime.date) -> dict[str, Any]:
    unit, low, high = post.pay
    fields: dict[str, Any] = {
        "title": post.title,
        "description": post.description,
        "sector": "",  # set from the employer below
        "occupation": post.occupation,
        "post_modes": list(post.post_modes),
        "employment_form": post.employment_form,
        "location_mode": post.location_mode,
        "district": regions[post.district],
        "street": regions[post.street] if post.street else None,
        "address": f"{regions[post.street].name}示范路" if post.street else "",
        "pay_unit": unit,
        "pay_min": Decimal(low),
        "pay_max": Decimal(high),
        "pieces_per_hour": Decimal(post.pieces_per_hour) if post.pieces_per_hour else None,
        "pay_cycle_days": post.pay_cycle_days,
        "headcount": post.headcount,
        "education": Job.Education.NONE,
        "certificates": post.certificates,
        "other_requirements": "",
        "has_labour_contract": False,
        "contract_months": None,
        "social_insurance": False,
        "work_injury_insurance": post.employment_form == F.PART_TIME_HOURLY,
        "training_provided": False,
        "promotion_path": "",
        "valid_from": today - datetime.timedelta(days=7),
        "valid_until": today + datetime.timedelta(days=60),
    }
    fields.update(post.extra)
    return fields


@transaction.atomic
def demo_jobs_load() -> str:
    """Load the minimum-wage table and create the demo posts (once)."""
    wages = minimum_wages_load()
    employers = _employers()
    first = POSTS[0]
    if first.employer not in employers:
        return "Demo posts: skipped (load the demo employers first)."
    if Job.objects.filter(employer=employers[first.employer], title=first.title).exists():
        return f"Demo posts: already there (minimum wages: {wages.created} new rows)."

    users = _users()
    codes = {p.district for p in POSTS} | {p.street for p in POSTS if p.street}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    JobRegionSetting.objects.get_or_create(
        region=regions[REVIEWED_DISTRICT], defaults={"review_required": True}
    )
    today = timezone.localdate()
    counts: dict[str, int] = {}
    warned = 0
    for post in POSTS:
        employer = employers[post.employer]
        author = (
            users["wang"]
            if employer.memberships.filter(user=users["wang"]).exists()
            else users["liu"]
        )
        fields = _fields(post, regions, today)
        fields["sector"] = employer.sector
        job, warnings = job_create(
            employer=employer, created_by=author, fields=fields, windows=post.windows
        )
        warned += bool(warnings)
        if post.outcome != "draft":
            job = job_submit(job=job, submitted_by=author)
        if job.status == Job.Status.SUBMITTED and post.outcome == "published":
            job = job_approve(job=job, decided_by=users["tianhe_staff"])
        elif post.outcome == "returned":
            job = job_return(job=job, decided_by=users["tianhe_staff"], reason=RETURN_REASON)
        elif post.outcome == "closed":
            job = job_close(job=job, closed_by=author, reason=Job.CloseReason.FILLED)
        counts[job.status] = counts.get(job.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return (
        f"Demo posts: {len(POSTS)} created ({summary}; {warned} with labour-law warnings); "
        f"minimum wages: {wages.created} new rows."
    )
