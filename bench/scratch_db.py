"""A scratch PostgreSQL database for a benchmark: created fresh on the server of
$BENCH_DATABASE_URL, Django set up on it and migrated, filled with COPY, dropped at the end."""

import io
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def scratch_database(name):
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    sys.path[:0] = [str(REPO / "platform"), str(REPO)]
    os.environ["DATABASE_URL"] = SERVER.rsplit("/", 1)[0] + "/" + name
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def drop_database(name):
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def copy_lines(cursor, target, lines, chunk=200_000):
    """COPY text-format `lines` (each ending in a newline) into `target` through a Django
    cursor, `chunk` lines per write: a million rows never sit in memory as one string."""
    with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
        buffer = io.StringIO()
        for n, line in enumerate(lines, 1):
            buffer.write(line)
            if n % chunk == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
