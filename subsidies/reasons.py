"""Reason codes of claim-line decisions: declared once, with labels, in applicants.rules."""

from applicants.rules import REASON_LABELS as LABELS
from applicants.rules import Reason, reason_explanations, reason_labels

__all__ = ["LABELS", "Reason", "reason_explanations", "reason_labels"]
