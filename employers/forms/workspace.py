"""Forms of the employer workspace (单位工作台)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from employers.models import Employer, EmployerMembership, RegistryEntry
from employers.services.employers import EDITABLE_FIELDS
from mamagang.core.identifiers import normalize_uscc
from mamagang.regions.models import Region
from mamagang.regions.selectors import county_level_q

# Full-width digits (０-９) typed on Chinese keyboards become ASCII digits.
_FULL_WIDTH_DIGITS = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}


class RegionCodeField(forms.ModelChoiceField):
    """
    A current region chosen by its code, typed into a text box. With
    JavaScript, region-picker.js fills the box from cascading selects; a
    <select> of every district would be unusable on a phone.
    """

    widget = forms.TextInput

    def __init__(self, *, digits: int, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Region.objects.none())
        super().__init__(to_field_name="code", **kwargs)
        self.widget.attrs.update(
            {
                "inputmode": "numeric",
                "autocomplete": "off",
                "maxlength": str(digits),
                "pattern": f"[0-9]{{{digits}}}",
                "class": "region-code",
            }
        )

    def to_python(self, value: Any) -> Region | None:
        if isinstance(value, str):
            value = "".join(value.translate(_FULL_WIDTH_DIGITS).split())
        return super().to_python(value)


def _model_field(name: str, **kwargs: Any) -> forms.Field:
    return Employer._meta.get_field(name).formfield(**kwargs)


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """
    Put a service's ValidationError on `form`: field errors on the fields
    the form has, everything else at the top of the form.
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        form.add_error(target, errors)


class EmployerForm(forms.Form):
    """The employer's own data, as members enter and edit it."""

    # Fieldsets in display order; "region" marks the one region-picker.js enhances.
    FIELDSETS: tuple[tuple[Any, tuple[str, ...], bool], ...] = (
        (_("单位信息"), ("uscc", "name", "sector", "size", "description"), False),
        (_("所在地"), ("district", "street", "address"), True),
        (_("联系人"), ("contact_name", "contact_phone"), False),
        (
            _("家庭友好设施"),
            (
                "has_nursing_room",
                "has_women_home",
                "has_childcare",
                "has_school_run_arrangement",
                "facilities_note",
            ),
            False,
        ),
    )

    name = _model_field("name")
    sector = _model_field("sector")
    size = _model_field("size")
    description = _model_field("description")
    district = RegionCodeField(
        digits=6,
        label=_("所属区县代码"),
        help_text=_(
            "6位行政区划代码，例如深圳市宝安区为 440306。可在民政部或统计局公布的区划代码表中查到。"
        ),
        error_messages={"invalid_choice": _("请输入现行有效的6位区县代码。")},
    )
    street = RegionCodeField(
        digits=9,
        label=_("所属街道/乡镇代码"),
        required=False,
        help_text=_("选填。9位代码，前6位是区县代码，例如宝安区新安街道为 440306017。"),
        error_messages={"invalid_choice": _("请输入现行有效的9位街道/乡镇代码。")},
    )
    address = _model_field("address")
    contact_name = _model_field("contact_name")
    contact_phone = _model_field("contact_phone")
    has_nursing_room = _model_field("has_nursing_room")
    has_women_home = _model_field("has_women_home")
    has_childcare = _model_field("has_childcare")
    has_school_run_arrangement = _model_field("has_school_run_arrangement")
    facilities_note = _model_field("facilities_note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Evaluated per form so "current" means today.
        regions = Region.objects.current()
        # Districts, and cities without districts (东莞, 中山), which stand in for one.
        self.fields["district"].queryset = regions.filter(county_level_q())
        self.fields["street"].queryset = regions.filter(level=Region.Level.STREET)
        for name in ("description", "facilities_note"):
            self.fields[name].widget.attrs["rows"] = 4
        self.fields["contact_phone"].widget.input_type = "tel"
        self.fields["contact_phone"].widget.attrs["autocomplete"] = "tel"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        district, street = cleaned.get("district"), cleaned.get("street")
        if district is not None and street is not None and street.parent_id != district.pk:
            self.add_error("street", _("所选街道/乡镇不属于该区县。"))
        return cleaned

    def fieldsets(self) -> list[dict[str, Any]]:
        return [
            {
                "legend": legend,
                "fields": [self[name] for name in names if name in self.fields],
                "region": region,
            }
            for legend, names, region in self.FIELDSETS
        ]

    def employer_fields(self) -> dict[str, Any]:
        """Return the cleaned values as keyword arguments for the employer services."""
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}


class EmployerRegisterForm(EmployerForm):
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=40,
        help_text=_("18位，见营业执照。可以输入小写字母和空格，系统会自动整理。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    field_order = ["uscc"]

    def clean_uscc(self) -> str:
        """Refuse a code already registered here, and say how to join that employer."""
        value = self.cleaned_data["uscc"]
        if Employer.objects.filter(uscc=normalize_uscc(value)).exists():
            raise ValidationError(
                _(
                    "该统一社会信用代码已登记，不能重复登记。如您在该单位工作，"
                    "请向单位管理员索取邀请链接，打开链接即可加入。"
                ),
                code="uscc_taken",
            )
        return value


class EmployerProfileForm(EmployerForm):
    """Edit an employer; the USCC is fixed at registration and shown read-only."""

    @classmethod
    def initial_for(cls, employer: Employer) -> dict[str, Any]:
        return {name: getattr(employer, name) for name in EDITABLE_FIELDS}


class EmployerSwitchForm(forms.Form):
    employer = forms.IntegerField(min_value=1)


class InvitationCreateForm(forms.Form):
    role = forms.ChoiceField(
        label=_("角色"),
        choices=EmployerMembership.Role.choices,
        initial=EmployerMembership.Role.MEMBER,
        help_text=_("管理员可以邀请和移除成员；成员可以维护单位信息和名录申报。"),
    )
    note = forms.CharField(
        label=_("备注"),
        max_length=100,
        required=False,
        help_text=_("仅本单位成员可见，例如被邀请人的姓名或岗位。"),
    )


class RegistryDeclarationForm(forms.Form):
    declared_posts = forms.IntegerField(
        label=RegistryEntry._meta.get_field("declared_posts").verbose_name,
        min_value=1,
        max_value=100000,
    )
    declaration = forms.CharField(
        label=RegistryEntry._meta.get_field("declaration").verbose_name,
        help_text=RegistryEntry._meta.get_field("declaration").help_text,
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class RegistrySubmitForm(forms.Form):
    declaration_confirmed = forms.BooleanField(
        label=_("本单位承诺所填信息真实、准确，并同意区人社局核实。"),
        required=True,
        error_messages={"required": _("请确认所填信息真实后再提交。")},
    )
