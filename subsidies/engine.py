"""
The eligibility engine: decide a policy's claim lines for a month in ONE
SQL statement per id range (set-based; never a query per line).

On the policy's reference day of the month it checks, for each line:
the employer listed in the registry; an employment with that employer
covering the day and declared 妈妈岗 (and a labour contract where
required); working age (16th birthday to the statutory retirement date,
Applicant.retirement_on); a qualifying child (and its evidence verified)
under the region's eligibility policy (applicants.EligibilityPolicy); a
contribution record for the month; the entitlement clock (the person's
other eligible months of the same subsidy type, across employers: a late
claim for an earlier month cannot push her past the maximum,
with the extension for people within N years of retirement at their
first month); the claim inside its window; a rate row in force. It then
computes the amount from that rate row (a maximum is a maximum: shares
are capped, never raised to the cap).

Each line whose inputs, decision or amount changed gets a new
DecisionRecord with the snapshot of its inputs; unchanged lines are not
written, so deciding a month twice changes nothing. An approved line
whose decision changes goes back to review.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from applicants.rules import (
    ALWAYS_REVIEW_REASONS,
    CATEGORY_CARE_DUTIES,
    CHILD_CATEGORIES,
    CHILD_REASONS,
    child_cutoff_years,
    reasons_sql,
)
from applicants.selectors import PolicyBook

from .models import SubsidyPolicy, SubsidyType

# Bump when the rules below change: every decision record names the version it used.
RULE_VERSION = "2026.12-1"
MAX_ID = 2**62


@dataclass(frozen=True)
class DecideResult:
    decided: int
    changed: int


def add_months(month: datetime.date, months: int) -> datetime.date:
    """The 1st of the month `months` after `month`'s."""
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def reference_day(policy: SubsidyPolicy, month: datetime.date) -> datetime.date:
    return month.replace(day=policy.reference_day)


def window_end(policy: SubsidyPolicy, month: datetime.date) -> datetime.date:
    """The first day on which a claim for `month` is late."""
    return add_months(month, policy.claim_window_months + 1)


_DECIDE_SQL = """
WITH l AS (
    SELECT cl.id, cl.applicant_id, cl.employer_id, cl.claim_id,
           cl.decision AS prev_decision, cl.decided_at AS prev_decided_at,
           cl.reasons AS prev_reasons
      FROM subsidies_claimline cl
     WHERE cl.policy_id = %(policy)s
       AND cl.month = %(month)s
       AND cl.status IN ('open', 'approved')
       AND cl.id BETWEEN %(first_id)s AND %(last_id)s
       -- Lines in a batch past its public notice are settled; after payment the nightly
       -- recovery check (services.payments.recoveries_propose) watches them instead.
       AND NOT EXISTS (
           SELECT 1 FROM subsidies_paymentbatch b
            WHERE b.id = cl.batch_id AND b.status <> 'publicity'
       )
),
f AS (
    SELECT l.id,
           a.birth_date, a.retirement_on, a.category,
           ch.children, emp.employment, cr.contribution, cr.employer_amount, cr.person_amount,
           (c.submitted_at AT TIME ZONE 'Asia/Shanghai')::date AS submitted_on,
           rr.id AS rate_id, rr.kind AS rate_kind, rr.amount AS rate_amount,
           rr.share AS rate_share, rr.cap AS rate_cap,
           clock.used, clock.first_month,
           -- The facts the rules (applicants.rules) are written over, never NULL.
           %(employer_lines)s AS employer_line,
           %(requires_listing)s AS requires_listing,
           %(requires_declaration)s AS requires_declaration,
           %(requires_contract)s AS requires_contract,
           %(requires_contribution)s AS requires_contribution,
           %(require_verified)s AS require_verified,
           coalesce((a.birth_date + interval '16 years')::date <= %(day)s
                    AND %(day)s < a.retirement_on, false) AS working_age,
           a.category = ANY(%(admitted)s::varchar[]) AS admitted,
           a.category = ANY(%(child_categories)s::varchar[]) AS needs_child,
           EXISTS (
               SELECT 1
                 FROM unnest(%(duty_categories)s::varchar[], %(duty_codes)s::varchar[])
                      AS m(category, duty)
                WHERE m.category = a.category AND m.duty = ANY(a.care_duties)
           ) AS has_care_duty,
           a.evidence_withdrawn_at IS NOT NULL AS evidence_withdrawn,
           ch.qualifying OR kept.child AS qualifying,
           ch.qualifying_verified OR kept.child AS qualifying_verified,
           kept.child AS child_facts_kept,
           emp.employed, emp.declared, emp.contract_ok,
           __LISTED__ AS listed,
           cr.contribution IS NOT NULL AS has_contribution,
           coalesce(rr.kind = 'contribution_share', false) AS share_rate,
           rr.id IS NOT NULL AS has_rate,
           coalesce((c.submitted_at AT TIME ZONE 'Asia/Shanghai')::date >= %(window_end)s,
                    false) AS late,
           %(max_months)s::int IS NOT NULL
               AND clock.used >= %(max_months)s::int
               AND NOT coalesce(
                   %(extension_years)s::int IS NOT NULL
                   AND (a.retirement_on - make_interval(years => %(extension_years)s::int))::date
                       <= coalesce(clock.first_month, %(month)s),
                   false) AS clock_exhausted
      FROM l
      JOIN applicants_applicant a ON a.id = l.applicant_id
      JOIN subsidies_claim c ON c.id = l.claim_id
      LEFT JOIN employers_employer emr ON emr.id = l.employer_id
      LEFT JOIN LATERAL (
          SELECT coalesce(jsonb_agg(jsonb_build_array(
                     k.birth_year, k.birth_month, k.verified_at IS NOT NULL)
                     ORDER BY k.birth_year, k.birth_month), '[]'::jsonb) AS children,
                 coalesce(bool_or(k.q), false) AS qualifying,
                 coalesce(bool_or(k.q AND k.verified_at IS NOT NULL), false)
                     AS qualifying_verified
            FROM (
                SELECT k.birth_year, k.birth_month, k.verified_at,
                       __CHILD_QUALIFIES__ AS q
                  FROM applicants_child k
                 WHERE k.applicant_id = l.applicant_id
            ) k
      ) ch ON true
      -- A line decided before she withdrew her children's records, with no child reason
      -- then, keeps that conclusion about her children: its decision record's snapshot is
      -- the evidence at the time, and a privacy action is not evidence (PIPL Art. 15).
      -- Everything else about the line is decided again as usual.
      CROSS JOIN LATERAL (
          SELECT coalesce(a.evidence_withdrawn_at IS NOT NULL
                          AND l.prev_decision <> 'pending'
                          AND l.prev_decided_at <= a.evidence_withdrawn_at
                          AND NOT l.prev_reasons && %(child_reasons)s::varchar[], false) AS child
      ) kept
      LEFT JOIN LATERAL (
          SELECT jsonb_agg(jsonb_build_object(
                     'id', e.id, 'start', e.start_date, 'end', e.end_date,
                     'declared', e.declared_mamagang, 'contract', e.has_labour_contract,
                     'contract_months', e.contract_months) ORDER BY e.id) AS employment,
                 count(*) > 0 AS employed,
                 coalesce(bool_or(e.declared_mamagang), false) AS declared,
                 coalesce(bool_or(e.has_labour_contract AND (
                     %(min_contract)s::int IS NULL OR e.contract_months >= %(min_contract)s::int
                 )), false) AS contract_ok
            FROM applicants_employment e
           WHERE e.applicant_id = l.applicant_id
             AND e.employer_id = l.employer_id
             AND e.start_date <= %(day)s
             AND (e.end_date IS NULL OR e.end_date >= %(day)s)
      ) emp ON true
      LEFT JOIN LATERAL (
          SELECT CASE WHEN count(*) = 0 THEN NULL ELSE jsonb_build_object(
                     'employer_amount', sum(r.employer_amount),
                     'person_amount', sum(r.person_amount),
                     'insurance_types', jsonb_agg(r.insurance_types)) END AS contribution,
                 sum(r.employer_amount) AS employer_amount,
                 sum(r.person_amount) AS person_amount
            FROM subsidies_contributionrecord r
           WHERE r.person_hash = a.id_number_hash
             AND r.month = %(month)s
             AND r.employer_uscc = coalesce(emr.uscc, '')
      ) cr ON true
      LEFT JOIN subsidies_raterow rr
             ON rr.policy_id = %(policy)s
            AND rr.valid_from <= %(day)s
            AND (rr.valid_until IS NULL OR rr.valid_until > %(day)s)
      LEFT JOIN LATERAL (
          SELECT count(*) AS used, min(o.month) AS first_month
            FROM subsidies_claimline o
           WHERE o.applicant_id = l.applicant_id
             AND o.subsidy_type_id = %(subsidy_type)s
             AND o.month <> %(month)s
             AND o.decision = 'eligible'
             AND o.status <> 'rejected'
      ) clock ON true
),
r AS (
    SELECT f.*, __REASONS__ AS reasons
      FROM f
),
d AS (
    SELECT r.id, r.reasons, r.rate_id,
           CASE WHEN cardinality(r.reasons) = 0 THEN 'eligible'
                WHEN r.reasons <@ %(review_reasons)s::varchar[] THEN 'needs_review'
                ELSE 'ineligible' END AS decision,
           CASE WHEN cardinality(r.reasons) > 0 THEN NULL
                WHEN r.rate_kind = 'per_month' THEN r.rate_amount
                -- Rounded down to the fen: twelve months never exceed the yearly amount,
                -- a share never exceeds its fraction of what was paid.
                WHEN r.rate_kind = 'per_year' THEN trunc(r.rate_amount / 12, 2)
                ELSE least(
                    trunc(r.rate_share * CASE WHEN %(employer_lines)s
                                              THEN r.employer_amount
                                              ELSE r.person_amount END, 2),
                    r.rate_cap)
           END AS amount,
           jsonb_build_object(
               'reference_day', %(day)s::date,
               'birth_date', r.birth_date,
               'retirement_on', r.retirement_on,
               'category', r.category,
               'children', r.children,
               'child_facts_kept', r.child_facts_kept,
               'eligibility_policy', %(eligibility_policy)s::jsonb,
               'listed', r.listed,
               'employment', r.employment,
               'contribution', r.contribution,
               'months_used', r.used,
               'first_month', r.first_month,
               'submitted_on', r.submitted_on,
               'window_end', %(window_end)s::date,
               'rate_row', r.rate_id
           ) AS inputs
      FROM r
),
h AS (
    -- The clock's counts change whenever another month is decided; they matter only
    -- through the decision, so they stay in the record but out of the digest (a second
    -- pass over a month then changes nothing).
    SELECT d.*, md5(jsonb_build_array(
               d.inputs - 'months_used' - 'first_month', d.decision, d.reasons, d.amount,
               %(rule_version)s)::text) AS digest
      FROM d
),
upd AS (
    UPDATE subsidies_claimline cl
       SET decision = h.decision,
           reasons = h.reasons,
           amount = h.amount,
           rate_row_id = h.rate_id,
           decided_at = %(now)s,
           inputs_digest = h.digest,
           updated_at = %(now)s,
           status = CASE WHEN cl.status = 'approved' THEN 'open' ELSE cl.status END,
           approved_by_id = CASE WHEN cl.status = 'approved' THEN NULL
                                 ELSE cl.approved_by_id END,
           approved_at = CASE WHEN cl.status = 'approved' THEN NULL ELSE cl.approved_at END,
           second_approved_by_id = CASE WHEN cl.status = 'approved' THEN NULL
                                        ELSE cl.second_approved_by_id END
      FROM h
     WHERE cl.id = h.id
       AND cl.inputs_digest IS DISTINCT FROM h.digest
 RETURNING cl.id, h.decision, h.reasons, h.amount, h.rate_id, h.inputs
),
ins AS (
    INSERT INTO subsidies_decisionrecord
           (line_id, run_id, decided_at, rule_version, decision, reasons, amount,
            rate_row_id, inputs)
    SELECT upd.id, %(run)s, %(now)s, %(rule_version)s, upd.decision, upd.reasons,
           upd.amount, upd.rate_id, upd.inputs
      FROM upd
 RETURNING 1
)
SELECT (SELECT count(*) FROM h), (SELECT count(*) FROM ins)
"""


# Facts that the recovery check (services.payments) reads too, written once here.
def listed_sql(employer: str, day: str) -> str:
    """SQL: a listing period of `employer` covers `day`."""
    return f"""EXISTS (
               SELECT 1 FROM employers_listingperiod p
                WHERE p.employer_id = {employer}
                  AND p.listed_from <= {day}
                  AND (p.listed_until IS NULL OR p.listed_until > {day}))"""  # noqa: S608


def child_qualifies_sql(child: str, day: str, years: str) -> str:
    """SQL: child row `child` qualifies on `day`, cut off `years` after its birth month."""
    return (
        f"(make_date({child}.birth_year, {child}.birth_month, 1) <= {day}"
        f" AND {day} < make_date({child}.birth_year + {years}, {child}.birth_month, 1))"
    )


_DECIDE_SQL = (
    _DECIDE_SQL.replace("__REASONS__", reasons_sql(row="f"))
    .replace("__LISTED__", listed_sql("l.employer_id", "%(day)s"))
    .replace("__CHILD_QUALIFIES__", child_qualifies_sql("k", "%(day)s", "%(child_years)s"))
)


def lines_decide(
    *,
    policy: SubsidyPolicy,
    month: datetime.date,
    first_id: int = 0,
    last_id: int = MAX_ID,
    run_id: int | None = None,
    now: datetime.datetime | None = None,
    policy_book: PolicyBook | None = None,
) -> DecideResult:
    """Decide the open and approved lines of `policy` and `month` with ids in the range."""
    now = now or timezone.now()
    day = reference_day(policy, month)
    region_code = policy.region.code
    eligibility = (policy_book or PolicyBook()).policy_for(region_code, day)
    params = {
        "policy": policy.pk,
        "subsidy_type": policy.subsidy_type_id,
        "month": month,
        "day": day,
        "first_id": first_id,
        "last_id": last_id,
        "employer_lines": policy.subsidy_type.payee == SubsidyType.Payee.EMPLOYER,
        "requires_listing": policy.requires_listing,
        "requires_declaration": policy.requires_declaration,
        "requires_contract": policy.requires_labour_contract,
        "min_contract": policy.min_contract_months,
        "requires_contribution": policy.requires_contribution,
        "max_months": policy.max_months,
        "extension_years": policy.retirement_extension_years,
        "window_end": window_end(policy, month),
        "child_years": child_cutoff_years(
            eligibility.child_age_limit, eligibility.child_age_inclusive
        ),
        "admitted": sorted(eligibility.admitted_categories),
        "child_categories": sorted(CHILD_CATEGORIES),
        "duty_categories": [c for c, duties in CATEGORY_CARE_DUTIES.items() for _ in duties],
        "duty_codes": [d for duties in CATEGORY_CARE_DUTIES.values() for d in sorted(duties)],
        "require_verified": eligibility.require_verified_evidence,
        "review_reasons": sorted({*policy.review_reasons, *ALWAYS_REVIEW_REASONS}),
        "child_reasons": sorted(CHILD_REASONS),
        "eligibility_policy": _json(
            {
                "id": eligibility.policy_id,
                "child_age_limit": eligibility.child_age_limit,
                "inclusive": eligibility.child_age_inclusive,
                "admitted": sorted(eligibility.admitted_categories),
                "require_verified": eligibility.require_verified_evidence,
            }
        ),
        "rule_version": RULE_VERSION,
        "run": run_id,
        "now": now,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # JIT compilation of this statement cost more than it saved (3.7 s of 5.5 s for a
        # 9,800-line chunk; 1M lines 241 s with JIT, 154 s without: subsidies_benchmark).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_DECIDE_SQL, params)
        decided, changed = cursor.fetchone()
    return DecideResult(decided=decided, changed=changed)


def _json(value) -> str:
    import json

    return json.dumps(value, sort_keys=True)
