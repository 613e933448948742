#!/usr/bin/env python
"""Django's command-line utility for EmoGraph."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main():
    # platform/ is a source root, not a package: a package named "platform" would shadow the
    # standard library module. A folder without __init__.py never does (a namespace package
    # loses to any regular module), so it is safe to put it first, ahead of site-packages.
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
