"""Fuzz: thousands of random and mutated argument lists to every command.

Afterwards the server must still answer PING, the data in database 0 (which the fuzzer never
selects) must be intact, and its model must still give the same answer. The seed is fixed for
reproducibility; set REDISAI_FUZZ_SEED to explore others and REDISAI_FUZZ_ROUNDS to scale.
"""

import os
import random

import numpy as np

from .harness import Raw, RespError

SCRIPT = """
def f(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0] * float(len(args))

def g(a, rest: List[Tensor]):
    return a + a
"""
KEYWORDS = ["KEYS", "ARGS", "ENTRY_POINTS", "SOURCE", "$", "|>", "LOAD", "PERSIST", "ROUTING",
            "AI.TENSORSET", "AI.TENSORGET", "AI.MODELEXECUTE", "AI.SCRIPTEXECUTE",
            "INPUTS", "OUTPUTS", "BLOB", "VALUES", "META", "TIMEOUT", "TAG", "BATCHSIZE",
            "MINBATCHSIZE", "MINBATCHTIMEOUT", "RESETSTAT", "GET", "LOADBACKEND",
            "BACKENDSPATH", "MODEL_CHUNK_SIZE", "TORCH", "TF", "ONNX", "TFLITE", "CPU", "GPU",
            "GPU:0", "CPU:1", "FLOAT", "DOUBLE", "INT8", "INT16", "INT32", "INT64", "UINT8",
            "UINT16", "BOOL", "STRING", "int08"]
NUMBERS = ["0", "1", "2", "3", "-1", "-0", "01", "+1", "1.5", "2.0", "1e3", "1e308", "nan",
           "inf", "-inf", "9223372036854775807", "9223372036854775808",
           "-9223372036854775808", "99999999999999999999", "4294967296", "65536", "1024"]
# Model keys are left out on purpose: a mutated MODELSTORE could otherwise turn the models the
# execution templates use into ones that wait for MINBATCHSIZE forever.
KEYS = ["fz:a", "fz:b", "fz:s", "fz:out", "fz:str", "fz:store", "missing"]


def random_bytes(rng, n=None):
    return bytes(rng.getrandbits(8) for _ in range(n if n is not None else rng.randint(0, 40)))


def random_token(rng, blob):
    kind = rng.random()
    if kind < 0.3:
        return rng.choice(KEYWORDS)
    if kind < 0.6:
        return rng.choice(NUMBERS)
    if kind < 0.8:
        return rng.choice(KEYS)
    if kind < 0.9:
        return random_bytes(rng)
    cut = rng.randint(0, len(blob))
    return blob[:cut] if rng.random() < 0.5 else blob[cut:]


def templates(rng, blob):
    """Valid (or nearly valid) argument lists, one per command family."""
    x = np.zeros((1, 10), dtype=np.float32).tobytes()
    chunks = [blob[: len(blob) // 2], blob[len(blob) // 2:]]
    dims = [rng.choice(["1", "2", "3", "1048576", "-4", "0"]) for _ in range(rng.randint(0, 4))]
    return [
        ["AI.TENSORSET", "fz:a", "FLOAT", "1", "10", "BLOB", x],
        ["AI.TENSORSET", "fz:b", rng.choice(KEYWORDS[-10:]), *dims, "VALUES", "1", "2"],
        ["AI.TENSORSET", "fz:s", "STRING", "2", "BLOB", b"a\0b\0"],
        ["AI.TENSORSET", "fz:b", "INT8", *dims, "BLOB", random_bytes(rng)],
        ["AI.TENSORGET", "fz:a", "META", "BLOB"],
        ["AI.TENSORGET", "fz:s", "VALUES"],
        ["AI.MODELSTORE", "fz:store", "TORCH", "CPU", "TAG", "t", "BATCHSIZE", "2",
         "MINBATCHSIZE", "1", "MINBATCHTIMEOUT", "5", "BLOB", *chunks],
        ["AI.MODELSTORE", "fz:store2", "TORCH", "CPU", "BLOB", random_bytes(rng, 200)],
        ["AI.MODELSTORE", "fz:store", "TF", "CPU", "INPUTS", "1", "a", "OUTPUTS", "1", "b",
         "BLOB", b"x"],
        ["AI.MODELSET", "fz:store", "TORCH", "CPU", "INPUTS", "a", "OUTPUTS", "b", "BLOB", blob],
        ["AI.MODELGET", "fz:m", "META", "BLOB"],
        ["AI.MODELDEL", "fz:store"],
        ["AI.MODELEXECUTE", "fz:m", "INPUTS", "1", "fz:a", "OUTPUTS", "1", "fz:out", "TIMEOUT",
         "1000"],
        ["AI.MODELEXECUTE", "fz:two", "INPUTS", "2", "fz:b", "fz:b", "OUTPUTS", "2", "fz:o1",
         "fz:o2"],
        ["AI.MODELRUN", "fz:m", "TIMEOUT", "1000", "INPUTS", "fz:a", "OUTPUTS", "fz:out"],
        ["AI.INFO", "fz:m", "RESETSTAT"],
        ["AI._MODELSCAN"],
        ["AI.CONFIG", "GET", "MODEL_CHUNK_SIZE"],
        ["AI.CONFIG", "MODEL_CHUNK_SIZE", rng.choice(["100", "0", "-1", "x", "535822336"])],
        ["AI.CONFIG", "LOADBACKEND", "ONNX", "x.so"],
        ["AI.SCRIPTSTORE", "fz:script", "CPU", "TAG", "t", "ENTRY_POINTS", "1", "f", "SOURCE",
         SCRIPT],
        ["AI.SCRIPTSET", "fz:script2", "CPU", "SOURCE", SCRIPT[: rng.randint(0, len(SCRIPT))]],
        ["AI.SCRIPTGET", "fz:sc", "META", "SOURCE"],
        ["AI.SCRIPTDEL", "fz:script"],
        ["AI.SCRIPTEXECUTE", "fz:sc", "f", "KEYS", "1", "k", "INPUTS", "1", "fz:a", "ARGS", "1",
         "2", "OUTPUTS", "1", "fz:so", "TIMEOUT", "1000"],
        ["AI.SCRIPTRUN", "fz:sc", "g", "TIMEOUT", "1000", "INPUTS", "fz:a", "$", "fz:a",
         "OUTPUTS", "fz:so"],
        ["AI._SCRIPTSCAN"],
        ["AI.DAGEXECUTE", "LOAD", "1", "fz:a", "PERSIST", "1", "fz:dag", "TIMEOUT", "1000",
         "|>", "AI.TENSORSET", "t", "FLOAT", "1", "10", "BLOB", x, "|>", "AI.MODELEXECUTE",
         "fz:m", "INPUTS", "1", "t", "OUTPUTS", "1", "fz:dag", "|>", "AI.SCRIPTEXECUTE",
         "fz:sc", "f", "INPUTS", "1", "fz:dag", "OUTPUTS", "1", "q", "|>", "AI.TENSORGET", "q",
         "META"],
        ["COMMAND", "GETKEYS", "AI.DAGEXECUTE", "LOAD", "1", "fz:a", "PERSIST", "1", "p",
         "ROUTING", "r", "|>", "AI.MODELEXECUTE", "fz:m", "INPUTS", "1", "fz:a", "OUTPUTS",
         "1", "p"],
        ["COMMAND", "GETKEYS", "AI.MODELEXECUTE", "m", "INPUTS", "1", "a", "OUTPUTS", "1", "b"],
        ["COMMAND", "GETKEYS", "AI.SCRIPTEXECUTE", "s", "f", "KEYS", "1", "k", "INPUTS", "1",
         "a", "ARGS", "1", "x", "OUTPUTS", "1", "o"],
        ["COMMAND", "GETKEYS", "AI.MODELRUN", "m", "INPUTS", "a", "OUTPUTS", "b"],
        ["COMMAND", "GETKEYS", "AI.SCRIPTRUN", "s", "f", "INPUTS", "a", "$", "b", "OUTPUTS",
         "c"],
        ["AI.DAGRUN_RO", "LOAD", "2", "fz:a", "fz:b", "|>", "AI.MODELRUN", "fz:m", "INPUTS",
         "fz:a", "OUTPUTS", "y", "|>", "AI.SCRIPTRUN", "fz:sc", "g", "INPUTS", "y", "$", "y",
         "OUTPUTS", "z", "|>", "AI.TENSORGET", "z", "VALUES"],
    ]


def mutate(rng, argv, blob):
    argv = list(argv)
    for _ in range(rng.randint(0, 3)):
        op = rng.random()
        pos = rng.randint(1, max(1, len(argv) - 1)) if len(argv) > 1 else 1
        if op < 0.25 and len(argv) > 1:
            del argv[pos:pos + rng.randint(1, 3)]
        elif op < 0.5:
            argv.insert(pos, random_token(rng, blob))
        elif op < 0.75 and pos < len(argv):
            argv[pos] = random_token(rng, blob)
        elif len(argv) > 2:
            i, j = rng.randrange(1, len(argv)), rng.randrange(1, len(argv))
            argv[i], argv[j] = argv[j], argv[i]
    return argv


def test_fuzz_every_command(make_server, fizzbuzz, blobs):
    _model, blob = fizzbuzz
    srv = make_server("fuzz", module_args=["THREADS_PER_QUEUE", 2])
    raw = Raw(srv.port, timeout=30)
    x = np.linspace(0, 1, 10, dtype=np.float32).reshape(1, 10)
    raw.call("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", blob)
    raw.call("AI.TENSORSET", "x", "FLOAT", 1, 10, "BLOB", x.tobytes())
    raw.call("AI.TENSORSET", "s", "STRING", 2, "VALUES", "a", "b")
    assert raw.call("AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y") == "OK"
    protected = {k: raw.call("AI.TENSORGET", k) for k in ("x", "y", "s")}
    protected["m"] = raw.call("AI.MODELGET", "m")

    raw.call("SELECT", 1)
    raw.call("AI.MODELSTORE", "fz:m", "TORCH", "CPU", "BLOB", blob)
    raw.call("AI.MODELSTORE", "fz:two", "TORCH", "CPU", "BLOB", blobs["two"])
    raw.call("SET", "fz:str", "x")
    raw.call("AI.SCRIPTSTORE", "fz:sc", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE", SCRIPT)

    seed = int(os.environ.get("REDISAI_FUZZ_SEED", "20261129"))
    rounds = int(os.environ.get("REDISAI_FUZZ_ROUNDS", "200"))
    rng = random.Random(seed)
    sent = errors = 0
    for _ in range(rounds):
        for argv in templates(rng, blob):
            for variant in (argv, mutate(rng, argv, blob), mutate(rng, argv, blob)):
                if variant[0] == "AI.MODELSTORE" and rng.random() < 0.05:
                    variant = variant[:1] + [random_token(rng, blob) for _ in range(8)]
                try:
                    reply = raw.call(*variant)
                except (OSError, ConnectionError) as exc:
                    raise AssertionError(f"server failed on {variant!r}: {exc}") from exc
                sent += 1
                errors += isinstance(reply, RespError)
    assert sent >= 10000 or rounds < 200
    assert 0 < errors < sent  # the mix exercised both success and error paths

    raw.call("AI.CONFIG", "MODEL_CHUNK_SIZE", 535822336)
    raw.call("SELECT", 0)
    assert raw.call("PING") == "PONG"
    for key in ("x", "y", "s"):
        assert raw.call("AI.TENSORGET", key) == protected[key]
    assert raw.call("AI.MODELGET", "m") == protected["m"]
    assert raw.call("AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y2") == "OK"
    assert raw.call("AI.TENSORGET", "y2") == protected["y"]
    raw.close()
