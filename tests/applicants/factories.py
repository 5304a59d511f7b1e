"""Build applicants through the real services (encrypted ID, consents, audit)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from applicants.models import Applicant, Child
from applicants.services import (
    applicant_free_windows_set,
    applicant_intentions_update,
    applicant_personal_update,
    applicant_profile_create,
    child_add,
    child_verify,
    consent_give,
)
from jobs.schedule import windows_for
from mamagang.regions.models import Region
from tests.accounts.factories import UserFactory

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_sequence = itertools.count(1)


def make_ric(birth: datetime.date, district: str = "440306", seq: int | None = None) -> str:
    """Return a valid 18-character resident ID number (a woman: even 17th digit)."""
    seq = next(_sequence) if seq is None else seq
    order = f"{(seq * 2) % 1000:03d}"
    body = f"{district}{birth:%Y%m%d}{order}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


WEEKDAYS_9_TO_3 = [(w.weekday, w.start, w.end) for w in windows_for(range(5), 540, 900)]


def make_mother(
    *,
    user=None,
    district: str = "440306",
    birth: datetime.date = datetime.date(1990, 6, 15),
    children: list[tuple[int, int, bool]] | None = None,
    windows: list[tuple[int, int, int]] | None = None,
    verifier=None,
    offline_hire_consent: bool = False,
    **fields: Any,
) -> Applicant:
    """
    Create a mother's profile (needs the regions loaded, e.g. shenzhen_guangzhou):
    `children` as (birth year, birth month, verified), default one verified
    child born 2019-03; `windows` default Mon-Fri 09:00-15:00; other
    keyword arguments go to the personal or intentions update.
    """
    if user is None:
        user = UserFactory()
        user.groups.add(Group.objects.get(name="applicant"))
    applicant = applicant_profile_create(
        user=user,
        full_name=fields.pop("full_name", "李晓梅"),
        id_number=fields.pop("id_number", None) or make_ric(birth, district),
        residence_district=Region.objects.get(code=district),
        retirement_category=fields.pop("retirement_category", "F50"),
        category=fields.pop("category", Applicant.Category.MOTHER),
        sensitive_data_consent=True,
    )
    personal = {
        k: fields.pop(k)
        for k in list(fields)
        if k in {"education", "skills", "certificates", "care_duties", "residence_street"}
    }
    if personal:
        applicant_personal_update(applicant=applicant, updated_by=user, **personal)
    if fields:
        applicant_intentions_update(applicant=applicant, updated_by=user, **fields)
    for year, month, verified in [(2019, 3, True)] if children is None else children:
        child = child_add(
            applicant=applicant,
            added_by=user,
            birth_year=year,
            birth_month=month,
            relationship=Child.Relationship.PARENT,
            evidence=Child.Evidence.BIRTH_CERTIFICATE,
            guardian_consent=True,
        )
        if verified:
            Child.objects.filter(pk=child.pk).update(
                verified_by=verifier or _verifier(), verified_at=timezone.now()
            )
    applicant_free_windows_set(
        applicant=applicant,
        updated_by=user,
        windows=WEEKDAYS_9_TO_3 if windows is None else windows,
    )
    if offline_hire_consent:
        consent_give(applicant=applicant, kind="employment_registration")
    return applicant


def _verifier():
    staff = UserFactory()
    staff.groups.add(Group.objects.get(name="bureau_staff"))
    return staff


__all__ = ["WEEKDAYS_9_TO_3", "child_verify", "make_mother", "make_ric"]
