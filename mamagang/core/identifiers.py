"""
Official identifiers shared by every app: the unified social credit code
(统一社会信用代码, GB 32100-2015) now; the resident identity number later.

python-stdnum computes the check characters, but its `validate()` functions
wrongly reject real codes (DOMAIN.md §4.4: USCCs whose first characters are
letters), so the format rules around the check are written here.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as stdnum_uscc

# 31 symbols: digits and capitals without I, O, S, V, Z (GB 32100-2015 §4).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SYMBOL = "[0-9A-HJ-NP-RTUWXY]"
# Chars 1-2 registration authority and entity type (letters allowed, e.g. N2, Y1);
# chars 3-8 the registering authority's division code (digits); 9-17 the
# subject identifier; 18 the check character.
USCC_RE = re.compile(rf"{_SYMBOL}{{2}}[0-9]{{6}}{_SYMBOL}{{10}}")
USCC_DB_REGEX = r"^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$"

# Entity types by the first two characters (DOMAIN.md §4.5, [C-sec]).
USCC_ENTITY_TYPES: dict[str, str] = {
    "11": "government",
    "12": "public_institution",
    "51": "social_group",
    "52": "private_non_enterprise",
    "53": "foundation",
    "91": "enterprise",
    "92": "individual_business",
    "93": "farmer_cooperative",
}

_SPACES_RE = re.compile(r"[\s\-]")


def normalize_uscc(value: str) -> str:
    """Return `value` upper-cased, without spaces and dashes, full-width folded."""
    folded = (value or "").translate(
        {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}  # full-width ASCII
    )
    return _SPACES_RE.sub("", folded).upper()


def uscc_check_character(code17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters."""
    return stdnum_uscc.calc_check_digit(code17[:17])


def validate_uscc(value: str) -> None:
    """
    Raise ValidationError unless `value` is a well-formed USCC with the right
    check character. Expects a normalised value (see normalize_uscc).
    """
    if len(value) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(n)s位。"),
            code="uscc_length",
            params={"n": len(value)},
        )
    bad = sorted({ch for ch in value if ch not in USCC_ALPHABET})
    if bad:
        raise ValidationError(
            _("统一社会信用代码不能包含字符：%(chars)s（不使用 I、O、S、V、Z）。"),
            code="uscc_alphabet",
            params={"chars": "、".join(bad)},
        )
    if not USCC_RE.fullmatch(value):
        raise ValidationError(
            _("统一社会信用代码第3至8位应为登记管理机关的行政区划代码（6位数字）。"),
            code="uscc_format",
        )
    expected = uscc_check_character(value)
    if value[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位不正确，请核对后重新输入。"), code="uscc_checksum"
        )


def uscc_entity_type(value: str) -> str:
    """Return the entity type the first two characters stand for, or "other"."""
    return USCC_ENTITY_TYPES.get(value[:2], "other")
