"""AI.SCRIPTSTORE / SCRIPTSET / SCRIPTGET / SCRIPTDEL / SCRIPTEXECUTE / SCRIPTRUN."""

import time

import pytest

W = "WRONGTYPE Operation against a key holding the wrong kind of value"

SOURCE = """
def add(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0] + tensors[1]

def scaled(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0] * float(args[0]), torch.tensor([len(keys)])

def two(a, b):
    return a - b, a * b

def variadic(first, rest: List[Tensor]):
    out = first
    for t in rest:
        out = out + t
    return out

def bad_param(x: int):
    return torch.zeros(1)

def not_tensor(tensors: List[Tensor], keys: List[str], args: List[str]):
    return 3
"""
EPS = ["add", "scaled", "not_tensor"]


def store(r, key="s", *, tag=None, eps=EPS, source=SOURCE):
    tag_args = ["TAG", tag] if tag is not None else []
    return r.execute_command("AI.SCRIPTSTORE", key, "CPU", *tag_args, "ENTRY_POINTS", len(eps),
                             *eps, "SOURCE", source)


def vals(r, key):
    return r.execute_command("AI.TENSORGET", key, "VALUES")


def test_store_get_del(r):
    assert store(r, tag="v1") == b"OK"
    assert r.type("s") == b"AI_SCRIPT"
    meta = [b"device", b"CPU", b"tag", b"v1", b"Entry Points", [e.encode() for e in EPS]]
    assert r.execute_command("AI.SCRIPTGET", "s", "META") == meta
    assert r.execute_command("AI.SCRIPTGET", "s") == [*meta, b"source", SOURCE.encode()]
    assert r.execute_command("AI.SCRIPTGET", "s", "SOURCE") == SOURCE.encode()
    assert r.execute_command("AI._SCRIPTSCAN") == [[b"s", b"v1"]]
    info = r.execute_command("AI.INFO", "s")
    assert info[:10] == [b"key", b"s", b"type", b"SCRIPT", b"backend", b"TORCH", b"device",
                         b"CPU", b"tag", b"v1"]
    assert info[12:14] == [b"samples", -1]
    assert r.execute_command("AI.SCRIPTDEL", "s") == b"OK"
    assert r.exists("s") == 0
    assert r.execute_command("AI._SCRIPTSCAN") == []
    assert r.execute_command("AI.SCRIPTSET", "old", "CPU", "TAG", "t", "SOURCE", SOURCE) == b"OK"
    assert r.execute_command("AI.SCRIPTGET", "old", "META")[4:] == [b"Entry Points", []]


def test_execute_entry_points(r):
    store(r)
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 2, "VALUES", 1, 2)
    r.execute_command("AI.TENSORSET", "b", "FLOAT", 2, "VALUES", 10, 20)
    assert r.execute_command("AI.SCRIPTEXECUTE", "s", "add", "INPUTS", 2, "a", "b", "OUTPUTS",
                             1, "c") == b"OK"
    assert vals(r, "c") == [b"11", b"22"]
    assert r.execute_command("AI.SCRIPTEXECUTE", "s", "scaled", "KEYS", 2, "k1", "k2",
                             "INPUTS", 1, "a", "ARGS", 1, "3", "OUTPUTS", 2, "x", "n",
                             "TIMEOUT", 1000) == b"OK"
    assert vals(r, "x") == [b"3", b"6"]
    assert vals(r, "n") == [2]
    # No OUTPUTS: the result is discarded.
    assert r.execute_command("AI.SCRIPTEXECUTE", "s", "add", "INPUTS", 2, "a", "b") == b"OK"
    assert r.execute_command("AI.INFO", "s")[14:] == [b"calls", 3, b"errors", 0]


def test_legacy_mode_and_scriptrun(r, raw):
    r.execute_command("AI.SCRIPTSET", "old", "CPU", "SOURCE", SOURCE)
    for key, v in (("a", 5), ("b", 2), ("c", 1)):
        r.execute_command("AI.TENSORSET", key, "FLOAT", 1, "VALUES", v)
    assert r.execute_command("AI.SCRIPTRUN", "old", "two", "INPUTS", "a", "b", "OUTPUTS", "d",
                             "p") == b"OK"
    assert vals(r, "d") == [b"3"]
    assert vals(r, "p") == [b"10"]
    assert r.execute_command("AI.SCRIPTRUN", "old", "variadic", "TIMEOUT", 500, "INPUTS", "a",
                             "$", "b", "c", "OUTPUTS", "sum") == b"OK"
    assert vals(r, "sum") == [b"8"]
    assert r.execute_command("AI.SCRIPTEXECUTE", "old", "two", "INPUTS", 2, "a", "b",
                             "OUTPUTS", 2, "d2", "p2") == b"OK"
    assert vals(r, "p2") == [b"10"]
    assert raw.error("AI.SCRIPTRUN", "old", "nope", "INPUTS", "a", "OUTPUTS", "x") == (
        "Function does not exist: nope")
    assert raw.error("AI.SCRIPTRUN", "old", "two", "INPUTS", "a", "OUTPUTS", "x") == (
        "Wrong number of inputs provided to function: two")
    assert raw.error("AI.SCRIPTRUN", "old", "bad_param", "INPUTS", "a", "OUTPUTS", "x") == (
        "Unsupported input type in function definition: bad_param")
    assert raw.error("AI.SCRIPTRUN", "old", "two", "INPUTS", "a", "b", "OUTPUTS", "x") == (
        "Function returned unexpected number of outputs - two")
    store(r)
    assert raw.error("AI.SCRIPTEXECUTE", "s", "not_tensor", "INPUTS", 1, "a", "OUTPUTS", 1,
                     "x") == "Function returned non-tensor valuesnot_tensor"
    err = raw.error("AI.SCRIPTEXECUTE", "s", "add", "INPUTS", 1, "a", "OUTPUTS", 1, "x")
    assert "out of range" in err
    assert "\n" not in err


def test_store_errors(r, raw):
    raw.call("SET", "str", "x")

    def e(*args):
        return raw.error("AI.SCRIPTSTORE", *args)

    assert e("s", "CPU", "ENTRY_POINTS", 1, "add", "SOURCE") == (
        "ERR wrong number of arguments for 'AI.SCRIPTSTORE' command")
    assert e("s", "CPU", "TAG", "t", "EPS", 1, "add", "SOURCE", SOURCE) == (
        "ERR Insufficient arguments, missing script entry points")
    assert e("s", "CPU", "ENTRY_POINTS", 5, "add", "SOURCE", SOURCE) == (
        "ERR Insufficient arguments, missing script entry points")
    assert e("s", "CPU", "ENTRY_POINTS", "x", "add", "SOURCE", SOURCE) == (
        "ERR Non numeric entry points number provided to AI.SCRIPTSTORE command")
    assert e("s", "CPU", "ENTRY_POINTS", 1, "add", "SRC", SOURCE) == (
        "ERR Insufficient arguments, missing script SOURCE")
    assert e("s", "TPU", "ENTRY_POINTS", 1, "add", "SOURCE", SOURCE) == "ERR unsupported device"
    assert e("s", "GPU:0", "ENTRY_POINTS", 1, "add", "SOURCE", SOURCE) == (
        "GPU requested but Torch couldn't find CUDA")
    bad = e("s", "CPU", "ENTRY_POINTS", 1, "add", "SOURCE", "def add(:\n")
    assert bad
    assert "\n" not in bad
    assert e("s", "CPU", "ENTRY_POINTS", 1, "nope", "SOURCE", SOURCE) == (
        "Function nope does not exist in the given script.")
    assert e("s", "CPU", "ENTRY_POINTS", 1, "two", "SOURCE", SOURCE) == (
        "Wrong number of inputs in function two. Expected 3 but was 2")
    src = "def f(a: Tensor, b: List[str], c: List[str]):\n    return a\n"
    assert e("s", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE", src) == (
        "Wrong inputs type in function f. Expected signature similar to: def f(tensors: "
        "List[Tensor], keys: List[str], args: List[str])")
    assert e("str", "CPU", "ENTRY_POINTS", 1, "add", "SOURCE", SOURCE) == W
    assert raw.error("AI.SCRIPTSET", "s", "CPU", "SOURCE") == (
        "ERR wrong number of arguments for 'AI.SCRIPTSET' command")
    assert raw.error("AI.SCRIPTSET", "s", "CPU", "SRC", SOURCE) == (
        "ERR Insufficient arguments, missing script SOURCE")
    assert raw.error("AI.SCRIPTGET") == "ERR wrong number of arguments for 'AI.SCRIPTGET' command"
    assert raw.error("AI.SCRIPTGET", "nope") == "ERR script key is empty"
    assert raw.error("AI.SCRIPTGET", "str") == W
    assert raw.error("AI.SCRIPTDEL", "nope") == "ERR script key is empty"
    assert raw.error("AI.SCRIPTDEL", "str") == W
    assert raw.error("AI._SCRIPTSCAN", "x") == (
        "ERR wrong number of arguments for 'AI._SCRIPTSCAN' command")


def test_scriptexecute_parse_errors(r, raw):
    store(r)
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 1)
    r.set("str", "x")

    def e(*args):
        return raw.error("AI.SCRIPTEXECUTE", *args)

    assert e("s") == "ERR wrong number of arguments for 'AI.SCRIPTEXECUTE' command"
    assert e("nope", "add", "INPUTS", 1, "a") == "ERR script key is empty"
    assert e("str", "add", "INPUTS", 1, "a") == W
    first = "ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command"
    assert e("s", "add") == first
    assert e("s", "add", "ARGS", 0) == first
    assert e("s", "add", "KEYS", 1) == "ERR Missing arguments after KEYS keyword"
    assert e("s", "add", "KEYS", 0, "k") == (
        "ERR Invalid or negative value found in number of KEYS")
    assert e("s", "add", "KEYS", 3, "k", "j") == (
        "ERR Number of pre declared KEYS to be used in the command does not match the number "
        "of given arguments")
    assert e("s", "add", "INPUTS") == "ERR Invalid arguments provided to AI.SCRIPTEXECUTE"
    assert e("s", "add", "INPUTS", "x") == (
        "ERR Invalid argument for inputs count in AI.SCRIPTEXECUTE")
    assert e("s", "add", "INPUTS", 0, "OUTPUTS", "y") == (
        "ERR Invalid argument for outputs count in AI.SCRIPTEXECUTE")
    assert e("s", "add", "INPUTS", 0, "ARGS", "z") == (
        "ERR Invalid argument for keys count in AI.SCRIPTEXECUTE")
    for section in ("inputs", "args", "outputs"):
        prefix = [] if section == "inputs" else ["INPUTS", 0]
        assert e("s", "add", *prefix, section.upper(), 3, "q") == (
            f"ERR number of {section} to AI.SCRIPTEXECUTE command does not match the number "
            "of given arguments")
    assert e("s", "add", "KEYS", 1, "k", "KEYS", 1, "k") == (
        "ERR Already Encountered KEYS scope in AI.SCRIPTEXECUTE command")
    assert e("s", "add", "INPUTS", 0, "INPUTS", 0) == (
        "ERR Already Encountered INPUTS scope in AI.SCRIPTEXECUTE command")
    assert e("s", "add", "INPUTS", 0, "TIMEOUT") == (
        "ERR No value provided for TIMEOUT in AI.SCRIPTEXECUTE")
    assert e("s", "add", "INPUTS", 0, "TIMEOUT", -1) == "ERR Invalid value for TIMEOUT"
    assert e("s", "add", "INPUTS", 0, "TIMEOUT", 5, "x") == (
        "ERR Encountered problem parsing AI.SCRIPTEXECUTE")
    assert e("s", "add", "INPUTS", 0, "BOGUS") == (
        "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: BOGUS")
    assert e("s", "add", "INPUTS", 1, "nope") == "ERR tensor key is empty or in a different shard"
    assert e("s", "add", "INPUTS", 1, "str") == W


def test_scriptrun_parse_errors(r, raw):
    r.execute_command("AI.SCRIPTSET", "old", "CPU", "SOURCE", SOURCE)
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 1)

    def e(*args):
        return raw.error("AI.SCRIPTRUN", *args)

    assert e("old") == "ERR wrong number of arguments for 'AI.SCRIPTRUN' command"
    assert e("nope", "two") == "ERR script key is empty"
    assert e("old", "two", "TIMEOUT", 5, "TIMEOUT", 5) == (
        "ERR Already encountered an TIMEOUT section in SCRIPTRUN")
    assert e("old", "two", "TIMEOUT", "x") == "ERR Invalid value for TIMEOUT"
    assert e("old", "two", "OUTPUTS", "o", "INPUTS", "a") == (
        "ERR Already encountered an INPUTS section in SCRIPTRUN")
    assert e("old", "two", "INPUTS", "a", "INPUTS") == (
        "ERR Already encountered an INPUTS keyword in SCRIPTRUN")
    assert e("old", "two", "OUTPUTS", "OUTPUTS") == (
        "ERR Already encountered an OUTPUTS keyword in SCRIPTRUN")
    assert e("old", "two", "$") == (
        "ERR Encountered a variable size list of tensors outside of input section")
    assert e("old", "two", "INPUTS", "$", "a", "$") == (
        "ERR Already encountered a variable size list of tensors")
    assert e("old", "two", "a") == "ERR Unrecongnized parameter to SCRIPTRUN"
    assert e("old", "two", "INPUTS", "nope") == "ERR tensor key is empty or in a different shard"


def test_scripts_refused_in_transactions(r, raw):
    store(r)
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 1)
    script = "return redis.pcall('AI.SCRIPTEXECUTE', 's', 'add', 'INPUTS', 2, 'a', 'a')"
    assert raw.error("EVAL", script, 0) == (
        "ERR Cannot run RedisAI command within a transaction or a LUA script")


@pytest.mark.parametrize("entry_points", [True, False])
def test_scripts_survive_reload_and_aof(make_server, entry_points):
    aof = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]
    srv = make_server("scripts", extra=aof)
    c = srv.client()
    if entry_points:
        store(c, tag="t")
    else:
        c.execute_command("AI.SCRIPTSET", "s", "CPU", "TAG", "t", "SOURCE", SOURCE)
    before = c.execute_command("AI.SCRIPTGET", "s")
    assert c.execute_command("DEBUG", "RELOAD") == b"OK"
    assert c.execute_command("AI.SCRIPTGET", "s") == before
    c.execute_command("BGREWRITEAOF")
    for _ in range(200):
        info = c.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            break
        time.sleep(0.05)
    base = b"".join(p.read_bytes() for p in (srv.dir / "appendonlydir").glob("*.base.aof"))
    assert (b"AI.SCRIPTSTORE" if entry_points else b"AI.SCRIPTSET") in base
    srv.stop()
    again = make_server("scripts", extra=aof, port=srv.port)
    c2 = again.client()
    assert c2.execute_command("AI.SCRIPTGET", "s") == before
    c2.execute_command("AI.TENSORSET", "a", "FLOAT", 1, "VALUES", 4)
    fn, outputs = ("add", ["o"]) if entry_points else ("two", ["o", "p"])
    assert c2.execute_command("AI.SCRIPTEXECUTE", "s", fn, "INPUTS", 2, "a", "a", "OUTPUTS",
                              len(outputs), *outputs) == b"OK"
    assert vals(c2, "o") == ([b"8"] if entry_points else [b"0"])


def test_command_getkeys_scripts(raw):
    assert raw.call("COMMAND", "GETKEYS", "AI.SCRIPTEXECUTE", "s", "fn", "KEYS", 1, "k",
                    "INPUTS", 1, "i", "ARGS", 1, "x", "OUTPUTS", 1, "o") == [
        b"s", b"k", b"i", b"o"]
    assert raw.call("COMMAND", "GETKEYS", "AI.SCRIPTRUN", "s", "fn", "INPUTS", "a", "$", "b",
                    "OUTPUTS", "c") == [b"s", b"a", b"b", b"c"]
    # TIMEOUT is taken anywhere; neither it nor its value is a key (a cluster routes by them).
    assert raw.call("COMMAND", "GETKEYS", "AI.SCRIPTRUN", "s", "fn", "INPUTS", "a",
                    "TIMEOUT", 50, "OUTPUTS", "c") == [b"s", b"a", b"c"]
