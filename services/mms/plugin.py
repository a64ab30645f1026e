"""Build the MMS endpoint plugin (services/mms/plugin/src) into a jar MMS loads at start-up.

MMS's own /ping answers 200 {"status": "Healthy"} whatever its workers do, to any method and
without X-Backend. MMS's plugin API lets a jar take over an endpoint: ours answers /ping as
the contract says (503 until a worker has loaded every model, 405 for other methods). It
cannot take over /predictions: MMS runs plugins after releasing the request's body buffer.
Compiled with javac (a JDK is needed, not only a JRE) against MMS's own jar, only when the
sources are newer than the jar.
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


def _sources() -> list[Path]:
    return sorted(SOURCES.rglob("*.java"))


def _fingerprint() -> str:
    """What the jar was built from (names and contents), so removed sources count too."""
    digest = hashlib.sha256()
    for source in _sources():
        digest.update(source.relative_to(SOURCES).as_posix().encode() + b"\0")
        digest.update(source.read_bytes() + b"\0")
    return digest.hexdigest()


def is_stale() -> bool:
    try:
        with zipfile.ZipFile(plugin_jar()) as jar:
            return jar.read(FINGERPRINT).decode() != _fingerprint()
    except (FileNotFoundError, KeyError, zipfile.BadZipFile):
        return True


def build() -> Path:
    javac = shutil.which("javac")
    if javac is None:
        raise PluginBuildError("javac not found: install a JDK (e.g. openjdk-17-jdk-headless)")
    classes = plugin_dir() / "classes"
    shutil.rmtree(classes, ignore_errors=True)
    command = [
        javac, "-J-XX:-UsePerfData", "--release", "17", "-proc:none",
        "-cp", str(MMS_JAR), "-d", str(classes), *map(str, _sources()),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PluginBuildError(f"javac failed:\n{result.stderr}")
    partial = plugin_jar().with_suffix(".partial")
    with zipfile.ZipFile(partial, "w") as jar:
        for path in sorted(classes.rglob("*.class")):
            jar.write(path, path.relative_to(classes).as_posix())
        jar.writestr(ENDPOINT_SERVICE, "\n".join(ENDPOINTS) + "\n")  # ServiceLoader's list
        jar.writestr(FINGERPRINT, _fingerprint())
    shutil.rmtree(classes)
    partial.replace(plugin_jar())
    return plugin_jar()


def ensure_plugin() -> Path:
    """The plugin jar, compiled first when missing or older than its sources."""
    return build() if is_stale() else plugin_jar()
