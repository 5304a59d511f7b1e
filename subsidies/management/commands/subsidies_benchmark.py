"""
manage.py subsidies_benchmark: time the eligibility engine on a
province-sized month against the floor of one plain SQL UPDATE.

It generates, set-based (INSERT ... SELECT over generate_series), in a
district of its own (449901 "基准测试区（生成数据）", so no real policy or
employer is touched):

- P = ceil(N / 4) people: accounts that cannot log in, applicant profiles,
  one child each (mostly under 12 and verified), one 妈妈岗 employment with a
  12-month labour contract;
- P / 50 employers, each listed in the registry;
- contribution records for about 95 % of the person-months;
- two policies, the employer social-insurance subsidy (300 CNY, contribution
  required) and the post subsidy (100 CNY), and for each the lines of the last
  two completed months, created by the 免申即享 generation
  (lines_generate_for_month): 2 types x 2 months x P = about N lines.

Four lines per person rather than a million profiles: generating a person
costs more than deciding her lines, and the engine's work per line (one
LATERAL look-up each for children, employment, contributions and the
entitlement clock) is about the same either way; the second month's lines also see
the first month's decisions on the entitlement clock.

Then it times
  (b) the floor, first, on the freshly generated rows: ONE
      `UPDATE subsidies_claimline SET decision = ...` over all those lines;
  (a) the engine: each policy-month in order, run_start (chunks of --chunk
      lines) and every chunk through run_chunk_process in this process, one
      after another (what one Celery worker would do),
and prints both, the ratio, lines per second and the peak RSS of this
process (the engine's work happens in PostgreSQL; the process stays small).
--no-jit runs it with PostgreSQL's JIT off (SET LOCAL): with JIT on, the
planner compiles each large decide statement, which costs seconds per chunk.

Everything runs in one transaction that is rolled back at the end, so the
database is left as it was; --keep commits instead, and --clear removes kept
data later.
"""

from __future__ import annotations

import math
import resource
import time
import uuid
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from applicants.models import Applicant
from mamagang.accounts.models import User
from mamagang.regions.models import Region
from subsidies.engine import add_months
from subsidies.models import (
    ClaimLine,
    ContributionImport,
    EligibilityRun,
    RateRow,
    SubsidyPolicy,
    SubsidyType,
)
from subsidies.services.claims import lines_generate_for_month
from subsidies.services.runs import CHUNK_SIZE, run_chunk_process, run_start

REGION_CODE = "449901"
MARKER = "（基准数据）"
PHONE_PREFIX = "1729"  # generated accounts: 1729 + 7 digits
VERIFIER_PHONE = PHONE_PREFIX + "0000000"
PEOPLE_PER_EMPLOYER = 50
LINES_PER_PERSON = 4  # two subsidy types x two months
MAX_PEOPLE = 9_999_999


def _rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _execute(sql: str, params: dict[str, Any] | list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


class Command(BaseCommand):
    help = (
        "Generate a province-sized month of claim lines (default 1,000,000), time the "
        "engine deciding them in run chunks against one plain SQL UPDATE, and roll back "
        "(or --keep)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lines", type=int, default=1_000_000, help="about how many lines")
        parser.add_argument(
            "--chunk", type=int, default=CHUNK_SIZE, help=f"lines per chunk ({CHUNK_SIZE:,})"
        )
        parser.add_argument(
            "--keep", action="store_true", help="commit the generated data (remove: --clear)"
        )
        parser.add_argument(
            "--no-jit",
            action="store_true",
            help="SET LOCAL jit = off for the run (PostgreSQL's JIT compiles each big "
            "decide statement for seconds)",
        )
        parser.add_argument(
            "--clear", action="store_true", help="only remove data kept by an earlier --keep"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        if options["clear"]:
            self.stdout.write(f"Removed {benchmark_clear()} generated people and their data.")
            return
        lines, chunk = options["lines"], options["chunk"]
        people = math.ceil(lines / LINES_PER_PERSON)
        if lines < 1 or people > MAX_PEOPLE:
            raise CommandError(f"--lines must be between 1 and {MAX_PEOPLE * LINES_PER_PERSON:,}.")
        if chunk < 1:
            raise CommandError("--chunk must be positive.")
        if Region.objects.filter(code=REGION_CODE).exists():
            raise CommandError(
                "Benchmark data from an earlier --keep is there: run with --clear first."
            )
        if User.objects.filter(phone__startswith=PHONE_PREFIX).exists():
            raise CommandError(f"Accounts with phones {PHONE_PREFIX}… exist: cannot generate.")
        with transaction.atomic():
            if options["no_jit"]:
                _execute("SET LOCAL jit = off")
            report = self._benchmark(people=people, chunk=chunk)
            report.insert(0, f"PostgreSQL JIT: {_setting('jit')}.")
            if options["keep"]:
                report.append("Generated data kept (remove it with --clear).")
            else:
                # Undo everything generated when the block ends.
                transaction.set_rollback(True)
                report.append("Generated data rolled back.")
        for line in report:
            self.stdout.write(line)

    def log(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)

    def _benchmark(self, *, people: int, chunk: int) -> list[str]:
        now = timezone.now()
        today = timezone.localdate(now)
        last = add_months(today.replace(day=1), -1)
        months = [add_months(last, -1), last]

        t0 = time.perf_counter()
        policies = _generate(people=people, months=months, now=now)
        t_people = time.perf_counter() - t0
        self.log(f"  {people:,} people and their employers, contributions in {t_people:.1f} s")

        t0 = time.perf_counter()
        for month in months:
            for policy in policies:
                lines_generate_for_month(policy=policy, month=month, now=now)
        total = ClaimLine.objects.filter(policy__in=policies).count()
        t_lines = time.perf_counter() - t0
        self.log(f"  {total:,} lines generated (免申即享) in {t_lines:.1f} s")
        for table in (
            "applicants_applicant",
            "applicants_child",
            "applicants_employment",
            "employers_listingperiod",
            "subsidies_contributionrecord",
            "subsidies_claimline",
            "subsidies_claim",
        ):
            _execute(f"ANALYZE {table}")
        rss_before = _rss_mb()

        # (b) The floor first, on the freshly generated rows: one plain UPDATE over
        # every line the engine decides next (which then finds the table churned,
        # as a real month's would be).
        t0 = time.perf_counter()
        floor_rows = _execute(
            """
            UPDATE subsidies_claimline
               SET decision = 'eligible', updated_at = now()
             WHERE policy_id = ANY(%s) AND month = ANY(%s)
            """,
            [[p.pk for p in policies], months],
        )
        floor = time.perf_counter() - t0

        # (a) The engine: each policy-month's run, its chunks one after another.
        t0 = time.perf_counter()
        runs = []
        for month in months:
            for policy in policies:
                run = run_start(policy=policy, month=month, chunk_size=chunk, now=now)
                for chunk_id in run.chunks.order_by("first_id").values_list("pk", flat=True):
                    run_chunk_process(chunk_id=chunk_id, now=now)
                run.refresh_from_db()
                runs.append(run)
        engine = time.perf_counter() - t0
        if any(run.status != EligibilityRun.Status.DONE for run in runs):
            raise CommandError(f"A run did not finish: {[(r.pk, r.status) for r in runs]}")
        decided = sum(run.lines_decided for run in runs)
        changed = sum(run.lines_changed for run in runs)
        chunks = sum(run.total_chunks for run in runs)
        outcome = dict(
            ClaimLine.objects.filter(policy__in=policies)
            .values_list("decision")
            .annotate(n=Count("pk"))
            .order_by()
        )

        ratio = engine / floor if floor else float("inf")
        return [
            f"Lines: {total:,} ({people:,} people x 2 subsidy types x 2 months: "
            f"{months[0]:%Y-%m}, {months[1]:%Y-%m}); {len(runs)} runs, {chunks} chunks "
            f"of up to {chunk:,}.",
            f"Setup: people {t_people:.1f} s, lines {t_lines:.1f} s.",
            f"Decisions: {', '.join(f'{k} {v:,}' for k, v in sorted(outcome.items()))}.",
            f"(a) engine, run chunks in-process: {engine:.2f} s for {decided:,} lines "
            f"({decided / engine:,.0f} lines/s; {changed:,} decision records written).",
            f"(b) floor, one SQL UPDATE:         {floor:.2f} s for {floor_rows:,} rows "
            f"({floor_rows / floor:,.0f} rows/s).",
            f"Ratio engine / floor: {ratio:.1f}x.",
            f"Peak RSS of this process: {_rss_mb():.0f} MB "
            f"({rss_before:.0f} MB before the engine ran).",
        ]


def _generate(*, people: int, months: list, now) -> list[SubsidyPolicy]:
    """Create the region, employers, people, contributions and the two policies."""
    province = Region.objects.filter(code="440000").first()
    region = Region.objects.create(
        code=REGION_CODE,
        name=f"基准测试区{MARKER}",
        level=Region.Level.DISTRICT,
        parent=province,
        valid_from="2000-01-01",
        source_version="benchmark",
    )
    verifier = User.objects.create(
        phone=VERIFIER_PHONE,
        display_name=f"核验人{MARKER}",
        password=UNUSABLE_PASSWORD_PREFIX + "benchmark",
    )
    employers = max(1, math.ceil(people / PEOPLE_PER_EMPLOYER))
    params = {
        "region": region.pk,
        "now": now,
        "people": people,
        "employers": employers,
        "verifier": verifier.pk,
        "marker": MARKER,
        "phone": PHONE_PREFIX,
        "child_year": now.year - 5,
        "old_child_year": now.year - 14,
    }
    _execute(
        """
        INSERT INTO employers_employer
            (created_at, updated_at, name, uscc, entity_type, sector, address, contact_name,
             contact_phone, size, description, has_nursing_room, has_women_home,
             has_childcare, has_school_run_arrangement, facilities_note, district_id)
        SELECT %(now)s, %(now)s, '基准测试单位' || i || %(marker)s,
               '91449901' || lpad(i::text, 10, '0'), 'enterprise', 'manufacturing', '',
               '', '', 'small', '', false, false, false, false, '', %(region)s
          FROM generate_series(1, %(employers)s) AS i
        """,
        params,
    )
    _execute(
        """
        INSERT INTO employers_registryentry
            (created_at, updated_at, status, source, declared_posts, declaration,
             declaration_confirmed, decision_reason, district_id, employer_id)
        SELECT %(now)s, %(now)s, 'approved', 'import', 50, '', true, '', %(region)s, e.id
          FROM employers_employer e WHERE e.district_id = %(region)s
        """,
        params,
    )
    _execute(
        """
        INSERT INTO employers_listingperiod
            (created_at, updated_at, listed_from, end_reason, employer_id, entry_id)
        SELECT %(now)s, %(now)s, DATE '2020-01-01', '', r.employer_id, r.id
          FROM employers_registryentry r WHERE r.district_id = %(region)s
        """,
        params,
    )
    # Accounts that cannot log in (an unusable password), as applicants_generate makes.
    _execute(
        """
        INSERT INTO accounts_user
            (password, is_superuser, phone, display_name, email, is_active, is_staff,
             date_joined)
        SELECT '!benchmark', false, %(phone)s || lpad(i::text, 7, '0'),
               '妈妈' || i || %(marker)s, '', true, false, %(now)s
          FROM generate_series(1, %(people)s) AS i
        """,
        params,
    )
    # Women aged 28 to 42; no clear ID number is generated (nothing to decrypt).
    _execute(
        """
        INSERT INTO applicants_applicant
            (created_at, updated_at, full_name, category, retirement_category,
             id_number_encrypted, id_number_hash, id_number_masked, birth_date, retirement_on,
             residence_district_id, user_id, care_duties, certificates, education,
             eligibility, eligibility_reasons, intended_employment_forms,
             intended_location_modes, intended_post_modes, intended_sectors, skills,
             training_needs, training_other)
        SELECT %(now)s, %(now)s, u.display_name, 'mother', 'F50',
               '', 'benchmark-' || u.id, '449901**********' || lpad((u.id %% 100)::text, 2, '0'),
               b.birth, (b.birth + interval '50 years')::date,
               %(region)s, u.id, '{}', '{}', 'senior_high', 'eligible', '{}', '{}', '{}', '{}',
               '{}', '{}', '{}', ''
          FROM accounts_user u
         CROSS JOIN LATERAL (
               SELECT (DATE '1984-01-01' + (u.id %% 5000)::int) AS birth) b
         WHERE u.phone LIKE %(phone)s || '%%' AND u.phone <> %(phone)s || '0000000'
        """,
        params,
    )
    # One child each: 3 % not yet verified (needs review), 2 % over the age limit.
    _execute(
        """
        INSERT INTO applicants_child
            (created_at, updated_at, birth_year, birth_month, relationship, evidence,
             applicant_id, verified_by_id, verified_at)
        SELECT %(now)s, %(now)s,
               CASE WHEN a.id %% 50 = 1 THEN %(old_child_year)s ELSE %(child_year)s END,
               1 + a.id %% 12, 'parent', 'birth_certificate', a.id,
               CASE WHEN a.id %% 33 = 2 THEN NULL ELSE %(verifier)s END,
               CASE WHEN a.id %% 33 = 2 THEN NULL ELSE %(now)s END
          FROM applicants_applicant a WHERE a.residence_district_id = %(region)s
        """,
        params,
    )
    # One employment each, 2 % not declared 妈妈岗 (they get no 免申即享 line).
    _execute(
        """
        WITH e AS (
            SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
              FROM employers_employer WHERE district_id = %(region)s
        )
        INSERT INTO applicants_employment
            (created_at, updated_at, source, start_date, employment_form,
             has_labour_contract, contract_months, social_insurance, declared_mamagang,
             declared_at, end_reason, end_note, applicant_id, employer_id)
        SELECT %(now)s, %(now)s, 'offline', DATE '2020-01-01', 'part_time_hourly',
               true, 12, true, a.id %% 50 <> 7,
               CASE WHEN a.id %% 50 <> 7 THEN %(now)s END, '', '', a.id, e.id
          FROM applicants_applicant a
          JOIN e ON e.n = a.id %% %(employers)s
         WHERE a.residence_district_id = %(region)s
        """,
        params,
    )
    source = ContributionImport.objects.create(
        region=region,
        file_name=f"基准测试{MARKER}",
        sha256=uuid.uuid4().hex + uuid.uuid4().hex,
        row_count=0,
        created_count=0,
        imported_by=verifier,
    )
    # About 95 % of person-months have a contribution record.
    _execute(
        """
        INSERT INTO subsidies_contributionrecord
            (person_hash, month, employer_uscc, insurance_types, employer_amount,
             person_amount, source_id)
        SELECT a.id_number_hash, m.month, emr.uscc,
               ARRAY['pension', 'medical', 'unemployment', 'work_injury', 'maternity'],
               862.40, 318.60, %(source)s
          FROM applicants_applicant a
          JOIN applicants_employment emp ON emp.applicant_id = a.id
          JOIN employers_employer emr ON emr.id = emp.employer_id
         CROSS JOIN unnest(%(months)s::date[]) AS m(month)
         WHERE a.residence_district_id = %(region)s
           AND (a.id + extract(month FROM m.month)::int) %% 20 <> 0
        """,
        {**params, "source": source.pk, "months": months},
    )
    policies = []
    for code, amount, contribution in (
        ("employer_social_insurance", "300.00", True),
        ("employer_post", "100.00", False),
    ):
        policy = SubsidyPolicy.objects.create(
            region=region,
            subsidy_type=SubsidyType.objects.get(code=code),
            legal_reference=f"基准测试{MARKER}",
            max_months=12,
            requires_labour_contract=True,
            min_contract_months=12,
            requires_contribution=contribution,
        )
        RateRow.objects.create(
            policy=policy, valid_from="2020-01-01", kind=RateRow.Kind.PER_MONTH, amount=amount
        )
        policies.append(
            SubsidyPolicy.objects.select_related("region", "subsidy_type").get(pk=policy.pk)
        )
    return policies


@transaction.atomic
def benchmark_clear() -> int:
    """Delete everything an earlier --keep left (set-based); return how many people."""
    region = Region.objects.filter(code=REGION_CODE).first()
    if region is None:
        return 0
    params = {"region": region.pk, "phone": PHONE_PREFIX, "marker": MARKER}
    people = Applicant.objects.filter(residence_district=region).count()
    statements = [
        """DELETE FROM subsidies_decisionrecord WHERE line_id IN (
               SELECT l.id FROM subsidies_claimline l
                 JOIN subsidies_subsidypolicy p ON p.id = l.policy_id
                WHERE p.region_id = %(region)s)""",
        """DELETE FROM subsidies_runchunk WHERE run_id IN (
               SELECT r.id FROM subsidies_eligibilityrun r
                 JOIN subsidies_subsidypolicy p ON p.id = r.policy_id
                WHERE p.region_id = %(region)s)""",
        """DELETE FROM subsidies_eligibilityrun WHERE policy_id IN (
               SELECT id FROM subsidies_subsidypolicy WHERE region_id = %(region)s)""",
        """DELETE FROM subsidies_claimline WHERE policy_id IN (
               SELECT id FROM subsidies_subsidypolicy WHERE region_id = %(region)s)""",
        "DELETE FROM subsidies_claim WHERE region_id = %(region)s",
        """DELETE FROM subsidies_contributionrecord WHERE source_id IN (
               SELECT id FROM subsidies_contributionimport WHERE region_id = %(region)s)""",
        "DELETE FROM subsidies_contributionimport WHERE region_id = %(region)s",
        """DELETE FROM subsidies_raterow WHERE policy_id IN (
               SELECT id FROM subsidies_subsidypolicy WHERE region_id = %(region)s)""",
        "DELETE FROM subsidies_subsidypolicy WHERE region_id = %(region)s",
        """DELETE FROM applicants_employment WHERE employer_id IN (
               SELECT id FROM employers_employer WHERE district_id = %(region)s)""",
        """DELETE FROM employers_listingperiod WHERE employer_id IN (
               SELECT id FROM employers_employer WHERE district_id = %(region)s)""",
        """DELETE FROM employers_registryentry WHERE employer_id IN (
               SELECT id FROM employers_employer WHERE district_id = %(region)s)""",
        "DELETE FROM employers_employer WHERE district_id = %(region)s",
        """DELETE FROM applicants_child WHERE applicant_id IN (
               SELECT id FROM applicants_applicant WHERE residence_district_id = %(region)s)""",
        "DELETE FROM applicants_applicant WHERE residence_district_id = %(region)s",
        """DELETE FROM core_notification WHERE recipient_id IN (
               SELECT id FROM accounts_user
                WHERE phone LIKE %(phone)s || '%%' AND display_name LIKE '%%' || %(marker)s)""",
        """DELETE FROM accounts_user
            WHERE phone LIKE %(phone)s || '%%' AND display_name LIKE '%%' || %(marker)s""",
        "DELETE FROM regions_region WHERE id = %(region)s",
    ]
    for sql in statements:
        _execute(sql, params)
    return people
