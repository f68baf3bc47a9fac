#!/usr/bin/env python
"""Django's manage.py; `sequence <command>` does the same."""

import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))
    from sequence.cli import django_command

    sys.exit(django_command(sys.argv[1:]))
