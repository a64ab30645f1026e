"""Load tests: `python -m loadtest compare --help`."""

from __future__ import annotations

import sys

from loadtest.compare import compare

COMMANDS = {"compare": compare}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python -m loadtest {{{','.join(COMMANDS)}}} [options]")
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
