"""Forms of the bureau staff's registry workspace (名录审核)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from employers.models import Employer, RegistryEntry
from mamagang.accounts.models import User
from mamagang.regions.models import Region

# Statuses in the order staff work through them; the first is the default tab.
QUEUE_STATUSES: tuple[str, ...] = (
    RegistryEntry.Status.SUBMITTED,
    RegistryEntry.Status.RETURNED,
    RegistryEntry.Status.APPROVED,
    RegistryEntry.Status.SUSPENDED,
    RegistryEntry.Status.REMOVED,
    RegistryEntry.Status.REJECTED,
    RegistryEntry.Status.DRAFT,
)
# Employer list filter value for employers that never applied.
NO_ENTRY = "none"


class _RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        parent = f"{obj.parent.name} " if obj.parent_id and obj.level == "district" else ""
        return f"{parent}{obj.name}（{obj.code}）"


class _SpecialistChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name}（{obj.masked_phone}）"


class RegistryQueueFilterForm(forms.Form):
    """GET filters of the registry queue; invalid values fall back to defaults."""

    # Chosen with the status tabs; hidden so a search stays on the current tab.
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[(s, RegistryEntry.Status(s).label) for s in QUEUE_STATUSES],
        required=False,
        widget=forms.HiddenInput,
    )
    q = forms.CharField(
        label=_("单位名称或统一社会信用代码"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    district = _RegionChoiceField(
        label=_("区县"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("全部区县"),
    )

    def __init__(self, *args: Any, districts: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts


class EmployerFilterForm(forms.Form):
    """GET filters of the staff employer list."""

    q = forms.CharField(
        label=_("单位名称或统一社会信用代码"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    sector = forms.ChoiceField(
        label=_("行业"), choices=[("", _("全部行业")), *Employer.Sector.choices], required=False
    )
    district = _RegionChoiceField(
        label=_("区县"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("全部区县"),
    )
    status = forms.ChoiceField(
        label=_("名录状态"),
        choices=[
            ("", _("全部状态")),
            *((s, RegistryEntry.Status(s).label) for s in QUEUE_STATUSES),
            (NO_ENTRY, _("未申报")),
        ],
        required=False,
    )

    def __init__(self, *args: Any, districts: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts


class DecisionNoteForm(forms.Form):
    """Approve: a note is optional."""

    reason = forms.CharField(
        label=_("审核意见（可不填）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionReasonForm(forms.Form):
    """Return, reject, suspend, remove, reinstate: the employer reads the reason."""

    reason = forms.CharField(
        label=_("原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写原因，单位会看到这段说明。")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(self.fields["reason"].error_messages["required"])
        return reason


class SpecialistAssignForm(forms.Form):
    specialist = _SpecialistChoiceField(
        label=_("就业服务专员"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("不指定"),
    )

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["specialist"].queryset = candidates


class RegistryPublishForm(forms.Form):
    region = _RegionChoiceField(
        label=_("发布范围"),
        queryset=Region.objects.none(),
        to_field_name="code",
        empty_label=None,
    )

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions


class EmployerImportForm(forms.Form):
    file = forms.FileField(
        label=_("文件"),
        help_text=_("CSV 或 Excel（.xlsx）文件，不超过5 MB、5000行。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    listed_from = forms.DateField(
        label=_("入录日期"),
        required=False,
        help_text=_("不填则为今天。"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
