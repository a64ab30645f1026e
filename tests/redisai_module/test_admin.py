"""AI.INFO, AI._MODELSCAN, AI.CONFIG, INFO MODULES and the load-time arguments."""

import pytest


def test_info_counts_and_resetstat(r, raw, fizzbuzz):
    _, blob = fizzbuzz
    r.execute_command("AI.MODELSTORE", "m", "TORCH", "CPU", "TAG", "v2", "BLOB", blob)
    info = r.execute_command("AI.INFO", "m")
    assert info == [b"key", b"m", b"type", b"MODEL", b"backend", b"TORCH", b"device", b"CPU",
                    b"tag", b"v2", b"duration", 0, b"samples", 0, b"calls", 0, b"errors", 0]
    r.execute_command("AI.TENSORSET", "a", "FLOAT", 3, 10)
    for _ in range(2):
        r.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 1, "a", "OUTPUTS", 1, "b")
    info = r.execute_command("AI.INFO", "m")
    assert info[11] > 0
    assert info[12:] == [b"samples", 6, b"calls", 2, b"errors", 0]
    assert r.execute_command("AI.INFO", "m", "resetstat") == b"OK"
    assert r.execute_command("AI.INFO", "m")[10:] == [b"duration", 0, b"samples", 0, b"calls",
                                                      0, b"errors", 0]
    r.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 1, "a", "OUTPUTS", 1, "b")
    assert r.execute_command("AI.INFO", "m", "IGNORED")[14:16] == [b"calls", 1]
    # Re-storing resets; deleting removes the entry; RENAME does not move it.
    r.execute_command("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", blob)
    assert r.execute_command("AI.INFO", "m")[14:16] == [b"calls", 0]
    r.rename("m", "m2")
    assert r.execute_command("AI.INFO", "m")[1] == b"m"
    assert raw.error("AI.INFO", "m2") == "ERR cannot find run info for key"
    r.execute_command("AI.MODELDEL", "m2")
    assert raw.error("AI.INFO", "m") == "ERR cannot find run info for key"
    assert raw.error("AI.INFO") == "ERR wrong number of arguments for 'AI.INFO' command"
    assert raw.error("AI.INFO", "a", "b", "c") == (
        "ERR wrong number of arguments for 'AI.INFO' command")


def test_modelscan(r, raw, fizzbuzz):
    _, blob = fizzbuzz
    assert r.execute_command("AI._MODELSCAN") == []
    r.execute_command("AI.MODELSTORE", "a", "TORCH", "CPU", "TAG", "x", "BLOB", blob)
    r.execute_command("SELECT", 1)
    r.execute_command("AI.MODELSTORE", "b", "TORCH", "CPU", "BLOB", blob)
    r.execute_command("SELECT", 0)
    assert sorted(r.execute_command("AI._MODELSCAN")) == [[b"a", b"x"], [b"b", b""]]
    assert raw.error("AI._MODELSCAN", "x") == (
        "ERR wrong number of arguments for 'AI._MODELSCAN' command")
    r.delete("a")
    assert r.execute_command("AI._MODELSCAN") == [[b"b", b""]]


def test_config(r, raw, shared_server):
    assert r.execute_command("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE") == 535822336
    default_path = r.execute_command("AI.CONFIG", "GET", "BACKENDSPATH")
    assert default_path.endswith(b"/backends")
    assert r.execute_command("AI.CONFIG", "GET", "NOPE") is None
    assert r.execute_command("AI.CONFIG", "BACKENDSPATH", "/x/y") == b"OK"
    assert r.execute_command("AI.CONFIG", "get", "backendspath") == b"/x/y"
    r.execute_command("AI.CONFIG", "BACKENDSPATH", default_path)
    assert r.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", 100) == b"OK"
    assert r.execute_command("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE") == 100
    r.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", 535822336)
    assert r.execute_command("AI.CONFIG", "LOADBACKEND", "TORCH", "x.so") == b"OK"
    A = "ERR wrong number of arguments for 'AI.CONFIG' command"
    assert raw.error("AI.CONFIG") == A
    assert raw.error("AI.CONFIG", "LOADBACKEND", "TORCH") == A
    assert raw.error("AI.CONFIG", "GET") == A
    assert raw.error("AI.CONFIG", "BACKENDSPATH") == "ERR BACKENDSPATH: missing path argument"
    assert raw.error("AI.CONFIG", "MODEL_CHUNK_SIZE") == "ERR MODEL_CHUNK_SIZE: missing chunk size"
    for bad in (0, -5, "x"):
        assert raw.error("AI.CONFIG", "MODEL_CHUNK_SIZE", bad) == (
            "ERR MODEL_CHUNK_SIZE: invalid chunk size")
    assert raw.error("AI.CONFIG", "LOADBACKEND", "MXNET", "x.so") == "ERR unsupported backend"
    assert raw.error("AI.CONFIG", "LOADBACKEND", "ONNX", "x.so") == "ERR error loading backend"
    assert raw.error("AI.CONFIG", "FROB") == "ERR unsupported subcommand"


def test_info_modules_section(shared_server, r):
    info = r.info("modules") | r.info("everything")
    assert info["ai_RedisAI_version"] == "1.2.7"
    assert info["ai_rdb_version"] == 4
    assert info["ai_threads_per_queue"] == 1
    assert info["ai_torch_onednn"] == 1  # torch's own default unless told
    modules = r.execute_command("MODULE", "LIST")
    assert [b"name", b"ai", b"ver", 10207] in [m[:4] for m in modules]


def test_load_time_arguments(make_server):
    srv = make_server("ok", module_args=["threads_per_queue", 2, "MODEL_CHUNK_SIZE", 1000,
                                         "INTRA_OP_PARALLELISM", 1, "INTER_OP_PARALLELISM", 1,
                                         "MODEL_EXECUTION_TIMEOUT", 2000,
                                         "BACKEND_MEMORY_LIMIT", 10, "BACKENDSPATH", "/b",
                                         "TORCH_ONEDNN", 0])
    c = srv.client()
    assert c.execute_command("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE") == 1000
    assert c.execute_command("AI.CONFIG", "GET", "BACKENDSPATH") == b"/b"
    info = c.info("everything")
    assert info["ai_threads_per_queue"] == 2
    assert "ai_queue_CPU_bthread_n2_used_cpu_total" in info
    assert "ai_queue_CPU_bthread_n3_used_cpu_total" not in info
    assert info["ai_self_used_cpu_user"] > 0
    assert info["ai_intra_op_parallelism"] == 1
    assert info["ai_model_execution_timeout"] == 2000
    assert info["ai_torch_onednn"] == 0


@pytest.mark.parametrize("args", [
    ["THREADS_PER_QUEUE"],
    ["THREADS_PER_QUEUE", 0],
    ["INTRA_OP_PARALLELISM", 0],
    ["MODEL_CHUNK_SIZE", "x"],
    ["MODEL_EXECUTION_TIMEOUT", 999],
    ["NO_SUCH_KEY", 1],
    ["TORCH_ONEDNN", 2],
    ["TORCH_ONEDNN", "off"],
    ["ONNX", "/nonexistent/onnx.so"],
])
def test_bad_load_time_arguments_refuse_to_load(make_server, args):
    srv = make_server("bad", module_args=args, start=False)
    srv.start(expect_fail=True)
    assert srv.proc.wait(timeout=30) != 0
    assert "ERR error processing argument: " in srv.log_text()
