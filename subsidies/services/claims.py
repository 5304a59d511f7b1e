"""
Claims: an employer's claim for its employees, a flexible worker's claim
for herself, and the bureau's generated lines (免申即享). Lines are
inserted set-based; the database's partial unique constraint keeps one
live line per person, subsidy type and month across all claimants, and a
line that loses that race is recorded as rejected with the reason
`duplicate_person_month`, so its claimant sees a clear refusal. The same
claimant submitting the same months again changes nothing: the earlier
claim comes back with `unchanged = True`.
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import Applicant, Employment
from employers.models import Employer
from employers.permissions import can_manage_employer
from mamagang.accounts.models import User
from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix

from ..engine import RULE_VERSION, add_months, lines_decide, reference_day
from ..models import Claim, ClaimLine, SubsidyPolicy, SubsidyType
from ..reasons import Reason


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def policies_for(*, region: Region, payee: str) -> list[SubsidyPolicy]:
    """
    The active policies of `payee`'s subsidy types for a district: the
    district's own policy of a type, else its city's.
    """
    codes = {region.code, region.code[:4] + "00"}
    rows = (
        SubsidyPolicy.objects.select_related("region", "subsidy_type")
        .filter(active=True, subsidy_type__payee=payee, region__code__in=codes)
        # Base awards are yearly awards to recognised bases, not person-month lines.
        .exclude(subsidy_type__code=SubsidyType.BASE_AWARD)
        .order_by("subsidy_type_id")
    )
    chosen: dict[int, SubsidyPolicy] = {}
    for policy in rows:
        current = chosen.get(policy.subsidy_type_id)
        if current is None or len(policy.region.code.rstrip("0")) > len(
            current.region.code.rstrip("0")
        ):
            chosen[policy.subsidy_type_id] = policy
    return list(chosen.values())


def _check_months(months: list[datetime.date], *, today: datetime.date) -> list[datetime.date]:
    cleaned = sorted({month_start(m) for m in months})
    if not cleaned:
        raise DomainError(_("请选择申报月份。"), code="claim_no_month")
    if cleaned[-1] >= month_start(today):
        raise DomainError(
            _("只能申报已结束的月份（本月结束后再申报本月）。"), code="claim_month_not_over"
        )
    return cleaned


def _insert_lines(claim: Claim, rows: list[tuple[int, int | None, SubsidyPolicy, datetime.date]]):
    """
    Insert (applicant, employer, policy, month) lines for `claim`, set-based;
    lines taken by another claimant become rejected duplicates. Return
    (created, duplicates).
    """
    if not rows:
        return 0, 0
    now = claim.submitted_at
    values = []
    for applicant_id, employer_id, policy, month in rows:
        values.append(
            (claim.pk, applicant_id, policy.subsidy_type_id, month, employer_id, policy.pk)
        )
    placeholders = ", ".join(
        ["(%s::bigint, %s::bigint, %s::bigint, %s::date, %s::bigint, %s::bigint)"] * len(values)
    )
    params = [v for row in values for v in row]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH v(claim_id, applicant_id, subsidy_type_id, month, employer_id, policy_id) AS (
                VALUES {placeholders}
            ),
            ins AS (
                INSERT INTO subsidies_claimline
                    (claim_id, applicant_id, subsidy_type_id, month, employer_id, policy_id,
                     decision, reasons, status, status_reason, inputs_digest,
                     created_at, updated_at)
                SELECT claim_id, applicant_id, subsidy_type_id, month, employer_id, policy_id,
                       'pending', '{{}}', 'open', '', '', %s, %s
                  FROM v
                ON CONFLICT DO NOTHING
                RETURNING applicant_id, subsidy_type_id, month
            ),
            dup AS (
                INSERT INTO subsidies_claimline
                    (claim_id, applicant_id, subsidy_type_id, month, employer_id, policy_id,
                     decision, reasons, status, status_reason, inputs_digest,
                     created_at, updated_at, decided_at)
                SELECT v.claim_id, v.applicant_id, v.subsidy_type_id, v.month, v.employer_id,
                       v.policy_id, 'ineligible', ARRAY[%s]::varchar[], 'rejected', %s, '',
                       %s, %s, %s
                  FROM v
                 WHERE NOT EXISTS (
                       SELECT 1 FROM ins
                        WHERE ins.applicant_id = v.applicant_id
                          AND ins.subsidy_type_id = v.subsidy_type_id
                          AND ins.month = v.month)
                RETURNING id, applicant_id, subsidy_type_id, month
            ),
            dup_record AS (
                INSERT INTO subsidies_decisionrecord
                    (line_id, decided_at, rule_version, decision, reasons, inputs)
                SELECT dup.id, %s, %s, 'ineligible', ARRAY[%s]::varchar[],
                       jsonb_build_object('existing_line', (
                           SELECT cl.id FROM subsidies_claimline cl
                            WHERE cl.applicant_id = dup.applicant_id
                              AND cl.subsidy_type_id = dup.subsidy_type_id
                              AND cl.month = dup.month
                              AND cl.status <> 'rejected'
                            LIMIT 1))
                  FROM dup
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM dup_record)
            """,  # noqa: S608 - placeholders only
            [
                *params,
                now,
                now,
                Reason.DUPLICATE_PERSON_MONTH.value,
                _("该人员当月的同类补贴已由其他申报提出，本条不予受理。"),
                now,
                now,
                now,
                now,
                RULE_VERSION,
                Reason.DUPLICATE_PERSON_MONTH.value,
            ],
        )
        return cursor.fetchone()


def _without_own_lines(rows, *, employer_id: int | None = None, applicant_id: int | None = None):
    """
    Drop the (applicant, employer, policy, month) rows that this same claimant (the
    employer, or the flexible worker herself) already has a live line for: submitting
    the same claim again changes nothing. Return (new rows, the latest claim holding
    the dropped ones). Serialised per claimant, so two identical clicks cannot race.
    """
    key = f"claim:{'employer' if employer_id else 'person'}:{employer_id or applicant_id}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])
    own = ClaimLine.objects.exclude(status=ClaimLine.Status.REJECTED).filter(
        applicant_id__in={row[0] for row in rows},
        month__in={row[3] for row in rows},
        subsidy_type_id__in={row[2].subsidy_type_id for row in rows},
    )
    own = (
        own.filter(claim__employer_id=employer_id, claim__source=Claim.Source.EMPLOYER)
        if employer_id
        else own.filter(claim__applicant_id=applicant_id, claim__source=Claim.Source.PERSON)
    )
    held = {
        (a, t, m): claim_id
        for a, t, m, claim_id in own.values_list(
            "applicant_id", "subsidy_type_id", "month", "claim_id"
        )
    }
    fresh = [row for row in rows if (row[0], row[2].subsidy_type_id, row[3]) not in held]
    return fresh, max(held.values(), default=None)


def _unchanged(claim_id: int) -> Claim:
    """The claimant's earlier claim, marked as what an identical resubmission returns."""
    claim = Claim.objects.get(pk=claim_id)
    claim.unchanged = True
    return claim


def _decide_claim(claim: Claim) -> None:
    """Decide the claim's open lines now, per policy and month (set-based)."""
    # Month order matters: the entitlement clock counts the person's other eligible months.
    groups = (
        ClaimLine.objects.filter(claim=claim, status=ClaimLine.Status.OPEN)
        .values_list("policy_id", "month")
        .order_by("month", "policy_id")
        .distinct()
    )
    policies = {p.pk: p for p in SubsidyPolicy.objects.select_related("region", "subsidy_type")}
    bounds = ClaimLine.objects.filter(claim=claim).order_by("pk").values_list("pk", flat=True)
    first, last = bounds.first(), bounds.last()
    for policy_id, month in groups:
        lines_decide(policy=policies[policy_id], month=month, first_id=first, last_id=last)


@transaction.atomic
def claim_submit_for_employer(
    *,
    employer: Employer,
    submitted_by: User,
    months: list[datetime.date],
    applicant_ids: list[int] | None = None,
    now: datetime.datetime | None = None,
) -> Claim:
    """
    Claim the employer's subsidies for `months` for its employees (all
    employments registered with it in those months, or `applicant_ids`),
    for every employer subsidy in force in its district. The lines are
    decided at once; each shows its decision and reasons.
    """
    now = now or timezone.now()
    if not can_manage_employer(submitted_by, employer):
        raise DomainError(_("您不是该单位的成员。"), code="claim_no_permission")
    months = _check_months(months, today=timezone.localdate(now))
    policies = policies_for(region=employer.district, payee=SubsidyType.Payee.EMPLOYER)
    if not policies:
        raise DomainError(_("本单位所在地区暂无可申领的单位补贴政策。"), code="claim_no_policy")
    employments = Employment.objects.filter(employer=employer).values_list(
        "applicant_id", "start_date", "end_date"
    )
    if applicant_ids is not None:
        employments = employments.filter(applicant_id__in=applicant_ids)
        known = {row[0] for row in employments}
        if set(applicant_ids) - known:
            raise DomainError(
                _("所选人员没有在本单位的就业登记。"), code="claim_person_not_employed"
            )
    employments = list(employments)
    rows = []
    for month in months:
        month_end = add_months(month, 1) - datetime.timedelta(days=1)
        people = sorted(
            {
                applicant_id
                for applicant_id, start, end in employments
                if start <= month_end and (end is None or end >= month)
            }
        )
        for policy in policies:
            rows += [(applicant_id, employer.pk, policy, month) for applicant_id in people]
    if not rows:
        raise DomainError(
            _("所选月份没有在本单位就业登记的人员，无可申报的补贴。"),
            code="claim_nobody_employed",
        )
    rows, earlier = _without_own_lines(rows, employer_id=employer.pk)
    if not rows:
        return _unchanged(earlier)
    claim = Claim.objects.create(
        source=Claim.Source.EMPLOYER,
        region=employer.district,
        employer=employer,
        submitted_by=submitted_by,
        submitted_at=now,
    )
    created, duplicates = _insert_lines(claim, rows)
    _decide_claim(claim)
    audit_record(
        actor=submitted_by,
        action="claim.submitted",
        obj=claim,
        after={
            "employer": employer.pk,
            "months": [m.isoformat() for m in months],
            "lines": created,
            "duplicates": duplicates,
        },
    )
    return claim


@transaction.atomic
def claim_submit_for_person(
    *,
    applicant: Applicant,
    submitted_by: User,
    months: list[datetime.date],
    now: datetime.datetime | None = None,
) -> Claim:
    """A flexible worker claims her own subsidies (flexible-worker social insurance)."""
    now = now or timezone.now()
    if applicant.user_id != submitted_by.pk:
        raise DomainError(_("只能为本人申报。"), code="claim_no_permission")
    months = _check_months(months, today=timezone.localdate(now))
    policies = policies_for(region=applicant.residence_district, payee=SubsidyType.Payee.PERSON)
    if not policies:
        raise DomainError(_("您居住的地区暂无可由个人申领的补贴政策。"), code="claim_no_policy")
    rows = [(applicant.pk, None, policy, month) for month in months for policy in policies]
    rows, earlier = _without_own_lines(rows, applicant_id=applicant.pk)
    if not rows:
        return _unchanged(earlier)
    claim = Claim.objects.create(
        source=Claim.Source.PERSON,
        region=applicant.residence_district,
        applicant=applicant,
        submitted_by=submitted_by,
        submitted_at=now,
    )
    created, _duplicates = _insert_lines(claim, rows)
    _decide_claim(claim)
    audit_record(
        actor=submitted_by,
        action="claim.submitted",
        obj=claim,
        after={"months": [m.isoformat() for m in months], "lines": created},
    )
    return claim


@transaction.atomic
def lines_generate_for_month(
    *,
    policy: SubsidyPolicy,
    month: datetime.date,
    by: User | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """
    免申即享: create the month's lines for every employment registered in
    the policy's region that covers the reference day and is declared
    妈妈岗, in one INSERT ... SELECT. Existing lines (any claimant) are left
    alone, so generating twice creates nothing. Return how many were created.
    """
    now = now or timezone.now()
    if policy.subsidy_type.payee != SubsidyType.Payee.EMPLOYER:
        return 0
    day = reference_day(policy, month)
    prefix = region_code_prefix(policy.region)
    claim = Claim.objects.create(
        source=Claim.Source.BUREAU, region=policy.region, submitted_by=by, submitted_at=now
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO subsidies_claimline
                (claim_id, applicant_id, subsidy_type_id, month, employer_id, policy_id,
                 decision, reasons, status, status_reason, inputs_digest, created_at, updated_at)
            SELECT DISTINCT ON (e.applicant_id)
                   %s, e.applicant_id, %s, %s::date, e.employer_id, %s,
                   'pending', '{}', 'open', '', '', %s, %s
              FROM applicants_employment e
              JOIN employers_employer emr ON emr.id = e.employer_id
              JOIN regions_region reg ON reg.id = emr.district_id
             WHERE reg.code LIKE %s
               AND e.declared_mamagang
               AND e.start_date <= %s
               AND (e.end_date IS NULL OR e.end_date >= %s)
             ORDER BY e.applicant_id, e.start_date, e.id
            ON CONFLICT DO NOTHING
            """,
            [
                claim.pk,
                policy.subsidy_type_id,
                month,
                policy.pk,
                now,
                now,
                prefix + "%",
                day,
                day,
            ],
        )
        created = cursor.rowcount
    if created == 0:
        claim.delete()
        return 0
    audit_record(
        actor=by,
        action="claim.generated",
        obj=claim,
        after={"policy": policy.pk, "month": month.isoformat(), "lines": created},
    )
    return created


def lines_for_claimant_q(*, employer: Employer | None = None, applicant: Applicant | None = None):
    """The lines a claimant may read: its own claims' lines."""
    if employer is not None:
        return Q(claim__employer=employer)
    return Q(claim__applicant=applicant)
