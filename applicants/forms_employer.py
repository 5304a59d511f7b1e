"""
Forms of the employer's application and employment pages: the filter of the
application list, the moves on an application (interview, offer, hire,
reject), the offline employment registration and the end of an employment.

The forms only parse input; the rules (which moves are allowed, contract
terms, consent) are the services' and come back as DomainError or
ValidationError.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobs.models import Job
from mamagang.core.identifiers import validate_resident_id

from .models import Application, Employment

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"

DECLARATION_HELP = _(
    "依照广东省“妈妈岗”就业模式的通知，用人单位在办理就业登记时主动申明“妈妈岗”，"
    "人社部门据此建立并公开妈妈岗用人单位名录，本岗位也计入本单位的妈妈岗数量。"
    "岗位时间灵活、便于照顾孩子的，请保留勾选。"
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ApplicationFilter(django_filters.FilterSet):
    """Filter an employer's applications by post and by status."""

    job = django_filters.ModelChoiceFilter(
        label=_("岗位"),
        queryset=Job.objects.none(),
        empty_label=_("全部岗位"),
    )
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=Application.Status.choices, empty_label=_("全部状态")
    )

    class Meta:
        model = Application
        fields = ["job", "status"]

    def __init__(self, *args: Any, jobs, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the current employer's posts: another employer's id is invalid.
        self.filters["job"].queryset = jobs
        self.form.fields["job"].error_messages["invalid_choice"] = _("请从列表中选择本单位的岗位。")
        self.form.fields["status"].error_messages["invalid_choice"] = _("请从列表中选择申请状态。")


class InterviewForm(forms.Form):
    at = forms.DateTimeField(
        label=_("面试时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("北京时间。求职者会收到站内消息、短信和邮件。"),
        error_messages={
            "required": _("请选择面试的日期和时间。"),
            "invalid": _("请按“年-月-日 时:分”填写面试时间。"),
        },
    )
    place = forms.CharField(
        label=_("面试地点"),
        max_length=200,
        help_text=_("写清楚地址和联系人；电话或视频面试请写“电话面试”并注明号码由谁拨打。"),
        error_messages={"required": _("请填写面试地点（或“电话面试”）。")},
    )
    note = forms.CharField(
        label=_("给求职者的话（可选）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OfferForm(forms.Form):
    note = forms.CharField(
        label=_("给求职者的话（可选）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如入职日期、报到地点、需要带的材料。"),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("未通过的原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("求职者会看到这段说明，请客观、礼貌地写明原因，便于她了解情况。"),
        error_messages={"required": _("请填写未通过的原因，求职者会看到这段说明。")},
    )


class _EmploymentTermsForm(forms.Form):
    """The terms of an employment registration (就业登记)."""

    start_date = forms.DateField(
        label=_("入职日期"),
        widget=DateInput(),
        error_messages={"required": _("请填写入职日期。"), "invalid": _("请按“年-月-日”填写。")},
    )
    end_date = forms.DateField(
        label=_("合同终止日期（可选）"),
        required=False,
        widget=DateInput(),
        help_text=_("固定期限的用工可填写；不确定请留空，离职时再登记。"),
        error_messages={"invalid": _("请按“年-月-日”填写。")},
    )
    employment_form = forms.ChoiceField(
        label=_("用工形式"),
        choices=Job.EmploymentForm.choices,
        error_messages={"required": _("请选择用工形式。")},
    )
    has_labour_contract = forms.BooleanField(label=_("签订劳动合同"), required=False)
    contract_months = forms.IntegerField(
        label=_("合同期限（月）"),
        required=False,
        min_value=1,
        max_value=240,
        help_text=_("签订劳动合同时填写；非全日制用工可以口头约定，不填。"),
        error_messages={"min_value": _("合同期限至少 1 个月。")},
    )
    social_insurance = forms.BooleanField(label=_("缴纳社会保险"), required=False)
    declared_mamagang = forms.BooleanField(
        label=_("申明该岗位为“妈妈岗”"), required=False, help_text=DECLARATION_HELP
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {
            "start_date": timezone.localdate(),
            "declared_mamagang": True,
            **kwargs["initial"],
        }
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("合同终止日期不能早于入职日期。"))
        if cleaned.get("contract_months") and not cleaned.get("has_labour_contract"):
            self.add_error(
                "contract_months",
                _("未签订劳动合同时请不要填写合同期限；如已签订，请勾选“签订劳动合同”。"),
            )
        return cleaned

    def terms(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "employment_form": data["employment_form"],
            "has_labour_contract": data["has_labour_contract"],
            "contract_months": data["contract_months"] if data["has_labour_contract"] else None,
            "social_insurance": data["social_insurance"],
            "declared_mamagang": data["declared_mamagang"],
        }


class HireForm(_EmploymentTermsForm):
    """Hire her from an application; the defaults are the post's terms."""

    @classmethod
    def for_job(cls, job: Job, **kwargs: Any) -> HireForm:
        initial = {
            "employment_form": job.employment_form,
            "has_labour_contract": job.has_labour_contract,
            "contract_months": job.contract_months,
            "social_insurance": job.social_insurance,
        }
        return cls(initial=initial, **kwargs)


class NoEchoTextInput(forms.TextInput):
    """A text input that never writes the submitted value back into the page."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        return super().get_context(name, None, attrs)


class OfflineEmploymentForm(_EmploymentTermsForm):
    """Register a hire made outside the portal, by her ID number."""

    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=30,
        widget=NoEchoTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "18位居民身份证号码。本人须已在平台注册，并同意用人单位凭身份证号码为其办理"
            "就业登记。出于隐私保护，提交后号码不会再显示在页面上。"
        ),
        error_messages={"required": _("请填写身份证号码。")},
    )
    job = forms.ModelChoiceField(
        label=_("岗位（可选）"),
        queryset=Job.objects.none(),
        required=False,
        empty_label=_("不关联平台岗位"),
        help_text=_("在本平台发布过的岗位可以关联；线下招用的其他岗位请留空。"),
        error_messages={"invalid_choice": _("请从列表中选择本单位的岗位。")},
    )

    field_order = ["id_number", "job"]

    def __init__(self, *args: Any, jobs, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["job"].queryset = jobs
        self.fields["employment_form"].initial = Job.EmploymentForm.PART_TIME_HOURLY

    def clean_id_number(self) -> str:
        # The messages never repeat the number.
        return validate_resident_id(self.cleaned_data["id_number"])


class EmploymentEndForm(forms.Form):
    end_date = forms.DateField(
        label=_("离职日期（最后工作日）"),
        widget=DateInput(),
        error_messages={"required": _("请填写离职日期。"), "invalid": _("请按“年-月-日”填写。")},
    )
    reason = forms.ChoiceField(
        label=_("离职原因"),
        choices=Employment.EndReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择离职原因。")},
    )
    note = forms.CharField(
        label=_("说明（可选）"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"end_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
