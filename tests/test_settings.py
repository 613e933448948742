"""Settings come from the environment: embedded demo by default, hardened in production."""

import json
import subprocess
import sys

import pytest

from .conftest import REPO_DIR, subprocess_env

PRODUCTION = {
    "DATABASE_URL": "postgres://emograph:pw@db.internal:5432/emograph",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "CELERY_RESULT_BACKEND": "redis://redis.internal:6379/1",
    "SECRET_KEY": "x7#k2!q9@v4$m8^p1&z6*w3(r5)t0_y-u+i=o[e]a{s}d|f;g:h,j.l<n>b?c~",
    "ALLOWED_HOSTS": "emograph.example.org",
    "MEDIA_ROOT": "/srv/emograph/media",
}
DEMO_OVERRIDES = dict.fromkeys(
    [
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "SECRET_KEY",
        "DJANGO_DEBUG",
        "CELERY_TASK_ALWAYS_EAGER",
        "MEDIA_ROOT",
        "ALLOWED_HOSTS",
    ]
)

SHOW = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'],"
    "'db_name': str(s.DATABASES['default']['NAME']), 'eager': s.CELERY_TASK_ALWAYS_EAGER,"
    "'broker': s.CELERY_BROKER_URL, 'media': str(s.MEDIA_ROOT), 'ssl': s.SECURE_SSL_REDIRECT}))"
)


def manage(*args, env):
    clean = {k: v for k, v in subprocess_env(**env).items() if v is not None}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_embedded_default_is_sqlite_eager_local_media_debug():
    result = manage("shell", "-c", SHOW, env=DEMO_OVERRIDES)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["db_name"].endswith("var/emograph.sqlite3")
    assert shown["eager"] is True
    assert shown["debug"] is True
    assert shown["media"].endswith("var/media")
    assert shown["ssl"] is False


def test_production_variables_switch_everything():
    result = manage("shell", "-c", SHOW, env={**DEMO_OVERRIDES, **PRODUCTION})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown == {
        "debug": False,
        "engine": "django.db.backends.postgresql",
        "db_name": "emograph",
        "eager": False,
        "broker": "redis://redis.internal:6379/0",
        "media": "/srv/emograph/media",
        "ssl": True,
    }


def test_check_deploy_is_clean_with_production_variables():
    result = manage(
        "check", "--deploy", "--fail-level", "DEBUG", env={**DEMO_OVERRIDES, **PRODUCTION}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY"])
def test_production_refuses_to_start_without_a_secret_key(missing):
    env = {**DEMO_OVERRIDES, **PRODUCTION, missing: None}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
