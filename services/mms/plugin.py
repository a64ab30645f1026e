"""Build the MMS endpoint plugin (services/mms/plugin/src) into a jar MMS loads at start-up,
and our replacement of one of MMS's own classes (services/mms/plugin/overrides).

MMS's own /ping answers 200 {"status": "Healthy"} whatever its workers do, to any method and
without X-Backend. MMS's plugin API lets a jar take over an endpoint: ours answers /ping as
the contract says (503 until a worker has loaded every model, 405 for other methods). It
cannot take over /predictions: MMS runs plugins after releasing the request's body buffer.

The override is MMS's decoder of its workers' replies, whose bug breaks server-side batching
(its source says how). Plugins come after MMS's jar on the class path, so it cannot be one:
it is compiled into `override_dir()`, where MMS runs (its launcher puts "." first on the
class path). Both are compiled with javac (a JDK is needed, not only a JRE) against MMS's
own jar, only when their sources changed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import mms

from models.artifacts import artifacts_dir

SOURCES = Path(__file__).with_name("plugin") / "src"
OVERRIDES = Path(__file__).with_name("plugin") / "overrides"
MMS_JAR = Path(mms.__file__).parent / "frontend" / "model-server.jar"
ENDPOINT_SERVICE = "META-INF/services/software.amazon.ai.mms.servingsdk.ModelServerEndpoint"
FINGERPRINT = "META-INF/polyserve-sources.sha256"
ENDPOINTS = ("polyserve.mms.PingEndpoint", "polyserve.mms.ModelsEndpoint")


class PluginBuildError(RuntimeError):
    """javac is missing or the plugin does not compile."""


def plugin_dir() -> Path:
    """The folder MMS's plugins_path points at: it holds only our jar."""
    return artifacts_dir() / "mms-plugin"


def plugin_jar() -> Path:
    return plugin_dir() / "polyserve-mms-plugin.jar"


def override_dir() -> Path:
    """MMS's working directory: the overriding classes, first on its class path."""
    return plugin_dir() / "overrides"


def _sources() -> list[tuple[Path, Path]]:
    """(source root, source) of every Java file, the plugin's and the overrides'."""
    return [
        (root, source) for root in (SOURCES, OVERRIDES) for source in sorted(root.rglob("*.java"))
    ]


def _fingerprint() -> str:
    """What both were built from (names and contents), so removed sources count too."""
    digest = hashlib.sha256()
    for root, source in _sources():
        digest.update(source.relative_to(root.parent).as_posix().encode() + b"\0")
        digest.update(source.read_bytes() + b"\0")
    return digest.hexdigest()


def is_stale() -> bool:
    """Whether the jar or the overrides are missing or were built from other sources."""
    try:
        with zipfile.ZipFile(plugin_jar()) as jar:
            built = {jar.read(FINGERPRINT).decode(), (override_dir() / FINGERPRINT).read_text()}
    except (FileNotFoundError, KeyError, zipfile.BadZipFile):
        return True
    return built != {_fingerprint()}


def build() -> Path:
    javac = shutil.which("javac")
    if javac is None:
        raise PluginBuildError("javac not found: install a JDK (e.g. openjdk-17-jdk-headless)")
    classes = plugin_dir() / "classes"
    shutil.rmtree(classes, ignore_errors=True)
    command = [
        javac, "-J-XX:-UsePerfData", "--release", "17", "-proc:none",
        "-cp", str(MMS_JAR), "-d", str(classes), *(str(source) for _, source in _sources()),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PluginBuildError(f"javac failed:\n{result.stderr}")
    fingerprint = _fingerprint()
    shutil.rmtree(override_dir(), ignore_errors=True)
    shutil.copytree(classes / "com", override_dir() / "com")
    (override_dir() / FINGERPRINT).parent.mkdir(parents=True)
    (override_dir() / FINGERPRINT).write_text(fingerprint)
    partial = plugin_jar().with_suffix(".partial")
    with zipfile.ZipFile(partial, "w") as jar:
        for path in sorted((classes / "polyserve").rglob("*.class")):
            jar.write(path, path.relative_to(classes).as_posix())
        jar.writestr(ENDPOINT_SERVICE, "\n".join(ENDPOINTS) + "\n")  # ServiceLoader's list
        jar.writestr(FINGERPRINT, fingerprint)
    shutil.rmtree(classes)
    partial.replace(plugin_jar())
    return plugin_jar()


def ensure_plugin() -> Path:
    """The plugin jar, compiled first when missing or older than its sources."""
    return build() if is_stale() else plugin_jar()
