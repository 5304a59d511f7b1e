"""
Forms of a mother's own area (/me/) and of applying to a post.

Residence is chosen like an employer's address: district and street codes
in text boxes named `district` and `street`, which region-picker.js turns
into cascading selects. Free windows are entered as rows of weekday boxes
and from/to times, the same editor employers use for a post's shifts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from employers.forms.workspace import RegionCodeField
from employers.models import Employer
from jobs.forms import BaseWindowFormSet, WindowRowForm, describe_windows, shift_rows
from jobs.models import Job
from jobs.schedule import MINUTES_PER_DAY, Window, parse_time, windows_for
from mamagang.core.identifiers import validate_resident_id
from mamagang.regions.models import Region
from mamagang.regions.selectors import county_level_q

from .models import Applicant, Child, Consent

# Skills and certificates are typed as one line, separated by commas or 、.
_TAG_SEPARATORS = re.compile(r"[,，、;；\n\r]+")
# Free-time rows rendered without JavaScript; job-windows.js may add more.
BLANK_WINDOW_ROWS = 3
# The word she types to confirm deleting her data.
DELETE_CONFIRMATION_WORD = "注销"


def split_tags(text: str) -> list[str]:
    """Return the items of "育婴员、电商直播, 手工" in order, without blanks."""
    return [part.strip() for part in _TAG_SEPARATORS.split(text or "") if part.strip()]


def join_tags(values: Sequence[str]) -> str:
    return "、".join(values)


def _checkboxes(label: Any, choices: Any, **kwargs: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        **kwargs,
    )


class ResidenceFormMixin(forms.Form):
    """District (required) and street (optional) of residence, by code."""

    district = RegionCodeField(
        digits=6,
        label=_("居住区县代码"),
        help_text=_("6位行政区划代码，例如深圳市宝安区为 440306。"),
        error_messages={
            "required": _("请选择您居住的区县。"),
            "invalid_choice": _("请输入现行有效的6位区县代码。"),
        },
    )
    street = RegionCodeField(
        digits=9,
        label=_("居住街道/乡镇代码"),
        required=False,
        help_text=_("选填。9位代码，前6位是区县代码，例如宝安区新安街道为 440306017。"),
        error_messages={"invalid_choice": _("请输入现行有效的9位街道/乡镇代码。")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = Region.objects.current()
        self.fields["district"].queryset = regions.filter(county_level_q())
        self.fields["street"].queryset = regions.filter(level=Region.Level.STREET)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        district, street = cleaned.get("district"), cleaned.get("street")
        if district is not None and street is not None and street.parent_id != district.pk:
            self.add_error("street", _("所选街道/乡镇不属于该区县。"))
        return cleaned


CATEGORY_HELP = _(
    "“抚育儿童的妇女”指抚育12周岁以下（含）子女的妈妈；其他类别是否适用，以您所在地区的政策为准。"
)
RETIREMENT_HELP = _(
    "用于计算您的法定退休年龄（按渐进式延迟退休规定）：在企业从事生产、服务岗位的女职工原为50岁退休，"
    "从事管理、技术岗位的女干部原为55岁退休，男职工原为60岁退休。不清楚可选“不清楚”，"
    "平台会按较早的50岁估算并提醒您。"
)


class _ProfileFieldsMixin(forms.Form):
    full_name = forms.CharField(
        label=_("姓名"),
        max_length=50,
        help_text=_("请填写与身份证一致的姓名。"),
        error_messages={"required": _("请填写您的姓名。")},
    )
    category = forms.ChoiceField(
        label=_("人员类别"),
        choices=Applicant.Category.choices,
        initial=Applicant.Category.MOTHER,
        help_text=CATEGORY_HELP,
    )
    retirement_category = forms.ChoiceField(
        label=_("退休年龄类别"),
        choices=Applicant.RetirementCategory.choices,
        required=False,
        help_text=RETIREMENT_HELP,
    )


class ProfileCreateForm(_ProfileFieldsMixin, ResidenceFormMixin):
    """Her first profile: name, ID number, residence, categories and the separate consent."""

    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=22,
        help_text=_(
            "18位居民身份证号码。出生日期将自动从身份证号码中读取，无需另行填写。"
            "号码加密保存，页面上只显示前4位和后4位。"
        ),
        error_messages={"required": _("请填写身份证号码。")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    sensitive_data_consent = forms.BooleanField(
        label=_(
            "我已阅读上面的《个人信息处理规则》，单独同意平台处理我的身份证号码等敏感个人信息。"
        ),
        error_messages={
            "required": _(
                "需要您单独同意处理身份证号码，才能建立求职档案。如不同意，可以先浏览岗位。"
            )
        },
    )

    field_order = [
        "full_name",
        "id_number",
        "district",
        "street",
        "category",
        "retirement_category",
        "sensitive_data_consent",
    ]

    def clean_id_number(self) -> str:
        # The service validates again; here the error lands next to the field.
        return validate_resident_id(self.cleaned_data["id_number"], today=timezone.localdate())


class PersonalForm(_ProfileFieldsMixin, ResidenceFormMixin):
    education = forms.ChoiceField(
        label=_("学历"),
        choices=[("", _("请选择")), *Applicant.Education.choices],
        required=False,
    )
    skills = forms.CharField(
        label=_("技能"),
        required=False,
        max_length=700,
        help_text=_("用逗号或顿号分隔，例如：电商直播、母婴护理、手工编织。"),
    )
    certificates = forms.CharField(
        label=_("证书"),
        required=False,
        max_length=1100,
        help_text=_("用逗号或顿号分隔，例如：育婴员（四级）、健康证。"),
    )
    care_duties = _checkboxes(
        _("其他照护责任"),
        Applicant.CareDuty.choices,
        help_text=_("除抚育子女外，您还照护哪些家人？可多选，不照护可不选。"),
    )

    field_order = [
        "full_name",
        "category",
        "retirement_category",
        "district",
        "street",
        "education",
        "skills",
        "certificates",
        "care_duties",
    ]

    @classmethod
    def initial_for(cls, applicant: Applicant) -> dict[str, Any]:
        return {
            "full_name": applicant.full_name,
            "category": applicant.category,
            "retirement_category": applicant.retirement_category,
            "district": applicant.residence_district.code,
            "street": applicant.residence_street.code if applicant.residence_street_id else "",
            "education": applicant.education,
            "skills": join_tags(applicant.skills),
            "certificates": join_tags(applicant.certificates),
            "care_duties": list(applicant.care_duties),
        }

    def clean_skills(self) -> list[str]:
        values = split_tags(self.cleaned_data["skills"])
        if any(len(v) > 30 for v in values):
            raise forms.ValidationError(_("每项技能不超过30个字。"))
        return values

    def clean_certificates(self) -> list[str]:
        values = split_tags(self.cleaned_data["certificates"])
        if any(len(v) > 50 for v in values):
            raise forms.ValidationError(_("每个证书名称不超过50个字。"))
        return values

    def personal_fields(self) -> dict[str, Any]:
        """Return the cleaned values as applicant_personal_update's keyword arguments."""
        data = self.cleaned_data
        return {
            "full_name": data["full_name"].strip(),
            "category": data["category"],
            "retirement_category": data["retirement_category"],
            "residence_district": data["district"],
            "residence_street": data["street"],
            "education": data["education"],
            "skills": data["skills"],
            "certificates": data["certificates"],
            "care_duties": data["care_duties"],
        }


def _birth_years() -> list[tuple[str, str]]:
    this_year = timezone.localdate().year
    return [("", _("年份"))] + [(str(y), str(y)) for y in range(this_year, this_year - 31, -1)]


class ChildForm(forms.Form):
    birth_year = forms.TypedChoiceField(
        label=_("出生年份"),
        coerce=int,
        choices=_birth_years,
        error_messages={"required": _("请选择孩子的出生年份。")},
    )
    birth_month = forms.TypedChoiceField(
        label=_("出生月份"),
        coerce=int,
        choices=[("", _("月份"))] + [(str(m), f"{m}月") for m in range(1, 13)],
        error_messages={"required": _("请选择孩子的出生月份。")},
    )
    relationship = forms.ChoiceField(
        label=_("您与孩子的关系"),
        choices=Child.Relationship.choices,
        initial=Child.Relationship.PARENT,
    )
    evidence = forms.ChoiceField(
        label=_("可提供的证明材料"),
        choices=Child.Evidence.choices,
        initial=Child.Evidence.BIRTH_CERTIFICATE,
        help_text=_("区人社局核验时会请您出示该材料的原件，平台不上传、不保存材料本身。"),
    )
    guardian_consent = forms.BooleanField(
        label=_(
            "我是孩子的监护人，同意平台按《个人信息处理规则》处理孩子的出生年月、"
            "与我的关系和证明材料类型（《个人信息保护法》第三十一条）。"
        ),
        error_messages={"required": _("登记孩子的信息前，请以监护人身份勾选同意。")},
    )


class FreeWindowRowForm(WindowRowForm):
    """One row of her free time: the weekdays and the from/to times (the post editor's row)."""

    def clean(self) -> dict[str, Any]:
        cleaned = forms.Form.clean(self)
        days, start, end = cleaned.get("weekdays"), cleaned.get("start"), cleaned.get("end")
        cleaned["windows"] = []
        if not days and not start and not end:
            return cleaned  # a blank row is ignored
        if not days:
            raise forms.ValidationError(_("请勾选这段空闲时间是星期几。"))
        if not start or not end:
            raise forms.ValidationError(
                _("请填写这段空闲时间的开始和结束时间，例如 09:00 和 15:00。")
            )
        try:
            cleaned["windows"] = windows_for(days, parse_time(start), parse_time(end))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return cleaned


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def free_window_formset(
    data: Any = None, *, windows: Sequence[Window] = (), extra: int = BLANK_WINDOW_ROWS
) -> BaseWindowFormSet:
    """Return the free-time rows, pre-filled with her current windows."""
    initial = [
        {
            "weekdays": list(days),
            "start": _clock(start),
            "end": _clock(end % MINUTES_PER_DAY),
        }
        for (start, end), days in shift_rows(windows)
    ]
    formset_class = forms.formset_factory(
        FreeWindowRowForm,
        formset=BaseWindowFormSet,
        extra=max(extra - len(initial), 1),
        max_num=14,
    )
    return formset_class(data, initial=initial, prefix="windows")


class IntentionsForm(forms.Form):
    intended_post_modes = _checkboxes(_("想做的妈妈岗类型"), Job.PostMode.choices)
    intended_location_modes = _checkboxes(_("希望的工作地点"), Job.LocationMode.choices)
    intended_employment_forms = _checkboxes(_("可以接受的用工形式"), Job.EmploymentForm.choices)
    hours_per_week = forms.IntegerField(
        label=_("每周可工作小时"),
        required=False,
        min_value=1,
        max_value=84,
        help_text=_("大约即可，例如每周5天、每天5小时填 25。"),
        error_messages={
            "min_value": _("每周可工作小时应在 1 到 84 之间。"),
            "max_value": _("每周可工作小时应在 1 到 84 之间。"),
            "invalid": _("请填写整数小时，例如 25。"),
        },
    )
    intended_sectors = _checkboxes(_("感兴趣的行业"), Employer.Sector.choices)

    @classmethod
    def initial_for(cls, applicant: Applicant) -> dict[str, Any]:
        return {name: getattr(applicant, name) for name in cls.base_fields}


class TrainingForm(forms.Form):
    training_needs = _checkboxes(_("希望参加的培训"), Applicant.TrainingNeed.choices)
    training_other = forms.CharField(
        label=_("其他培训需求"),
        required=False,
        max_length=100,
        help_text=_("选填，例如：短视频剪辑、中式面点。"),
    )

    @classmethod
    def initial_for(cls, applicant: Applicant) -> dict[str, Any]:
        return {name: getattr(applicant, name) for name in cls.base_fields}


class ExperienceForm(forms.Form):
    organisation = forms.CharField(
        label=_("单位名称"), max_length=100, error_messages={"required": _("请填写单位名称。")}
    )
    role = forms.CharField(
        label=_("岗位"), max_length=50, error_messages={"required": _("请填写岗位。")}
    )
    start_year = forms.IntegerField(
        label=_("开始年份"),
        min_value=1950,
        error_messages={
            "required": _("请填写开始年份，例如 2015。"),
            "invalid": _("请填写4位年份，例如 2015。"),
            "min_value": _("请填写正确的年份。"),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    end_year = forms.IntegerField(
        label=_("结束年份"),
        required=False,
        min_value=1950,
        help_text=_("仍在该单位工作可不填。"),
        error_messages={
            "invalid": _("请填写4位年份，例如 2020。"),
            "min_value": _("请填写正确的年份。"),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start_year"), cleaned.get("end_year")
        this_year = timezone.localdate().year
        if start is not None and start > this_year:
            self.add_error("start_year", _("开始年份不能晚于今年。"))
        if end is not None and end > this_year:
            self.add_error("end_year", _("结束年份不能晚于今年。"))
        if start is not None and end is not None and end < start:
            self.add_error("end_year", _("结束年份不能早于开始年份。"))
        return cleaned


class ConsentChangeForm(forms.Form):
    """Give or withdraw the consents she may change on the privacy page."""

    GIVE, WITHDRAW = "give", "withdraw"
    CHANGES = {
        (Consent.Kind.EMPLOYMENT_REGISTRATION, GIVE),
        (Consent.Kind.EMPLOYMENT_REGISTRATION, WITHDRAW),
        (Consent.Kind.GUARDIAN_CHILDREN, WITHDRAW),
    }

    kind = forms.ChoiceField(
        choices=[
            (Consent.Kind.EMPLOYMENT_REGISTRATION, Consent.Kind.EMPLOYMENT_REGISTRATION.label),
            (Consent.Kind.GUARDIAN_CHILDREN, Consent.Kind.GUARDIAN_CHILDREN.label),
        ],
        widget=forms.HiddenInput,
    )
    action = forms.ChoiceField(
        choices=[(GIVE, _("同意")), (WITHDRAW, _("撤回"))], widget=forms.HiddenInput
    )
    confirm = forms.BooleanField(label=_("我知道撤回后孩子的登记信息会被删除。"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind, action = cleaned.get("kind"), cleaned.get("action")
        if kind and action and (kind, action) not in self.CHANGES:
            raise forms.ValidationError(_("该项同意不能在这里更改。"))
        if (
            kind == Consent.Kind.GUARDIAN_CHILDREN
            and action == self.WITHDRAW
            and not cleaned.get("confirm")
        ):
            self.add_error("confirm", _("撤回监护人同意会删除孩子的登记信息，请勾选确认后再提交。"))
        return cleaned


class DeleteForm(forms.Form):
    confirmation = forms.CharField(
        label=_("请输入“注销”两个字确认"),
        max_length=10,
        error_messages={"required": _("请输入“注销”两个字以确认注销。")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_confirmation(self) -> str:
        value = "".join(self.cleaned_data["confirmation"].split())
        if value != DELETE_CONFIRMATION_WORD:
            raise forms.ValidationError(_("请输入“注销”两个字以确认注销。"))
        return value


def window_key(weekday: int, start: int, end: int) -> str:
    return f"{weekday}-{start}-{end}"


class ApplyForm(forms.Form):
    """Her message and which of her free windows she offers for this post."""

    windows = _checkboxes(
        _("可以为该岗位工作的时间"),
        [],
        help_text=_("默认勾选了您登记的全部空闲时间，可以取消不想用于该岗位的时间段。"),
    )
    message = forms.CharField(
        label=_("给用人单位的留言"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("选填，例如您的相关经验、什么时候可以开始工作。请不要填写身份证号码。"),
        error_messages={"max_length": _("留言不超过1000个字。")},
    )

    def __init__(self, *args: Any, free_windows: Sequence[Window] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window_by_key = {window_key(w.weekday, w.start, w.end): w for w in free_windows}
        self.fields["windows"].choices = [
            (key, describe_windows([w])[0]) for key, w in self.window_by_key.items()
        ]
        self.fields["windows"].initial = list(self.window_by_key)

    def offered_windows(self) -> list[tuple[int, int, int]]:
        return [
            (w.weekday, w.start, w.end)
            for key in self.cleaned_data["windows"]
            if (w := self.window_by_key.get(key)) is not None
        ]


class WithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("撤回原因（选填）"),
        required=False,
        max_length=500,
        widget=forms.TextInput,
        help_text=_("用人单位会看到这段说明。"),
    )
