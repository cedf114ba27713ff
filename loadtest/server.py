"""Start/stop a real ``streamlit run`` of the app on a loopback port, and read its memory.

Shared by the load test (`loadtest.run`), the restart test (tests/test_restart.py) and the
security/deploy end-to-end tests. Only ever binds 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geo.paths import REPO_ROOT

ROOT = REPO_ROOT
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident set size of process `pid` in KiB (VmRSS from /proc), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def healthy(base: str, timeout: float = 2.0) -> bool:
    """True when ``/_stcore/health`` answers 200."""
    try:
        with urllib.request.urlopen(base + "/_stcore/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


@dataclass
class AppServer:
    """One streamlit process serving streamlit_app.py on 127.0.0.1:`port`.

    `env` is added to a copy of os.environ (GAOYAO_KIOSK and TIANDITU_KEY are removed first
    unless given), `args` are extra ``streamlit run`` options, `log` a file for its output."""

    port: int = 0
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    log: Path | None = None
    proc: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.port = self.port or free_port()

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def start(self, timeout: float = 45.0) -> AppServer:
        env = dict(os.environ)
        for name in ("GAOYAO_KIOSK", "TIANDITU_KEY", "GAOYAO_OFFICIAL_TOWNS"):
            env.pop(name, None)
        env.update(self.env)
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
             "--server.headless", "true", "--server.port", str(self.port),
             "--server.address", LOOPBACK, "--browser.gatherUsageStats", "false",
             *self.args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
        if self.log:
            out.close()
        deadline = time.monotonic() + timeout
        while not healthy(self.base):
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with {self.proc.returncode} (log: {self.log})")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"streamlit did not become healthy in {timeout} s")
            time.sleep(0.2)
        return self

    def kill(self) -> None:
        """SIGKILL (a crash): no clean shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def __enter__(self) -> AppServer:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
