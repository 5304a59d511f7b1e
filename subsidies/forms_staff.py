"""Forms of the bureau staff's subsidy pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mamagang.regions.models import Region


class _RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        parent = f"{obj.parent.name} " if obj.parent_id and obj.level == "district" else ""
        return f"{parent}{obj.name}（{obj.code}）"


class ContributionImportForm(forms.Form):
    """A month's social-insurance file and the city or district it covers."""

    region = _RegionChoiceField(
        label=_("所属地区"),
        queryset=Region.objects.none(),
        to_field_name="code",
        empty_label=None,
        help_text=_("只能选择您辖区内的地市或区县。"),
        error_messages={"invalid_choice": _("请选择您辖区内的地市或区县。")},
    )
    file = forms.FileField(
        label=_("缴费文件"),
        help_text=_("CSV 或 Excel（.xlsx）文件，不超过20 MB、5万行。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
