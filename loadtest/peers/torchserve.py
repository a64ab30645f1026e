"""TorchServe 0.12 as a peer: every model's TorchScript file, through loadtest/peers/
torchserve_handler.py, in one TorchServe (its JVM front and a Python process per worker).

Its settings, all in the rendered config.properties and command line (run/peers/torchserve/):
the inference, management and metrics addresses on 127.0.0.1 free ports, the model API and
the metrics API off, token authorization off (on by default since 0.12: it would need a key
per request), no config snapshots (--ncs), no system metrics, logging at WARN only
(log4j2.xml here: the access log would otherwise write a line per request), bodies handed
over undecoded (decode_input_request=false: the contract's JSON is the codec's to parse), the
JVM and Netty settings of polyserve's MMS (a small heap, the serial collector, 2 Netty threads
each way), and per model the configuration's workers, batch size and max batch delay.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from loadtest.ceiling_servers import Served
from loadtest.peers.launch import serve_peer
from loadtest.peers.venv import ensure_venv
from models.artifacts import ModelFiles
from services.config import LOCALHOST, Settings
from services.process import free_port

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements-torchserve.txt"
HANDLER = HERE / "torchserve_handler.py"
RESPONSE_TIMEOUT_S = 60
JVM_OPTIONS = "-Xmx256m -XX:+UseSerialGC -XX:-UsePerfData -Dlog4j2.formatMsgNoLookups=true"
LOG4J2 = """<?xml version="1.0" encoding="UTF-8"?>
<!-- polyserve's peer TorchServe: warnings and errors only, to its console (server.log). -->
<Configuration status="warn">
  <Appenders>
    <Console name="console" target="SYSTEM_OUT">
      <PatternLayout pattern="%d{ISO8601} [%-5p] %c - %m%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="warn">
      <AppenderRef ref="console"/>
    </Root>
  </Loggers>
</Configuration>
"""


@dataclass(frozen=True)
class TorchServeConfig:
    workers: int
    """Python worker processes per model (minWorkers = maxWorkers)."""
    batch_size: int = 1
    """At most this many requests per handler call (1: no batching)."""
    max_batch_delay_ms: int = 1
    """How long the front waits to fill a batch (whole milliseconds; unused without one)."""

    @property
    def label(self) -> str:
        batched = f" batch {self.batch_size}/{self.max_batch_delay_ms}ms" * (self.batch_size > 1)
        return f"torchserve {self.workers}w{batched}"


@dataclass(frozen=True)
class Ports:
    inference: int
    management: int
    metrics: int

    @classmethod
    def free(cls, inference: int | None = None) -> Ports:
        """Free ports, the inference API's on `inference` when given."""
        return cls(inference or free_port(), free_port(), free_port())


def model_entries(config: TorchServeConfig, models: list[str]) -> dict[str, object]:
    """config.properties' `models`: how each model's workers and batching are set at start."""
    entry = {
        "defaultVersion": True,
        "minWorkers": config.workers,
        "maxWorkers": config.workers,
        "batchSize": config.batch_size,
        "maxBatchDelay": config.max_batch_delay_ms,
        "responseTimeout": RESPONSE_TIMEOUT_S,
    }
    return {model: {"1.0": {**entry, "marName": model}} for model in models}


def config_properties(
    config: TorchServeConfig, models: list[str], ports: Ports, store: Path
) -> str:
    properties = {
        "inference_address": f"http://{LOCALHOST}:{ports.inference}",
        "management_address": f"http://{LOCALHOST}:{ports.management}",
        "metrics_address": f"http://{LOCALHOST}:{ports.metrics}",
        "model_store": str(store),
        "load_models": ",".join(models),
        "models": json.dumps(model_entries(config, models), separators=(",", ":")),
        "default_workers_per_model": str(config.workers),
        "decode_input_request": "false",
        "disable_token_authorization": "true",
        "enable_model_api": "false",
        "disable_system_metrics": "true",
        "enable_metrics_api": "false",
        "install_py_dep_per_model": "false",
        "enable_envvars_config": "false",
        "async_logging": "true",
        # The JVM and Netty settings polyserve's MMS runs with (services/mms/config.properties).
        "number_of_netty_threads": "2",
        "netty_client_threads": "2",
        "vmargs": JVM_OPTIONS,
    }
    return "".join(f"{key}={value}\n" for key, value in properties.items())


def command(venv: Path, properties: Path, store: Path, log_config: Path) -> list[str]:
    """TorchServe's launcher in the foreground (it waits on its JVM: the tree stops with it)."""
    return [
        str(venv / "bin" / "torchserve"), "--start", "--foreground", "--ncs",
        "--disable-token-auth", "--ts-config", str(properties), "--model-store", str(store),
        "--log-config", str(log_config),
    ]  # fmt: skip


def archive(venv: Path, model: str, store: Path) -> None:
    """The model's TorchScript file and the handler, as an unpacked archive in `store`."""
    archiver = [
        str(venv / "bin" / "torch-model-archiver"), "--model-name", model,
        "--version", "1.0", "--serialized-file", str(ModelFiles.of(model).torchscript),
        "--handler", str(HANDLER), "--export-path", str(store),
        "--archive-format", "no-archive", "--force",
    ]  # fmt: skip
    subprocess.run(archiver, check=True)


def install(settings: Settings) -> Path:
    """TorchServe's venv (installed once)."""
    folder = settings.folder("peers") / "torchserve" / "venv"
    return ensure_venv(folder, REQUIREMENTS)


@contextmanager
def serve(
    config: TorchServeConfig, models: list[str], settings: Settings, port: int | None = None
) -> Iterator[Served]:
    venv = install(settings)
    folder = settings.folder("peers") / "torchserve"
    store = folder / "model-store"
    store.mkdir(exist_ok=True)
    for model in models:
        archive(venv, model, store)
    ports = Ports.free(inference=port)
    properties = folder / "config.properties"
    properties.write_text(config_properties(config, models, ports, store))
    log_config = folder / "log4j2.xml"
    log_config.write_text(LOG4J2)
    # TorchServe writes its logs and metrics under these, else under the working directory.
    env = {"LOG_LOCATION": str(folder / "logs"), "METRICS_LOCATION": str(folder / "logs")}
    url = f"http://{LOCALHOST}:{ports.inference}"
    launch = command(venv, properties, store, log_config)
    with serve_peer(launch, folder, url, "/ping", models, settings, env) as served:
        yield served
