"""MMS settings: the committed config.properties plus what the environment overrides.

Read once at start-up (a bad value stops the launcher with a clear message) and rendered into
the run folder as the config.properties MMS reads (absolute paths filled in, ports applied)
and the nginx.conf of its front (services/mms/front.py): nginx listens on the contract port
and on the management port (127.0.0.1, bearer token), MMS's two APIs on unix sockets in the
run folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from models import registry
from models.artifacts import engine_store
from models.spec import Batching
from services.config import (
    LOCALHOST,
    ConfigError,
    Settings,
    ensure_secret,
    read_secret,
    variable,
    write_private,
)
from services.metrics import MULTIPROC_VAR
from services.mms import front
from services.mms.plugin import plugin_dir

TEMPLATE = Path(__file__).with_name("config.properties")
MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes with the terminating NUL
TCP_PORT_LIMIT = 32767  # MMS 1.1.11 refuses to listen on a TCP port from here up


def model_batching(settings: Settings, model: str) -> Batching:
    """The model's own MMS batching, with what the settings give over it."""
    given = settings.mms_batch_size, settings.mms_batch_delay_ms
    return registry.get(model).serving.mms.overridden(*given)


def read_properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.startswith("#")}


@dataclass(frozen=True)
class MmsSettings:
    engine: str
    port: int
    """The contract's port, where the nginx front listens."""
    management_port: int
    """Where the front answers MMS's management API, always on 127.0.0.1, with a token."""
    workers: int
    """Workers each model starts with."""
    folder: Path
    """The run folder: rendered configs, state file, logs, MMS's socket and temp files."""
    store: Path | None = None
    """The model store; default: this engine's store among the artifacts."""
    host: str = LOCALHOST
    """Where the front listens (POLYSERVE_BIND_HOST)."""
    models: tuple[str, ...] = field(default_factory=lambda: tuple(registry.served_names()))
    """The models registered at start, one archive each."""
    given_token: str | None = None
    """The management API's token if the settings give one (POLYSERVE_MMS_TOKEN)."""
    batching: dict[str, Batching] = field(default_factory=dict)
    """Each model's server-side batching (a model not named: none)."""
    direct_port: int | None = None
    """MMS's own inference API on this TCP port instead of its unix socket, the front left
    with nothing behind it: only to measure what the front costs (loadtest/front_cost.py).
    Below TCP_PORT_LIMIT."""

    def __post_init__(self) -> None:
        # Workers run in the unpacked archive's folder: every path MMS sees must be absolute.
        object.__setattr__(self, "folder", self.folder.resolve())
        if self.store is not None:
            object.__setattr__(self, "store", self.store.resolve())
        for socket in (self.socket, self.management_socket, self.metrics_socket):
            if len(str(socket).encode()) > MAX_SOCKET_PATH:
                raise ConfigError(f"the run folder {self.folder} is too deep for MMS's sockets")

    @classmethod
    def from_settings(cls, settings: Settings) -> MmsSettings:
        if settings.mms_port == settings.mms_management_port:
            raise ConfigError(f"{variable('mms_port')} and {variable('mms_management_port')} "
                              "must differ")  # fmt: skip
        defaults = read_properties(TEMPLATE.read_text())
        return cls(
            engine=settings.mms_engine,
            port=settings.mms_port,
            management_port=settings.mms_management_port,
            workers=settings.mms_workers or int(defaults["default_workers_per_model"]),
            folder=settings.folder("mms"),
            host=settings.bind_host,
            given_token=settings.mms_token,
            batching={name: model_batching(settings, name) for name in registry.served_names()},
        )

    @property
    def batched(self) -> dict[str, Batching]:
        """The models served with batching: registered by services/mms/registrar.py."""
        return {m: b for m, b in self.batching.items() if m in self.models and b.size > 1}

    @property
    def model_store(self) -> Path:
        return self.store or engine_store(self.engine)

    @property
    def inference_url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    @property
    def management_url(self) -> str:
        return f"http://{LOCALHOST}:{self.management_port}"

    @property
    def config_file(self) -> Path:
        return self.folder / "config.properties"

    @property
    def log_dir(self) -> Path:
        return self.folder / "logs"

    @property
    def tmp_dir(self) -> Path:
        """MMS's temp folder (java.io.tmpdir, TMPDIR): worker sockets, unpacked archives.

        Also the inference socket and nginx's pid and temp files: removed at start and stop.
        """
        return self.folder / "tmp"

    @property
    def front_temp_dir(self) -> Path:
        """nginx's prefix and temp files."""
        return self.tmp_dir / "nginx"

    @property
    def socket(self) -> Path:
        """MMS's inference API, reached only through the nginx front."""
        return self.tmp_dir / "inference.sock"

    @property
    def metrics_socket(self) -> Path:
        """Where services/mms/metrics_app.py answers the front's /metrics."""
        return self.tmp_dir / "metrics.sock"

    @property
    def metrics_dir(self) -> Path:
        """The workers' prometheus-client multiprocess files (emptied at each start)."""
        return self.folder / "metrics"

    @property
    def management_socket(self) -> Path:
        """MMS's management API, reached only through the front's management port."""
        return self.tmp_dir / "management.sock"

    @property
    def management_token(self) -> str | None:
        """The bearer token the front asks for on the management port (None before the
        first start made one): POLYSERVE_MMS_TOKEN, else run/mms/management.token."""
        return read_secret(self.token_file, self.given_token)

    @property
    def token_file(self) -> Path:
        """Where the generated token is kept (owner-only)."""
        return self.folder / "management.token"

    @property
    def models_file(self) -> Path:
        """Each served model's description, for GET /models (the plugin's ModelsEndpoint)."""
        return self.folder / "models.tsv"

    @property
    def nginx_config(self) -> Path:
        return self.folder / "nginx.conf"

    def render_nginx_config(self, token: str) -> str:
        return front.render_config(
            host=self.host,
            port=self.port,
            socket=self.socket,
            management_port=self.management_port,
            management_socket=self.management_socket,
            metrics_socket=self.metrics_socket,
            token=token,
            temp_dir=self.front_temp_dir,
            pid_file=self.tmp_dir / "nginx.pid",
            access_log=self.log_dir / "nginx-access.log",
        )

    def write_nginx_config(self) -> None:
        """The front's nginx.conf in the run folder, owner-only since it holds the token
        (made here at the first start; never on a command line)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        token = ensure_secret(self.token_file, self.given_token)
        write_private(self.nginx_config, self.render_nginx_config(token))

    def render_config(self) -> str:
        """The committed config.properties with this run's ports and paths filled in."""
        overrides = {
            "inference_address": (
                f"http://{LOCALHOST}:{self.direct_port}"
                if self.direct_port
                else f"unix:{self.socket}"
            ),
            "management_address": f"unix:{self.management_socket}",
            "model_store": str(self.model_store),
            "load_models": ",".join(
                f"{model}={model}.mar" for model in self.models if model not in self.batched
            ),
            "polyserve_models_file": str(self.models_file),
            "default_workers_per_model": str(self.workers),
            "plugins_path": str(plugin_dir()),
        }
        lines = []
        for line in TEMPLATE.read_text().splitlines():
            key = line.split("=", 1)[0].strip()
            lines.append(f"{key}={overrides[key]}" if key in overrides else line)
        return "\n".join(lines) + "\n"

    def environment(self) -> dict[str, str]:
        """What MMS and its workers run with, beyond the environment they inherit: temp,
        log and metrics folders inside the run folder, and no PYTHONPATH (the archive
        suffices)."""
        tmp = str(self.tmp_dir)
        # TEMP: MMS's launcher passes it on as java.io.tmpdir (and keeps its pid file there);
        # TMPDIR/TMP: anything Python's tempfile makes in the launcher or the workers.
        return {
            "PYTHONPATH": "", "TEMP": tmp, "TMPDIR": tmp, "TMP": tmp,
            "LOG_LOCATION": str(self.log_dir), "METRICS_LOCATION": str(self.log_dir),
            MULTIPROC_VAR: str(self.metrics_dir),
        }  # fmt: skip
