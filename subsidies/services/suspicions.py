"""
Fraud signals (issue 6, item 7) as reviewable suspicion records: a nightly
scan raises them set-based, one INSERT ... SELECT per kind, and staff
confirm or dismiss each with a note. A suspicion's (kind, key) is unique,
so whatever it was decided, the same signal is never raised twice: a
dismissed one stays dismissed while the data still matches.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import Applicant, Employment
from employers.models import Employer, ListingPeriod, RegistryEntry
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix

from ..engine import add_months
from ..models import Claim, ClaimLine, SubsidyPolicy, Suspicion
from ..reasons import Reason

if TYPE_CHECKING:
    from mamagang.accounts.models import User

Kind = Suspicion.Kind

# Months of claim lines (and of claims' submission) each scan looks at.
WINDOW_MONTHS = 12
# headcount_jump: a month counts as a jump when it reaches JUMP_FACTOR times
# the average of the JUMP_MONTHS before it and at least JUMP_MIN_MORE people
# more than that average. The SQL reads three previous months.
JUMP_MONTHS = 3
JUMP_FACTOR = 3
JUMP_MIN_MORE = 5
# hire_before_claim: an employment starting this many days (or fewer) before
# the claim was submitted.
HIRE_DAYS = 30
# many_employers: current employments at this many employers (or more).
MANY_EMPLOYERS = 3
# Line ids kept in a suspicion's details (the evidence the detail page links).
MAX_LINES = 200

_T = {
    "suspicion": Suspicion._meta.db_table,
    "line": ClaimLine._meta.db_table,
    "claim": Claim._meta.db_table,
    "policy": SubsidyPolicy._meta.db_table,
    "employer": Employer._meta.db_table,
    "applicant": Applicant._meta.db_table,
    "employment": Employment._meta.db_table,
    "listing": ListingPeriod._meta.db_table,
    "entry": RegistryEntry._meta.db_table,
    "region": Region._meta.db_table,
}

_INSERT = """
    INSERT INTO {suspicion}
        (kind, key, region_id, employer_id, applicant_id, month, details,
         status, note, created_at, updated_at)
"""
_CONFLICT = "ON CONFLICT (kind, key) DO NOTHING"

# Each statement takes the named parameters of _params(); every one ends by
# keeping the suspicions whose region code starts with %(prefix)s.
_SQL: dict[str, str] = {
    # One person in claim lines of two or more employers for the same month,
    # rejected duplicates included (the refused second claim is the signal).
    # Region: the claim of the person-month's first line.
    Kind.MULTI_EMPLOYER_CLAIMS: """
        SELECT 'multi_employer_claims',
               'a' || g.applicant_id || ':m' || to_char(g.month, 'YYYY-MM'),
               g.region_id, NULL, g.applicant_id, g.month,
               jsonb_build_object('employers', to_jsonb(g.employers), 'lines', to_jsonb(g.lines)),
               'open', '', %(now)s, %(now)s
          FROM (SELECT cl.applicant_id, cl.month,
                       array_agg(DISTINCT cl.employer_id) AS employers,
                       (array_agg(cl.id ORDER BY cl.id))[1:%(max_lines)s] AS lines,
                       (array_agg(c.region_id ORDER BY cl.id))[1] AS region_id
                  FROM {line} cl
                  JOIN {claim} c ON c.id = cl.claim_id
                 WHERE cl.employer_id IS NOT NULL
                   AND cl.month >= %(since)s AND cl.month <= %(today)s
                 GROUP BY cl.applicant_id, cl.month
                HAVING count(DISTINCT cl.employer_id) >= 2) g
          JOIN {region} r ON r.id = g.region_id
         WHERE r.code LIKE %(prefix)s
    """,
    # An employer's distinct people in its live lines of a month against its
    # usual month: the average of the (up to) three months before, counting
    # only months since it first claimed (a month without lines after that
    # counts as 0). The first month it claims has no usual month to jump from,
    # and a second month like its first is no jump.
    Kind.HEADCOUNT_JUMP: """
        WITH counts AS (
            SELECT cl.employer_id, cl.month, count(DISTINCT cl.applicant_id) AS n,
                   (array_agg(cl.id ORDER BY cl.id))[1:%(max_lines)s] AS lines
              FROM {line} cl
             WHERE cl.employer_id IS NOT NULL AND cl.status <> 'rejected'
               AND cl.month >= %(history_since)s AND cl.month <= %(today)s
             GROUP BY cl.employer_id, cl.month
        ),
        firsts AS (
            -- Lines before the window put the first month three or more months back.
            SELECT f.employer_id,
                   CASE WHEN EXISTS (SELECT 1 FROM {line} h
                                      WHERE h.employer_id = f.employer_id
                                        AND h.status <> 'rejected'
                                        AND h.month < %(history_since)s)
                        THEN (%(history_since)s::date - interval '3 months')::date
                        ELSE f.first END AS first
              FROM (SELECT employer_id, min(month) AS first FROM counts
                     GROUP BY employer_id) f
        ),
        months AS (
            SELECT cur.employer_id, cur.month, cur.n, cur.lines,
                   LEAST(%(jump_months)s,
                         (date_part('year', age(cur.month, f.first)) * 12
                          + date_part('month', age(cur.month, f.first)))::int) AS m,
                   COALESCE(p3.n, 0) AS n3, COALESCE(p2.n, 0) AS n2, COALESCE(p1.n, 0) AS n1
              FROM counts cur
              JOIN firsts f ON f.employer_id = cur.employer_id
              LEFT JOIN counts p1 ON p1.employer_id = cur.employer_id
                   AND p1.month = (cur.month - interval '1 month')::date
              LEFT JOIN counts p2 ON p2.employer_id = cur.employer_id
                   AND p2.month = (cur.month - interval '2 months')::date
              LEFT JOIN counts p3 ON p3.employer_id = cur.employer_id
                   AND p3.month = (cur.month - interval '3 months')::date
             WHERE cur.month >= %(since)s
        ),
        jumps AS (
            SELECT x.*, (ARRAY[x.n3, x.n2, x.n1])[4 - x.m:3] AS previous,
                   (CASE WHEN x.m >= 3 THEN x.n3 ELSE 0 END
                    + CASE WHEN x.m >= 2 THEN x.n2 ELSE 0 END + x.n1) AS total
              FROM months x
             WHERE x.m > 0
        )
        SELECT 'headcount_jump', 'e' || j.employer_id || ':m' || to_char(j.month, 'YYYY-MM'),
               e.district_id, j.employer_id, NULL, j.month,
               jsonb_build_object(
                   'count', j.n,
                   'months', j.m,
                   'previous', to_jsonb(j.previous),
                   'average', round(j.total::numeric / j.m, 1),
                   'lines', to_jsonb(j.lines)),
               'open', '', %(now)s, %(now)s
          FROM jumps j
          JOIN {employer} e ON e.id = j.employer_id
          JOIN {region} r ON r.id = e.district_id
         WHERE j.n * j.m >= %(jump_factor)s * j.total
           AND j.n * j.m >= j.total + j.m * %(jump_min_more)s
           AND r.code LIKE %(prefix)s
    """,
    # An employment of the claiming employer that started at most HIRE_DAYS
    # before the claim (an employer's) that includes the person.
    Kind.HIRE_BEFORE_CLAIM: """
        SELECT 'hire_before_claim', 'emp' || g.employment_id || ':c' || g.claim_id,
               g.region_id, g.employer_id, g.applicant_id, NULL,
               jsonb_build_object(
                   'employment', g.employment_id, 'claim', g.claim_id,
                   'start_date', g.start_date, 'submitted_on', g.submitted_on,
                   'days', g.submitted_on - g.start_date,
                   'months', to_jsonb(g.months), 'lines', to_jsonb(g.lines)),
               'open', '', %(now)s, %(now)s
          FROM (SELECT emp.id AS employment_id, c.id AS claim_id, c.region_id,
                       c.employer_id, emp.applicant_id, emp.start_date,
                       (c.submitted_at AT TIME ZONE %(tz)s)::date AS submitted_on,
                       array_agg(DISTINCT to_char(cl.month, 'YYYY-MM')) AS months,
                       (array_agg(cl.id ORDER BY cl.id))[1:%(max_lines)s] AS lines
                  FROM {claim} c
                  JOIN {line} cl ON cl.claim_id = c.id
                  JOIN {employment} emp ON emp.applicant_id = cl.applicant_id
                       AND emp.employer_id = c.employer_id
                 WHERE c.source = 'employer' AND c.submitted_at >= %(since_at)s
                   AND emp.start_date <= (c.submitted_at AT TIME ZONE %(tz)s)::date
                   AND emp.start_date >= (c.submitted_at AT TIME ZONE %(tz)s)::date
                                         - %(hire_days)s
                 GROUP BY emp.id, c.id) g
          JOIN {region} r ON r.id = g.region_id
         WHERE r.code LIKE %(prefix)s
    """,
    # Live lines of a policy that requires a contribution record, decided
    # without one, per employer and month.
    Kind.NO_CONTRIBUTION: """
        SELECT 'no_contribution', 'e' || g.employer_id || ':m' || to_char(g.month, 'YYYY-MM'),
               e.district_id, g.employer_id, NULL, g.month,
               jsonb_build_object('count', g.n, 'people', g.people, 'lines', to_jsonb(g.lines)),
               'open', '', %(now)s, %(now)s
          FROM (SELECT cl.employer_id, cl.month, count(*) AS n,
                       count(DISTINCT cl.applicant_id) AS people,
                       (array_agg(cl.id ORDER BY cl.id))[1:%(max_lines)s] AS lines
                  FROM {line} cl
                  JOIN {policy} p ON p.id = cl.policy_id
                 WHERE cl.employer_id IS NOT NULL AND cl.status <> 'rejected'
                   AND p.requires_contribution
                   AND %(no_contribution)s = ANY(cl.reasons)
                   AND cl.month >= %(since)s AND cl.month <= %(today)s
                 GROUP BY cl.employer_id, cl.month) g
          JOIN {employer} e ON e.id = g.employer_id
          JOIN {region} r ON r.id = e.district_id
         WHERE r.code LIKE %(prefix)s
    """,
    # Open or approved (unpaid) lines of an employer whose latest listing has
    # ended, or whose registry entry was removed. A later listing that ends
    # again is a new signal (its own end date in the key).
    Kind.DELISTED_PENDING: """
        SELECT 'delisted_pending',
               'e' || g.employer_id || ':until' || COALESCE(to_char(l.listed_until, 'YYYY-MM-DD'),
                                                            'none'),
               e.district_id, g.employer_id, NULL, NULL,
               jsonb_build_object(
                   'listed_until', l.listed_until, 'registry_status', re.status,
                   'count', g.n, 'lines', to_jsonb(g.lines)),
               'open', '', %(now)s, %(now)s
          FROM (SELECT cl.employer_id, count(*) AS n,
                       (array_agg(cl.id ORDER BY cl.id))[1:%(max_lines)s] AS lines
                  FROM {line} cl
                 WHERE cl.employer_id IS NOT NULL AND cl.status IN ('open', 'approved')
                   AND cl.month >= %(since)s AND cl.month <= %(today)s
                 GROUP BY cl.employer_id) g
          JOIN {employer} e ON e.id = g.employer_id
          JOIN {region} r ON r.id = e.district_id
          LEFT JOIN LATERAL (
               SELECT lp.listed_until FROM {listing} lp
                WHERE lp.employer_id = g.employer_id
                ORDER BY lp.listed_from DESC, lp.id DESC LIMIT 1) l ON true
          LEFT JOIN LATERAL (
               SELECT x.status FROM {entry} x
                WHERE x.employer_id = g.employer_id AND x.status <> 'rejected'
                ORDER BY x.id DESC LIMIT 1) re ON true
         WHERE ((l.listed_until IS NOT NULL AND l.listed_until <= %(today)s)
                OR re.status = 'removed')
           AND r.code LIKE %(prefix)s
    """,
    # One person currently employed by MANY_EMPLOYERS or more employers;
    # raised at most once per calendar month while it lasts.
    Kind.MANY_EMPLOYERS: """
        SELECT 'many_employers', 'a' || g.applicant_id || ':d' || %(today_month)s,
               a.residence_district_id, NULL, g.applicant_id, NULL,
               jsonb_build_object(
                   'count', g.n, 'employers', to_jsonb(g.employers),
                   'employments', to_jsonb(g.employments)),
               'open', '', %(now)s, %(now)s
          FROM (SELECT emp.applicant_id, count(DISTINCT emp.employer_id) AS n,
                       array_agg(DISTINCT emp.employer_id) AS employers,
                       array_agg(emp.id ORDER BY emp.id) AS employments
                  FROM {employment} emp
                 WHERE emp.start_date <= %(today)s
                   AND (emp.end_date IS NULL OR emp.end_date >= %(today)s)
                 GROUP BY emp.applicant_id
                HAVING count(DISTINCT emp.employer_id) >= %(many)s) g
          JOIN {applicant} a ON a.id = g.applicant_id
          JOIN {region} r ON r.id = a.residence_district_id
         WHERE r.code LIKE %(prefix)s
    """,
}


def _params(*, today: datetime.date, region: Region | None) -> dict[str, object]:
    since = add_months(today.replace(day=1), -WINDOW_MONTHS)
    tz = timezone.get_current_timezone()
    return {
        "now": timezone.now(),
        "today": today,
        "today_month": f"{today:%Y-%m}",
        "since": since,
        "since_at": datetime.datetime.combine(since, datetime.time.min, tzinfo=tz),
        "history_since": add_months(since, -JUMP_MONTHS),
        "tz": str(tz),
        "prefix": (region_code_prefix(region) if region is not None else "") + "%",
        "max_lines": MAX_LINES,
        "jump_months": JUMP_MONTHS,
        "jump_factor": JUMP_FACTOR,
        "jump_min_more": JUMP_MIN_MORE,
        "hire_days": HIRE_DAYS,
        "no_contribution": Reason.NO_CONTRIBUTION_RECORD.value,
        "many": MANY_EMPLOYERS,
    }


@transaction.atomic
def suspicions_scan(*, today: datetime.date, region: Region | None = None) -> dict[str, int]:
    """
    Raise the fraud signals found in the last WINDOW_MONTHS months (the
    current employments for many_employers), one INSERT ... SELECT per
    kind, so the number of statements does not grow with the data. A
    signal raised before, open or decided, is skipped. With `region`, only
    signals whose region lies under it are raised. Return the number
    created per kind. Safe to run twice.
    """
    params = _params(today=today, region=region)
    created: dict[str, int] = {}
    with connection.cursor() as cursor:
        for kind, select in _SQL.items():
            sql = (_INSERT + select + _CONFLICT).format(**_T)
            cursor.execute(sql, params)
            created[str(kind)] = cursor.rowcount
    return created


DECISIONS = (Suspicion.Status.CONFIRMED, Suspicion.Status.DISMISSED)


@transaction.atomic
def suspicion_decide(
    *,
    suspicion: Suspicion,
    by: User,
    status: str,
    note: str,
    now: datetime.datetime | None = None,
) -> Suspicion:
    """
    Confirm or dismiss an open suspicion with a note; audited. A dismissed
    one is never raised again (its kind and key stay taken).

    Raise DomainError without the review permission, outside `by`'s
    regions, without a note, for another status, or if already decided.
    """
    now = now or timezone.now()
    note = (note or "").strip()
    if status not in DECISIONS:
        raise DomainError(_("请选择“确认疑点”或“排除疑点”。"), code="suspicion_bad_status")
    if not by.has_perm("subsidies.review_claimline"):
        raise DomainError(_("您没有核查疑点的权限。"), code="suspicion_no_permission")
    suspicion = (
        Suspicion.objects.select_for_update(of=("self",))
        .select_related("region")
        .get(pk=suspicion.pk)
    )
    if not user_may_act_on_region(user=by, region_code=suspicion.region.code):
        raise DomainError(_("该疑点不在您的辖区内。"), code="suspicion_out_of_scope")
    if not note:
        raise DomainError(_("请填写核查意见。"), code="suspicion_note_required")
    if suspicion.status != Suspicion.Status.OPEN:
        raise DomainError(_("该疑点已核查。"), code="suspicion_not_open")
    suspicion.status = status
    suspicion.note = note
    suspicion.decided_by = by
    suspicion.decided_at = now
    suspicion.save(update_fields=["status", "note", "decided_by", "decided_at", "updated_at"])
    audit_record(
        actor=by,
        action=f"suspicion.{status}",
        obj=suspicion,
        before={"status": Suspicion.Status.OPEN},
        after={"status": status},
        reason=note,
    )
    return suspicion
