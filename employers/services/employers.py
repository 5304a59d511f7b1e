"""Registering employers, editing their data, and assigning specialists."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from employers.models import Employer, EmployerMembership
from mamagang.accounts.models import User
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record, snapshot
from mamagang.core.exceptions import DomainError
from mamagang.core.identifiers import normalize_uscc, uscc_entity_type, validate_uscc
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_is_county_level

# Fields a member of the employer may change (the USCC is fixed at registration).
EDITABLE_FIELDS = (
    "name",
    "sector",
    "district",
    "street",
    "address",
    "contact_name",
    "contact_phone",
    "size",
    "description",
    "has_nursing_room",
    "has_women_home",
    "has_childcare",
    "has_school_run_arrangement",
    "facilities_note",
)


def _check_location(district: Region, street: Region | None) -> None:
    # A city without districts (东莞, 中山) stands in for the district.
    if not region_is_county_level(district):
        raise ValidationError({"district": _("请选择区县。")}, code="employer_district_level")
    if street is not None and (
        street.level != Region.Level.STREET or street.parent_id != district.pk
    ):
        raise ValidationError(
            {"street": _("所选街道/乡镇不属于该区县。")}, code="employer_street_not_in_district"
        )


def employer_build(*, uscc: str, **fields: Any) -> Employer:
    """
    Return an unsaved, fully validated Employer; raise ValidationError with
    field errors. Shared by registration and bulk import.
    """
    code = normalize_uscc(uscc)
    try:
        validate_uscc(code)
    except ValidationError as exc:
        raise ValidationError({"uscc": exc.error_list}) from exc
    employer = Employer(uscc=code, entity_type=uscc_entity_type(code), **fields)
    _check_location(employer.district, employer.street)
    employer.full_clean()
    return employer


@transaction.atomic
def employer_register(*, registered_by: User, uscc: str, **fields: Any) -> Employer:
    """
    Register an employer by its USCC and make `registered_by` its admin.

    Raise ValidationError for invalid data or a USCC already registered.
    """
    employer = employer_build(uscc=uscc, created_by=registered_by, **fields)
    employer.save()
    EmployerMembership.objects.create(
        employer=employer, user=registered_by, role=EmployerMembership.Role.ADMIN
    )
    audit_record(
        actor=registered_by,
        action="employer.registered",
        obj=employer,
        after=snapshot(employer, ["uscc", "name", "district", "sector"]),
    )
    return employer


@transaction.atomic
def employer_update(*, employer: Employer, updated_by: User, **fields: Any) -> Employer:
    """Change an employer's own data; only EDITABLE_FIELDS are accepted."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            _("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))},
            code="employer_field_not_editable",
        )
    employer = Employer.objects.select_for_update().get(pk=employer.pk)
    changed = [name for name, value in fields.items() if getattr(employer, name) != value]
    if not changed:
        return employer
    before = snapshot(employer, changed)
    for name in changed:
        setattr(employer, name, fields[name])
    _check_location(employer.district, employer.street)
    employer.full_clean()
    employer.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=updated_by,
        action="employer.updated",
        obj=employer,
        before=before,
        after=snapshot(employer, changed),
    )
    return employer


@transaction.atomic
def employer_specialist_assign(
    *, employer: Employer, specialist: User | None, assigned_by: User
) -> Employer:
    """
    Make `specialist` (a bureau user of the employer's district) the
    employer's employment-service specialist, or clear it with None.
    """
    if not user_may_act_on_region(user=assigned_by, region_code=employer.district.code):
        raise DomainError(_("该单位不在您的辖区内。"), code="employer_out_of_scope")
    if specialist is not None and not (
        specialist.has_perm("accounts.use_staff_workspace")
        and user_may_act_on_region(user=specialist, region_code=employer.district.code)
    ):
        raise DomainError(
            _("就业服务专员必须是负责该区县的工作人员。"), code="specialist_not_in_scope"
        )
    employer = Employer.objects.select_for_update().get(pk=employer.pk)
    before = {"specialist": employer.specialist_id}
    employer.specialist = specialist
    employer.save(update_fields=["specialist", "updated_at"])
    audit_record(
        actor=assigned_by,
        action="employer.specialist_assigned",
        obj=employer,
        before=before,
        after={"specialist": specialist.pk if specialist else None},
    )
    return employer
