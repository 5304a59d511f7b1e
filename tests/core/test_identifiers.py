import datetime

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric as stdnum_ric

from mamagang.core.identifiers import (
    normalize_ric,
    normalize_uscc,
    ric_birth_date,
    ric_sex_hint,
    uscc_check_character,
    uscc_entity_type,
    validate_resident_id,
    validate_ric,
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


# --- resident identity numbers ----------------------------------------------------

TODAY = datetime.date(2026, 11, 28)


def _ric(body17: str) -> str:
    from stdnum.cn import ric

    return body17 + ric.calc_check_digit(body17 + "0")


@pytest.mark.parametrize("code", ["11010519491231002X", "110101199003071233"])
def test_validate_ric_accepts_published_examples(code):
    validate_ric(code, today=TODAY)


@pytest.mark.parametrize(
    "body",
    # Birthplace codes created after the birth year: python-stdnum rejects these real people.
    ["44030619700101002", "44200019800101004", "44060519900101006"],
)
def test_validate_ric_accepts_birthplace_codes_newer_than_the_person(body):
    validate_ric(_ric(body), today=TODAY)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("11010519491231002Y", "ric_format"),
        ("1101051949123100", "ric_format"),
        ("99010519491231002X", "ric_province"),
        ("110105" + "20991231" + "0021", "ric_birth_date"),
        ("110105" + "19490231" + "0021", "ric_birth_date"),
        ("110105194912310021", "ric_checksum"),
    ],
)
def test_validate_ric_rejects(code, error):
    with pytest.raises(ValidationError) as excinfo:
        validate_ric(code, today=TODAY)

    assert excinfo.value.code == error


def test_ric_helpers_read_birth_date_and_sex_hint():
    assert normalize_ric(" 11010519491231002x ") == "11010519491231002X"
    assert ric_birth_date("11010519491231002X") == datetime.date(1949, 12, 31)
    assert ric_sex_hint("11010519491231002X") == "female"
    assert ric_sex_hint("110101199003071233") == "male"


def test_validate_uscc_and_resident_id_return_the_normalised_value():
    from mamagang.core.identifiers import validate_resident_id

    assert validate_uscc(" 9111 0000 6000 3734 1l ") == "91110000600037341L"
    assert validate_resident_id("11010519491231002x", today=TODAY) == "11010519491231002X"


def test_validate_resident_id_rejects_the_old_15_digit_form():
    from mamagang.core.identifiers import validate_resident_id

    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id("110105491231002", today=TODAY)

    assert excinfo.value.code == "ric_format"


def test_a_baby_born_today_in_beijing_is_valid_while_the_server_clock_says_yesterday(mocker):
    # given 01:00 on 1 March 2030 in Beijing, still 28 February on a UTC server
    mocker.patch(
        "django.utils.timezone.now",
        return_value=datetime.datetime(2030, 2, 28, 17, 0, tzinfo=datetime.UTC),
    )
    body = "110105" + "20300301" + "002"
    number = body + stdnum_ric.calc_check_digit(body + "0")

    # when the number is validated without a day given, then Beijing's date is used
    assert validate_resident_id(number) == number
