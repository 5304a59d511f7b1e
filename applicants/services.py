"""
Write use-cases for applicants' personal data: the profile with the ID
number (encrypted, hashed, masked; never stored or logged in clear), the
children's minimal data, consents, and the audited unmasking by staff.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamagang.accounts.models import User
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record
from mamagang.core.crypto import decrypt_text, encrypt_text, keyed_hash, mask_identifier
from mamagang.core.exceptions import DomainError
from mamagang.core.identifiers import ric_birth_date, validate_resident_id
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_is_county_level

from .models import Applicant, Child, Consent

# The version of the privacy notice the consents refer to; bump it when the text changes.
CONSENT_TEXT_VERSION = "2026-11"


def _give_consent(applicant: Applicant, kind: str, *, now: datetime.datetime) -> Consent:
    consent = Consent.objects.filter(
        applicant=applicant, kind=kind, withdrawn_at__isnull=True
    ).first()
    if consent is None:
        consent = Consent.objects.create(
            applicant=applicant, kind=kind, text_version=CONSENT_TEXT_VERSION, given_at=now
        )
        audit_record(
            actor=applicant.user,
            action="consent.given",
            obj=consent,
            after={"kind": kind, "version": CONSENT_TEXT_VERSION},
        )
    return consent


@transaction.atomic
def applicant_profile_create(
    *,
    user: User,
    full_name: str,
    id_number: str,
    residence_district: Region,
    residence_street: Region | None = None,
    category: str = Applicant.Category.MOTHER,
    retirement_category: str = "",
    sensitive_data_consent: bool,
    now: datetime.datetime | None = None,
) -> Applicant:
    """
    Create `user`'s applicant profile. The ID number needs the separate
    consent for sensitive data (PIPL Art. 29), recorded with the notice's
    version. Raise ValidationError for a malformed or registered number.
    """
    now = now or timezone.now()
    if not sensitive_data_consent:
        raise DomainError(
            _("填写身份证号码前，请先阅读并单独同意敏感个人信息处理规则。"),
            code="applicant_consent_required",
        )
    number = validate_resident_id(id_number, today=timezone.localdate(now))
    digest = keyed_hash(number)
    if Applicant.objects.filter(id_number_hash=digest).exists():
        raise ValidationError({"id_number": _("该身份证号码已登记。")}, code="id_number_taken")
    if not region_is_county_level(residence_district):
        raise ValidationError({"residence_district": _("请选择区县。")}, code="district_level")
    if residence_street is not None and residence_street.parent_id != residence_district.pk:
        raise ValidationError(
            {"residence_street": _("所选街道/乡镇不属于该区县。")}, code="street_not_in_district"
        )
    applicant = Applicant(
        user=user,
        full_name=full_name,
        category=category,
        retirement_category=retirement_category,
        id_number_encrypted=encrypt_text(number),
        id_number_hash=digest,
        id_number_masked=mask_identifier(number),
        birth_date=ric_birth_date(number),
        residence_district=residence_district,
        residence_street=residence_street,
    )
    applicant.full_clean(exclude=["user"])
    applicant.save()
    _give_consent(applicant, Consent.Kind.SENSITIVE_DATA, now=now)
    # The audit row names the masked number only.
    audit_record(
        actor=user,
        action="applicant.created",
        obj=applicant,
        after={"id_number": applicant.id_number_masked, "category": category},
    )
    return applicant


@transaction.atomic
def child_add(
    *,
    applicant: Applicant,
    added_by: User,
    birth_year: int,
    birth_month: int,
    relationship: str,
    evidence: str,
    guardian_consent: bool,
    now: datetime.datetime | None = None,
) -> Child:
    """
    Record a child's birth year and month, relationship and evidence type
    (no name, no ID number). Needs the guardian's consent (PIPL Art. 31).
    """
    now = now or timezone.now()
    if not guardian_consent:
        raise DomainError(
            _("登记子女信息前，请以监护人身份同意处理规则。"), code="child_consent_required"
        )
    today = timezone.localdate(now)
    if (birth_year, birth_month) > (today.year, today.month) or birth_year < today.year - 30:
        raise ValidationError({"birth_year": _("请填写正确的出生年月。")}, code="child_birth")
    _give_consent(applicant, Consent.Kind.GUARDIAN_CHILDREN, now=now)
    child = Child(
        applicant=applicant,
        birth_year=birth_year,
        birth_month=birth_month,
        relationship=relationship,
        evidence=evidence,
    )
    child.full_clean()
    child.save()
    audit_record(
        actor=added_by,
        action="child.added",
        obj=child,
        after={"birth": f"{birth_year}-{birth_month:02d}", "evidence": evidence},
    )
    return child


def _ensure_staff_in_scope(user: User, applicant: Applicant, perm: str) -> None:
    if not user.has_perm(perm):
        raise DomainError(_("您没有此项权限。"), code="applicant_no_permission")
    if not user_may_act_on_region(user=user, region_code=applicant.residence_district.code):
        raise DomainError(_("该求职者不在您的辖区内。"), code="applicant_out_of_scope")


@transaction.atomic
def applicant_id_number_unmask(*, applicant: Applicant, requested_by: User, reason: str) -> str:
    """
    Return the applicant's full ID number to bureau staff of her district
    who give a reason; every unmasking is audited with that reason.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("查看完整身份证号码须填写事由。"), code="unmask_reason_required")
    _ensure_staff_in_scope(requested_by, applicant, "applicants.unmask_applicant")
    audit_record(actor=requested_by, action="applicant.id_unmasked", obj=applicant, reason=reason)
    return decrypt_text(applicant.id_number_encrypted)


@transaction.atomic
def child_verify(*, child: Child, verified_by: User, now: datetime.datetime | None = None) -> Child:
    """Record that bureau staff checked the child's evidence."""
    now = now or timezone.now()
    child = (
        Child.objects.select_for_update()
        .select_related("applicant__residence_district")
        .get(pk=child.pk)
    )
    _ensure_staff_in_scope(verified_by, child.applicant, "applicants.verify_child")
    if child.verified_at is None:
        child.verified_by, child.verified_at = verified_by, now
        child.save(update_fields=["verified_by", "verified_at", "updated_at"])
        audit_record(actor=verified_by, action="child.verified", obj=child)
    return child
