"""Real ``hub-booking`` processes for the e2e, race and fuzz tests and the benchmarks.

Everything goes through the installed console script, exactly as an operator would run it:
``run_cli`` for one command, ``create_tokens`` for API tokens, and ``Server`` for
``hub-booking serve`` on a free port of 127.0.0.1, healthy before it is handed out and always
stopped (terminated, then killed). Failures raise ``ServerError`` carrying the command's or
the server's own output. Nothing here imports pytest, so the benchmarks can use it too.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

STARTUP_TIMEOUT_S = 40.0
COMMAND_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


class ServerError(RuntimeError):
    """A ``hub-booking`` command or server failed; the message holds its output."""


def cli() -> list[str]:
    """The ``hub-booking`` console script of this virtualenv (or the module, as a fallback)."""
    script = Path(sys.executable).with_name("hub-booking")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hub_booking.cli"]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(
    database_url: str, var_dir: Path, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """This process's environment without any ``HUB_BOOKING_*``, then a served app's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_BOOKING_")}
    env.update(
        {
            "HUB_BOOKING_DATABASE_URL": database_url,
            "HUB_BOOKING_SECRET_KEY": secrets.token_urlsafe(48),  # shared by every server
            "HUB_BOOKING_VAR_DIR": str(var_dir),
            "HUB_BOOKING_SCHEDULER": "off",
            "HUB_BOOKING_ENV": "development",
        }
    )
    env.update(overrides or {})
    return env


def run_cli(args: Sequence[str], env: Mapping[str, str], timeout: float = COMMAND_TIMEOUT_S) -> str:
    """Run one ``hub-booking`` command; its stdout, or ``ServerError`` with all its output."""
    try:
        done = subprocess.run(
            [*cli(), *args],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ServerError(f"hub-booking {' '.join(args)} timed out after {timeout:g} s") from exc
    if done.returncode != 0:
        raise ServerError(
            f"hub-booking {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def create_tokens(
    emails: Sequence[str], env: Mapping[str, str], name: str = "test"
) -> dict[str, str]:
    """One API token per email, the ``create-token`` processes running side by side."""
    running = {
        email: subprocess.Popen(
            [*cli(), "create-token", "--email", email, "--name", name],
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for email in emails
    }
    tokens, failures = {}, []
    for email, process in running.items():
        try:
            out, err = process.communicate(timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=STOP_TIMEOUT_S)
            failures.append(f"hub-booking create-token --email {email} timed out")
            continue
        if process.returncode != 0 or not out.strip():
            failures.append(f"hub-booking create-token --email {email} failed:\n{out}\n{err}")
            continue
        tokens[email] = out.strip().splitlines()[-1].strip()
    if failures:
        raise ServerError("\n".join(failures))
    return tokens


def healthy(base_url: str) -> bool:
    """Whether ``GET /healthz`` answers 200 within a second."""
    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class Server:
    """One ``hub-booking serve`` on 127.0.0.1; ``with Server(env, log) as server:`` or
    ``start()`` and ``stop()`` (idempotent, also after a failed start)."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_path: Path,
        *,
        port: int | None = None,
        workers: int = 1,
        timeout: float = STARTUP_TIMEOUT_S,
    ) -> None:
        self.env = dict(env)
        self.log_path = log_path
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> Server:
        """Serve (migrating first) and wait for /healthz; ``ServerError`` with the log if not."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*cli(), *args, "--workers", str(self.workers)],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_healthy(self.process)
        except BaseException:
            self.stop()  # whatever stopped the wait, no server is left behind
            raise
        return self

    def _wait_healthy(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.timeout
        while not healthy(self.url):
            if process.poll() is not None or time.monotonic() > deadline:
                code = process.poll()
                state = f"exited with {code}" if code is not None else "timed out"
                raise ServerError(
                    f"hub-booking serve on port {self.port} {state} before /healthz answered "
                    f"200:\n{self.log()}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers) and close its log."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self, tail: int | None = None) -> str:
        """What the server has written so far (its last ``tail`` characters)."""
        if self._log is not None:
            self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return text[-tail:] if tail else text

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
