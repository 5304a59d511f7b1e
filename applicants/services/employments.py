"""
Employment registration (就业登记) with the 妈妈岗 declaration (DOMAIN.md
§2.4): created when an application reaches hired, or by the employer for a
hire made offline, by the person's ID number once she has consented.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from employers.models import Employer
from employers.permissions import can_manage_employer
from jobs.models import Job
from mamagang.accounts.models import User
from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError
from mamagang.core.services import notification_send

from ..models import Applicant, Application, Consent, Employment
from ..selectors import applicant_get_by_id_number


def _check_terms(
    *,
    start_date: datetime.date,
    end_date: datetime.date | None,
    employment_form: str,
    has_labour_contract: bool,
    contract_months: int | None,
) -> None:
    if employment_form not in Job.EmploymentForm.values:
        raise ValidationError({"employment_form": _("请选择用工形式。")})
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": _("离职日期不能早于入职日期。")})
    if contract_months is not None and not has_labour_contract:
        raise ValidationError({"contract_months": _("未签订劳动合同时不填合同期限。")})
    if has_labour_contract and contract_months is not None and contract_months < 1:
        raise ValidationError({"contract_months": _("合同期限至少 1 个月。")})


@transaction.atomic
def employment_create(
    *,
    employer: Employer,
    applicant: Applicant,
    registered_by: User,
    start_date: datetime.date,
    employment_form: str,
    job: Job | None = None,
    application: Application | None = None,
    end_date: datetime.date | None = None,
    has_labour_contract: bool = False,
    contract_months: int | None = None,
    social_insurance: bool = False,
    declared_mamagang: bool = True,
    now: datetime.datetime | None = None,
) -> Employment:
    """Register an employment; she is told, and it is audited."""
    now = now or timezone.now()
    if not can_manage_employer(registered_by, employer):
        raise DomainError(_("您不是该单位的成员。"), code="employment_no_permission")
    if job is not None and job.employer_id != employer.pk:
        raise DomainError(_("该岗位不属于本单位。"), code="employment_job_mismatch")
    _check_terms(
        start_date=start_date,
        end_date=end_date,
        employment_form=employment_form,
        has_labour_contract=has_labour_contract,
        contract_months=contract_months,
    )
    employment = Employment(
        employer=employer,
        applicant=applicant,
        job=job,
        application=application,
        source=Employment.Source.APPLICATION if application else Employment.Source.OFFLINE,
        start_date=start_date,
        end_date=end_date,
        end_reason=Employment.EndReason.CONTRACT_EXPIRED if end_date else "",
        employment_form=employment_form,
        has_labour_contract=has_labour_contract,
        contract_months=contract_months if has_labour_contract else None,
        social_insurance=social_insurance,
        declared_mamagang=declared_mamagang,
        declared_at=now if declared_mamagang else None,
        registered_by=registered_by,
    )
    try:
        with transaction.atomic():
            employment.save()
    except IntegrityError as exc:
        raise DomainError(
            _("该人员在本单位同一入职日期的就业登记已存在。"), code="employment_duplicate"
        ) from exc
    audit_record(
        actor=registered_by,
        action="employment.registered",
        obj=employment,
        after={
            "employer": employer.pk,
            "applicant": applicant.pk,
            "start": start_date.isoformat(),
            "form": employment_form,
            "declared_mamagang": declared_mamagang,
            "source": employment.source,
        },
    )
    from django.urls import reverse

    notification_send(
        recipient=applicant.user,
        kind="employment.registered",
        title=_("%(employer)s 已为您办理就业登记（%(start)s 入职）")
        % {"employer": employer.name, "start": start_date.isoformat()},
        link=reverse("applicants:me-home"),
        email=True,
    )
    return employment


@transaction.atomic
def employment_register_offline(
    *,
    employer: Employer,
    registered_by: User,
    id_number: str,
    start_date: datetime.date,
    employment_form: str,
    job: Job | None = None,
    end_date: datetime.date | None = None,
    has_labour_contract: bool = False,
    contract_months: int | None = None,
    social_insurance: bool = False,
    declared_mamagang: bool = True,
    now: datetime.datetime | None = None,
) -> Employment:
    """
    Register a hire made outside the portal, by her ID number, once she has
    given the portal her consent to such registrations. Unknown and
    not-consented numbers get the same answer, so the form reveals nothing.
    """
    applicant = applicant_get_by_id_number(id_number=id_number)
    consented = (
        applicant is not None
        and Consent.objects.filter(
            applicant=applicant,
            kind=Consent.Kind.EMPLOYMENT_REGISTRATION,
            withdrawn_at__isnull=True,
        ).exists()
    )
    if not consented:
        raise DomainError(
            _(
                "无法登记：请本人先在平台注册，并在“我的”页面同意用人单位凭身份证号码为其办理"
                "就业登记，然后再试。"
            ),
            code="employment_no_consent",
        )
    return employment_create(
        employer=employer,
        applicant=applicant,
        registered_by=registered_by,
        job=job,
        start_date=start_date,
        end_date=end_date,
        employment_form=employment_form,
        has_labour_contract=has_labour_contract,
        contract_months=contract_months,
        social_insurance=social_insurance,
        declared_mamagang=declared_mamagang,
        now=now,
    )


@transaction.atomic
def employment_end(
    *,
    employment: Employment,
    ended_by: User,
    end_date: datetime.date,
    reason: str,
    note: str = "",
) -> Employment:
    """Record the end of an employment: the last day and the reason."""
    employment = (
        Employment.objects.select_for_update()
        .select_related("employer", "applicant__user")
        .get(pk=employment.pk)
    )
    if not can_manage_employer(ended_by, employment.employer):
        raise DomainError(_("您不是该单位的成员。"), code="employment_no_permission")
    if employment.end_date is not None and employment.end_date < timezone.localdate():
        raise DomainError(_("该就业登记已终止。"), code="employment_already_ended")
    if reason not in Employment.EndReason.values:
        raise ValidationError({"reason": _("请选择离职原因。")})
    if end_date < employment.start_date:
        raise ValidationError({"end_date": _("离职日期不能早于入职日期。")})
    before = {"end_date": employment.end_date and employment.end_date.isoformat()}
    employment.end_date = end_date
    employment.end_reason = reason
    employment.end_note = (note or "").strip()[:200]
    employment.ended_by = ended_by
    employment.save(update_fields=["end_date", "end_reason", "end_note", "ended_by", "updated_at"])
    audit_record(
        actor=ended_by,
        action="employment.ended",
        obj=employment,
        before=before,
        after={"end_date": end_date.isoformat(), "reason": reason},
        reason=employment.end_note,
    )
    notification_send(
        recipient=employment.applicant.user,
        kind="employment.ended",
        title=_("%(employer)s 已登记您的离职（%(date)s）")
        % {"employer": employment.employer.name, "date": end_date.isoformat()},
        email=True,
    )
    return employment
