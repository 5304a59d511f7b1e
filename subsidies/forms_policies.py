"""Forms of the bureau's policy pages: filters, a policy, a dated rate row."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mamagang.regions.models import Region

from .models import RateRow, SubsidyPolicy, SubsidyType
from .services.policies import (
    POLICY_EDITABLE_FIELDS,
    RATE_EDITABLE_FIELDS,
    policy_region_levels,
    policy_region_message,
    rate_row_field_errors,
    uses_recognition_year,
)

ACTIVE_CHOICES = [("", _("全部")), ("yes", _("启用中")), ("no", _("已停用"))]


class _RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        parent = f"{obj.parent.name} " if obj.parent_id and obj.level == "district" else ""
        return f"{parent}{obj.name}（{obj.code}）"


class _TypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SubsidyType) -> str:
        return obj.name


class PolicyFilterForm(forms.Form):
    subsidy_type = _TypeChoiceField(
        label=_("补贴类型"),
        queryset=SubsidyType.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("全部"),
    )
    region = _RegionChoiceField(
        label=_("地区"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("全部"),
        help_text=_("选择地市时，也列出其下各区县的政策。"),
    )
    active = forms.ChoiceField(label=_("状态"), choices=ACTIVE_CHOICES, required=False)

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions

    def active_value(self) -> bool | None:
        """The active filter as a bool, None for any (call after is_valid())."""
        return {"yes": True, "no": False}.get(self.cleaned_data.get("active") or "")


_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

_POLICY_HELP = {
    "legal_reference": _("文件名称和文号，如“中府函〔2022〕226号”。"),
    "max_months": _("同一人员跨单位累计计算；留空为不限。"),
    "retirement_extension_years": _(
        "首次享受时距法定退休年龄不足此年数的，可延长享受至退休；留空为不延长。"
    ),
    "claim_window_months": _("所属月份结束后多少个月内可以申报，逾期不予受理。"),
    "requires_listing": _("所属月份内用人单位须在妈妈岗名录内。"),
    "requires_declaration": _("就业登记须申明为妈妈岗。"),
    "requires_labour_contract": _("须签订劳动合同（劳务协议不算）。"),
    "min_contract_months": _("须签订劳动合同时的最短合同期限；留空为不限。"),
    "requires_contribution": _("所属月份须有社会保险缴费记录（导入的缴费数据）。"),
    "second_approval_above": _(
        "单条补贴明细超过此金额时，须由两名工作人员先后审核；留空为不需要。"
    ),
    "publicity_days": _("发放前在公示栏公示的天数。"),
    "auto_generate": _("每月由人社部门按就业登记自动生成补贴明细，单位无需申报。"),
    "active": _("停用后不再受理新的申报，已有明细不受影响。"),
}


class PolicyForm(forms.ModelForm):
    """A policy's conditions and clock; region and type only when creating."""

    reference_day = forms.IntegerField(
        label=_("判定日（每月第几日）"),
        min_value=1,
        max_value=28,
        initial=1,
        help_text=_("每月这一天的情况决定是否符合条件、适用哪一条标准；1到28。"),
    )
    reason = forms.CharField(
        label=_("修改说明"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("选填。写明依据的文件或原因，记入修改记录。"),
    )

    class Meta:
        model = SubsidyPolicy
        fields = POLICY_EDITABLE_FIELDS
        help_texts = _POLICY_HELP

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned policy fields (without region, type and reason)."""
        return {name: self.cleaned_data[name] for name in POLICY_EDITABLE_FIELDS}


class PolicyCreateForm(PolicyForm):
    region = _RegionChoiceField(
        label=_("地区"),
        queryset=Region.objects.none(),
        help_text=_(
            "只能选择您辖区内的地市或区县（省级只用于就业基地奖补）。"
            "区县的政策优先于所在地市的同类政策。"
        ),
        error_messages={"invalid_choice": _("请选择您辖区内的地区。")},
    )
    subsidy_type = _TypeChoiceField(
        label=_("补贴类型"), queryset=SubsidyType.objects.order_by("code")
    )

    class Meta(PolicyForm.Meta):
        fields = ["region", "subsidy_type", *POLICY_EDITABLE_FIELDS]

    field_order = ["region", "subsidy_type"]

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        region, subsidy_type = cleaned.get("region"), cleaned.get("subsidy_type")
        if region and subsidy_type and region.level not in policy_region_levels(subsidy_type):
            self.add_error("region", policy_region_message(subsidy_type))
        elif region and subsidy_type:
            existing = SubsidyPolicy.objects.filter(region=region, subsidy_type=subsidy_type)
            if existing.exists():
                self.add_error(
                    "subsidy_type",
                    _("%(region)s已有“%(type)s”政策，请在政策列表中打开它修改。")
                    % {"region": region.name, "type": subsidy_type.name},
                )
        return cleaned


class RateRowForm(forms.ModelForm):
    """One dated rate of a policy; the recognition year only for base awards."""

    reason = forms.CharField(
        label=_("修改说明"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("选填。写明依据的文件或原因，记入修改记录。"),
    )

    class Meta:
        model = RateRow
        fields = RATE_EDITABLE_FIELDS
        widgets = {"valid_from": _DATE, "valid_until": _DATE}
        help_texts = {
            "valid_from": _("从这一天起执行。"),
            "valid_until": _("从这一天起不再执行（当天不含在内）；留空为长期有效。"),
            "kind": _("每月固定金额、每年固定金额（按月计发十二分之一），或按实际缴费的比例。"),
            "amount": _("每月或每年固定金额的标准填写；按比例计算时留空。"),
            "share": _(
                "按实际缴费比例计算时填写，0到1之间的小数：0.5即50%，三分之二填0.6666666667。"
                "固定金额的标准留空。"
            ),
            "cap": _("按实际缴费比例计算时，每人每月最多补贴的金额。固定金额的标准留空。"),
            "recognition_year": _(
                "就业基地认定后第几年适用这条标准（1为第一年，2为第二年）；"
                "不同年度的标准可以同时有效。"
            ),
            "legal_reference": _("选填。这条标准依据的文件和条款。"),
        }

    def __init__(self, *args: Any, policy: SubsidyPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy
        if not uses_recognition_year(policy):
            del self.fields["recognition_year"]
        else:
            self.fields["recognition_year"].min_value = 1
            self.fields["recognition_year"].widget.attrs["min"] = 1

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        errors = rate_row_field_errors(
            policy=self.policy,
            kind=cleaned.get("kind"),
            valid_from=cleaned.get("valid_from"),
            valid_until=cleaned.get("valid_until"),
            amount=cleaned.get("amount"),
            share=cleaned.get("share"),
            cap=cleaned.get("cap"),
            recognition_year=cleaned.get("recognition_year"),
        )
        for name, message in errors.items():
            if name in self.fields and not self.has_error(name):
                self.add_error(name, message)
        return cleaned

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned rate fields the form shows (without reason)."""
        return {
            name: self.cleaned_data[name] for name in RATE_EDITABLE_FIELDS if name in self.fields
        }


class PolicyWhatIfForm(forms.Form):
    """A draft change of a policy tried against one decided month (nothing is saved)."""

    month = forms.ChoiceField(
        label=_("试算月份"),
        help_text=_("只能选择已经判定过的月份。"),
        error_messages={"invalid_choice": _("请选择已经判定过的月份。")},
    )
    rate_amount = forms.DecimalField(
        label=_("新的每月补贴金额（元）"),
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text=_("按新金额每人每月计发；留空为不调整金额。"),
    )
    rate_from = forms.DateField(
        label=_("新金额的生效日期"),
        required=False,
        widget=_DATE,
        help_text=_(
            "留空为所选月份的1日。正在执行的标准在这一天的前一天结束，之后的标准保持不变。"
        ),
    )
    max_months = forms.IntegerField(
        label=_("新的每人最长享受月数"),
        required=False,
        help_text=_("同一人员跨单位累计计算；留空为不调整。"),
    )
    max_months_unlimited = forms.BooleanField(label=_("改为不限享受月数"), required=False)
    child_age_limit = forms.IntegerField(
        label=_("新的子女年龄上限（周岁）"),
        required=False,
        help_text=_("1到18周岁；留空为不调整。"),
    )
    child_age_inclusive = forms.BooleanField(
        label=_("含上限年龄（如“12周岁以下”含12周岁，满13周岁前均符合）"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, months: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [
            (f"{m:%Y-%m}", _("%(y)s年%(m)s月") % {"y": m.year, "m": m.month}) for m in months
        ]
        self.fields["rate_amount"].widget.attrs["inputmode"] = "decimal"

    def month_value(self) -> Any:
        """The chosen month as its 1st day, a datetime.date (call after is_valid())."""
        import datetime

        year, month = self.cleaned_data["month"].split("-")
        return datetime.date(int(year), int(month), 1)

    def draft_kwargs(self) -> dict[str, Any]:
        """The fields of subsidies.services.whatif.PolicyDraft (call after is_valid())."""
        data = self.cleaned_data
        return {
            "rate_amount": data["rate_amount"],
            "rate_from": data["rate_from"],
            "max_months": data["max_months"],
            "max_months_unlimited": data["max_months_unlimited"],
            "child_age_limit": data["child_age_limit"],
            "child_age_inclusive": data["child_age_inclusive"],
        }


class ScenarioUploadForm(forms.Form):
    """A scenario file (YAML) to run against the real engine, rolled back."""

    file = forms.FileField(
        label=_("情景文件"),
        help_text=_("YAML 格式（.yaml 或 .yml，UTF-8 编码），不超过 200 KB。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml"}),
    )
