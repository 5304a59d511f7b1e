"""Developer settings: `make run`. Embedded PostgreSQL unless DATABASE_URL is set."""

from .base import *
from .base import BASE_DIR
from .database import database_config
from .env import env_bool, env_str

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", "local-development-only-key-never-use-in-production-4f1e9c2a7b"
)
# A fixed development key: demo data only. Production refuses to start without its own.
PII_ENCRYPTION_KEY = env_str("MAMAGANG_PII_KEY", "bG9jYWwtZGV2LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=")

DATABASES = {"default": database_config(base_dir=BASE_DIR, conn_max_age=60)}
# Serve static files from the app and project folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
