"""AI.MODELEXECUTE / AI.MODELRUN: results, run-time errors and every parse error text."""

import numpy as np
import torch

from .harness import Raw, RespError, script_blob

W = "WRONGTYPE Operation against a key holding the wrong kind of value"


def binary_inputs() -> np.ndarray:
    n = np.arange(1023)
    return ((n[:, None] >> np.arange(10)) & 1).astype(np.float32)


def get_array(r, key, dtype=np.float32):
    reply = r.execute_command("AI.TENSORGET", key, "META", "BLOB")
    return np.frombuffer(reply[5], dtype=dtype).reshape(reply[3])


def test_fizzbuzz_matches_eager_model_on_all_inputs(r, fizzbuzz):
    model, blob = fizzbuzz
    x = binary_inputs()
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    r.execute_command("AI.MODELSTORE", "fb", "TORCH", "CPU", "BLOB", blob)
    # Whole set in one tensor ...
    r.execute_command("AI.TENSORSET", "all", "FLOAT", 1023, 10, "BLOB", x.tobytes())
    assert r.execute_command("AI.MODELEXECUTE", "fb", "INPUTS", 1, "all", "OUTPUTS", 1,
                             "out") == b"OK"
    np.testing.assert_allclose(get_array(r, "out"), expected, rtol=1e-5, atol=1e-6)
    # ... and each input as its own request, pipelined.
    pipe = r.pipeline(transaction=False)
    for i in range(1023):
        pipe.execute_command("AI.TENSORSET", f"in{i}", "FLOAT", 1, 10, "BLOB", x[i].tobytes())
        pipe.execute_command("AI.MODELEXECUTE", "fb", "INPUTS", 1, f"in{i}", "OUTPUTS", 1,
                             f"out{i}")
        pipe.execute_command("AI.TENSORGET", f"out{i}", "BLOB")
    replies = pipe.execute()
    got = np.stack([np.frombuffer(replies[3 * i + 2], dtype=np.float32) for i in range(1023)])
    assert all(rep == b"OK" for rep in replies[1::3])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert np.array_equal(got.argmax(1), expected.argmax(1))
    info = r.execute_command("AI.INFO", "fb")
    assert info[12:] == [b"samples", 2046, b"calls", 1024, b"errors", 0]


def test_multiple_inputs_and_outputs(r, blobs):
    r.execute_command("AI.MODELSTORE", "two", "TORCH", "CPU", "BLOB", blobs["two"])
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 2, "VALUES", 2, 3)
    r.execute_command("AI.TENSORSET", "b", "FLOAT", 2, "VALUES", 4, 5)
    assert r.execute_command("AI.MODELEXECUTE", "two", "INPUTS", 2, "a", "b", "OUTPUTS", 2,
                             "sum", "prod", "TIMEOUT", 5000) == b"OK"
    assert r.execute_command("AI.TENSORGET", "sum", "VALUES") == [b"6", b"8"]
    assert r.execute_command("AI.TENSORGET", "prod", "VALUES") == [b"8", b"15"]
    # Deprecated form.
    assert r.execute_command("AI.MODELRUN", "two", "TIMEOUT", 1000, "INPUTS", "b", "a",
                             "OUTPUTS", "s2", "p2") == b"OK"
    assert r.execute_command("AI.TENSORGET", "s2", "VALUES") == [b"6", b"8"]


def test_list_output_model(r, raw, blobs):
    r.execute_command("AI.MODELSTORE", "l", "TORCH", "CPU", "BLOB", blobs["list"])
    r.execute_command("AI.TENSORSET", "a", "INT32", 2, "VALUES", 1, 2)
    assert r.execute_command("AI.MODELEXECUTE", "l", "INPUTS", 1, "a", "OUTPUTS", 3, "x", "y",
                             "z") == b"OK"
    assert r.execute_command("AI.TENSORGET", "z", "VALUES") == [3, 6]
    assert raw.error("AI.MODELEXECUTE", "l", "INPUTS", 1, "a", "OUTPUTS", 2, "x", "y") == (
        "Function returned unexpected number of outputs - forward")


def test_input_dtypes(r, raw, blobs):
    r.execute_command("AI.MODELSTORE", "two", "TORCH", "CPU", "BLOB", blobs["two"])
    for dtype in ("DOUBLE", "INT8", "INT16", "INT64", "UINT8"):
        r.execute_command("AI.TENSORSET", "a", dtype, 2, "VALUES", 1, 2)
        r.execute_command("AI.MODELEXECUTE", "two", "INPUTS", 2, "a", "a", "OUTPUTS", 2, "s",
                          "p")
        assert r.execute_command("AI.TENSORGET", "s", "META")[1] == dtype.encode()
        assert r.execute_command("AI.TENSORGET", "p", "VALUES") in ([1, 4], [b"1", b"4"])
    r.execute_command("AI.TENSORSET", "a", "BOOL", 2, "VALUES", 1, 0)
    r.execute_command("AI.MODELEXECUTE", "two", "INPUTS", 2, "a", "a", "OUTPUTS", 2, "s", "p")
    assert r.execute_command("AI.TENSORGET", "p", "META", "VALUES")[1::2] == [
        b"BOOL", [2], [1, 0]]
    r.execute_command("AI.TENSORSET", "u", "UINT16", 1)
    assert raw.error("AI.MODELEXECUTE", "two", "INPUTS", 2, "u", "u", "OUTPUTS", 2, "s",
                     "p") == "Unsupported kUInt bits 16"
    r.execute_command("AI.TENSORSET", "s", "STRING", 1)
    assert raw.error("AI.MODELEXECUTE", "two", "INPUTS", 2, "s", "s", "OUTPUTS", 2, "x",
                     "y") == "Unsupported code 7"


def test_runtime_errors_are_counted(r, raw, blobs, fizzbuzz):
    _, blob = fizzbuzz
    r.execute_command("AI.MODELSTORE", "fb", "TORCH", "CPU", "BLOB", blob)
    r.execute_command("AI.TENSORSET", "bad", "FLOAT", 1, 3)
    err = raw.error("AI.MODELEXECUTE", "fb", "INPUTS", 1, "bad", "OUTPUTS", 1, "o")
    assert err
    assert not err.startswith("ERR ")
    assert "\n" not in err
    assert raw.call("EXISTS", "o") == 0
    info = r.execute_command("AI.INFO", "fb")
    assert info[14:] == [b"calls", 1, b"errors", 1]
    r.execute_command("AI.MODELSTORE", "h", "TORCH", "CPU", "BLOB", blobs["half"])
    r.execute_command("AI.TENSORSET", "x", "FLOAT", 2)
    assert raw.error("AI.MODELEXECUTE", "h", "INPUTS", 1, "x", "OUTPUTS", 1, "o") == (
        "Half is not supported by dlpack")
    r.execute_command("AI.MODELSTORE", "n", "TORCH", "CPU", "BLOB", blobs["notensor"])
    # forward returns int: zero outputs, so it can never be executed (spec §5.1).
    assert raw.error("AI.MODELEXECUTE", "n", "INPUTS", 1, "x", "OUTPUTS", 1, "o") == (
        "Number of keys given as OUTPUTS here does not match model definition")
    assert raw.error("AI.MODELRUN", "n", "INPUTS", "x", "OUTPUTS", "o") == (
        "Number of keys given as OUTPUTS here does not match model definition")


def test_inputs_are_snapshots(r, blobs):
    r.execute_command("AI.MODELSTORE", "two", "TORCH", "CPU", "BLOB", blobs["two"])
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 1, "VALUES", 1)
    pipe = r.pipeline(transaction=False)
    pipe.execute_command("AI.MODELEXECUTE", "two", "INPUTS", 2, "a", "a", "OUTPUTS", 2, "s",
                         "p")
    pipe.execute_command("AI.TENSORSET", "a", "FLOAT", 1, "VALUES", 100)
    pipe.execute()
    assert r.execute_command("AI.TENSORGET", "s", "VALUES") == [b"2"]


def test_output_key_of_other_type_answers_only_wrongtype(r, raw, blobs):
    r.execute_command("AI.MODELSTORE", "two", "TORCH", "CPU", "BLOB", blobs["two"])
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 1, "VALUES", 3)
    r.set("str", "x")
    assert raw.error("AI.MODELEXECUTE", "two", "INPUTS", 2, "a", "a", "OUTPUTS", 2, "first",
                     "str") == W
    assert raw.call("PING") == "PONG"  # nothing extra was sent (Q4 fixed)
    assert r.execute_command("AI.TENSORGET", "first", "VALUES") == [b"6"]
    assert r.get("str") == b"x"


def test_transaction_and_lua_are_refused(r, raw, blobs):
    tx = "ERR Cannot run RedisAI command within a transaction or a LUA script"
    r.execute_command("AI.MODELSTORE", "two", "TORCH", "CPU", "BLOB", blobs["two"])
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 1, "VALUES", 3)
    assert raw.call("MULTI") == "OK"
    assert raw.call("AI.MODELEXECUTE", "two", "INPUTS", 2, "a", "a", "OUTPUTS", 2, "s",
                    "p") == "QUEUED"
    assert raw.call("AI.MODELRUN", "two", "INPUTS", "a", "a", "OUTPUTS", "s", "p") == "QUEUED"
    assert raw.call("AI.TENSORSET", "t", "FLOAT", 1) == "QUEUED"
    replies = raw.call("EXEC")
    assert [str(x) for x in replies] == [tx, tx, "OK"]
    script = ("return redis.pcall('AI.MODELEXECUTE', 'two', 'INPUTS', 2, 'a', 'a', "
              "'OUTPUTS', 2, 's', 'p')")
    assert raw.error("EVAL", script, 0) == tx
    assert raw.call("EVAL", "return redis.call('AI.TENSORSET', 'k', 'FLOAT', 1)", 0) == "OK"
    assert raw.call("EXISTS", "s") == 0


def test_modelexecute_parse_errors(r, raw, fizzbuzz, blobs):
    _, blob = fizzbuzz
    r.execute_command("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", blob)
    r.execute_command("AI.MODELSTORE", "two", "TORCH", "CPU", "BLOB", blobs["two"])
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 1, 10)
    r.set("str", "x")

    def e(*args):
        return raw.error("ai.modelexecute", *args)

    assert e("m", "INPUTS", 1, "a", "OUTPUTS", 1) == (
        "ERR wrong number of arguments for 'AI.MODELEXECUTE' command")
    assert e("nope", "INPUTS", 1, "a", "OUTPUTS", 1, "b") == "ERR model key is empty"
    assert e("str", "INPUTS", 1, "a", "OUTPUTS", 1, "b") == W
    assert e("m", "INPUT", 1, "a", "OUTPUTS", 1, "b") == "ERR INPUTS not specified"
    assert e("m", "INPUTS", "x", "a", "OUTPUTS", 1, "b") == "ERR Invalid argument for input_count"
    assert e("m", "INPUTS", 0, "a", "OUTPUTS", 1, "b") == (
        "ERR Input count must be a positive integer")
    assert e("m", "INPUTS", 2, "a", "OUTPUTS", 1, "b") == (
        "Number of keys given as INPUTS here does not match model definition")
    assert e("two", "INPUTS", 2, "a", "OUTPUTS", 1, "b") == "ERR OUTPUTS not specified"
    assert e("two", "INPUTS", 2, "a", "a", "OUTPUTS", 1, "b") == (
        "Number of keys given as OUTPUTS here does not match model definition")
    assert e("two", "INPUTS", 2, "a", "b", "c", "d", "OUTPUTS") == (
        "ERR OUTPUTS not specified")
    assert e("two", "INPUTS", 2, "a", "b", "OUTPUTS", "x", "c") == (
        "ERR Invalid argument for output_count")
    assert e("two", "INPUTS", 2, "a", "b", "OUTPUTS", -1, "c") == (
        "ERR Output count must be a positive integer")
    assert e("two", "INPUTS", 2, "a", "b", "OUTPUTS", 2, "c") == (
        "ERR number of output keys to AI.MODELEXECUTE command does not match the number of "
        "given arguments")
    assert e("m", "INPUTS", 1, "a", "OUTPUTS", 1, "b", "TIMEOUT", 5, "extra") == (
        "Invalid argument: extra")
    assert e("m", "INPUTS", 1, "a", "OUTPUTS", 1, "b", "LIMIT") == "Invalid argument: LIMIT"
    assert e("m", "INPUTS", 1, "a", "OUTPUTS", 1, "b", "TIMEOUT") == (
        "ERR No value provided for TIMEOUT")
    assert e("m", "INPUTS", 1, "a", "OUTPUTS", 1, "b", "TIMEOUT", 0) == (
        "ERR Invalid value for TIMEOUT")
    assert e("m", "INPUTS", 1, "nope", "OUTPUTS", 1, "b") == (
        "ERR tensor key is empty or in a different shard")
    assert e("m", "INPUTS", 1, "str", "OUTPUTS", 1, "b") == W
    assert raw.call("EXISTS", "b") == 0


def test_input_keys_count_error(r, raw, blobs):
    # A model with five inputs, so that "too few arguments" is reachable with argc >= 8.
    class Five(torch.nn.Module):
        def forward(self, a, b, c, d, e):
            return a + b + c + d + e

    r.execute_command("AI.MODELSTORE", "five", "TORCH", "CPU", "BLOB",
                      script_blob(Five()))
    assert raw.error("AI.MODELEXECUTE", "five", "INPUTS", 5, "a", "b", "c", "d") == (
        "ERR number of input keys to AI.MODELEXECUTE command does not match the number of "
        "given arguments")


def test_modelrun_parse_errors(r, raw, blobs):
    r.execute_command("AI.MODELSTORE", "two", "TORCH", "CPU", "BLOB", blobs["two"])
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 1)
    r.set("str", "x")

    def e(*args):
        return raw.error("AI.MODELRUN", *args)

    assert e("two", "INPUTS", "a", "OUTPUTS") == (
        "ERR wrong number of arguments for 'AI.MODELRUN' command")
    assert e("nope", "INPUTS", "a", "OUTPUTS", "b") == "ERR model key is empty"
    assert e("str", "INPUTS", "a", "OUTPUTS", "b") == W
    assert e("two", "TIMEOUT", "x", "INPUTS", "a", "a", "OUTPUTS", "b", "c") == (
        "ERR Invalid value for TIMEOUT")
    assert e("two", "INPUT", "a", "a", "OUTPUTS", "b") == "ERR INPUTS not specified"
    assert e("two", "INPUTS", "a", "OUTPUTS", "b", "c") == (
        "Number of keys given as INPUTS here does not match model definition")
    assert e("two", "INPUTS", "a", "a", "OUTPUTS", "b") == (
        "Number of keys given as OUTPUTS here does not match model definition")
    assert e("two", "INPUTS", "a", "nope", "OUTPUTS", "b", "c") == (
        "ERR tensor key is empty or in a different shard")
    assert e("two", "INPUTS", "a", "str", "OUTPUTS", "b", "c") == W


def test_command_getkeys(raw):
    keys = raw.call("COMMAND", "GETKEYS", "AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "b",
                    "OUTPUTS", 1, "c", "TIMEOUT", 5)
    assert keys == [b"m", b"a", b"b", b"c"]
    keys = raw.call("COMMAND", "GETKEYS", "AI.MODELRUN", "m", "INPUTS", "a", "OUTPUTS", "b",
                    "OUTPUTS")
    assert keys == [b"m", b"a", b"b", b"OUTPUTS"]


def test_written_outputs_trigger_watch(shared_server, r, blobs):
    r.execute_command("AI.MODELSTORE", "two", "TORCH", "CPU", "BLOB", blobs["two"])
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 1, "VALUES", 3)
    watcher = Raw(shared_server.port)
    assert watcher.call("WATCH", "s") == "OK"
    # A failed TENSORSET on the watched key does not count as a modification ...
    assert isinstance(watcher.call("AI.TENSORSET", "s", "BOGUS", 1), RespError)
    r.execute_command("AI.MODELEXECUTE", "two", "INPUTS", 2, "a", "a", "OUTPUTS", 2, "s", "p")
    # ... but the output written by the run does.
    assert watcher.call("MULTI") == "OK"
    assert watcher.call("PING") == "QUEUED"
    assert watcher.call("EXEC") is None
    watcher.close()
