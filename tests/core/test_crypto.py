import pytest
from cryptography.fernet import Fernet

from mamagang.core import crypto


def test_encrypt_text_round_trips_and_hides_the_value():
    token = crypto.encrypt_text("11010519491231002X")

    assert "11010519491231002X" not in token
    assert crypto.decrypt_text(token) == "11010519491231002X"


def test_keyed_hash_is_stable_and_keyed(settings):
    first = crypto.keyed_hash("110101199003071233")
    assert first == crypto.keyed_hash("110101199003071233")

    settings.PII_ENCRYPTION_KEY = Fernet.generate_key().decode()
    assert crypto.keyed_hash("110101199003071233") != first


def test_decrypt_text_works_after_key_rotation(settings):
    old = settings.PII_ENCRYPTION_KEY
    token = crypto.encrypt_text("secret")

    settings.PII_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},{old}"

    assert crypto.decrypt_text(token) == "secret"


def test_decrypt_text_with_wrong_key_raises_value_error(settings):
    token = crypto.encrypt_text("secret")
    settings.PII_ENCRYPTION_KEY = Fernet.generate_key().decode()

    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.decrypt_text(token)


def test_mask_identifier_keeps_head_and_tail():
    assert crypto.mask_identifier("44030619800101123X") == "4403**********123X"
    assert crypto.mask_identifier("123") == "***"


@pytest.mark.parametrize("key", ["", "not-a-fernet-key"])
def test_check_key_configured_reports_missing_or_bad_key(settings, key):
    settings.PII_ENCRYPTION_KEY = key

    assert crypto.check_key_configured() is not None
