# mamagang: one image for web (gunicorn), Celery worker and beat, and the
# one-shot migrate service (see docker-compose.yml). Production settings.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=mamagang.settings.production

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Runtime dependencies only (no dev extra), pinned by requirements.lock
# (`make lock`). This layer is rebuilt only when these files change.
COPY pyproject.toml README.md requirements.lock ./
RUN pip install --constraint requirements.lock .

# The code stays root-owned (read-only for the app user); only var/ is writable.
COPY . .
RUN mkdir -p var/staticfiles var/media && chown -R app:app var

USER app

# Collect static files into var/staticfiles (whitenoise serves them with its
# manifest). Production settings refuse to import without these variables, so
# this RUN line alone gets build-only dummies; nothing connects to them and they
# are not kept in the image's environment. Real values come at run time.
RUN DJANGO_SECRET_KEY=build-only-dummy-secret-key-not-used-at-run-time-0000000000 \
    MAMAGANG_PII_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput

EXPOSE 8000

CMD ["gunicorn", "mamagang.wsgi:application", "--bind=0.0.0.0:8000", "--workers=2", "--access-logfile=-"]
