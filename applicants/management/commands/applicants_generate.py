"""
manage.py applicants_generate: many synthetic applicants for load tests of
the daily eligibility re-check and the staff pages.

Set-based on purpose: users, applicants, children, free windows, consents
and group memberships go in with bulk_create in batches; the services are not
called per row. ID numbers are valid (GB 11643 check digit), encrypted,
hashed and masked with the same functions the profile service uses, so
look-up by number and unmasking work on generated people too.

Generated people carry the marker: their account's phone starts with 170 and
its display name ends with "（生成数据）". `--clear` deletes exactly those
accounts and their applicant data.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, connection, reset_queries, transaction
from django.utils import timezone

from applicants.eligibility import earliest_retirement
from applicants.models import Applicant, Child, Consent, FreeWindow
from applicants.services import CONSENT_TEXT_VERSION
from employers.models import Employer
from jobs.models import Job
from mamagang.accounts.models import User
from mamagang.accounts.roles import Role
from mamagang.core.crypto import encrypt_text, keyed_hash, mask_identifier
from mamagang.regions.models import Region
from mamagang.regions.selectors import county_level_q

NAME_MARKER = "（生成数据）"
PHONE_PREFIX = "170"  # generated accounts: 170 + 8 digits
VERIFIER_PHONE = PHONE_PREFIX + "00000000"
BATCH = 5000

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡"
GIVEN = [
    "晓梅",
    "丽娟",
    "秀英",
    "桂芳",
    "海燕",
    "静",
    "敏",
    "婷婷",
    "雪",
    "慧",
    "玉兰",
    "春燕",
    "小红",
    "佳怡",
    "淑华",
    "艳",
    "丹丹",
    "美玲",
    "欣",
    "思琪",
]
SKILLS = ["电脑打字", "收银", "保洁", "育儿", "烹饪", "手工编织", "直播", "客服", "会计", "驾驶"]
# Weekly free-window patterns, (weekdays, [(start, end), ...]) in minutes after midnight.
PATTERNS: list[tuple[tuple[int, ...], list[tuple[int, int]]]] = [
    ((0, 1, 2, 3, 4), [(540, 900)]),  # 09:00-15:00
    ((0, 1, 2, 3, 4), [(570, 690), (810, 930)]),  # 09:30-11:30 + 13:30-15:30
    ((0, 1, 2, 3, 4), [(540, 720)]),  # mornings
    ((0, 1, 2, 3, 4), [(1140, 1320)]),  # evenings 19:00-22:00
    ((5, 6), [(480, 1080)]),  # weekends
    ((0, 2, 4), [(540, 900)]),  # Mon/Wed/Fri
]
RETIREMENT_CATEGORIES = ["F50", "F50", "F55", ""]
EVIDENCE = Child.Evidence.values
EDUCATIONS = Applicant.Education.values


def make_id_number(district: str, birth: datetime.date, order: int) -> str:
    """Return a valid resident ID number; an even `order` digit (a woman's) is the caller's."""
    body = f"{district}{birth:%Y%m%d}{order:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


class Command(BaseCommand):
    help = (
        "Generate many synthetic applicants (users, encrypted ID numbers, children, free "
        "windows, intentions) with set-based inserts. --clear removes generated ones."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--applicants", type=int, default=None, help="how many (10000)")
        parser.add_argument(
            "--districts",
            default="",
            help="comma-separated county codes, e.g. 440306,440106 (default: all loaded in 44)",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--clear", action="store_true", help="delete generated rows first (alone: only that)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        self.verbosity = options["verbosity"]
        if options["clear"]:
            try:
                deleted = applicants_generated_clear()
            except IntegrityError as exc:
                raise CommandError(
                    "Generated applicants are referenced elsewhere (applications, employments, "
                    f"audit events): {exc}"
                ) from exc
            self.stdout.write(f"Cleared {deleted} generated applicants.")
            if options["applicants"] is None:
                return
        count = 10000 if options["applicants"] is None else options["applicants"]
        if count < 1 or count > 99_999_999:
            raise CommandError("--applicants must be between 1 and 99,999,999.")
        if _generated_users().exists():
            raise CommandError("Generated applicants already exist: pass --clear to replace them.")
        codes = [c.strip() for c in options["districts"].split(",") if c.strip()]
        result = applicants_generate(
            count=count, districts=_districts(codes), seed=options["seed"], log=self.log
        )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {result['applicants']} applicants, {result['children']} children "
                f"({result['verified']} verified), {result['windows']} free windows in "
                f"{elapsed:.1f} s ({result['applicants'] / elapsed:,.0f} applicants/s)."
            )
        )

    def log(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)


def _generated_users():
    return User.objects.filter(phone__startswith=PHONE_PREFIX, display_name__endswith=NAME_MARKER)


@transaction.atomic
def applicants_generated_clear() -> int:
    """Delete generated accounts, their applicant data and notifications (set-based SQL)."""
    user_ids = list(_generated_users().values_list("pk", flat=True))
    if not user_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM applicants_applicant WHERE user_id = ANY(%s)", [user_ids])
        ids = [row[0] for row in cursor.fetchall()]
        for table in (
            "applicants_freewindow",
            "applicants_child",
            "applicants_consent",
            "applicants_workexperience",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE applicant_id = ANY(%s)", [ids])  # noqa: S608
        cursor.execute("DELETE FROM applicants_applicant WHERE id = ANY(%s)", [ids])
        for table in (
            "applicants_savedsearch",
            "core_notification",
            "accounts_user_groups",
            "authtoken_token",
        ):
            column = "recipient_id" if table == "core_notification" else "user_id"
            cursor.execute(
                f"DELETE FROM {table} WHERE {column} = ANY(%s)",  # noqa: S608
                [user_ids],
            )
        cursor.execute("DELETE FROM accounts_user WHERE id = ANY(%s)", [user_ids])
    return len(ids)


def _districts(codes: list[str]) -> list[Region]:
    regions = Region.objects.current().filter(county_level_q()).order_by("code")
    if codes:
        found = list(regions.filter(code__in=codes))
        missing = sorted(set(codes) - {r.code for r in found})
        if missing:
            raise CommandError(f"Not loaded or not county level: {', '.join(missing)}.")
        return found
    found = list(regions.filter(code__startswith="44"))
    if not found:
        raise CommandError("No Guangdong districts: run regions_load first.")
    return found


def _pick(rng: random.Random, values: Sequence[str], most: int) -> list[str]:
    return sorted(rng.sample(list(values), rng.randint(0, min(most, len(values)))))


def _id_numbers(
    rng: random.Random,
    count: int,
    districts: list[Region],
    today: datetime.date,
    seen: set[str],
) -> list[tuple[str, str, datetime.date, str]]:
    """
    Return `count` distinct (number, keyed hash, birth date, district) rows of
    women aged 20 to 57, none in `seen` (updated) or already registered.
    """
    oldest = today.toordinal() - 57 * 365
    youngest = today.toordinal() - 20 * 365
    rows: list[tuple[str, str, datetime.date, str]] = []
    while len(rows) < count:
        batch = []
        for _ in range(count - len(rows)):
            district = districts[rng.randrange(len(districts))].code
            birth = datetime.date.fromordinal(rng.randint(oldest, youngest))
            number = make_id_number(district, birth, rng.randrange(500) * 2)
            digest = keyed_hash(number)
            if digest not in seen:
                seen.add(digest)
                batch.append((number, digest, birth, district))
        taken = set(
            Applicant.objects.filter(id_number_hash__in=[row[1] for row in batch]).values_list(
                "id_number_hash", flat=True
            )
        )
        rows.extend(row for row in batch if row[1] not in taken)
    return rows


class _Generator:
    """Build and insert one batch of people at a time, so memory stays flat."""

    def __init__(self, *, districts: list[Region], seed: int, now: datetime.datetime) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (test data, not security)
        self.now = now
        self.today = timezone.localdate(now)
        self.districts = districts
        self.by_code = {d.code: d for d in districts}
        self.streets: dict[int, list[int]] = {}
        for street_id, parent_id in Region.objects.filter(
            parent__in=districts, level=Region.Level.STREET
        ).values_list("pk", "parent_id"):
            self.streets.setdefault(parent_id, []).append(street_id)
        self.group = Group.objects.get(name=Role.APPLICANT)
        self.verifier = User.objects.create(
            phone=VERIFIER_PHONE,
            display_name=f"核验人{NAME_MARKER}",
            password=UNUSABLE_PASSWORD_PREFIX + "generated",
        )
        self.seen: set[str] = set()
        self.counts = {"applicants": 0, "children": 0, "verified": 0, "windows": 0}

    def batch(self, first: int, size: int) -> None:
        """Create people numbered `first` to `first + size - 1` (their phones' suffix)."""
        rng, now = self.rng, self.now
        people = _id_numbers(rng, size, self.districts, self.today, self.seen)
        names = [f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}" for _ in people]
        # Accounts with no usable password: they cannot log in.
        users = User.objects.bulk_create(
            User(
                phone=f"{PHONE_PREFIX}{first + i:08d}",
                display_name=f"{name}{NAME_MARKER}",
                password=UNUSABLE_PASSWORD_PREFIX + "generated",
                date_joined=now,
            )
            for i, name in enumerate(names)
        )
        through = User.groups.through
        through.objects.bulk_create(through(user_id=u.pk, group_id=self.group.pk) for u in users)
        applicants = Applicant.objects.bulk_create(
            self._applicant(user, name, person)
            for user, name, person in zip(users, names, people, strict=True)
        )
        children: list[Child] = []
        windows: list[FreeWindow] = []
        consents: list[Consent] = []
        for applicant in applicants:
            self._family(applicant, children, windows, consents)
        Child.objects.bulk_create(children)
        FreeWindow.objects.bulk_create(windows)
        Consent.objects.bulk_create(consents)
        self.counts["applicants"] += len(applicants)
        self.counts["children"] += len(children)
        self.counts["verified"] += sum(1 for c in children if c.verified_at)
        self.counts["windows"] += len(windows)

    def _applicant(self, user: User, name: str, person) -> Applicant:
        rng = self.rng
        number, digest, birth, code = person
        district = self.by_code[code]
        streets = self.streets.get(district.pk)
        retirement_category = rng.choice(RETIREMENT_CATEGORIES)
        return Applicant(
            user=user,
            full_name=name,
            category=(
                Applicant.Category.MOTHER
                if rng.random() < 0.9
                else Applicant.Category.OTHER_CAREGIVER_CHILD
            ),
            retirement_category=retirement_category,
            # bulk_create skips save(): derive it here as Applicant.save does.
            retirement_on=earliest_retirement(birth, retirement_category),
            # The same encryption, hash and mask as applicant_profile_create.
            id_number_encrypted=encrypt_text(number),
            id_number_hash=digest,
            id_number_masked=mask_identifier(number),
            birth_date=birth,
            residence_district=district,
            residence_street_id=(rng.choice(streets) if streets and rng.random() < 0.6 else None),
            education=rng.choice(EDUCATIONS),
            skills=_pick(rng, SKILLS, 3),
            intended_post_modes=_pick(rng, Job.PostMode.values, 3),
            intended_location_modes=_pick(rng, Job.LocationMode.values, 2),
            intended_employment_forms=_pick(rng, Job.EmploymentForm.values, 2),
            hours_per_week=rng.choice([None, 10, 15, 20, 24, 30, 40]),
            intended_sectors=_pick(rng, Employer.Sector.values, 3),
            training_needs=_pick(rng, Applicant.TrainingNeed.values, 2),
            created_at=self.now,
        )

    def _family(self, applicant: Applicant, children, windows, consents) -> None:
        """0-3 children born when she was 20 to 45 (none in the future), windows, consents."""
        rng, now = self.rng, self.now
        consents.append(
            Consent(
                applicant=applicant,
                kind=Consent.Kind.SENSITIVE_DATA,
                text_version=CONSENT_TEXT_VERSION,
                given_at=now,
            )
        )
        this_month = self.today.year * 12 + self.today.month - 1
        first = applicant.birth_date.year * 12 + applicant.birth_date.month - 1 + 20 * 12
        last = min(this_month, first + 25 * 12)
        n_children = rng.choices((0, 1, 2, 3), weights=(10, 50, 30, 10))[0] if first <= last else 0
        for _ in range(n_children):
            year, month0 = divmod(rng.randint(first, last), 12)
            # Most evidence is checked; the rest waits in the staff queue.
            verified = rng.random() < 0.75
            children.append(
                Child(
                    applicant=applicant,
                    birth_year=year,
                    birth_month=month0 + 1,
                    relationship=Child.Relationship.PARENT,
                    evidence=rng.choice(EVIDENCE),
                    verified_by=self.verifier if verified else None,
                    verified_at=now if verified else None,
                    created_at=now,
                )
            )
        if n_children:
            consents.append(
                Consent(
                    applicant=applicant,
                    kind=Consent.Kind.GUARDIAN_CHILDREN,
                    text_version=CONSENT_TEXT_VERSION,
                    given_at=now,
                )
            )
        days, shifts = PATTERNS[rng.randrange(len(PATTERNS))]
        windows.extend(
            FreeWindow(applicant=applicant, weekday=day, start_minute=start, end_minute=end)
            for day in days
            for start, end in shifts
        )


@transaction.atomic
def applicants_generate(
    *, count: int, districts: list[Region], seed: int, log=print
) -> dict[str, int]:
    """Create `count` applicants with users, children, windows and consents (set-based)."""
    generator = _Generator(districts=districts, seed=seed, now=timezone.now())
    t0 = time.perf_counter()
    for first in range(1, count + 1, BATCH):
        generator.batch(first, min(BATCH, count + 1 - first))
        reset_queries()  # with DEBUG on, Django keeps every statement's SQL
        done = generator.counts["applicants"]
        if done % (BATCH * 4) == 0 or done == count:
            log(f"  {done} applicants in {time.perf_counter() - t0:.1f} s")
    with connection.cursor() as cursor:
        # Fresh statistics, so the re-check's plans fit the new size.
        for table in (
            "accounts_user",
            "accounts_user_groups",
            "applicants_applicant",
            "applicants_child",
            "applicants_freewindow",
            "applicants_consent",
        ):
            cursor.execute(f"ANALYZE {table}")
    return generator.counts
