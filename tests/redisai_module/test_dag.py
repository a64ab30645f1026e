"""AI.DAGEXECUTE / _RO and AI.DAGRUN / _RO: local names, versions, PERSIST, errors."""

import threading
import time

from .harness import Raw, RespError

W = "WRONGTYPE Operation against a key holding the wrong kind of value"
SCRIPT = """
def double(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0] * 2

def add(a, b):
    return a + b
"""


def setup(r, blobs):
    r.execute_command("AI.MODELSTORE", "two", "TORCH", "CPU", "BLOB", blobs["two"])
    r.execute_command("AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "double", "SOURCE",
                      SCRIPT)
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 2, "VALUES", 1, 2)


def test_dagexecute_pipeline(r, blobs):
    setup(r, blobs)
    reply = r.execute_command(
        "AI.DAGEXECUTE", "LOAD", 1, "a", "PERSIST", 2, "sum", "doubled", "|>",
        "AI.TENSORSET", "b", "FLOAT", 2, "VALUES", 10, 20, "|>",
        "AI.MODELEXECUTE", "two", "INPUTS", 2, "a", "b", "OUTPUTS", 2, "sum", "prod", "|>",
        "AI.SCRIPTEXECUTE", "s", "double", "INPUTS", 1, "sum", "OUTPUTS", 1, "doubled", "|>",
        "AI.TENSORGET", "prod", "VALUES", "|>",
        "AI.TENSORGET", "doubled", "META", "VALUES")
    assert reply == [b"OK", b"OK", b"OK", [b"10", b"40"],
                     [b"dtype", b"FLOAT", b"shape", [2], b"values", [b"22", b"44"]]]
    assert r.execute_command("AI.TENSORGET", "sum", "VALUES") == [b"11", b"22"]
    assert r.execute_command("AI.TENSORGET", "doubled", "VALUES") == [b"22", b"44"]
    assert r.exists("b", "prod") == 0  # local names are not keys
    assert r.execute_command("AI.INFO", "two")[14:16] == [b"calls", 1]


def test_versions_and_tensor_only_dags(r, blobs):
    setup(r, blobs)
    reply = r.execute_command(
        "AI.DAGEXECUTE_RO", "LOAD", 1, "a", "|>",
        "AI.TENSORGET", "a", "VALUES", "|>",
        "AI.TENSORSET", "a", "FLOAT", 1, "VALUES", 7, "|>",
        "AI.TENSORGET", "a", "VALUES")
    assert reply == [[b"1", b"2"], b"OK", [b"7"]]
    assert r.execute_command("AI.TENSORGET", "a", "VALUES") == [b"1", b"2"]
    reply = r.execute_command(
        "AI.DAGRUN", "PERSIST", 1, "x", "|>",
        "AI.TENSORSET", "x", "INT8", 1, "VALUES", 5, "|>",
        "AI.TENSORSET", "x", "INT8", 1, "VALUES", 6)
    assert reply == [b"OK", b"OK"]
    assert r.execute_command("AI.TENSORGET", "x", "VALUES") == [6]


def test_dagrun_deprecated_ops(r, blobs):
    setup(r, blobs)
    r.execute_command("AI.SCRIPTSET", "old", "CPU", "SOURCE", SCRIPT)
    reply = r.execute_command(
        "AI.DAGRUN_RO", "LOAD", 1, "a", "|>",
        "AI.MODELRUN", "two", "INPUTS", "a", "a", "OUTPUTS", "s", "p", "|>",
        "AI.SCRIPTRUN", "old", "add", "INPUTS", "s", "p", "OUTPUTS", "q", "|>",
        "AI.TENSORGET", "q", "VALUES")
    assert reply == [b"OK", b"OK", [b"3", b"8"]]


def test_failure_stops_later_ops_and_persist(r, blobs):
    setup(r, blobs)
    r.execute_command("AI.TENSORSET", "u", "UINT16", 2)
    reply = r.execute_command(
        "AI.DAGEXECUTE", "LOAD", 2, "a", "u", "PERSIST", 1, "out", "|>",
        "AI.MODELEXECUTE", "two", "INPUTS", 2, "a", "a", "OUTPUTS", 2, "ok1", "ok2", "|>",
        "AI.MODELEXECUTE", "two", "INPUTS", 2, "u", "u", "OUTPUTS", 2, "out", "z", "|>",
        "AI.SCRIPTEXECUTE", "s", "double", "INPUTS", 1, "ok1", "OUTPUTS", 1, "d", "|>",
        "AI.TENSORGET", "ok1", "VALUES", "|>",
        "AI.TENSORGET", "d", "VALUES")
    assert reply[0] == b"OK"
    assert isinstance(reply[1], Exception)
    assert str(reply[1]) == "Unsupported kUInt bits 16"
    assert reply[2:] == [b"NA", [b"2", b"4"], b"NA"]
    assert r.exists("out") == 0


def test_persist_into_wrong_type_appends_an_error(r, raw, blobs):
    setup(r, blobs)
    r.set("str", "x")
    reply = raw.call("AI.DAGEXECUTE", "PERSIST", 2, "first", "str", "|>",
                     "AI.TENSORSET", "first", "FLOAT", 1, "|>",
                     "AI.TENSORSET", "str", "FLOAT", 1)
    assert reply[:2] == ["OK", "OK"]
    assert isinstance(reply[2], RespError)
    assert str(reply[2]) == W
    assert len(reply) == 3
    assert r.exists("first") == 1


def test_dag_timeout(shared_server, r, blobs):
    r.execute_command("AI.MODELSTORE", "rev", "TORCH", "CPU", "BATCHSIZE", 2, "MINBATCHSIZE", 2,
                      "BLOB", blobs["reveal"])
    r.execute_command("AI.TENSORSET", "x", "FLOAT", 1, 1)
    start = time.monotonic()
    assert r.execute_command("AI.DAGEXECUTE", "LOAD", 1, "x", "PERSIST", 1, "o", "TIMEOUT", 100,
                             "|>", "AI.MODELEXECUTE", "rev", "INPUTS", 1, "x", "OUTPUTS", 1,
                             "o") == b"TIMEDOUT"
    assert time.monotonic() - start < 5
    assert r.exists("o") == 0


def test_dag_model_ops_batch_with_single_requests(shared_server, r, blobs):
    r.execute_command("AI.MODELSTORE", "rev", "TORCH", "CPU", "BATCHSIZE", 2, "MINBATCHSIZE", 2,
                      "BLOB", blobs["reveal"])
    r.execute_command("AI.TENSORSET", "x", "FLOAT", 1, 1)
    results = {}

    def single():
        raw = Raw(shared_server.port)
        results["single"] = raw.call("AI.MODELEXECUTE", "rev", "INPUTS", 1, "x", "OUTPUTS", 1,
                                     "y")
        raw.close()

    t = threading.Thread(target=single)
    t.start()
    reply = r.execute_command("AI.DAGEXECUTE", "LOAD", 1, "x", "|>",
                              "AI.MODELEXECUTE", "rev", "INPUTS", 1, "x", "OUTPUTS", 1, "o",
                              "|>", "AI.TENSORGET", "o", "VALUES")
    t.join(30)
    assert results["single"] == "OK"
    assert reply == [b"OK", [b"2"]]  # one run served the DAG op and the single request


def test_dag_parse_errors(r, raw, blobs):
    setup(r, blobs)
    r.set("str", "x")

    def e(*args):
        return raw.error(*args)

    unexpected = "ERR Invalid DAG command. Unexpected argument:  "
    assert e("AI.DAGEXECUTE", "LOAD", 1, "a", "|>") == (
        "ERR missing arguments for 'AI.DAGEXECUTE' command")
    assert e("AI.DAGEXECUTE_RO", "LOAD", 1, "a", "|>") == (
        "ERR missing arguments for 'AI.DAGEXECUTE_RO' command")
    assert e("AI.DAGRUN", "|>", "AI.TENSORGET") == (
        "ERR wrong number of arguments for 'AI.DAGRUN' command")
    assert e("AI.DAGRUN", "TIMEOUT", 5, "LOAD", 1) == (
        "ERR missing arguments after LOAD keyword in DAG command")
    assert e("AI.DAGRUN", "LOAD", 0, "a", "|>", "AI.TENSORGET", "a") == (
        "ERR invalid or negative value found in number of keys to LOAD")
    assert e("AI.DAGRUN", "LOAD", 1, "nope", "|>", "AI.TENSORGET", "a") == (
        "ERR tensor key is empty or in a different shard")
    assert e("AI.DAGRUN", "LOAD", 1, "str", "|>", "AI.TENSORGET", "a") == W
    assert e("AI.DAGRUN", "TIMEOUT", 5, "LOAD", 3, "a") == (
        "ERR number of keys to LOAD into DAG does not match the number of given arguments")
    assert e("AI.DAGRUN_RO", "PERSIST", 1, "a", "|>", "AI.TENSORGET", "a") == (
        "ERR PERSIST cannot be specified in a read-only DAG")
    assert e("AI.DAGRUN", "TIMEOUT", 5, "PERSIST", 1) == (
        "ERR missing arguments after PERSIST keyword in DAG command")
    assert e("AI.DAGRUN", "PERSIST", "x", "a", "|>", "AI.TENSORGET", "a") == (
        "ERR invalid or negative value found in number of keys to PERSIST")
    assert e("AI.DAGRUN", "PERSIST", 2, "a", "a", "|>", "AI.TENSORGET", "a") == (
        "ERR PERSIST keys must be unique")
    assert e("AI.DAGRUN", "TIMEOUT", 5, "PERSIST", 3, "a") == (
        "ERR number of keys to PERSIST after DAG execution does not match the number of given "
        "arguments")
    assert e("AI.DAGEXECUTE", "TIMEOUT", 5, "LOAD", 1, "a", "ROUTING") == (
        "ERR Missing ROUTING value")
    assert e("AI.DAGRUN", "LOAD", 1, "a", "TIMEOUT") == "ERR No value provided for TIMEOUT"
    assert e("AI.DAGRUN", "TIMEOUT", "x", "|>", "AI.TENSORGET", "a") == (
        "ERR Invalid value for TIMEOUT")
    assert e("AI.DAGRUN", "LOAD", 1, "a", "LOAD", 1, "a", "|>", "AI.TENSORGET", "a") == (
        unexpected + "LOAD")
    assert e("AI.DAGRUN", "BOGUS", "|>", "AI.TENSORGET", "a") == unexpected + "BOGUS"
    assert e("AI.DAGRUN", "LOAD", 1, "a", "|>", "AI.TENSORGET", "a", "|>") == unexpected + "|>"
    assert e("AI.DAGEXECUTE", "TIMEOUT", 5, "|>", "AI.TENSORGET", "a") == (
        "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of "
        "ROUTING, LOAD, PERSIST keywords")
    assert e("AI.DAGRUN", "LOAD", 1, "a", "TIMEOUT", 5) == "ERR DAG is empty"
    assert e("AI.DAGRUN", "LOAD", 1, "a", "|>", "SET", "k", "v") == (
        "Unsupported command within DAG")
    assert e("AI.DAGEXECUTE_RO", "LOAD", 1, "a", "|>", "AI.SCRIPTEXECUTE", "s", "double",
             "INPUTS", 1, "a") == (
        "ERR AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG")
    assert e("AI.DAGEXECUTE", "LOAD", 1, "a", "|>", "AI.MODELRUN", "two", "INPUTS", "a",
             "OUTPUTS", "b") == "Deprecated AI.MODELRUN cannot be used in AI.DAGEXECUTE command"
    assert e("AI.DAGEXECUTE", "LOAD", 1, "a", "|>", "AI.SCRIPTRUN", "s", "f") == (
        "Deprecated AI.SCRIPTRUN cannot be used in AI.DAGEXECUTE command")
    assert e("AI.DAGRUN", "LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "two") == (
        "AI.MODELEXECUTE cannot be used in a deprecated AI.DAGRUN command")
    assert e("AI.DAGRUN", "LOAD", 1, "a", "|>", "AI.SCRIPTEXECUTE", "s") == (
        "AI.SCRIPTEXECUTE cannot be used in a deprecated AI.DAGRUN command")
    assert e("AI.DAGRUN", "LOAD", 1, "a", "|>", "AI.TENSORSET", "x", "FLOAT") == (
        "wrong number of arguments for 'AI.TENSORSET' command")
    assert e("AI.DAGRUN", "LOAD", 1, "a", "|>", "AI.TENSORGET") == (
        "wrong number of arguments for 'AI.TENSORGET' command")
    assert e("AI.DAGRUN", "LOAD", 1, "a", "|>", "AI.TENSORSET", "x", "FLOAT", 0) == (
        "ERR invalid or negative value found in tensor shape")
    assert e("AI.DAGEXECUTE", "LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "nope", "INPUTS", 1,
             "a", "OUTPUTS", 1, "b") == "ERR model key is empty"
    assert e("AI.DAGEXECUTE", "LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "two", "INPUTS", 2,
             "a", "a", "OUTPUTS", 2, "b", "c", "TIMEOUT", 5) == (
        "ERR TIMEOUT not allowed within a DAG command")
    assert e("AI.DAGRUN", "LOAD", 1, "a", "|>", "AI.MODELRUN", "two", "TIMEOUT", 5, "INPUTS",
             "a", "a", "OUTPUTS", "b", "c") == "ERR TIMEOUT not allowed within a DAG command"
    assert e("AI.DAGEXECUTE", "LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "two", "INPUTS", 2,
             "a", "zz", "OUTPUTS", 2, "b", "c") == "ERR INPUT key cannot be found in DAG"
    assert e("AI.DAGRUN", "LOAD", 1, "a", "|>", "AI.TENSORGET", "zz") == (
        "ERR INPUT key cannot be found in DAG")
    assert e("AI.DAGRUN", "PERSIST", 1, "zz", "|>", "AI.TENSORGET", "a") == (
        "ERR INPUT key cannot be found in DAG")
    assert e("AI.DAGRUN", "LOAD", 1, "a", "PERSIST", 1, "zz", "|>", "AI.TENSORGET", "a") == (
        "ERR PERSIST key cannot be found in DAG")
    tx = "ERR Cannot run RedisAI command within a transaction or a LUA script"
    assert e("EVAL", "return redis.pcall('AI.DAGRUN', 'LOAD', 1, 'a', '|>', "
             "'AI.TENSORGET', 'a')", 0) == tx


def test_dag_getkeys(raw, r, blobs):
    setup(r, blobs)
    keys = raw.call("COMMAND", "GETKEYS", "AI.DAGEXECUTE", "LOAD", 1, "a", "PERSIST", 1, "p",
                    "ROUTING", "rt", "|>", "AI.MODELEXECUTE", "two", "INPUTS", 2, "a", "a",
                    "OUTPUTS", 2, "p", "q")
    assert keys == [b"a", b"p", b"rt", b"two"]
    # DAGRUN's ops declare their model's and script's keys too; an op's name counts only
    # right after |> (here "AI.MODELEXECUTE" is a tensor's value, "m2" no key).
    keys = raw.call("COMMAND", "GETKEYS", "AI.DAGRUN", "LOAD", 1, "a", "|>", "AI.MODELRUN",
                    "m", "INPUTS", "a", "OUTPUTS", "b", "|>", "AI.SCRIPTRUN", "s", "fn",
                    "INPUTS", "b", "OUTPUTS", "c", "|>", "AI.TENSORSET", "t", "STRING", 1,
                    "VALUES", "AI.MODELEXECUTE", "m2")
    assert keys == [b"a", b"m", b"s"]
    # A huge count must not walk off the argument list.
    raw.call("COMMAND", "GETKEYS", "AI.DAGEXECUTE", "LOAD", 2**40, "a", "|>", "AI.TENSORGET",
             "a")
    assert raw.call("PING") == "PONG"
