"""platform/ is a source root, never a package: `import platform` must stay the stdlib's."""

import platform
import subprocess
import sys
import sysconfig
from pathlib import Path

from .conftest import REPO_DIR, subprocess_env

STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


def is_stdlib_platform(module_file):
    return Path(module_file).resolve() == STDLIB / "platform.py"


def test_platform_folder_is_not_a_package():
    assert (REPO_DIR / "platform" / "config").is_dir()
    assert not (REPO_DIR / "platform" / "__init__.py").exists()


def test_top_level_layout():
    for name in ("manage.py", "platform", "gnn", "ingest", "tests", "requirements.txt", "docker"):
        assert (REPO_DIR / name).exists(), name
    assert not (REPO_DIR / "platform" / "ingest").exists()
    assert not (REPO_DIR / "platform" / "gnn").exists()


def test_platform_is_stdlib_in_the_test_process():
    assert is_stdlib_platform(platform.__file__)
    assert platform.python_version() == sys.version.split()[0]


def run_python(*args):
    result = subprocess.run(
        [sys.executable, *args],
        cwd=REPO_DIR,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_platform_is_stdlib_inside_manage_py():
    out = run_python("manage.py", "shell", "-c", "import platform; print(platform.__file__)")
    assert is_stdlib_platform(out), out


def test_platform_is_stdlib_inside_the_wsgi_app():
    # What gunicorn does in Docker: PYTHONPATH=/app:/app/platform, import config.wsgi.
    out = run_python("-c", "import config.wsgi, platform, torch; print(platform.__file__)")
    assert is_stdlib_platform(out), out
