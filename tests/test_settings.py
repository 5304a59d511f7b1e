import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _production_env(**overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "MAMAGANG_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mamagang.settings.production",
        DJANGO_SECRET_KEY="k9$Vq2!mZ7@pL4#xR8^tW1&nB6*cH3(yJ5)eD0_fG2+aS9-uK7=oI4",
        MAMAGANG_PII_KEY=Fernet.generate_key().decode(),
        DATABASE_URL="postgres://mamagang:secret@db.internal:5432/mamagang",
        REDIS_URL="redis://redis.internal:6379/0",
        DJANGO_ALLOWED_HOSTS="mamagang.example.gov.cn",
    )
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_check_deploy_passes_with_zero_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "MAMAGANG_PII_KEY", "DATABASE_URL", "REDIS_URL"]
)
def test_production_refuses_to_start_without_required_setting(missing):
    env = _production_env()
    del env[missing]

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert missing in result.stderr


def test_production_uses_persistent_connections_redis_cache_and_secure_cookies():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['CONN_MAX_AGE'], s.CACHES['default']['BACKEND'],"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS >= 31536000, s.DEBUG)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "600",
        "django.core.cache.backends.redis.RedisCache",
        "True",
        "True",
        "True",
        "False",
    ]


def test_production_rejects_a_non_postgresql_database_url():
    result = _manage("check", env=_production_env(DATABASE_URL="sqlite:///db.sqlite3"))

    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


def test_locale_and_time_zone_settings():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_database_is_postgresql():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_english_catalogue_is_compiled_and_shipped():
    assert (ROOT / "locale" / "en" / "LC_MESSAGES" / "django.mo").is_file()


def test_english_catalogue_translates_every_message():
    """Every entry of the English catalogue has a translation and none is fuzzy."""
    text = (ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = [e for e in text.split("\n\n")[1:] if "msgid" in e and not e.startswith("#~")]
    untranslated = [
        e.split("\n")[-2] for e in entries if 'msgstr ""' in e.splitlines()[-1:] or "#, fuzzy" in e
    ]

    assert len(entries) > 150
    assert untranslated == []
