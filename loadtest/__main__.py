"""Load tests and benchmarks: `python -m loadtest {compare,soak,batching,model-batches,variants,
resp-parsers} --help`."""

from __future__ import annotations

import sys

from loadtest.batching import batching
from loadtest.compare import compare
from loadtest.model_batches import model_batches
from loadtest.resp_parsers import resp_parsers
from loadtest.soak import soak
from loadtest.variants import variants

COMMANDS = {
    "compare": compare,
    "soak": soak,
    "batching": batching,
    "model-batches": model_batches,
    "variants": variants,
    "resp-parsers": resp_parsers,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python -m loadtest {{{','.join(COMMANDS)}}} [options]")
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
