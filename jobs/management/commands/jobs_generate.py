"""
manage.py jobs_generate: a large, realistic, deterministic data set for load tests.

Set-based on purpose: employers, registry entries and listing periods go in with
bulk_create in batches, posts and their weekly windows through PostgreSQL COPY
with ids reserved up front. The services are not called per row. Derived fields
use the same pure functions the services use (jobs.schedule, jobs.search), and
each distinct text is segmented by jieba once.

Generated employers carry the marker: their name ends with "（生成数据）" and
USCC characters 9–10 are "GN". `--clear` deletes exactly those rows and their
posts.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from employers.models import Employer, ListingPeriod, RegistryEntry
from jobs import schedule
from jobs.models import Job, JobWindow
from jobs.search import segment
from mamagang.core.identifiers import uscc_check_character
from mamagang.regions.models import Region
from mamagang.regions.selectors import county_level_q

NAME_MARKER = "（生成数据）"
USCC_MARKER = "GN"  # USCC characters 9-10 of generated employers
USCC_MARKER_REGEX = rf"^.{{8}}{USCC_MARKER}"
BATCH = 5000
SCHOOL_DAY = (510, 960)  # the default school day, 08:30-16:00

M, F, L = Job.PostMode, Job.EmploymentForm, Job.LocationMode

# title, occupation, sector, pay unit, (pay_min range), location modes, forms, post modes, texts
VOCABULARY: list[tuple[str, str, str, str, tuple[float, float], tuple, tuple, tuple, tuple]] = [
    (
        "电商客服",
        "客服",
        "ecommerce",
        "hour",
        (24, 32),
        (L.AT_HOME, L.ON_SITE),
        (F.REMOTE, F.PART_TIME_HOURLY),
        (M.NEW_BUSINESS, M.SELF_CHOSEN_SLOTS),
        (
            "在线回复买家咨询、处理售后，提供话术培训，可居家办公。",
            "网店客服，负责订单跟进和售后沟通，会用电脑打字即可。",
        ),
    ),
    (
        "直播助理",
        "直播助理",
        "new_platform",
        "hour",
        (26, 40),
        (L.ON_SITE, L.NEARBY),
        (F.PART_TIME_HOURLY, F.FULL_TIME_FLEXIBLE),
        (M.NEW_BUSINESS, M.SELF_CHOSEN_SLOTS),
        (
            "协助主播上架商品、回复评论、整理样品，上午场或下午场可选。",
            "直播间场控和后台操作，新手可培训，时间避开接送孩子。",
        ),
    ),
    (
        "家政保洁",
        "家政保洁",
        "housekeeping",
        "hour",
        (26, 38),
        (L.NEARBY, L.COMMUNITY),
        (F.PART_TIME_HOURLY,),
        (M.SELF_CHOSEN_SLOTS, M.ON_DEMAND_LEAVE),
        (
            "上门日常保洁，公司派单，提供工具和培训，需健康证。",
            "家庭保洁与收纳，按单计时，孩子放假可按需请假。",
        ),
    ),
    (
        "餐饮服务员",
        "餐饮服务员",
        "catering",
        "hour",
        (24, 30),
        (L.ON_SITE, L.NEARBY),
        (F.PART_TIME_HOURLY,),
        (M.SELF_CHOSEN_SLOTS,),
        (
            "午市点餐、传菜、收台，包工作餐，需健康证。",
            "门店兼职服务员，中午高峰时段上班，离家近。",
        ),
    ),
    (
        "手工串珠",
        "手工串珠",
        "handcraft",
        "piece",
        (0.8, 3.0),
        (L.AT_HOME, L.COMMUNITY),
        (F.PIECEWORK,),
        (M.TAKE_HOME, M.TASK_BASED),
        (
            "领取材料包回家串珠，按件计酬，时间自由安排。",
            "来料加工手工串珠，社区服务点领料交货，半月结算。",
        ),
    ),
    (
        "手工编织",
        "手工编织",
        "handcraft",
        "piece",
        (2.5, 5.0),
        (L.AT_HOME,),
        (F.PIECEWORK,),
        (M.TAKE_HOME,),
        ("领毛线回家编织婴儿鞋帽，熟手约30件可得100元。",),
    ),
    (
        "质检员",
        "质检员",
        "manufacturing",
        "month",
        (4200, 6000),
        (L.ON_SITE,),
        (F.FULL_TIME_FLEXIBLE,),
        (M.SELF_CHOSEN_SLOTS, M.ON_DEMAND_LEAVE),
        (
            "产品外观检验，宝妈班组9:00–15:00，车间设母婴室。",
            "电子元器件质检，坐班，可提前请假，签劳动合同缴社保。",
        ),
    ),
    (
        "包装工",
        "包装工",
        "manufacturing",
        "hour",
        (24, 30),
        (L.ON_SITE,),
        (F.PART_TIME_HOURLY, F.FULL_TIME_FLEXIBLE),
        (M.SELF_CHOSEN_SLOTS,),
        (
            "产品装盒、贴标、打包，上午两小时下午两小时。",
            "仓库订单打包，按小时计薪，工作简单易上手。",
        ),
    ),
    (
        "社区团购分拣",
        "分拣员",
        "ecommerce",
        "hour",
        (24, 28),
        (L.COMMUNITY,),
        (F.PART_TIME_HOURLY,),
        (M.SELF_CHOSEN_SLOTS,),
        ("社区团购自提点商品分拣核对，早班，离家近。",),
    ),
    (
        "保安",
        "保安",
        "resident_services",
        "month",
        (4000, 5500),
        (L.ON_SITE,),
        (F.FULL_TIME_FLEXIBLE, F.DISPATCH),
        (M.ON_DEMAND_LEAVE,),
        (
            "小区或园区门岗登记、巡查，白班，统一发放制服。",
            "门卫值守、收发快递，白班，适合需要下午接孩子的妈妈。",
        ),
    ),
    (
        "收银员",
        "收银员",
        "resident_services",
        "hour",
        (24, 30),
        (L.ON_SITE, L.NEARBY),
        (F.PART_TIME_HOURLY,),
        (M.SELF_CHOSEN_SLOTS,),
        ("超市或门店收银、理货，可选上午或下午班。",),
    ),
    (
        "课后托管老师",
        "托管老师",
        "resident_services",
        "hour",
        (28, 40),
        (L.COMMUNITY, L.ON_SITE),
        (F.PART_TIME_HOURLY,),
        (M.SELF_CHOSEN_SLOTS,),
        ("小学生课后托管、辅导作业，自己的孩子可一同托管。",),
    ),
    (
        "景区讲解员",
        "讲解员",
        "culture_tourism",
        "day",
        (180, 300),
        (L.ON_SITE,),
        (F.PART_TIME_HOURLY, F.OUTSOURCED),
        (M.TASK_BASED,),
        ("景区或文旅街区讲解，周末班，普通话标准。",),
    ),
    (
        "文创设计",
        "设计",
        "culture_tourism",
        "piece",
        (200, 800),
        (L.AT_HOME,),
        (F.OUTSOURCED, F.REMOTE),
        (M.TASK_BASED, M.NEW_BUSINESS),
        ("按主题设计文创产品图案，按任务结算，可在家完成。",),
    ),
]

# (weekday set, [(start, end), ...]) shift patterns, minutes after midnight.
SHIFTS: list[tuple[tuple[int, ...], list[tuple[int, int]]]] = [
    ((0, 1, 2, 3, 4), [(540, 900)]),  # 09:00-15:00
    ((0, 1, 2, 3, 4), [(570, 690), (810, 930)]),  # 09:30-11:30 + 13:30-15:30
    ((0, 1, 2, 3, 4), [(540, 720)]),  # 09:00-12:00
    ((0, 1, 2, 3, 4), [(810, 960)]),  # 13:30-16:00
    ((0, 1, 2, 3, 4, 5), [(540, 690)]),  # Mon-Sat 09:00-11:30
    ((0, 1, 2, 3, 4), [(630, 840)]),  # 10:30-14:00
    ((5, 6), [(540, 780)]),  # weekends 09:00-13:00
    ((0, 2, 4), [(540, 900)]),  # Mon/Wed/Fri 09:00-15:00
    ((0, 1, 2, 3, 4), [(1080, 1320)]),  # evenings 18:00-22:00
    ((0, 1, 2, 3, 4), [(510, 930)]),  # 08:30-15:30
    ((0, 1, 2, 3, 4), [(540, 660), (780, 900), (1140, 1260)]),  # three short shifts
]

BRANDS = [
    "鑫源",
    "恒达",
    "佳美",
    "安心",
    "同创",
    "乐家",
    "康宁",
    "巧手",
    "星辰",
    "悦达",
    "和美",
    "优品",
    "润泽",
    "博雅",
    "福满",
    "启航",
    "宏图",
    "锦程",
    "暖阳",
    "华信",
]
TRADES = {
    "ecommerce": "电子商务",
    "new_platform": "网络科技",
    "housekeeping": "家政服务",
    "catering": "餐饮管理",
    "handcraft": "手工艺品",
    "manufacturing": "电子",
    "resident_services": "物业服务",
    "culture_tourism": "文化旅游",
}
SIZES = [s for s, _ in Employer.Size.choices]


class Command(BaseCommand):
    help = (
        "Generate a large deterministic data set of listed employers and job posts across "
        "Guangdong (set-based inserts). --clear removes previously generated rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--posts", type=int, default=None, help="posts to create (10000)")
        parser.add_argument("--employers", type=int, default=None, help="default: posts/40")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--clear", action="store_true", help="delete generated rows first (alone: only that)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        self.verbosity = options["verbosity"]
        if options["clear"]:
            deleted = jobs_generated_clear()
            self.stdout.write(f"Cleared {deleted[0]} generated employers, {deleted[1]} posts.")
            if options["posts"] is None:
                return
        posts = 10000 if options["posts"] is None else options["posts"]
        employers = options["employers"] or max(1, posts // 40)
        if posts < 1 or employers < 1:
            raise CommandError("--posts and --employers must be positive.")
        if Employer.objects.filter(name__endswith=NAME_MARKER).exists():
            raise CommandError("Generated data already exists: pass --clear to replace it.")
        result = jobs_generate(posts=posts, employers=employers, seed=options["seed"], log=self.log)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {result['employers']} employers, {result['posts']} posts, "
                f"{result['windows']} windows in {elapsed:.1f} s "
                f"({result['posts'] / elapsed:,.0f} posts/s)."
            )
        )

    def log(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)


def _generated_employers():
    return Employer.objects.filter(name__endswith=NAME_MARKER, uscc__regex=USCC_MARKER_REGEX)


@transaction.atomic
def jobs_generated_clear() -> tuple[int, int]:
    """Delete generated employers and everything hanging off them (set-based SQL)."""
    ids = list(_generated_employers().values_list("pk", flat=True))
    if not ids:
        return 0, 0
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM jobs_jobwindow w USING jobs_job j "
            "WHERE w.job_id = j.id AND j.employer_id = ANY(%s)",
            [ids],
        )
        cursor.execute(
            "DELETE FROM jobs_jobevent e USING jobs_job j "
            "WHERE e.job_id = j.id AND j.employer_id = ANY(%s)",
            [ids],
        )
        cursor.execute("DELETE FROM jobs_job WHERE employer_id = ANY(%s)", [ids])
        posts = cursor.rowcount
        cursor.execute("DELETE FROM employers_listingperiod WHERE employer_id = ANY(%s)", [ids])
        cursor.execute(
            "DELETE FROM employers_registryevent e USING employers_registryentry r "
            "WHERE e.entry_id = r.id AND r.employer_id = ANY(%s)",
            [ids],
        )
        cursor.execute("DELETE FROM employers_registryentry WHERE employer_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM employers_employer WHERE id = ANY(%s)", [ids])
    return len(ids), posts


def _batched(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Segmenter:
    """jieba is slow per call: each distinct text is segmented once."""

    def __init__(self) -> None:
        self.cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        tokens = self.cache.get(text)
        if tokens is None:
            tokens = self.cache[text] = segment(text)
        return tokens


def _districts() -> list[Region]:
    districts = list(
        Region.objects.current()
        .filter(code__startswith="44")
        .filter(county_level_q())
        .select_related("parent")
        .order_by("code")
    )
    if not districts:
        raise CommandError("No Guangdong districts: run regions_load first.")
    return districts


def _shift_table() -> list[tuple[list[schedule.Window], Decimal, int, bool]]:
    """Each shift pattern with its normalised windows, weekly hours, days and school fit."""
    table = []
    for days, shifts in SHIFTS:
        windows = schedule.normalise(
            [schedule.Window(day, start, end) for day in days for start, end in shifts]
        )
        table.append(
            (
                windows,
                schedule.hours_per_week(windows),
                schedule.working_days(windows),
                schedule.school_run_friendly(
                    windows, day_start=SCHOOL_DAY[0], day_end=SCHOOL_DAY[1]
                ),
            )
        )
    return table


@transaction.atomic
def jobs_generate(*, posts: int, employers: int, seed: int, log=print) -> dict[str, int]:
    rng = random.Random(seed)  # noqa: S311 (test data, not security)
    now = timezone.now()
    today = timezone.localdate(now)
    seg = _Segmenter()
    districts = _districts()

    # 1. Employers, each listed: an approved (imported) registry entry and an open period.
    t0 = time.perf_counter()
    rows: list[Employer] = []
    for n in range(1, employers + 1):
        district = rng.choice(districts)
        sector = rng.choice(list(TRADES))
        city = district.parent.name if district.level == "district" else district.name
        body = f"91{district.code}{USCC_MARKER}{n:07d}"
        rows.append(
            Employer(
                name=f"{city}{rng.choice(BRANDS)}{TRADES[sector]}有限公司{n}{NAME_MARKER}",
                uscc=body + uscc_check_character(body),
                entity_type=Employer.EntityType.ENTERPRISE,
                sector=sector,
                district=district,
                address=f"{district.name}生成路{n}号",
                contact_name="测试联系人",
                contact_phone=f"0755-{n:08d}",
                size=rng.choice(SIZES),
                has_nursing_room=rng.random() < 0.3,
                has_school_run_arrangement=rng.random() < 0.5,
                created_at=now,
            )
        )
    created: list[Employer] = []
    for batch in _batched(rows, BATCH):
        created.extend(Employer.objects.bulk_create(batch))
    entries: list[RegistryEntry] = []
    for batch in _batched(
        [
            RegistryEntry(
                employer=e,
                district=e.district,
                status=RegistryEntry.Status.APPROVED,
                source=RegistryEntry.Source.IMPORT,
                declared_posts=rng.randint(1, 20),
                declaration_confirmed=True,
                submitted_at=now,
                decided_at=now,
            )
            for e in created
        ],
        BATCH,
    ):
        entries.extend(RegistryEntry.objects.bulk_create(batch))
    listed_from = today - datetime.timedelta(days=120)
    for batch in _batched(
        [ListingPeriod(employer=en.employer, entry=en, listed_from=listed_from) for en in entries],
        BATCH,
    ):
        ListingPeriod.objects.bulk_create(batch)
    log(f"  employers: {len(created)} in {time.perf_counter() - t0:.1f} s")

    # 2. Posts and windows, through COPY with ids reserved up front.
    t0 = time.perf_counter()
    shifts = _shift_table()
    columns = [
        f.column
        for f in Job._meta.concrete_fields
        if not getattr(f, "generated", False) and f.column != "id"
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('jobs_job', 'id')) FROM generate_series(1, %s)",
            [posts],
        )
        ids = [row[0] for row in cursor.fetchall()]
    window_rows: list[tuple[int, int, int, int]] = []
    job_rows: list[tuple] = []
    for job_id in ids:
        employer = created[rng.randrange(len(created))]
        row, windows = _post(rng, seg, employer, districts, shifts, now, today)
        row["id"] = job_id
        job_rows.append(tuple(row[c] for c in ["id", *columns]))
        window_rows.extend((job_id, w.weekday, w.start, w.end) for w in windows)
    log(f"  built {len(job_rows)} posts in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    raw = connection.connection  # the psycopg 3 connection Django wraps
    with raw.cursor() as cur:
        cols = ", ".join(["id", *columns])
        with cur.copy(f"COPY jobs_job ({cols}) FROM STDIN") as copy:
            for job_row in job_rows:
                copy.write_row(job_row)
        log(f"  copied posts in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        window_table = JobWindow._meta.db_table
        with cur.copy(
            f"COPY {window_table} (job_id, weekday, start_minute, end_minute) FROM STDIN"
        ) as copy:
            for window_row in window_rows:
                copy.write_row(window_row)
    log(f"  copied {len(window_rows)} windows in {time.perf_counter() - t0:.1f} s")
    with connection.cursor() as cursor:
        # Fresh statistics, or the planner guesses a dozen listed employers and picks
        # nested loops over the whole table (measured: 1.6 s instead of 0.1 s a page).
        for table in (
            "jobs_job",
            window_table,
            "employers_employer",
            "employers_registryentry",
            "employers_listingperiod",
        ):
            cursor.execute(f"ANALYZE {table}")
    return {"employers": len(created), "posts": len(job_rows), "windows": len(window_rows)}


def _money(rng: random.Random, low: float, high: float, unit: str) -> tuple[Decimal, Decimal]:
    """Return a (min, max) pay range in `unit` with realistic rounding."""
    if unit == "piece" and high <= 10:
        value = Decimal(str(round(rng.uniform(low, high), 1)))
        return value, value + Decimal(rng.choice(["0", "0.2", "0.5"]))
    step, spreads = {
        "hour": (1, (0, 2, 5, 8)),
        "piece": (50, (0, 100, 200)),
        "day": (10, (0, 20, 50)),
        "month": (100, (0, 500, 1000)),
    }[unit]
    value = Decimal(rng.randrange(int(low), int(high) + 1, step))
    return value, value + Decimal(rng.choice(spreads))


def _post(rng, seg, employer, districts, shifts, now, today) -> tuple[dict[str, Any], list]:
    (title, occupation, sector, unit, pay_range, locations, forms, modes, texts) = rng.choice(
        VOCABULARY
    )
    location = rng.choice(locations)
    form = rng.choice(forms)
    description = rng.choice(texts)
    # Most posts are near the employer; some anywhere in the province.
    district = employer.district if rng.random() < 0.7 else rng.choice(districts)
    no_windows = unit == "piece" and location == L.AT_HOME and rng.random() < 0.7
    if no_windows:
        windows, hours, days, friendly = [], Decimal(0), 0, False
    else:
        # Day and month pay need a real working day behind them (≥ 4 h).
        pool = shifts if unit in ("hour", "piece") else [s for s in shifts if s[1] / s[2] >= 4]
        windows, hours, days, friendly = pool[rng.randrange(len(pool))]
    pay_min, pay_max = _money(rng, pay_range[0], pay_range[1], unit)
    pieces_per_hour = None
    if unit == "piece":
        pieces_per_hour = (
            Decimal(rng.choice([3, 4, 6, 10, 12, 20, 30])) if pay_range[1] <= 10 else Decimal("0.1")
        )
    hourly = [
        schedule.hourly_equivalent(
            pay_unit=unit,
            amount=amount,
            hours_week=hours,
            days_week=days,
            pieces_per_hour=pieces_per_hour,
        )
        for amount in (pay_min, pay_max)
    ]
    roll = rng.random()
    published_at = now - datetime.timedelta(minutes=rng.randrange(60 * 24 * 60))
    valid_from = timezone.localdate(published_at)
    valid_until = today + datetime.timedelta(days=rng.randint(1, 90))
    status, closed_at, close_reason, submitted_at = "published", None, "", published_at
    if roll < 0.04:
        status, published_at, submitted_at = "draft", None, None
    elif roll < 0.06:
        status, published_at = "submitted", None
    elif roll < 0.09:
        status, valid_until = "expired", today - datetime.timedelta(days=rng.randint(1, 30))
        valid_from = min(valid_from, valid_until)
    elif roll < 0.12:
        status, closed_at, close_reason = "closed", now, rng.choice(Job.CloseReason.values)
    part_time = form == F.PART_TIME_HOURLY
    row = {
        "created_at": now,
        "updated_at": now,
        "employer_id": employer.pk,
        "title": title,
        "description": description,
        "sector": sector,
        "occupation": occupation,
        "post_modes": sorted(set(rng.sample(modes, rng.randint(1, len(modes))))),
        "employment_form": form,
        "location_mode": location,
        "district_id": district.pk,
        "street_id": None,
        "address": "" if location == L.AT_HOME else f"{district.name}生成路",
        "hours_per_week": hours or Decimal(1),
        "pay_unit": unit,
        "pay_min": pay_min,
        "pay_max": pay_max,
        "pieces_per_hour": pieces_per_hour,
        "hourly_min": hourly[0],
        "hourly_max": hourly[1],
        "pay_cycle_days": 15 if part_time or unit == "piece" else 30,
        "headcount": rng.randint(1, 20),
        "education": Job.Education.NONE,
        "certificates": "健康证" if sector in ("catering", "housekeeping") else "",
        "other_requirements": "",
        "has_labour_contract": not part_time and unit == "month",
        "contract_months": 12 if not part_time and unit == "month" else None,
        "social_insurance": not part_time and unit == "month",
        "work_injury_insurance": part_time or unit == "month",
        "training_provided": rng.random() < 0.5,
        "promotion_path": "",
        "valid_from": valid_from,
        "valid_until": valid_until,
        "school_run_friendly": friendly,
        "status": status,
        "submitted_at": submitted_at,
        "published_at": published_at,
        "decided_by_id": None,
        "status_reason": "",
        "closed_at": closed_at,
        "close_reason": close_reason,
        "expiry_warned_at": None,
        "created_by_id": None,
        "search_tokens": " ".join(
            seg(text) for text in (title, occupation, employer.name, description)
        ),
    }
    return row, windows
