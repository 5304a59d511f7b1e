"""Forms of the bureau's subsidy pages: queue filters, line decisions, run starts."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamagang.regions.models import Region

from .models import ClaimLine, SubsidyPolicy, SubsidyType
from .selectors_staff import SECOND_AWAITING, SECOND_NEEDED

# One POST approves at most this many lines (each is a locked, audited service call).
BULK_MAX = 100


class MonthField(forms.DateField):
    """A month as "YYYY-MM" (an <input type="month">), cleaned to its 1st day."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ("%Y-%m", "%Y-%m-%d")
    default_error_messages = {"invalid": _("请按“2026-10”的格式填写月份。")}

    def to_python(self, value: Any) -> datetime.date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day else None


class _RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.name}（{obj.code}）"


class _PolicyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SubsidyPolicy) -> str:
        return f"{obj.region.name} · {obj.subsidy_type.name}"


class StaffLineFilterForm(forms.Form):
    """GET filters of the review queue; districts are those in the user's scope."""

    month = MonthField(label=_("所属月份"), required=False)
    subsidy_type = forms.ModelChoiceField(
        label=_("补贴类型"),
        queryset=SubsidyType.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("全部类型"),
    )
    decision = forms.ChoiceField(
        label=_("判定"), choices=[("", _("全部")), *ClaimLine.Decision.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *ClaimLine.Status.choices], required=False
    )
    district = _RegionChoiceField(
        label=_("区县"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("全部区县"),
    )
    employer = forms.CharField(
        label=_("用人单位名称"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    second = forms.ChoiceField(
        label=_("二次审批"),
        choices=[
            ("", _("全部")),
            (SECOND_NEEDED, _("超过二次审批标准（未审结）")),
            (SECOND_AWAITING, _("已初审，待另一人复核")),
        ],
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        districts: QuerySet[Region],
        subsidy_types: QuerySet[SubsidyType],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        self.fields["subsidy_type"].queryset = subsidy_types


class LineApproveForm(forms.Form):
    note = forms.CharField(
        label=_("审核意见（可不填）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LineRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("驳回原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("申报人会看到这段说明。"),
        error_messages={"required": _("请填写驳回原因，申报人会看到这段说明。")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("请填写驳回原因，申报人会看到这段说明。"))
        return reason


class IdListField(forms.Field):
    """Several integer ids under one name (the ticked checkboxes of a list)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("所选明细无效，请刷新页面后重试。")}

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class BulkApproveForm(forms.Form):
    """The ids of the lines ticked in the queue (at most BULK_MAX)."""

    lines = IdListField(error_messages={"required": _("请先勾选要审核通过的明细。")})
    note = forms.CharField(required=False, max_length=1000)

    def clean_lines(self) -> list[int]:
        ids = self.cleaned_data["lines"]
        if len(ids) > BULK_MAX:
            raise ValidationError(
                _("一次最多审核通过 %(n)s 条明细，请分批处理。"), params={"n": BULK_MAX}
            )
        return ids


class RunStartForm(forms.Form):
    """Start deciding a policy's month; the policies offered are those in scope."""

    policy = _PolicyChoiceField(
        label=_("补贴政策"), queryset=SubsidyPolicy.objects.none(), empty_label=None
    )
    month = MonthField(label=_("所属月份"))

    def __init__(self, *args: Any, policies: QuerySet[SubsidyPolicy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = policies
        if "month" not in self.initial:
            this_month = timezone.localdate().replace(day=1)
            self.initial["month"] = (this_month - datetime.timedelta(days=1)).replace(day=1)

    def clean_month(self) -> datetime.date:
        month = self.cleaned_data["month"]
        if month >= timezone.localdate().replace(day=1):
            raise ValidationError(_("只能判定已结束的月份。"))
        return month
