"""The local Redis launcher: a throwaway child for tests, one shared daemon per var directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from integrations.redis.server import (
    RedisProcess,
    RedisServerError,
    ensure_local_redis,
    find_redis_server,
    free_port,
    stop_local_redis,
)


def _ping(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return client.ping()
    except redis.ConnectionError:
        return False
    finally:
        client.close()


def _servers_serving(var_dir: Path) -> list[int]:
    """Pids of live redis-server processes whose working directory (their `dir`) is var_dir."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if "redis" in (proc / "comm").read_text() and os.readlink(proc / "cwd") == str(var_dir):
                pids.append(int(proc.name))
        except OSError:
            continue  # gone, a zombie, or not ours to inspect
    return pids


@pytest.fixture
def var_dir(tmp_path: Path) -> Iterator[Path]:
    path = (tmp_path / "var").resolve()
    yield path
    stop_local_redis(path)
    assert _servers_serving(path) == []


def test_find_redis_server_returns_an_executable() -> None:
    assert os.access(find_redis_server(), os.X_OK)


def test_redis_process_answers_ping_and_is_reaped_on_stop(tmp_path: Path) -> None:
    with RedisProcess(tmp_path) as server:
        url = server.url
        with redis.Redis.from_url(url) as client:
            pid = client.info("server")["process_id"]
        assert _ping(url)
    assert not _ping(url)
    assert not Path(f"/proc/{pid}").exists()  # exited and waited for: no zombie


def test_redis_process_uses_the_port_it_is_given(tmp_path: Path) -> None:
    port = free_port()
    with RedisProcess(tmp_path, port=port) as server:
        assert server.url == f"redis://127.0.0.1:{port}/0"
        assert _ping(server.url)


def test_redis_process_reports_a_server_that_cannot_start(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = RedisProcess(tmp_path, port=taken.getsockname()[1])
        with pytest.raises(RedisServerError, match="did not start"):
            process.start()
        process.stop()


def test_ensure_local_redis_starts_one_server_and_then_reuses_it(var_dir: Path) -> None:
    port = free_port()
    url = ensure_local_redis(var_dir, preferred_port=port)
    assert url == f"redis://127.0.0.1:{port}/0"
    assert ensure_local_redis(var_dir, preferred_port=port) == url
    assert len(_servers_serving(var_dir)) == 1
    assert (var_dir / "redis.url").read_text().strip() == url

    (var_dir / "redis.url").unlink()  # found again through its config, not started twice
    assert ensure_local_redis(var_dir, preferred_port=port) == url
    assert len(_servers_serving(var_dir)) == 1


def test_a_changed_port_setting_moves_the_server_with_its_data(var_dir: Path) -> None:
    first = ensure_local_redis(var_dir, preferred_port=free_port())
    client = redis.Redis.from_url(first)
    client.set("conversation", "hola")
    client.close()

    port = free_port()
    url = ensure_local_redis(var_dir, preferred_port=port)
    assert url == f"redis://127.0.0.1:{port}/0"
    assert not _ping(first) and len(_servers_serving(var_dir)) == 1
    client = redis.Redis.from_url(url)
    try:
        assert client.get("conversation") == b"hola"
    finally:
        client.close()

    with socket.socket() as taken:  # the new port is busy: keep the running server
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert ensure_local_redis(var_dir, preferred_port=taken.getsockname()[1]) == url


def test_concurrent_callers_share_one_server(var_dir: Path) -> None:
    script = (
        "import sys; from pathlib import Path; "
        "from integrations.redis.server import ensure_local_redis; "
        "print(ensure_local_redis(Path(sys.argv[1]), preferred_port=int(sys.argv[2])))"
    )
    port = str(free_port())
    callers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(var_dir), port], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    urls = {caller.communicate(timeout=60)[0].strip() for caller in callers}
    assert all(caller.returncode == 0 for caller in callers)
    assert urls == {f"redis://127.0.0.1:{port}/0"}
    assert len(_servers_serving(var_dir)) == 1


def test_data_survives_a_shutdown_through_the_append_only_file(var_dir: Path) -> None:
    url = ensure_local_redis(var_dir, preferred_port=free_port())
    client = redis.Redis.from_url(url)
    client.set("conversation", "hola")
    first_pid = client.info("server")["process_id"]
    client.close()

    assert stop_local_redis(var_dir)
    assert not _ping(url)

    url = ensure_local_redis(var_dir, preferred_port=free_port())
    client = redis.Redis.from_url(url)
    try:
        assert client.info("server")["process_id"] != first_pid
        assert client.get("conversation") == b"hola"
        assert client.config_get("appendonly") == {"appendonly": "yes"}
    finally:
        client.close()


def test_a_recorded_url_of_someone_elses_server_is_not_reused(
    var_dir: Path, tmp_path: Path
) -> None:
    with RedisProcess(tmp_path / "other") as other:
        var_dir.mkdir()
        (var_dir / "redis.url").write_text(other.url)
        url = ensure_local_redis(var_dir, preferred_port=free_port())
        assert url != other.url
        assert _ping(url)


def test_a_busy_preferred_port_falls_back_to_a_free_one(var_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        url = ensure_local_redis(var_dir, preferred_port=busy)
    assert url != f"redis://127.0.0.1:{busy}/0"
    assert _ping(url)
