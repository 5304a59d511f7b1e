"""
Official identifiers shared by every app: the unified social credit code
(统一社会信用代码, GB 32100-2015) and the resident identity number
(公民身份号码, GB 11643-1999).

python-stdnum computes the check characters, but its `validate()` functions
wrongly reject real codes (DOMAIN.md §4.4: USCCs whose first characters are
letters), so the format rules around the check are written here.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric as stdnum_ric
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


def validate_uscc(value: str) -> str:
    """
    Return `value` normalised (see normalize_uscc) if it is a well-formed
    USCC with the right check character; raise ValidationError otherwise.
    """
    value = normalize_uscc(value)
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
    return value


def uscc_entity_type(value: str) -> str:
    """Return the entity type the first two characters stand for, or "other"."""
    return USCC_ENTITY_TYPES.get(value[:2], "other")


# --- Resident identity number (公民身份号码, GB 11643-1999) -------------------

# Province-level prefixes in use: 11-15, 21-23, 31-37, 41-46, 50-54, 61-65, and
# 71 (Taiwan), 81 (Hong Kong), 82 (Macao), 83 (Taiwan residence permits).
RIC_PROVINCE_PREFIXES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    }
)
_RIC_RE = re.compile(r"[0-9]{17}[0-9X]")


def normalize_ric(value: str) -> str:
    """Return an ID number without spaces, upper-cased, full-width folded."""
    return normalize_uscc(value)


def ric_birth_date(value: str) -> datetime.date | None:
    """Return the birth date encoded in characters 7-14, or None if it is not a date."""
    try:
        return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def validate_resident_id(value: str, *, today: datetime.date | None = None) -> str:
    """Return the normalised resident ID number, or raise ValidationError (see validate_ric)."""
    value = normalize_ric(value)
    validate_ric(value, today=today)
    return value


def validate_ric(value: str, *, today: datetime.date | None = None) -> None:
    """
    Raise ValidationError unless `value` (normalised) is an 18-character
    resident identity number: 17 digits and a digit or X, a known province,
    a real birth date not in the future, and the ISO 7064 MOD 11-2 check.

    python-stdnum's validate() is not used: it rejects real people whose
    birthplace code was created after their birth (DOMAIN.md §4.4).
    """
    if len(value) != 18 or not _RIC_RE.fullmatch(value):
        raise ValidationError(_("身份证号码应为18位：17位数字加1位数字或X。"), code="ric_format")
    if value[:2] not in RIC_PROVINCE_PREFIXES:
        raise ValidationError(_("身份证号码的前两位不是有效的省级代码。"), code="ric_province")
    birth = ric_birth_date(value)
    today = today or timezone.localdate()  # Beijing's date, not the server's
    if birth is None or birth > today or birth.year < 1900:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="ric_birth_date")
    # stdnum's calc_check_digit expects all 18 characters and ignores the last.
    if stdnum_ric.calc_check_digit(value) != value[17]:
        raise ValidationError(_("身份证号码校验位不正确，请核对后重新输入。"), code="ric_checksum")


def ric_sex_hint(value: str) -> str:
    """
    Return "female" or "male" from the sequence code's parity. A hint for
    display only: never an eligibility rule (DOMAIN.md §1.4, §4.3).
    """
    return "female" if int(value[16]) % 2 == 0 else "male"
