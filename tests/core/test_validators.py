import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from mamagang.core.validators import normalize_mainland_mobile, validate_mainland_mobile


@pytest.mark.parametrize("phone", ["13800138000", "19912345678", "15000000000", "17712345678"])
def test_validate_mainland_mobile_accepts_valid_numbers(phone):
    validate_mainland_mobile(phone)


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "1380013800",
        "138001380000",
        "12800138000",
        "10800138000",
        "23800138000",
        "1380013800a",
        "+8613800138000",
        "138 0013 8000",
        "０13800138000",
    ],
)
def test_validate_mainland_mobile_rejects_malformed_numbers(phone):
    with pytest.raises(ValidationError) as excinfo:
        validate_mainland_mobile(phone)
    assert excinfo.value.code == "invalid_mobile"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("13800138000", "13800138000"),
    ],
)
def test_normalize_mainland_mobile_strips_separators_and_country_code(raw, expected):
    assert normalize_mainland_mobile(raw) == expected


@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"))
def test_validate_mainland_mobile_accepts_every_number_in_the_plan(phone):
    validate_mainland_mobile(phone)
    assert normalize_mainland_mobile(phone) == phone


@pytest.mark.parametrize("phone", ["１３８００１３８０００", "13800138000\n"])
def test_validate_mainland_mobile_rejects_fullwidth_digits_and_trailing_newline(phone):
    with pytest.raises(ValidationError):
        validate_mainland_mobile(phone)
