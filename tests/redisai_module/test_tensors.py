"""AI.TENSORSET / AI.TENSORGET: dtypes, BLOB and VALUES, reply shapes and every error text."""

import numpy as np
import pytest

NUMERIC = {
    "FLOAT": np.float32, "DOUBLE": np.float64, "INT8": np.int8, "INT16": np.int16,
    "INT32": np.int32, "INT64": np.int64, "UINT8": np.uint8, "UINT16": np.uint16,
    "BOOL": np.bool_,
}


@pytest.mark.parametrize("dtype", sorted(NUMERIC))
def test_blob_roundtrip_every_dtype(r, dtype):
    arr = (np.arange(6) % 2 if dtype == "BOOL" else np.arange(6) * 3).astype(NUMERIC[dtype])
    arr = arr.reshape(2, 3)
    assert r.execute_command("AI.TENSORSET", "t", dtype, 2, 3, "BLOB", arr.tobytes()) == b"OK"
    reply = r.execute_command("AI.TENSORGET", "t", "META", "BLOB")
    assert reply[:4] == [b"dtype", dtype.encode(), b"shape", [2, 3]]
    assert reply[4] == b"blob"
    assert np.array_equal(np.frombuffer(reply[5], dtype=NUMERIC[dtype]).reshape(2, 3), arr)
    assert r.execute_command("AI.TENSORGET", "t") == reply  # default is META BLOB
    assert r.execute_command("AI.TENSORGET", "t", "BLOB") == arr.tobytes()
    assert r.type("t") == b"AI_TENSOR"


def test_values_replies(r):
    r.execute_command("AI.TENSORSET", "f", "FLOAT", 2, "VALUES", 1, 0.1)
    assert r.execute_command("AI.TENSORGET", "f", "VALUES") == [b"1", b"0.10000000149011612"]
    r.execute_command("AI.TENSORSET", "i", "INT16", 3, "VALUES", -5, 0, 32767)
    assert r.execute_command("AI.TENSORGET", "i", "VALUES") == [-5, 0, 32767]
    assert r.execute_command("AI.TENSORGET", "i", "META", "VALUES") == [
        b"dtype", b"INT16", b"shape", [3], b"values", [-5, 0, 32767]]
    assert r.execute_command("AI.TENSORGET", "i", "VALUES", "META")[4] == b"values"
    assert r.execute_command("AI.TENSORGET", "i", "META") == [b"dtype", b"INT16", b"shape", [3]]
    r.execute_command("AI.TENSORSET", "b", "bool", 2, "values", 1, 0)
    assert r.execute_command("AI.TENSORGET", "b", "values") == [1, 0]
    r.execute_command("AI.TENSORSET", "d", "DOUBLE", 1, "VALUES", "inf")
    assert r.execute_command("AI.TENSORGET", "d", "VALUES") == [b"inf"]


def test_scalar_and_zero_fill(r):
    r.execute_command("AI.TENSORSET", "s", "FLOAT", "VALUES", 3)
    assert r.execute_command("AI.TENSORGET", "s", "META", "VALUES") == [
        b"dtype", b"FLOAT", b"shape", [], b"values", [b"3"]]
    r.execute_command("AI.TENSORSET", "z", "INT32", 2, 2)
    assert r.execute_command("AI.TENSORGET", "z", "VALUES") == [0, 0, 0, 0]
    r.execute_command("AI.TENSORSET", "zs", "STRING", 2)
    assert r.execute_command("AI.TENSORGET", "zs", "BLOB") == b"\0\0"


def test_strings(r):
    r.execute_command("AI.TENSORSET", "s", "STRING", 3, "VALUES", "ab", "c\0", "xyz")
    assert r.execute_command("AI.TENSORGET", "s", "VALUES") == [b"ab", b"c", b"xyz"]
    assert r.execute_command("AI.TENSORGET", "s", "BLOB") == b"ab\0c\0xyz\0"
    r.execute_command("AI.TENSORSET", "s2", "STRING", 2, "BLOB", b"\0hi\0")
    assert r.execute_command("AI.TENSORGET", "s2", "VALUES") == [b"", b"hi"]


def test_overwrite_and_signed_values(r):
    r.execute_command("AI.TENSORSET", "t", "INT8", 2, "VALUES", -128, 127)
    assert r.execute_command("AI.TENSORGET", "t", "VALUES") == [-128, 127]
    r.execute_command("AI.TENSORSET", "t", "UINT8", 1, "VALUES", 255)
    assert r.execute_command("AI.TENSORGET", "t", "META")[1] == b"UINT8"


def test_tensorset_errors(raw):
    raw.call("SET", "str", "x")
    A = "ERR wrong number of arguments for 'ai.tensorset' command"
    assert raw.error("ai.tensorset", "k", "FLOAT") == A
    assert raw.error("AI.TENSORSET", "str", "FLOAT", 1) == (
        "WRONGTYPE Operation against a key holding the wrong kind of value")
    assert raw.error("AI.TENSORSET", "k", "INT08", 1) == "ERR invalid data type"
    for dim in ("0", "-1", "x", "01", "+1"):
        assert raw.error("AI.TENSORSET", "k", "FLOAT", dim) == (
            "ERR invalid or negative value found in tensor shape")
    single = ("ERR a single binary string should come after the BLOB argument in "
              "'AI.TENSORSET' command")
    assert raw.error("AI.TENSORSET", "k", "FLOAT", 1, "BLOB") == single
    assert raw.error("AI.TENSORSET", "k", "FLOAT", 1, "BLOB", "a", "b") == single
    count = "ERR wrong number of values was given in 'AI.TENSORSET' command"
    assert raw.error("AI.TENSORSET", "k", "FLOAT", 2, "VALUES", 1) == count
    assert raw.error("AI.TENSORSET", "k", "FLOAT", 1, "VALUES") == count
    for dtype, value in [("FLOAT", "nan"), ("FLOAT", "x"), ("INT8", 128), ("INT8", -129),
                         ("UINT8", -1), ("UINT16", 65536), ("BOOL", 2), ("INT32", "1.5"),
                         ("STRING", "")]:
        assert raw.error("AI.TENSORSET", "k", dtype, 1, "VALUES", value) == "ERR invalid value"
    assert raw.error("AI.TENSORSET", "k", "STRING", 1, "VALUES", "a\0b") == (
        "ERR C-string value contains null character")
    assert raw.error("AI.TENSORSET", "k", "FLOAT", 2, "BLOB", b"\0" * 7) == (
        "ERR data length does not match tensor shape and type")
    assert raw.error("AI.TENSORSET", "k", "BOOL", 2, "BLOB", b"\x01\x02") == (
        "ERR BOOL tensor elements must be 0 or 1")
    strings = "ERR Number of string elements in data blob does not match tensor length"
    assert raw.error("AI.TENSORSET", "k", "STRING", 2, "BLOB", b"a\0") == strings
    assert raw.error("AI.TENSORSET", "k", "STRING", 1, "BLOB", b"a") == strings
    assert raw.error("AI.TENSORSET", "k", "STRING", 1, "BLOB", b"") == strings
    assert raw.call("EXISTS", "k") == 0


def test_size_limit(raw):
    assert raw.error("AI.TENSORSET", "k", "FLOAT", 1 << 20, 1 << 20) == (
        "ERR tensor size exceeds TENSOR_MAX_BYTES")
    # Dimensions whose product overflows 64 bits.
    assert raw.error("AI.TENSORSET", "k", "INT8", *([1 << 62] * 3)) == (
        "ERR tensor size exceeds TENSOR_MAX_BYTES")
    assert raw.call("PING") == "PONG"


def test_size_limit_is_configurable(make_server):
    srv = make_server(module_args=["TENSOR_MAX_BYTES", 16])
    c = srv.client()
    assert c.execute_command("AI.TENSORSET", "ok", "FLOAT", 4) == b"OK"
    with pytest.raises(Exception, match="TENSOR_MAX_BYTES"):
        c.execute_command("AI.TENSORSET", "big", "FLOAT", 5)


def test_tensorget_errors(raw):
    raw.call("SET", "str", "x")
    raw.call("AI.TENSORSET", "t", "FLOAT", 1)
    assert raw.error("AI.TENSORGET") == "ERR wrong number of arguments for 'AI.TENSORGET' command"
    assert raw.error("AI.TENSORGET", "t", "META", "BLOB", "VALUES") == (
        "ERR wrong number of arguments for 'AI.TENSORGET' command")
    assert raw.error("AI.TENSORGET", "missing") == (
        "ERR tensor key is empty or in a different shard")
    assert raw.error("AI.TENSORGET", "str") == (
        "WRONGTYPE Operation against a key holding the wrong kind of value")
    assert raw.error("AI.TENSORGET", "t", "JSON") == "ERR unsupported data format"
    assert raw.error("AI.TENSORGET", "t", "BLOB", "VALUES") == "ERR both BLOB and VALUES specified"


def test_resp3_doubles_are_native(shared_server, r):
    r.execute_command("AI.TENSORSET", "f", "FLOAT", 2, "VALUES", 1, 0.5)
    c3 = shared_server.client(protocol=3)
    assert c3.execute_command("AI.TENSORGET", "f", "VALUES") == [1.0, 0.5]
    c3.close()
