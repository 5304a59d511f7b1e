"""Write use-cases of the subsidies app (re-exported from their modules)."""

from .claims import (
    claim_submit_for_employer,
    claim_submit_for_person,
    lines_generate_for_month,
    policies_for,
)
from .contributions import contributions_import
from .payments import (
    batch_approve,
    batch_create,
    batch_export,
    batch_mark_paid,
    recoveries_propose,
    recovery_decide,
)
from .review import line_approve, line_redecide, line_reject
from .runs import run_chunk_process, run_resume, run_start, runs_start_monthly, runs_start_nightly
from .suspicions import suspicion_decide, suspicions_scan

__all__ = [
    "batch_approve",
    "batch_create",
    "batch_export",
    "batch_mark_paid",
    "claim_submit_for_employer",
    "claim_submit_for_person",
    "contributions_import",
    "line_approve",
    "line_redecide",
    "line_reject",
    "lines_generate_for_month",
    "policies_for",
    "recoveries_propose",
    "recovery_decide",
    "run_chunk_process",
    "run_resume",
    "run_start",
    "runs_start_monthly",
    "runs_start_nightly",
    "suspicion_decide",
    "suspicions_scan",
]
