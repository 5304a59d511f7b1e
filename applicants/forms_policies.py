"""Forms of the bureau's eligibility policy pages: one dated row of a region's policy."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mamagang.regions.models import Region

from .models import Applicant, EligibilityPolicy
from .services.eligibility_policies import (
    CHILD_AGE_MAX,
    CHILD_AGE_MIN,
    POLICY_EDITABLE_FIELDS,
    eligibility_policy_field_errors,
)

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _label(name: str) -> Any:
    return EligibilityPolicy._meta.get_field(name).verbose_name


class _RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        parent = f"{obj.parent.name} " if obj.parent_id and obj.level == "district" else ""
        return f"{parent}{obj.name}（{obj.code}）"


class EligibilityPolicyForm(forms.Form):
    """The fields of one row; the region only when creating (EligibilityPolicyCreateForm)."""

    valid_from = forms.DateField(
        label=_label("valid_from"),
        widget=_DATE,
        help_text=_(
            "从这一天起执行。某一天适用的是当天已经生效的最新一条；同一地区同一生效日期只能有一条。"
        ),
    )
    child_age_limit = forms.IntegerField(
        label=_label("child_age_limit"),
        min_value=CHILD_AGE_MIN,
        max_value=CHILD_AGE_MAX,
        initial=12,
        help_text=_("1到18之间的整数，如“12周岁以下”填12。"),
    )
    child_age_inclusive = forms.BooleanField(
        label=_label("child_age_inclusive"),
        required=False,
        initial=True,
        help_text=EligibilityPolicy._meta.get_field("child_age_inclusive").help_text,
    )
    admitted_categories = forms.MultipleChoiceField(
        label=_label("admitted_categories"),
        choices=Applicant.Category.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Applicant.Category.MOTHER],
        help_text=_("本地区哪些人员类别可以享受妈妈岗政策；至少选择一类。"),
        error_messages={"required": _("请至少选择一类适用人员。")},
    )
    require_verified_evidence = forms.BooleanField(
        label=_label("require_verified_evidence"),
        required=False,
        initial=True,
        help_text=_("选中时，子女证明材料须经工作人员核验后才计入资格。"),
    )
    legal_reference = forms.CharField(
        label=_label("legal_reference"),
        max_length=300,
        required=False,
        help_text=_("文件名称和文号，如“中府函〔2022〕226号”。"),
    )
    reason = forms.CharField(
        label=_("修改说明"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("选填。写明依据的文件或原因，记入修改记录。"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        errors = eligibility_policy_field_errors(
            child_age_limit=cleaned.get("child_age_limit"),
            admitted_categories=cleaned.get("admitted_categories"),
        )
        for name, message in errors.items():
            if not self.has_error(name):
                self.add_error(name, message)
        return cleaned

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned row fields (without region and reason)."""
        return {name: self.cleaned_data[name] for name in POLICY_EDITABLE_FIELDS}


class EligibilityPolicyCreateForm(EligibilityPolicyForm):
    region = _RegionChoiceField(
        label=_label("region"),
        queryset=Region.objects.none(),
        help_text=_(
            "只能选择您辖区内的省、地市或区县。区县的政策优先于所在地市的，地市的优先于所在省的。"
        ),
        error_messages={"invalid_choice": _("请选择您辖区内的地区。")},
    )

    field_order = ["region"]

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions


def eligibility_policy_initial(policy: EligibilityPolicy) -> dict[str, Any]:
    """The edit form's initial values: the row as it is."""
    return {name: getattr(policy, name) for name in POLICY_EDITABLE_FIELDS}
