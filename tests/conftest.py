import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

from .factories import UserFactory

REPO_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _plain_http_test_client(settings):
    """The suite runs with production settings (DATABASE_URL set); its test client speaks plain
    HTTP and there is no collectstatic manifest, so only these two are relaxed."""
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _celery_eager_by_default():
    """Unit tests run tasks in-process; the `celery_worker` fixture turns this off."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _no_scoring_on_import(settings):
    """Imports in tests do not queue scoring (real encoders on every import would dominate the
    suite's time); the scoring tests turn it back on."""
    settings.EMOGRAPH_SCORE_ON_IMPORT = False


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def subprocess_env(**overrides):
    """Environment for a child Django/Celery process that sees the same code and settings."""
    env = {**os.environ, "PYTHONPATH": f"{REPO_DIR}{os.pathsep}{REPO_DIR / 'platform'}"}
    env.update(overrides)
    return env


def worker_database_url():
    """URL of the database the tests run in (pytest-django's test_<name> copy)."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("Worker tests need PostgreSQL (a worker process cannot see SQLite's test DB).")
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen
    log: Path

    def wait_until(self, condition, what, seconds=240):
        """Poll `condition()` until it holds; on timeout fail with `what` and the log's tail."""
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"{what}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.5)

    def pool_children(self):
        """Pids of the prefork pool's child processes (the ones that run tasks)."""
        return [int(pid) for pid in Path(f"/proc/{self.process.pid}/task").glob("*/children")
                for pid in pid.read_text().split()]  # fmt: skip


@contextmanager
def running_worker(tmp_path, *, pool="solo", env=None):
    """A real `celery worker` process on the configured broker, consuming `default` and `gpu`,
    writing to the test database. Fails (never skips) when the broker is not there."""
    broker = settings.CELERY_BROKER_URL
    if broker.startswith("memory://"):
        pytest.fail("CELERY_BROKER_URL is not set: the worker tests need a real broker (Redis).")
    name = f"pytest-{uuid.uuid4().hex[:8]}@localhost"
    log = tmp_path / "worker.log"
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()  # leftovers of an earlier, interrupted run
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,gpu",
        "--pool", pool, "--concurrency", "1", "-n", name, "--without-gossip", "--without-mingle",
        "-l", "info",
    ]  # fmt: skip
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO_DIR,
            env=subprocess_env(
                DATABASE_URL=worker_database_url(),
                DB_CONN_MAX_AGE="0",
                **{"EMOGRAPH_SCORE_ON_IMPORT": "0", **(env or {})},
            ),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(destination=[name], timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Celery worker did not start:\n{log.read_text()[-3000:]}")
        yield WorkerProcess(name, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    with running_worker(tmp_path) as worker:
        yield worker.name
