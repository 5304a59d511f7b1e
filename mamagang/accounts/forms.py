from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mamagang.core.validators import normalize_mainland_mobile, validate_mainland_mobile

from .models import User
from .ratelimit import login_failure_record, login_failures_clear, login_is_locked


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("手机号"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "tel", "autocomplete": "tel", "placeholder": "13800138000"}
        )

    def to_python(self, value):
        return normalize_mainland_mobile(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        if value:
            validate_mainland_mobile(value)


class PhoneLoginForm(AuthenticationForm):
    """Log in by mobile number, refusing attempts after repeated failures."""

    username = PhoneField(label=_("手机号"))

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("手机号或密码不正确。"),
        "too_many_attempts": _("登录失败次数过多，请 %(minutes)s 分钟后再试，或重置密码。"),
    }

    def clean(self):
        phone = self.cleaned_data.get("username")
        ip = _client_ip(self.request)
        if phone and login_is_locked(phone=phone, ip=ip):
            from django.conf import settings

            raise ValidationError(
                self.error_messages["too_many_attempts"],
                code="too_many_attempts",
                params={"minutes": max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            if phone:
                login_failure_record(phone=phone, ip=ip)
            raise
        if phone:
            login_failures_clear(phone=phone)
        return cleaned


class RegisterForm(forms.Form):
    display_name = forms.CharField(
        label=_("称呼"),
        max_length=50,
        help_text=_("用人单位和工作人员对您的称呼，例如“李女士”。"),
    )
    phone = PhoneField()
    email = forms.EmailField(
        label=_("电子邮箱（选填）"),
        required=False,
        help_text=_("忘记密码时用于通过邮件重置。"),
    )
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("确认密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    agree = forms.BooleanField(
        label=_("我已阅读并同意用户协议和个人信息保护声明。"),
        required=True,
    )

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if User.objects.filter(phone=phone).exists():
            raise ValidationError(_("该手机号已注册账户。"), code="phone_taken")
        return phone

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data.get("email") or "")
        if email and User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("该电子邮箱已注册账户。"), code="email_taken")
        return email

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error(
                "password2", ValidationError(_("两次输入的密码不一致。"), code="mismatch")
            )
        elif p1:
            probe = User(
                phone=cleaned.get("phone") or "", display_name=cleaned.get("display_name") or ""
            )
            try:
                password_validation.validate_password(p1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned
