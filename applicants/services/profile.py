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
from rest_framework.authtoken.models import Token

from mamagang.accounts.models import User
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record
from mamagang.core.crypto import decrypt_text, encrypt_text, keyed_hash, mask_identifier
from mamagang.core.exceptions import DomainError
from mamagang.core.identifiers import ric_birth_date, validate_resident_id
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_is_county_level

from ..models import Applicant, Child, Consent, FreeWindow, WorkExperience

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
    if Applicant.objects.filter(user=user).exists():
        raise DomainError(_("您已建立求职者档案。"), code="applicant_profile_exists")
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


# ---------------------------------------------------------------------------
# Profile sections after creation. Each validates its values against the
# choices of the app that owns them and audits what changed.

PERSONAL_FIELDS = (
    "full_name",
    "category",
    "retirement_category",
    "residence_district",
    "residence_street",
    "education",
    "skills",
    "certificates",
    "care_duties",
)
INTENTION_FIELDS = (
    "intended_post_modes",
    "intended_location_modes",
    "intended_employment_forms",
    "hours_per_week",
    "intended_sectors",
    "training_needs",
    "training_other",
)


def _audit_value(value):
    return value.pk if hasattr(value, "pk") else value


def _check_choices(field: str, values: list[str], allowed) -> None:
    unknown = [v for v in values if v not in set(allowed)]
    if unknown:
        raise ValidationError({field: _("无效的选项：%(v)s") % {"v": "、".join(unknown)}})


def _clean_tags(values, *, limit: int, max_length: int) -> list[str]:
    cleaned: list[str] = []
    for value in values or []:
        value = " ".join(str(value).split())[:max_length]
        if value and value not in cleaned:
            cleaned.append(value)
    return cleaned[:limit]


def _update(applicant: Applicant, *, actor: User, action: str, fields: dict) -> Applicant:
    before = {k: _audit_value(getattr(applicant, k)) for k in fields}
    for key, value in fields.items():
        setattr(applicant, key, value)
    applicant.full_clean(exclude=["user"])
    changed = [k for k in fields if before[k] != _audit_value(getattr(applicant, k))]
    if changed:
        applicant.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action=action,
            obj=applicant,
            before={k: before[k] for k in changed},
            after={k: _audit_value(getattr(applicant, k)) for k in changed},
        )
    return applicant


@transaction.atomic
def applicant_personal_update(*, applicant: Applicant, updated_by: User, **fields) -> Applicant:
    """
    Update the personal area (name, category, retirement category, residence,
    education, skills, certificates, other care duties). The ID number is
    not changed here: a wrong number is corrected by bureau staff.
    """
    unknown = set(fields) - set(PERSONAL_FIELDS)
    if unknown:
        raise TypeError(f"not personal fields: {sorted(unknown)}")
    _ensure_active(applicant)
    if "skills" in fields:
        fields["skills"] = _clean_tags(fields["skills"], limit=20, max_length=30)
    if "certificates" in fields:
        fields["certificates"] = _clean_tags(fields["certificates"], limit=20, max_length=50)
    if "care_duties" in fields:
        _check_choices("care_duties", fields["care_duties"], Applicant.CareDuty.values)
    district = fields.get("residence_district", applicant.residence_district)
    street = fields.get("residence_street", applicant.residence_street)
    if "residence_district" in fields and not region_is_county_level(district):
        raise ValidationError({"residence_district": _("请选择区县。")}, code="district_level")
    if street is not None and street.parent_id != district.pk:
        raise ValidationError(
            {"residence_street": _("所选街道/乡镇不属于该区县。")}, code="street_not_in_district"
        )
    return _update(applicant, actor=updated_by, action="applicant.personal_updated", fields=fields)


@transaction.atomic
def applicant_intentions_update(*, applicant: Applicant, updated_by: User, **fields) -> Applicant:
    """Update the intended employment mode, fields (sectors) and training needs."""
    from employers.models import Employer
    from jobs.models import Job

    unknown = set(fields) - set(INTENTION_FIELDS)
    if unknown:
        raise TypeError(f"not intention fields: {sorted(unknown)}")
    _ensure_active(applicant)
    allowed = {
        "intended_post_modes": Job.PostMode.values,
        "intended_location_modes": Job.LocationMode.values,
        "intended_employment_forms": Job.EmploymentForm.values,
        "intended_sectors": Employer.Sector.values,
        "training_needs": Applicant.TrainingNeed.values,
    }
    for key, choices in allowed.items():
        if key in fields:
            fields[key] = list(dict.fromkeys(fields[key] or []))
            _check_choices(key, fields[key], choices)
    hours = fields.get("hours_per_week")
    if hours is not None and not 1 <= hours <= 84:
        raise ValidationError({"hours_per_week": _("每周可工作小时应在 1 到 84 之间。")})
    return _update(
        applicant, actor=updated_by, action="applicant.intentions_updated", fields=fields
    )


@transaction.atomic
def applicant_free_windows_set(
    *, applicant: Applicant, updated_by: User, windows: list[tuple[int, int, int]]
) -> list[FreeWindow]:
    """
    Replace her weekly free windows with `windows` ((weekday, start minute,
    end minute), end exclusive; overlapping ones on a day are merged).
    """
    from jobs.schedule import Window, normalise

    _ensure_active(applicant)
    try:
        merged = normalise(Window(*w) for w in windows)
    except ValueError as exc:
        raise ValidationError({"windows": _("时间段无效。")}, code="window_invalid") from exc
    before = list(applicant.free_windows.values_list("weekday", "start_minute", "end_minute"))
    after = [(w.weekday, w.start, w.end) for w in merged]
    if before == after:
        return list(applicant.free_windows.all())
    applicant.free_windows.all().delete()
    rows = FreeWindow.objects.bulk_create(
        FreeWindow(applicant=applicant, weekday=w.weekday, start_minute=w.start, end_minute=w.end)
        for w in merged
    )
    audit_record(
        actor=updated_by,
        action="applicant.free_windows_set",
        obj=applicant,
        before={"windows": before},
        after={"windows": after},
    )
    return rows


@transaction.atomic
def work_experience_add(
    *,
    applicant: Applicant,
    added_by: User,
    organisation: str,
    role: str,
    start_year: int,
    end_year: int | None = None,
) -> WorkExperience:
    _ensure_active(applicant)
    this_year = timezone.localdate().year
    if not 1950 <= start_year <= this_year or (end_year is not None and end_year > this_year):
        raise ValidationError({"start_year": _("请填写正确的年份。")}, code="experience_year")
    experience = WorkExperience(
        applicant=applicant,
        organisation=organisation.strip(),
        role=role.strip(),
        start_year=start_year,
        end_year=end_year,
    )
    experience.full_clean()
    experience.save()
    audit_record(actor=added_by, action="applicant.experience_added", obj=applicant)
    return experience


@transaction.atomic
def work_experience_remove(*, experience: WorkExperience, removed_by: User) -> None:
    applicant = experience.applicant
    experience.delete()
    audit_record(actor=removed_by, action="applicant.experience_removed", obj=applicant)


@transaction.atomic
def child_remove(*, child: Child, removed_by: User) -> None:
    """Delete a child's record (she no longer wants it kept, or it was wrong)."""
    applicant = child.applicant
    birth = str(child)
    child.delete()
    _evidence_withdrawn(applicant)
    audit_record(actor=removed_by, action="child.removed", obj=applicant, before={"birth": birth})


@transaction.atomic
def consent_give(*, applicant: Applicant, kind: str, now: datetime.datetime | None = None):
    """Record her consent of `kind` (idempotent while it is not withdrawn)."""
    _ensure_active(applicant)
    return _give_consent(applicant, kind, now=now or timezone.now())


@transaction.atomic
def consent_withdraw(
    *, applicant: Applicant, kind: str, now: datetime.datetime | None = None
) -> None:
    """
    Withdraw a consent. Withdrawing the guardian consent deletes the
    children's records; the separate consent for the ID number is withdrawn
    by deleting the profile (applicant_anonymise), since the programme
    cannot work without it.
    """
    now = now or timezone.now()
    if kind == Consent.Kind.SENSITIVE_DATA:
        raise DomainError(
            _("身份证号码是办理就业和补贴的必要信息；如不再同意，请申请注销个人信息。"),
            code="consent_withdraw_by_deletion",
        )
    consent = Consent.objects.filter(
        applicant=applicant, kind=kind, withdrawn_at__isnull=True
    ).first()
    if consent is None:
        return
    consent.withdrawn_at = now
    consent.save(update_fields=["withdrawn_at"])
    if kind == Consent.Kind.GUARDIAN_CHILDREN:
        applicant.children.all().delete()
        _evidence_withdrawn(applicant, now=now)
    audit_record(
        actor=applicant.user, action="consent.withdrawn", obj=consent, after={"kind": kind}
    )


def _evidence_withdrawn(applicant: Applicant, *, now: datetime.datetime | None = None) -> None:
    """
    Record that she took back evidence about her children. A privacy action is not
    evidence of ineligibility: claim lines decided before keep their decision, later
    ones wait for review (`evidence_withdrawn`), and no recovery is proposed for it.
    """
    applicant.evidence_withdrawn_at = now or timezone.now()
    Applicant.objects.filter(pk=applicant.pk).update(
        evidence_withdrawn_at=applicant.evidence_withdrawn_at
    )


def _ensure_active(applicant: Applicant) -> None:
    if applicant.anonymised_at is not None:
        raise DomainError(_("该个人信息已注销。"), code="applicant_anonymised")


@transaction.atomic
def applicant_anonymise(
    *, applicant: Applicant, requested_by: User, now: datetime.datetime | None = None
) -> Applicant:
    """
    Delete her personal information at her request (PIPL Art. 47), keeping
    what subsidy audits must keep (DOMAIN.md §7.4): if she was ever employed
    through the programme, the encrypted ID number, its keyed hash, birth
    date, the children's birth months and verification and the employment
    records stay (for the retention period); everything else is erased, open
    applications are withdrawn, saved searches deleted and the account
    closed. Without employments, the ID number goes too.
    """
    from ..models import Application

    now = now or timezone.now()
    applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
    _ensure_active(applicant)
    keep_for_audit = applicant.employments.exists()
    live = applicant.applications.exclude(
        status__in=[
            Application.Status.HIRED,
            Application.Status.REJECTED,
            Application.Status.WITHDRAWN,
        ]
    )
    for application in live:
        from .applications import application_withdraw

        application_withdraw(application=application, by=applicant.user, note=_("本人注销个人信息"))
    applicant.applications.update(message="", offered_windows=[])
    applicant.free_windows.all().delete()
    applicant.experiences.all().delete()
    if not keep_for_audit:
        applicant.children.all().delete()
    applicant.user.saved_searches.all().delete()

    applicant.full_name = _("已注销")
    applicant.education = ""
    applicant.skills = []
    applicant.certificates = []
    applicant.care_duties = []
    applicant.intended_post_modes = []
    applicant.intended_location_modes = []
    applicant.intended_employment_forms = []
    applicant.intended_sectors = []
    applicant.training_needs = []
    applicant.training_other = ""
    applicant.hours_per_week = None
    applicant.residence_street = None
    applicant.anonymised_at = now
    if not keep_for_audit:
        # Free the number for a future registration; no trace of it remains.
        applicant.id_number_encrypted = ""
        applicant.id_number_hash = f"deleted:{applicant.pk}"
        applicant.id_number_masked = ""
    applicant.save()
    Consent.objects.filter(applicant=applicant, withdrawn_at__isnull=True).update(withdrawn_at=now)

    user = applicant.user
    user.is_active = False
    user.email = ""
    user.phone = f"d{user.pk:010d}"
    user.display_name = _("已注销用户")
    user.set_unusable_password()
    user.save()
    Token.objects.filter(user=user).delete()
    audit_record(
        actor=requested_by,
        action="applicant.anonymised",
        obj=applicant,
        after={"kept_for_audit": keep_for_audit},
    )
    return applicant
