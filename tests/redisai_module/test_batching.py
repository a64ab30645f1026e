"""Worker threads: auto-batching, TIMEOUT, concurrency without mixed-up results, SHUTDOWN."""

import threading
import time

import numpy as np

from .harness import Raw


def run_parallel(n, fn):
    """Runs fn(i) on n threads at once; returns their results in order."""
    results = [None] * n
    errors = []
    barrier = threading.Barrier(n)

    def body(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def execute(port, model, inputs, outputs, *extra):
    raw = Raw(port)
    try:
        return raw.call("AI.MODELEXECUTE", model, "INPUTS", len(inputs), *inputs, "OUTPUTS",
                        len(outputs), *outputs, *extra)
    finally:
        raw.close()


def wait_blocked(r, count, timeout_s=10):
    """Wait until Redis reports exactly `count` blocked clients: the condition, not a sleep."""
    deadline = time.monotonic() + timeout_s
    while (blocked := r.info("clients")["blocked_clients"]) != count:
        assert time.monotonic() < deadline, f"{blocked} blocked clients, not {count}"
        time.sleep(0.005)


def values(r, key):
    return r.execute_command("AI.TENSORGET", key, "VALUES")


def test_requests_are_batched(shared_server, r, blobs):
    r.execute_command("AI.MODELSTORE", "rev", "TORCH", "CPU", "BATCHSIZE", 4, "MINBATCHSIZE", 4,
                      "BLOB", blobs["reveal"])
    for i in range(4):
        r.execute_command("AI.TENSORSET", f"in{i}", "FLOAT", 1, 2, "VALUES", i, i)
    replies = run_parallel(4, lambda i: execute(shared_server.port, "rev", [f"in{i}"],
                                                [f"out{i}"]))
    assert replies == ["OK"] * 4
    for i in range(4):
        assert values(r, f"out{i}") == [b"4", b"4"]  # all four were served by one run
    info = r.execute_command("AI.INFO", "rev")
    assert info[12:] == [b"samples", 4, b"calls", 4, b"errors", 0]


def test_batch_members_get_their_own_rows(shared_server, r, blobs):
    r.execute_command("AI.MODELSTORE", "two", "TORCH", "CPU", "BATCHSIZE", 3, "MINBATCHSIZE", 3,
                      "BLOB", blobs["two"])
    r.execute_command("AI.TENSORSET", "a0", "FLOAT", 1, 2, "VALUES", 1, 2)
    r.execute_command("AI.TENSORSET", "a1", "FLOAT", 2, 2, "VALUES", 10, 20, 30, 40)
    replies = run_parallel(2, lambda i: execute(shared_server.port, "two", [f"a{i}", f"a{i}"],
                                                [f"s{i}", f"p{i}"]))
    assert replies == ["OK", "OK"]
    assert r.execute_command("AI.TENSORGET", "s0", "META", "VALUES")[3:] == [
        [1, 2], b"values", [b"2", b"4"]]
    assert r.execute_command("AI.TENSORGET", "p1", "META", "VALUES")[3:] == [
        [2, 2], b"values", [b"100", b"400", b"900", b"1600"]]


def test_model_that_drops_the_batch_dimension(shared_server, r, raw, blobs):
    r.execute_command("AI.MODELSTORE", "d", "TORCH", "CPU", "BATCHSIZE", 2, "MINBATCHSIZE", 2,
                      "BLOB", blobs["drops"])
    r.execute_command("AI.TENSORSET", "x", "FLOAT", 1, 3)
    replies = run_parallel(2, lambda i: execute(shared_server.port, "d", ["x"], [f"o{i}"]))
    assert [str(x) for x in replies] == ["ERR Model did not generate the expected batch size"] * 2
    assert r.execute_command("AI.INFO", "d")[14:] == [b"calls", 2, b"errors", 2]


def test_minbatchtimeout_runs_a_partial_batch(r, blobs):
    r.execute_command("AI.MODELSTORE", "rev", "TORCH", "CPU", "BATCHSIZE", 8, "MINBATCHSIZE", 8,
                      "MINBATCHTIMEOUT", 150, "BLOB", blobs["reveal"])
    r.execute_command("AI.TENSORSET", "x", "FLOAT", 2, 1)
    start = time.monotonic()
    assert r.execute_command("AI.MODELEXECUTE", "rev", "INPUTS", 1, "x", "OUTPUTS", 1,
                             "o") == b"OK"
    assert time.monotonic() - start >= 0.14
    assert values(r, "o") == [b"2", b"2"]


def test_incompatible_shapes_are_not_batched(shared_server, r, blobs):
    r.execute_command("AI.MODELSTORE", "rev", "TORCH", "CPU", "BATCHSIZE", 8, "MINBATCHSIZE", 2,
                      "MINBATCHTIMEOUT", 100, "BLOB", blobs["reveal"])
    r.execute_command("AI.TENSORSET", "x0", "FLOAT", 1, 2)
    r.execute_command("AI.TENSORSET", "x1", "FLOAT", 1, 3)
    run_parallel(2, lambda i: execute(shared_server.port, "rev", [f"x{i}"], [f"o{i}"]))
    assert values(r, "o0") == [b"1", b"1"]
    assert values(r, "o1") == [b"1", b"1", b"1"]


def test_timeout_while_queued(shared_server, r, blobs):
    # MINBATCHSIZE without MINBATCHTIMEOUT: a lone request waits until its TIMEOUT fires.
    r.execute_command("AI.MODELSTORE", "rev", "TORCH", "CPU", "BATCHSIZE", 2, "MINBATCHSIZE", 2,
                      "BLOB", blobs["reveal"])
    r.execute_command("AI.TENSORSET", "x", "FLOAT", 1, 1)
    start = time.monotonic()
    assert r.execute_command("AI.MODELEXECUTE", "rev", "INPUTS", 1, "x", "OUTPUTS", 1, "o",
                             "TIMEOUT", 100) == b"TIMEDOUT"
    assert 0.09 <= time.monotonic() - start < 5
    assert r.exists("o") == 0
    assert r.execute_command("AI.INFO", "rev")[14:] == [b"calls", 0, b"errors", 0]
    # The deprecated form too.
    assert r.execute_command("AI.MODELRUN", "rev", "TIMEOUT", 50, "INPUTS", "x", "OUTPUTS",
                             "o") == b"TIMEDOUT"


def calibrated_slow_model(r, blobs, seconds):
    """Stores the slow model and returns an iteration count that runs for about `seconds`."""
    r.execute_command("AI.MODELSTORE", "slow", "TORCH", "CPU", "BLOB", blobs["slow"])
    x = np.full((200, 200), 1.0, dtype=np.float32)
    r.execute_command("AI.TENSORSET", "sx", "FLOAT", 200, 200, "BLOB", x.tobytes())

    def timed(n):
        r.execute_command("AI.TENSORSET", "sn", "INT64", 1, "VALUES", n)
        start = time.monotonic()
        r.execute_command("AI.MODELEXECUTE", "slow", "INPUTS", 2, "sx", "sn", "OUTPUTS", 1, "so")
        return time.monotonic() - start

    timed(1)  # the first runs of a TorchScript module include its optimisation passes
    timed(1)
    n = 16
    while (took := timed(n)) < 0.2 and n < 1 << 22:
        n *= 4
    return max(1, int(n * seconds / took))


def test_server_answers_while_a_model_runs_and_queued_requests_time_out(shared_server, r,
                                                                        blobs):
    n = calibrated_slow_model(r, blobs, 2.0)
    r.execute_command("AI.TENSORSET", "sn", "INT64", 1, "VALUES", n)
    busy = Raw(shared_server.port)
    queued = Raw(shared_server.port)
    started = time.monotonic()
    busy.send("AI.MODELEXECUTE", "slow", "INPUTS", 2, "sx", "sn", "OUTPUTS", 1, "so")
    wait_blocked(r, 1)
    queued.send("AI.MODELEXECUTE", "slow", "INPUTS", 2, "sx", "sn", "OUTPUTS", 1, "late",
                "TIMEOUT", 50)
    wait_blocked(r, 2)  # both wait on the one worker thread: the second in its queue
    start = time.monotonic()
    assert r.ping()
    assert r.execute_command("AI.TENSORSET", "k", "FLOAT", 1) == b"OK"
    assert time.monotonic() - start < 0.5
    assert busy.read() == "OK"
    assert time.monotonic() - started > 0.3  # the model ran far longer than the TIMEOUT
    assert queued.read() == "TIMEDOUT"
    assert r.exists("late") == 0
    busy.close()
    queued.close()


def test_many_clients_never_mix_results(make_server, blobs):
    srv = make_server(module_args=["THREADS_PER_QUEUE", 2])
    c = srv.client()
    c.execute_command("AI.MODELSTORE", "plain", "TORCH", "CPU", "BLOB", blobs["two"])
    c.execute_command("AI.MODELSTORE", "batched", "TORCH", "CPU", "BATCHSIZE", 8, "BLOB",
                      blobs["two"])

    def client_loop(i):
        raw = Raw(srv.port)
        try:
            for j in range(25):
                model = "batched" if j % 2 else "plain"
                a = np.array([[i, j, i * j]], dtype=np.float32)
                raw.send("AI.TENSORSET", f"a{i}", "FLOAT", 1, 3, "BLOB", a.tobytes())
                raw.send("AI.MODELEXECUTE", model, "INPUTS", 2, f"a{i}", f"a{i}", "OUTPUTS", 2,
                         f"s{i}", f"p{i}")
                raw.send("AI.TENSORGET", f"s{i}", "BLOB")
                raw.send("AI.TENSORGET", f"p{i}", "BLOB")
                assert raw.read() == "OK"
                assert raw.read() == "OK"
                s = np.frombuffer(raw.read(), dtype=np.float32)
                p = np.frombuffer(raw.read(), dtype=np.float32)
                assert np.array_equal(s, (a + a)[0])
                assert np.array_equal(p, (a * a)[0])
            return True
        finally:
            raw.close()

    assert run_parallel(16, client_loop) == [True] * 16
    info_plain = c.execute_command("AI.INFO", "plain")
    info_batched = c.execute_command("AI.INFO", "batched")
    assert info_plain[14:16] == [b"calls", 16 * 13]
    assert info_batched[14:16] == [b"calls", 16 * 12]


def test_shutdown_is_prompt_with_busy_and_queued_workers(make_server, blobs):
    srv = make_server(module_args=["THREADS_PER_QUEUE", 2])
    c = srv.client()
    n = calibrated_slow_model(c, blobs, 5.0)
    c.execute_command("AI.TENSORSET", "sn", "INT64", 1, "VALUES", n)
    clients = []
    for _ in range(3):  # two running, one queued
        raw = Raw(srv.port)
        raw.send("AI.MODELEXECUTE", "slow", "INPUTS", 2, "sx", "sn", "OUTPUTS", 1, "so")
        clients.append(raw)
    wait_blocked(c, 3)
    start = time.monotonic()
    srv.stop()
    assert time.monotonic() - start < 3
    assert srv.returncode == 0
    for raw in clients:
        raw.close()


def test_disconnected_client_gets_nothing_written(shared_server, r, blobs):
    r.execute_command("AI.MODELSTORE", "rev", "TORCH", "CPU", "BATCHSIZE", 2, "MINBATCHSIZE", 2,
                      "BLOB", blobs["reveal"])
    r.execute_command("AI.TENSORSET", "x", "FLOAT", 1, 1)
    gone = Raw(shared_server.port)
    gone.send("AI.MODELEXECUTE", "rev", "INPUTS", 1, "x", "OUTPUTS", 1, "gone_out")
    wait_blocked(r, 1)  # in the batch queue, waiting for a second request
    gone.close()
    wait_blocked(r, 0)  # Redis has seen the disconnect
    # The second request completes the batch; both run, only the connected client's output
    # is written.
    assert r.execute_command("AI.MODELEXECUTE", "rev", "INPUTS", 1, "x", "OUTPUTS", 1,
                             "here") == b"OK"
    assert values(r, "here") == [b"2"]
    assert r.exists("gone_out") == 0
