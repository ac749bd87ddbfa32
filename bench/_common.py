"""Bench plumbing: child processes that always get stopped, and two HTTP load generators.

Both generators keep `connections` keep-alive connections busy against 127.0.0.1 for a bounded
time, each request taken in turn from a pool of pre-built (headers, body) pairs, and report the
same numbers. wrk (C, one thread) is preferred: on a 2-core machine the generator competes with
the server for CPU, and wrk costs a fraction of what the pure-Python one does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import resource
import shutil
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

Request = tuple[dict[str, str], bytes]


class ChildError(RuntimeError):
    """A child process died or never became ready."""


class Children:
    """Processes started in their own session, stopped in order when the bench ends.

    Their own session means stopping one stops everything it forked (gunicorn's workers), and
    Ctrl-C on the terminal reaches only us.
    """

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._procs: list[subprocess.Popen] = []

    def spawn(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
        with open(self.log_dir / f"{name}.log", "wb") as log:
            proc = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._procs.append(proc)
        return proc

    def log_tail(self, name: str, lines: int = 20) -> str:
        try:
            text = (self.log_dir / f"{name}.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, proc: subprocess.Popen, grace: float = 10.0) -> None:
        """SIGTERM to the child's process group, SIGKILL after `grace` seconds."""
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            _signal_group(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait)
        _signal_group(proc.pid, signal.SIGKILL)  # a master that exited may leave workers behind
        if proc in self._procs:
            self._procs.remove(proc)

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *exc) -> None:
        for proc in reversed(self._procs):
            self.stop(proc)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_cpu_seconds(pgid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each live process of a process group.

    Linux only (reads /proc); empty elsewhere.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    with contextlib.suppress(OSError):
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()  # state ppid pgrp ... utime(11) stime(12)
            if int(fields[2]) == pgid:
                found[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def group_rss_mb(pgid: int) -> dict[int, float]:
    """Resident memory (MB) of each live process of a process group (Linux only)."""
    found = {}
    with contextlib.suppress(OSError):
        for pid in group_cpu_seconds(pgid):
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                kb = next(line.split()[1] for line in status.splitlines() if line[:6] == "VmRSS:")
                found[pid] = int(kb) / 1024
    return found


@dataclass
class Load:
    generator: str
    requests: int  # completed responses, whatever their status
    seconds: float
    errors: int  # non-2xx answers, socket errors and timeouts
    repeats: int  # requests that reused a pool entry (the webhook deduplicates those)
    generator_cpu: float  # CPU seconds the generator used
    latency_us: Counter  # microseconds -> how many responses took that long

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, pct: float) -> float:
        total = sum(self.latency_us.values())
        if not total:
            return float("nan")
        rank, seen = pct / 100 * total, 0
        for micros in sorted(self.latency_us):
            seen += self.latency_us[micros]
            if seen >= rank:
                return micros / 1000
        return max(self.latency_us) / 1000

    @classmethod
    def combined(cls, loads: list[Load]) -> Load:
        latency: Counter[int] = Counter()
        for load in loads:
            latency.update(load.latency_us)
        return cls(
            generator=loads[0].generator,
            requests=sum(x.requests for x in loads),
            seconds=sum(x.seconds for x in loads),
            errors=sum(x.errors for x in loads),
            repeats=sum(x.repeats for x in loads),
            generator_cpu=sum(x.generator_cpu for x in loads),
            latency_us=latency,
        )


# --- wrk -----------------------------------------------------------------------------------------

_LUA = r"""
-- Requests come pre-built from one file per thread: "Name: value\30Name: value\tbody" a line.
local threads, counter = {}, 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  reqs, sent = {}, 0
  for line in io.lines(args[1] .. "." .. id) do
    local head, body = line:match("^([^\t]*)\t(.*)$")
    local headers = {}
    for field in head:gmatch("[^\30]+") do
      local name, value = field:match("^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    reqs[#reqs + 1] = wrk.format("POST", args[2], headers, body)
  end
  pool = #reqs
end

function request()
  sent = sent + 1
  return reqs[(sent - 1) % pool + 1]
end

function done(summary, latency, requests)
  local repeats = 0
  for _, t in ipairs(threads) do
    repeats = repeats + math.max(0, t:get("sent") - t:get("pool"))
  end
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d %d %d %d\n", summary.requests,
    summary.duration, e.connect, e.read, e.write, e.status, e.timeout, repeats))
  io.write("WRK_LATENCY")
  for i = 1, #latency do
    local micros, count = latency(i)
    io.write(string.format(" %d:%d", micros, count))
  end
  io.write("\n")
end
"""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    port: int,
    path: str,
    pool: list[Request],
    *,
    connections: int,
    seconds: int,
    workdir: Path,
    threads: int = 1,
) -> Load:
    """Run wrk for `seconds` (whole seconds: wrk takes no fractions), posting the pool in turn."""
    script = workdir / "post.lua"
    script.write_text(_LUA)
    prefix = workdir / "requests"
    for t in range(threads):
        with open(f"{prefix}.{t}", "wb") as requests_file:
            for headers, body in pool[t::threads]:
                if b"\n" in body or b"\t" in body:
                    raise ValueError("wrk pool bodies must be single-line")
                head = "\x1e".join(f"{k}: {v}" for k, v in headers.items())
                requests_file.write(head.encode() + b"\t" + body + b"\n")
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{path}",
        "--",
        str(prefix),
        path,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=seconds + 30)
    finally:
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = re.search(rb"^WRK_RESULT ([\d ]+)$", out, re.MULTILINE)
    latency = re.search(rb"^WRK_LATENCY([\d: ]*)$", out, re.MULTILINE)
    if proc.returncode != 0 or result is None or latency is None:
        raise ChildError(f"wrk failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    requests, micros, *errors, repeats = map(int, result.group(1).split())
    histogram: Counter[int] = Counter()
    for pair in latency.group(1).split():
        value, count = pair.split(b":")
        histogram[int(value)] += int(count)
    return Load(
        generator="wrk",
        requests=requests,
        seconds=micros / 1e6,
        errors=sum(errors),
        repeats=repeats,
        latency_us=histogram,
        generator_cpu=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    )


# --- pure Python: asyncio, raw HTTP/1.1 over keep-alive connections ------------------------------

_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection:\s*close", re.IGNORECASE)


def run_python(
    port: int, path: str, pool: list[Request], *, connections: int, seconds: float
) -> Load:
    raw = [_http_request(port, path, headers, body) for headers, body in pool]
    started_cpu = time.process_time()
    load = asyncio.run(_python_load(port, raw, connections, seconds))
    load.generator_cpu = time.process_time() - started_cpu
    return load


def _http_request(port: int, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _python_load(port: int, raw: list[bytes], connections: int, seconds: float) -> Load:
    latency: Counter[int] = Counter()
    errors = issued = 0
    deadline = time.monotonic() + seconds

    async def connection() -> None:
        nonlocal errors, issued
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while time.monotonic() < deadline:
            request = raw[issued % len(raw)]
            issued += 1
            try:
                if reader is None or writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                start = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = _LENGTH.search(head)
                if length is None:
                    raise ValueError("response without Content-Length")
                await reader.readexactly(int(length.group(1)))
                latency[int((time.perf_counter() - start) * 1e6)] += 1
                if not head.startswith((b"HTTP/1.1 2", b"HTTP/1.0 2")):
                    errors += 1
                if _CLOSE.search(head):
                    writer.close()
                    writer = None
            except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                errors += 1
                if writer is not None:
                    writer.close()
                writer = None
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    tasks = [asyncio.create_task(connection()) for _ in range(connections)]
    # A request that never gets an answer holds its connection past the deadline: cap that.
    _, stuck = await asyncio.wait(tasks, timeout=seconds + 10)
    for task in stuck:
        task.cancel()
    errors += len(stuck)
    return Load(
        generator="python",
        requests=sum(latency.values()),
        seconds=time.perf_counter() - started,
        errors=errors,
        repeats=max(0, issued - len(raw)),
        generator_cpu=0.0,
        latency_us=latency,
    )
