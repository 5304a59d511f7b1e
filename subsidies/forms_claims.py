"""
Forms of the claimant side: the months to claim (the last completed months
as checkboxes) and, for an employer, optionally which of its people.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applicants.models import Applicant

from .engine import add_months

# How many completed months the forms offer; older months are usually outside the
# claim window (DOMAIN.md §5), and the API still accepts any completed month.
CLAIMABLE_MONTHS = 6


def month_label(month: datetime.date) -> str:
    """Return a month as people write it: "2026年10月"."""
    return gettext("%(year)s年%(month)s月") % {"year": month.year, "month": month.month}


def month_value(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def recent_months(today: datetime.date, count: int = CLAIMABLE_MONTHS) -> list[datetime.date]:
    """Return the last `count` completed months, the latest first."""
    this_month = today.replace(day=1)
    return [add_months(this_month, -n) for n in range(1, count + 1)]


class ClaimMonthsForm(forms.Form):
    months = forms.MultipleChoiceField(
        label=_("申报月份"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一个月份。")},
    )

    def __init__(
        self,
        *args: Any,
        today: datetime.date,
        month_notes: dict[datetime.date, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        notes = month_notes or {}
        self.month_choices = recent_months(today)
        self.fields["months"].choices = [
            (
                month_value(month),
                f"{month_label(month)}（{notes[month]}）"
                if notes.get(month)
                else month_label(month),
            )
            for month in self.month_choices
        ]

    def cleaned_months(self) -> list[datetime.date]:
        chosen = set(self.cleaned_data["months"])
        return sorted(m for m in self.month_choices if month_value(m) in chosen)


class PersonChoiceField(forms.ModelMultipleChoiceField):
    """Her name and masked ID number, never the full number."""

    def label_from_instance(self, obj: Applicant) -> str:
        return f"{obj.full_name}（{obj.id_number_masked}）"


class EmployerClaimForm(ClaimMonthsForm):
    applicants = PersonChoiceField(
        label=_("申报人员（可选）"),
        queryset=Applicant.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选则为所选月份内在本单位有就业登记的全部人员申报。"),
    )

    def __init__(self, *args: Any, people: QuerySet[Applicant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["applicants"].queryset = people

    def applicant_ids(self) -> list[int] | None:
        chosen = self.cleaned_data.get("applicants")
        return [a.pk for a in chosen] if chosen else None
