"""Durability: RDB (SAVE + restart, DEBUG RELOAD), AOF (rewrite and replay), replication."""

import time

import numpy as np
import pytest

TENSORS = [
    ("f", ["FLOAT", 2, 2, "VALUES", 1.5, -2, 3, 4]),
    ("d", ["DOUBLE", 1, "VALUES", 0.25]),
    ("i8", ["INT8", 3, "VALUES", -1, 0, 1]),
    ("u16", ["UINT16", 2, "VALUES", 7, 65535]),
    ("b", ["BOOL", 2, "VALUES", 1, 0]),
    ("s", ["STRING", 3, "VALUES", "a", "bc", "xyz"]),
    ("scalar", ["INT64", "VALUES", -9]),
]


def populate(c, fizzbuzz_blob):
    for key, args in TENSORS:
        assert c.execute_command("AI.TENSORSET", key, *args) == b"OK"
    c.execute_command("AI.MODELSTORE", "m", "TORCH", "CPU", "TAG", "v7", "BATCHSIZE", 4,
                      "MINBATCHSIZE", 2, "MINBATCHTIMEOUT", 10, "BLOB", fizzbuzz_blob)
    c.execute_command("AI.MODELSTORE", "plain", "TORCH", "cpu:1", "BLOB", fizzbuzz_blob)


def snapshot(c):
    data = {key: c.execute_command("AI.TENSORGET", key, "META", "BLOB") for key, _ in TENSORS}
    data["m"] = c.execute_command("AI.MODELGET", "m")
    data["plain"] = c.execute_command("AI.MODELGET", "plain")
    return data


def check_model_runs(c, model):
    x = np.eye(10, dtype=np.float32)[:1]
    c.execute_command("AI.TENSORSET", "x", "FLOAT", 1, 10, "BLOB", x.tobytes())
    assert c.execute_command("AI.MODELEXECUTE", model, "INPUTS", 1, "x", "OUTPUTS", 1,
                             "y") == b"OK"
    return c.execute_command("AI.TENSORGET", "y", "BLOB")


def test_rdb_restart(make_server, fizzbuzz):
    _, blob = fizzbuzz
    srv = make_server("rdb")
    c = srv.client()
    populate(c, blob)
    before = snapshot(c)
    expected = check_model_runs(c, "m")
    srv.stop(save=True)
    assert srv.returncode == 0
    again = make_server("rdb", port=srv.port)
    c2 = again.client()
    after = snapshot(c2)
    assert after == before
    assert c2.execute_command("AI.INFO", "m")[14:] == [b"calls", 0, b"errors", 0]
    assert sorted(c2.execute_command("AI._MODELSCAN")) == [[b"m", b"v7"], [b"plain", b""]]
    assert check_model_runs(c2, "m") == expected
    assert check_model_runs(c2, "plain") == expected


def test_debug_reload(r, fizzbuzz):
    _, blob = fizzbuzz
    populate(r, blob)
    before = snapshot(r)
    expected = check_model_runs(r, "m")
    assert r.execute_command("DEBUG", "RELOAD") == b"OK"
    assert snapshot(r) == before
    assert r.execute_command("AI.INFO", "m")[14:] == [b"calls", 0, b"errors", 0]
    assert check_model_runs(r, "m") == expected


def wait_for(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def aof_rewrite_done(c):
    info = c.info("persistence")
    return info["aof_rewrite_in_progress"] == 0 and info["aof_rewrite_scheduled"] == 0


def test_aof_rewrite_and_replay(make_server, fizzbuzz):
    _, blob = fizzbuzz
    aof = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--appendfsync", "always"]
    srv = make_server("aof", extra=aof)
    c = srv.client()
    wait_for(lambda: aof_rewrite_done(c))
    populate(c, blob)
    before = snapshot(c)
    c.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", 1000)  # rewrite emits several chunks
    c.execute_command("BGREWRITEAOF")
    wait_for(lambda: aof_rewrite_done(c))
    base = b"".join(p.read_bytes() for p in (srv.dir / "appendonlydir").glob("*.base.aof"))
    assert b"AI.MODELSTORE" in base
    assert b"AI.TENSORSET" in base
    assert b"MINBATCHTIMEOUT" in base
    # Commands after the rewrite land in the incremental file: an execution is logged as the
    # TENSORSET of its output, never as the run itself.
    expected = check_model_runs(c, "plain")
    srv.stop()
    incr = b"".join(p.read_bytes() for p in (srv.dir / "appendonlydir").glob("*.incr.aof"))
    assert b"AI.MODELEXECUTE" not in incr
    assert b"AI.TENSORSET" in incr
    again = make_server("aof", extra=aof, port=srv.port)
    c2 = again.client()
    assert snapshot(c2) == before
    assert c2.execute_command("AI.TENSORGET", "y", "BLOB") == expected
    assert c2.execute_command("AI.INFO", "plain")[14:16] == [b"calls", 0]


@pytest.fixture
def primary_and_replica(make_server):
    primary = make_server("primary", extra=["--repl-diskless-sync-delay", "0"])
    replica = make_server("replica", extra=["--replicaof", "127.0.0.1", str(primary.port)])
    rc = replica.client()
    wait_for(lambda: rc.info("replication").get("master_link_status") == "up")
    return primary, replica


def test_replication(primary_and_replica, fizzbuzz):
    _, blob = fizzbuzz
    primary, replica = primary_and_replica
    p, rc = primary.client(), replica.client()
    populate(p, blob)
    expected = check_model_runs(p, "m")
    p.execute_command("AI.MODELSET", "legacy", "TORCH", "CPU", "BLOB", blob)
    p.execute_command("AI.MODELSTORE", "gone", "TORCH", "CPU", "BLOB", blob)
    p.execute_command("AI.MODELDEL", "gone")
    p.execute_command("AI.DAGEXECUTE", "LOAD", 1, "x", "PERSIST", 1, "dag_out", "|>",
                      "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "dag_out")
    assert p.execute_command("WAIT", 1, 5000) == 1
    assert rc.execute_command("AI.TENSORGET", "dag_out", "BLOB") == expected
    assert snapshot(rc) == snapshot(p)
    assert rc.execute_command("AI.TENSORGET", "y", "BLOB") == expected
    assert rc.exists("legacy") == 1
    assert rc.exists("gone") == 0
    # The replica received the output as a tensor and never ran the model.
    assert rc.execute_command("AI.INFO", "m")[14:] == [b"calls", 0, b"errors", 0]
    assert p.execute_command("AI.INFO", "m")[14:16] == [b"calls", 2]  # run + DAG op
    # AI.CONFIG is not replicated, and a read-only replica refuses it (it is a write command).
    p.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", 1234)
    p.execute_command("WAIT", 1, 5000)
    assert rc.execute_command("AI.MODELGET", "m", "BLOB") == blob  # still one chunk there
    assert isinstance(p.execute_command("AI.MODELGET", "m", "BLOB"), list)
    with pytest.raises(Exception, match="read only"):
        rc.execute_command("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE")
    with pytest.raises(Exception, match="read only"):
        rc.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "z")


def test_full_sync_of_existing_data(make_server, fizzbuzz):
    _, blob = fizzbuzz
    primary = make_server("primary", extra=["--repl-diskless-sync-delay", "0"])
    p = primary.client()
    populate(p, blob)
    replica = make_server("replica", extra=["--replicaof", "127.0.0.1", str(primary.port)])
    rc = replica.client()
    wait_for(lambda: rc.info("replication").get("master_link_status") == "up")
    assert snapshot(rc) == snapshot(p)
    assert check_model_runs(p, "m") is not None
