import pytest
from django.core.exceptions import ValidationError

from mamagang.core.identifiers import (
    normalize_uscc,
    uscc_check_character,
    uscc_entity_type,
    validate_uscc,
)


@pytest.mark.parametrize("code", ["91110000600037341L", "91110108MA01ABCD5T"])
def test_validate_uscc_accepts_published_examples(code):
    validate_uscc(code)


@pytest.mark.parametrize("prefix", ["N2", "Y1", "A1", "G1", "J1", "N1", "N3"])
def test_validate_uscc_accepts_letter_first_characters(prefix):
    body = f"{prefix}440306MA5F12345"
    validate_uscc(body + uscc_check_character(body))


def test_validate_uscc_rejects_a_wrong_check_character():
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc("91110000600037341M")

    assert excinfo.value.code == "uscc_checksum"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_validate_uscc_rejects_letters_outside_the_alphabet(letter):
    code = f"91110108MA01ABC{letter}5T"

    with pytest.raises(ValidationError) as excinfo:
        validate_uscc(code)

    assert excinfo.value.code == "uscc_alphabet"
    assert letter in excinfo.value.messages[0]


@pytest.mark.parametrize("code", ["9111000060003734", "91110000600037341LL", ""])
def test_validate_uscc_rejects_wrong_length(code):
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc(code)

    assert excinfo.value.code == "uscc_length"


def test_validate_uscc_requires_digits_in_the_division_code():
    body = "91A10000600037341"
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc(body + uscc_check_character(body))

    assert excinfo.value.code == "uscc_format"


@pytest.mark.parametrize(
    "raw",
    [
        "91110000600037341l",
        " 9111 0000 6000 3734 1L ",
        "91110000-600037341L",
        "９１１１００００６０００３７３４１Ｌ",
    ],
)
def test_normalize_uscc_folds_case_spaces_and_full_width(raw):
    assert normalize_uscc(raw) == "91110000600037341L"
    validate_uscc(normalize_uscc(raw))


@pytest.mark.parametrize(
    ("code", "entity_type"),
    [
        ("91110000600037341L", "enterprise"),
        ("92440300MA5F00000X", "individual_business"),
        ("52440300MA5F00000X", "private_non_enterprise"),
        ("N2440300MA5F00000X", "other"),
    ],
)
def test_uscc_entity_type_reads_the_first_two_characters(code, entity_type):
    assert uscc_entity_type(code) == entity_type
