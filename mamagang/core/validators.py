"""Validators for identifiers shared across apps."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Mainland China mobile numbers: 11 digits, 1 then 3-9 (MIIT numbering plan).
MAINLAND_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS_RE = re.compile(r"[\s\-()]")


def normalize_mainland_mobile(value: str) -> str:
    """Return `value` without spaces, dashes and a leading +86/0086 country code."""
    digits = _SEPARATORS_RE.sub("", value or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    else:
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
    return digits


def validate_mainland_mobile(value: str) -> None:
    """Raise ValidationError unless `value` is an 11-digit mainland mobile number."""
    if not MAINLAND_MOBILE_RE.fullmatch(value or ""):
        raise ValidationError(
            _("请输入11位中国大陆手机号，例如 13800138000。"),
            code="invalid_mobile",
        )
