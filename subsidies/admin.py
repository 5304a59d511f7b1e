"""
Admin for the subsidies app. Bureau admins edit subsidy policies and their
dated rate rows here, and every save and delete is audited. Overlapping rate
rows are refused with a form error before the database's exclusion
constraint sees them. What services write (claims and lines, decision
records, contribution records, runs, suspicions, payment batches,
recoveries) is read-only here; a claim line names the applicant by her
__str__, which shows the masked ID number only.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.forms.models import BaseInlineFormSet, InlineForeignKeyField
from django.http import HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mamagang.core.admin import ReadOnlyAdmin
from mamagang.core.audit import audit_record, snapshot
from mamagang.regions.models import Region

from .models import (
    BaseAward,
    Claim,
    ClaimLine,
    ContributionImport,
    ContributionRecord,
    DecisionRecord,
    EligibilityRun,
    EmploymentBase,
    PaymentBatch,
    RateRow,
    Recovery,
    RunChunk,
    SubsidyPolicy,
    SubsidyType,
    Suspicion,
)
from .services.policies import OVERLAP_CONSTRAINT, POLICY_FIELDS, RATE_FIELDS

TYPE_FIELDS = ["code", "name", "payee", "description"]
# Changed rate rows are parked on distinct one-day ranges here before the
# formset saves them, so that moving two rows' dates past each other in one
# form never overlaps the other row's old dates on the way.
PARK_FROM = datetime.date(1, 1, 1)


def _overlap_message(first: datetime.date, second: datetime.date) -> str:
    return gettext(
        "补贴标准的有效期不能重叠：{first} 起的标准与 {second} 起的标准重叠。"
        "请先调整前一条的失效日期。"
    ).format(first=first.isoformat(), second=second.isoformat())


def _overlaps(
    a_from: datetime.date,
    a_until: datetime.date | None,
    b_from: datetime.date,
    b_until: datetime.date | None,
) -> bool:
    """Half-open ranges [from, until); a missing `until` is open-ended."""
    return (b_until is None or a_from < b_until) and (a_until is None or b_from < a_until)


def _is_overlap_error(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == OVERLAP_CONSTRAINT or (
        OVERLAP_CONSTRAINT in str(exc)
    )


class AuditedAdmin(admin.ModelAdmin):
    """Audit every save and delete made in the admin (who, before, after)."""

    audit_action = ""
    audit_fields: list[str] = []

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            before = snapshot(type(obj).objects.get(pk=obj.pk), self.audit_fields)
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=f"{self.audit_action}.{'changed' if change else 'created'}",
            obj=obj,
            before=before,
            after=snapshot(obj, self.audit_fields),
        )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user,
            action=f"{self.audit_action}.deleted",
            obj=obj,
            before=snapshot(obj, self.audit_fields),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The changelist's "delete selected" action: one event per row.
        for obj in queryset:
            audit_record(
                actor=request.user,
                action=f"{self.audit_action}.deleted",
                obj=obj,
                before=snapshot(obj, self.audit_fields),
            )
        super().delete_queryset(request, queryset)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The forms check overlaps first; this catches a concurrent edit that
        # slipped past them. The whole change was rolled back by then.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as exc:
            if not _is_overlap_error(exc):
                raise
            self.message_user(
                request,
                gettext("补贴标准的有效期与已有标准重叠，未保存任何修改。请刷新后重试。"),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())


@admin.register(SubsidyType)
class SubsidyTypeAdmin(AuditedAdmin):
    """Seeded by a migration; new types need the engine to know their payee."""

    audit_action = "subsidy_type"
    audit_fields = TYPE_FIELDS
    list_display = ["code", "name", "payee"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []


class RateRowForm(forms.ModelForm):
    """One dated rate: the fields its kind needs, and (on its own page) no overlap."""

    class Meta:
        model = RateRow
        fields = RATE_FIELDS

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        amount, share, cap = cleaned.get("amount"), cleaned.get("share"), cleaned.get("cap")
        if kind == RateRow.Kind.CONTRIBUTION_SHARE:
            if share is None or not (0 < share <= 1):
                self.add_error("share", _("按缴费比例计算时，比例须大于0且不超过1。"))
            if cap is None or cap <= 0:
                self.add_error("cap", _("按缴费比例计算时，须填写大于0的每月上限。"))
            if amount is not None:
                self.add_error("amount", _("按缴费比例计算时不填固定金额。"))
        elif kind:
            if amount is None or amount <= 0:
                self.add_error("amount", _("固定金额须大于0。"))
            for name in ("share", "cap"):
                if cleaned.get(name) is not None:
                    self.add_error(name, _("固定金额的标准不填比例和上限。"))
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if valid_from and valid_until and valid_until <= valid_from:
            self.add_error("valid_until", _("失效日期须晚于生效日期。"))
        # Inline rows are checked together by the formset (rows may move together).
        if not isinstance(self.fields.get("policy"), InlineForeignKeyField):
            self._check_saved_rows(cleaned)
        return cleaned

    def _check_saved_rows(self, cleaned: dict[str, Any]) -> None:
        policy, valid_from = cleaned.get("policy"), cleaned.get("valid_from")
        if policy is None or valid_from is None or self.has_error("valid_until"):
            return
        # Rows of different recognition years (employment-base awards) may share dates.
        others = RateRow.objects.filter(
            policy=policy, recognition_year=cleaned.get("recognition_year")
        ).exclude(pk=self.instance.pk)
        for other in others.order_by("valid_from"):
            if _overlaps(
                valid_from, cleaned.get("valid_until"), other.valid_from, other.valid_until
            ):
                # An error on valid_from also keeps Django's generic constraint message away.
                self.add_error("valid_from", _overlap_message(other.valid_from, valid_from))
                return


class RateRowFormSet(BaseInlineFormSet):
    """A policy's rate rows as they will be after saving: none may overlap."""

    def clean(self):
        super().clean()
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and self._should_delete_form(form)):
                continue
            if data.get("valid_from") is None or form.has_error("valid_until"):
                continue
            rows.append(
                (data.get("recognition_year") or 0, data["valid_from"], data.get("valid_until"))
            )
        rows.sort()
        for n, (year, valid_from, valid_until) in enumerate(rows):
            for other_year, other_from, other_until in rows[n + 1 :]:
                if year == other_year and _overlaps(
                    valid_from, valid_until, other_from, other_until
                ):
                    raise ValidationError(_overlap_message(valid_from, other_from))


class RateRowInline(admin.TabularInline):
    model = RateRow
    form = RateRowForm
    formset = RateRowFormSet
    fields = [
        "valid_from",
        "valid_until",
        "kind",
        "amount",
        "share",
        "cap",
        "legal_reference",
        "recognition_year",
    ]
    extra = 1


def _rate_actions(request, formset: RateRowFormSet) -> None:
    """Save the inline rate rows, auditing each created, changed and deleted row."""
    touched = [
        form.instance
        for form in formset.initial_forms
        if form.instance.pk and (form.has_changed() or formset._should_delete_form(form))
    ]
    rows = RateRow.objects.in_bulk([row.pk for row in touched])
    before = {pk: snapshot(row, RATE_FIELDS) for pk, row in rows.items()}
    deleted = [
        (form.instance, form.instance.pk)
        for form in formset.initial_forms
        if form.instance.pk and formset._should_delete_form(form)
    ]
    for n, row in enumerate(touched):
        park = PARK_FROM + datetime.timedelta(days=2 * n)
        RateRow.objects.filter(pk=row.pk).update(
            valid_from=park, valid_until=park + datetime.timedelta(days=1)
        )
    formset.save()
    for obj, pk in deleted:
        obj.pk = pk  # deleting cleared it; the event still names the row
        audit_record(actor=request.user, action="rate_row.deleted", obj=obj, before=before[pk])
    for obj in formset.new_objects:
        audit_record(
            actor=request.user, action="rate_row.created", obj=obj, after=snapshot(obj, RATE_FIELDS)
        )
    for obj, _fields in formset.changed_objects:
        audit_record(
            actor=request.user,
            action="rate_row.changed",
            obj=obj,
            before=before[obj.pk],
            after=snapshot(obj, RATE_FIELDS),
        )


@admin.register(SubsidyPolicy)
class SubsidyPolicyAdmin(AuditedAdmin):
    """A region's subsidy type with its dated rates; every change is audited."""

    audit_action = "subsidy_policy"
    audit_fields = POLICY_FIELDS
    inlines = [RateRowInline]
    list_display = [
        "region",
        "subsidy_type",
        "legal_reference",
        "max_months",
        "claim_window_months",
        "auto_generate",
        "active",
    ]
    list_filter = ["subsidy_type", "active", "auto_generate"]
    list_select_related = ["region", "subsidy_type"]
    search_fields = ["region__code", "region__name", "legal_reference"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            # A policy belongs to a city or a district, or (employment-base
            # awards of provincial bases) a province: a plain list, as bureau
            # admins hold no permission on regions for an autocomplete.
            kwargs["queryset"] = (
                Region.objects.current()
                .filter(level__in=[Region.Level.PROVINCE, Region.Level.CITY, Region.Level.DISTRICT])
                .order_by("code")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_formset(self, request, form, formset, change):
        if formset.model is RateRow:
            _rate_actions(request, formset)
        else:
            super().save_formset(request, form, formset, change)


@admin.register(RateRow)
class RateRowAdmin(AuditedAdmin):
    audit_action = "rate_row"
    audit_fields = RATE_FIELDS
    form = RateRowForm
    list_display = ["policy", "valid_from", "valid_until", "kind", "amount", "share", "cap"]
    list_filter = ["kind"]
    list_select_related = ["policy"]


@admin.register(ContributionImport)
class ContributionImportAdmin(ReadOnlyAdmin):
    list_display = [
        "file_name",
        "region",
        "row_count",
        "created_count",
        "imported_by",
        "created_at",
    ]
    list_select_related = ["region", "imported_by"]


@admin.register(ContributionRecord)
class ContributionRecordAdmin(ReadOnlyAdmin):
    """By month and payer; the person's keyed hash is not shown."""

    list_display = [
        "month",
        "employer_uscc",
        "insurance_types",
        "employer_amount",
        "person_amount",
        "source",
    ]
    list_select_related = ["source"]
    exclude = ["person_hash"]
    show_full_result_count = False


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["pk", "source", "region", "employer", "applicant", "submitted_at"]
    list_filter = ["source"]
    list_select_related = ["region", "employer", "applicant"]


@admin.register(ClaimLine)
class ClaimLineAdmin(ReadOnlyAdmin):
    """The applicant is named by her masked __str__; never her ID number."""

    list_display = [
        "month",
        "applicant",
        "subsidy_type",
        "employer",
        "decision",
        "reasons",
        "amount",
        "status",
    ]
    list_filter = ["decision", "status", "subsidy_type"]
    list_select_related = ["applicant", "subsidy_type", "employer"]
    show_full_result_count = False


@admin.register(DecisionRecord)
class DecisionRecordAdmin(ReadOnlyAdmin):
    list_display = ["line", "decided_at", "rule_version", "decision", "reasons", "amount", "run"]
    list_filter = ["decision", "rule_version"]
    list_select_related = ["line", "run"]
    show_full_result_count = False


@admin.register(EligibilityRun)
class EligibilityRunAdmin(ReadOnlyAdmin):
    list_display = [
        "policy",
        "month",
        "kind",
        "status",
        "done_chunks",
        "total_chunks",
        "lines_decided",
        "lines_changed",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["policy"]


@admin.register(RunChunk)
class RunChunkAdmin(ReadOnlyAdmin):
    list_display = ["run", "first_id", "last_id", "status", "attempts", "decided", "changed"]
    list_filter = ["status"]
    list_select_related = ["run"]


@admin.register(Suspicion)
class SuspicionAdmin(ReadOnlyAdmin):
    """Raised by the fraud scan, decided by staff on their pages (with a note)."""

    list_display = ["kind", "region", "employer", "applicant", "month", "status", "decided_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["region", "employer", "applicant"]


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "region",
        "number",
        "status",
        "declared_count",
        "declared_amount",
        "publicity_until",
        "paid_at",
    ]
    list_filter = ["status"]
    list_select_related = ["region"]


@admin.register(Recovery)
class RecoveryAdmin(ReadOnlyAdmin):
    list_display = ["line", "amount", "reasons", "status", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["line"]


@admin.register(EmploymentBase)
class EmploymentBaseAdmin(ReadOnlyAdmin):
    """Recognised in the staff workspace (/staff/subsidies/bases/), audited there."""

    list_display = ["name", "region", "level", "year", "valid_from", "valid_until", "status"]
    list_filter = ["level", "status"]
    list_select_related = ["region"]


@admin.register(BaseAward)
class BaseAwardAdmin(ReadOnlyAdmin):
    list_display = ["base", "amount", "cap", "status", "decided_at", "paid_at"]
    list_filter = ["status"]
    list_select_related = ["base"]
