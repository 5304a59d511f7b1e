"""Read use-cases of the applicants app."""

from __future__ import annotations

from mamagang.core.crypto import keyed_hash
from mamagang.core.identifiers import normalize_ric

from .models import Applicant


def applicant_get_by_id_number(*, id_number: str) -> Applicant | None:
    """Return the applicant with `id_number`, found through its keyed hash."""
    return (
        Applicant.objects.select_related("user", "residence_district")
        .filter(id_number_hash=keyed_hash(normalize_ric(id_number)))
        .first()
    )
