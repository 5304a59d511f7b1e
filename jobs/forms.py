"""
Forms of the employer's posts (岗位发布) and of staff moderation (岗位审核).

The weekly schedule is entered as shift rows (weekday boxes + from/to
times); a row whose end is not after its start runs overnight. Rows become
`jobs.schedule.Window`s here, so services only ever see windows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from employers.forms.workspace import RegionCodeField
from employers.models import Employer
from mamagang.regions.models import Region
from mamagang.regions.selectors import county_level_q

from .models import Job, JobWindow
from .schedule import MINUTES_PER_DAY, Window, parse_time, windows_for
from .services import INPUT_FIELDS

# How long a new post runs by default.
DEFAULT_VALIDITY_DAYS = 60
# Shift rows rendered without JavaScript; job-windows.js may add more.
BLANK_WINDOW_ROWS = 4


def _model_field(name: str, **kwargs: Any) -> forms.Field:
    return Job._meta.get_field(name).formfield(**kwargs)


def _date_field(name: str) -> forms.Field:
    return _model_field(name, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class JobForm(forms.Form):
    """Everything an employer says about a post except its weekly windows."""

    # (legend, fields, region picker?) in display order.
    FIELDSETS: tuple[tuple[Any, tuple[str, ...], bool], ...] = (
        (
            _("岗位信息"),
            (
                "title",
                "occupation",
                "sector",
                "description",
                "post_modes",
                "employment_form",
                "headcount",
            ),
            False,
        ),
        (_("工作地点"), ("location_mode", "district", "street", "address"), True),
        (
            _("报酬"),
            ("pay_unit", "pay_min", "pay_max", "pieces_per_hour", "pay_cycle_days"),
            False,
        ),
        (_("任职要求"), ("education", "certificates", "other_requirements"), False),
        (
            _("劳动保障"),
            (
                "has_labour_contract",
                "contract_months",
                "social_insurance",
                "work_injury_insurance",
                "training_provided",
                "promotion_path",
            ),
            False,
        ),
        (_("招聘期限"), ("valid_from", "valid_until"), False),
    )

    title = _model_field("title")
    occupation = _model_field("occupation")
    sector = forms.ChoiceField(label=_("行业"), choices=Employer.Sector.choices)
    description = _model_field("description", widget=forms.Textarea(attrs={"rows": 6}))
    post_modes = forms.MultipleChoiceField(
        label=_("妈妈岗类型"),
        choices=Job.PostMode.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("可多选。"),
        error_messages={"required": _("请至少选择一种妈妈岗类型。")},
    )
    employment_form = _model_field("employment_form")
    headcount = _model_field("headcount", min_value=1)
    location_mode = _model_field("location_mode")
    district = RegionCodeField(
        digits=6,
        label=_("工作区县代码"),
        help_text=_("6位行政区划代码，例如深圳市宝安区为 440306。"),
        error_messages={"invalid_choice": _("请输入现行有效的6位区县代码。")},
    )
    street = RegionCodeField(
        digits=9,
        label=_("工作街道/乡镇代码"),
        required=False,
        help_text=_("选填。9位代码，前6位是区县代码，例如宝安区新安街道为 440306017。"),
        error_messages={"invalid_choice": _("请输入现行有效的9位街道/乡镇代码。")},
    )
    address = _model_field("address")
    pay_unit = _model_field("pay_unit")
    pay_min = _model_field("pay_min")
    pay_max = _model_field("pay_max")
    pieces_per_hour = _model_field(
        "pieces_per_hour", help_text=_("计件岗位必填，用于折算时薪，方便妈妈们比较。")
    )
    pay_cycle_days = _model_field(
        "pay_cycle_days",
        min_value=1,
        max_value=31,
        help_text=_("非全日制用工结算周期最长不超过15日。"),
    )
    education = _model_field("education")
    certificates = _model_field("certificates")
    other_requirements = _model_field(
        "other_requirements", widget=forms.Textarea(attrs={"rows": 3})
    )
    has_labour_contract = _model_field("has_labour_contract")
    contract_months = _model_field("contract_months")
    social_insurance = _model_field("social_insurance")
    work_injury_insurance = _model_field("work_injury_insurance")
    training_provided = _model_field("training_provided")
    promotion_path = _model_field("promotion_path")
    valid_from = _date_field("valid_from")
    valid_until = _date_field("valid_until")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = Region.objects.current()
        self.fields["district"].queryset = regions.filter(county_level_q())
        self.fields["street"].queryset = regions.filter(level=Region.Level.STREET)

    @classmethod
    def initial_for_employer(cls, employer: Employer) -> dict[str, Any]:
        today = timezone.localdate()
        return {
            "sector": employer.sector,
            "district": employer.district.code,
            "street": employer.street.code if employer.street_id else "",
            "address": employer.address,
            "valid_from": today,
            "valid_until": today + datetime.timedelta(days=DEFAULT_VALIDITY_DAYS),
        }

    @classmethod
    def initial_for_job(cls, job: Job) -> dict[str, Any]:
        initial = {name: getattr(job, name) for name in INPUT_FIELDS}
        initial["district"] = job.district.code
        initial["street"] = job.street.code if job.street_id else ""
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        district, street = cleaned.get("district"), cleaned.get("street")
        if district is not None and street is not None and street.parent_id != district.pk:
            self.add_error("street", _("所选街道/乡镇不属于该区县。"))
        pay_min, pay_max = cleaned.get("pay_min"), cleaned.get("pay_max")
        if pay_min is not None and pay_max is not None and pay_max < pay_min:
            self.add_error("pay_max", _("最高报酬不能低于最低报酬。"))
        if cleaned.get("pay_unit") == Job.PayUnit.PIECE and not cleaned.get("pieces_per_hour"):
            self.add_error("pieces_per_hour", _("计件岗位请填写每小时约可完成的件数。"))
        start, until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and until and until < start:
            self.add_error("valid_until", _("截止日期不能早于开始日期。"))
        return cleaned

    def fieldsets(self) -> list[dict[str, Any]]:
        return [
            {"legend": legend, "fields": [self[name] for name in names], "region": region}
            for legend, names, region in self.FIELDSETS
        ]

    def job_fields(self) -> dict[str, Any]:
        """Return the cleaned values as the `fields` argument of the job services."""
        return {name: self.cleaned_data[name] for name in INPUT_FIELDS}


class WindowRowForm(forms.Form):
    """One shift: the weekdays it is worked and its from/to times."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("星期"),
        choices=JobWindow.Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    start = forms.CharField(
        label=_("开始"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.CharField(
        label=_("结束"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        days, start, end = cleaned.get("weekdays"), cleaned.get("start"), cleaned.get("end")
        cleaned["windows"] = []
        if not days and not start and not end:
            return cleaned  # a blank row is ignored
        if not days:
            raise forms.ValidationError(_("请勾选这一班次在星期几上班。"))
        if not start or not end:
            raise forms.ValidationError(_("请填写这一班次的开始和结束时间。"))
        try:
            cleaned["windows"] = windows_for(days, parse_time(start), parse_time(end))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return cleaned


class BaseWindowFormSet(forms.BaseFormSet):
    def windows(self) -> list[Window]:
        """Return the windows of every filled row (call after is_valid())."""
        result: list[Window] = []
        for form in self.forms:
            result.extend(getattr(form, "cleaned_data", {}).get("windows", []))
        return result


def window_formset(
    data: Any = None, *, windows: Sequence[Window] = (), extra: int = BLANK_WINDOW_ROWS
) -> BaseWindowFormSet:
    """Return the shift-row formset, pre-filled with `windows` as rows."""
    initial = [
        {"weekdays": list(days), "start": _label(start), "end": _label(end % MINUTES_PER_DAY)}
        for (start, end), days in shift_rows(windows)
    ]
    formset_class = forms.formset_factory(
        WindowRowForm,
        formset=BaseWindowFormSet,
        extra=max(extra - len(initial), 1),
        max_num=14,
    )
    return formset_class(data, initial=initial, prefix="windows")


def _label(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def windows_of(job: Job) -> list[Window]:
    """Return a loaded post's windows (prefetched by the selectors)."""
    return [Window(w.weekday, w.start_minute, w.end_minute) for w in job.windows.all()]


def shift_rows(windows: Iterable[Window]) -> list[tuple[tuple[int, int], list[int]]]:
    """
    Group windows into shifts: ((start, end), weekdays). A window running to
    midnight followed by one from midnight the next day is shown again as
    one overnight shift (end < start), as the employer entered it.
    """
    pending = sorted(windows)
    used: set[Window] = set()
    shifts: dict[tuple[int, int], list[int]] = {}
    for window in pending:
        if window in used:
            continue
        start, end = window.start, window.end
        if window.end == MINUTES_PER_DAY:
            after = next(
                (
                    w
                    for w in pending
                    if w not in used and w.weekday == (window.weekday + 1) % 7 and w.start == 0
                ),
                None,
            )
            if after is not None and after != window:
                used.add(after)
                end = after.end
        used.add(window)
        shifts.setdefault((start, end), []).append(window.weekday)
    return sorted(shifts.items(), key=lambda item: (min(item[1]), item[0]))


def _weekday_text(days: Sequence[int]) -> str:
    days = sorted(set(days))
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return gettext("%(a)s至%(b)s") % {"a": _day(days[0]), "b": _day(days[-1])}
    return "、".join(_day(d) for d in days)


def _day(weekday: int) -> str:
    return str(JobWindow.Weekday(weekday).label)


def describe_windows(windows: Iterable[Window]) -> list[str]:
    """Return readable shifts, e.g. ["周一至周五 09:00–15:00", "周六 22:00–次日06:00"]."""
    lines = []
    for (start, end), days in shift_rows(windows):
        if end == MINUTES_PER_DAY:
            to = "24:00"
        elif end <= start:
            to = gettext("次日%(t)s") % {"t": _label(end)}
        else:
            to = _label(end)
        lines.append(f"{_weekday_text(days)} {_label(start)}–{to}")
    return lines


class JobCloseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("结束原因"),
        choices=Job.CloseReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择结束原因。")},
    )


class JobRenewForm(forms.Form):
    valid_until = forms.DateField(
        label=_("新的截止日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ModerationReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("单位会看到这段说明，请写明需要修改什么。"),
        error_messages={"required": _("请填写原因，单位会看到这段说明。")},
    )


# Staff queue tabs, in the order staff work through them.
QUEUE_STATUSES: tuple[str, ...] = (
    Job.Status.SUBMITTED,
    Job.Status.PUBLISHED,
    Job.Status.RETURNED,
    Job.Status.TAKEN_DOWN,
    Job.Status.EXPIRED,
    Job.Status.CLOSED,
    Job.Status.DRAFT,
)


class _DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        parent = f"{obj.parent.name} " if obj.parent_id else ""
        return f"{parent}{obj.name}（{obj.code}）"


class StaffJobFilterForm(forms.Form):
    """GET filters of the staff queue; invalid values fall back to defaults."""

    status = forms.ChoiceField(
        choices=[(s, Job.Status(s).label) for s in QUEUE_STATUSES],
        required=False,
        widget=forms.HiddenInput,
    )
    q = forms.CharField(
        label=_("岗位名称或单位名称"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    district = _DistrictChoiceField(
        label=_("区县"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("全部区县"),
    )

    def __init__(self, *args: Any, districts: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
