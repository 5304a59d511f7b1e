"""Forms of the bureau's applicant pages: search, ID-number look-up, unmasking, survey."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamagang.core.identifiers import validate_resident_id
from mamagang.regions.models import Region

from .models import Applicant


class _RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.name}（{obj.code}）"


class StaffApplicantFilterForm(forms.Form):
    """GET filters of the applicant list; districts and streets are those in scope."""

    name = forms.CharField(
        label=_("姓名"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("输入姓名或其中几个字。"),
    )
    district = _RegionChoiceField(
        label=_("居住区县"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("全部区县"),
    )
    street = _RegionChoiceField(
        label=_("街道/乡镇"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("全部街道/乡镇"),
    )
    eligibility = forms.ChoiceField(
        label=_("资格状态"),
        choices=[("", _("全部")), *Applicant.Eligibility.choices],
        required=False,
    )
    awaiting = forms.BooleanField(label=_("只看有子女材料待核验的"), required=False)

    def __init__(
        self,
        *args: Any,
        districts: QuerySet[Region],
        streets: QuerySet[Region],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        self.fields["street"].queryset = streets
        if streets.query.is_empty():
            self.fields["street"].help_text = _("先选择区县并点“查找”，再按街道/乡镇筛选。")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        street, district = data.get("street"), data.get("district")
        if street is not None and (district is None or street.parent_id != district.pk):
            self.add_error("street", _("所选街道/乡镇不属于该区县，请重新选择。"))
        return data


class _NoEchoTextInput(forms.TextInput):
    """A text input that never writes the submitted value back into the page."""

    def format_value(self, value: Any) -> None:
        return None


class IdNumberSearchForm(forms.Form):
    """
    Look-up by the complete ID number, sent by POST so that the number
    stays out of URLs, browser history and access logs, and never echoed
    back into the page.
    """

    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=30,
        widget=_NoEchoTextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
        help_text=_("须输入完整的18位号码；不支持按部分号码查找。"),
        error_messages={"required": _("请输入完整的18位身份证号码。")},
    )

    def clean_id_number(self) -> str:
        # A malformed or partial number is refused before any look-up.
        return validate_resident_id(self.cleaned_data["id_number"], today=timezone.localdate())


class UnmaskForm(forms.Form):
    reason = forms.CharField(
        label=_("查看事由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例如：核对补贴申请材料、办理就业登记。查看人、时间和事由都会被记录。"),
        error_messages={"required": _("请填写查看完整身份证号码的事由。")},
    )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise ValidationError(_("请填写查看完整身份证号码的事由。"))
        return reason


class DemandSurveyFilterForm(forms.Form):
    district = _RegionChoiceField(
        label=_("居住区县"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("辖区内全部区县"),
    )
    category = forms.ChoiceField(
        label=_("人员类别"),
        choices=[("", _("全部类别")), *Applicant.Category.choices],
        required=False,
    )

    def __init__(self, *args: Any, districts: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
