"""The `iagente` command: serve, chat and check."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from webhooks import logs
from webhooks.settings import Settings


def _settings_with_redis() -> Settings:
    """Settings whose REDIS_URL is set, starting the embedded server when it wasn't."""
    settings = Settings()
    if not settings.redis_url:
        from integrations.redis_server import ensure_local_redis

        url = ensure_local_redis(settings.var_dir)
        print(f"Redis embebido en {url} (datos en {settings.var_dir}/)", file=sys.stderr)
        settings = settings.model_copy(update={"redis_url": url})
    return settings


def _metrics_dir(settings: Settings) -> None:
    """Every process of `serve` writes its metrics into one directory (emptied here, so counters
    start at zero with the service); an operator's PROMETHEUS_MULTIPROC_DIR is used as given.
    It must be set before anything imports prometheus_client, which reads it once."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    path = Path(given) if given else (settings.var_dir / "metrics").resolve()
    path.mkdir(parents=True, exist_ok=True)
    if not given:
        for stale in path.glob("*.db"):
            stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def serve(args: argparse.Namespace) -> int:
    """The web app under gunicorn, and the worker beside it (unless --no-worker)."""
    settings = _settings_with_redis()
    os.environ["REDIS_URL"] = settings.redis_url  # the gunicorn and worker processes reuse it
    _metrics_dir(settings)
    from webhooks.server import run_gunicorn

    worker = None
    if not args.no_worker:
        worker = subprocess.Popen([sys.executable, "-m", "webhooks.cli", "worker"])
    try:
        run_gunicorn(settings, workers=args.workers)
    finally:
        if worker is not None:
            worker.terminate()  # SIGTERM: it finishes the phone it is on, then exits
            worker.wait(timeout=30)
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(worker.pid)
    return 0


def worker(args: argparse.Namespace) -> int:
    from webhooks.worker import run_workers

    run_workers(_settings_with_redis(), threads=args.threads)
    return 0


def chat(args: argparse.Namespace) -> int:
    """Talk to the agent in a terminal, through the same graph, Redis and brain as the service."""
    from webhooks.service import build_service, connect_redis

    settings = _settings_with_redis()
    service = build_service(settings, connect_redis(settings))
    interactive = sys.stdin.isatty()
    print(
        f"iAgente Vida ({service.context.brain.name}) · {args.phone} · Ctrl-D para salir",
        file=sys.stderr,
    )
    while True:
        if interactive:
            print("tú> ", end="", flush=True, file=sys.stderr)
        line = sys.stdin.readline()
        if not line:
            return 0
        text = line.strip()
        if not text:
            continue
        result = service.turn(args.phone, text, channel="chat")
        if result.reply:
            print(f"agente [{result.stage}]> {result.reply}\n", flush=True)
        else:
            reason = (
                "dado de baja" if result.opted_out else "un asesor humano lleva la conversación"
            )
            print(f"agente [{result.stage}]> (sin respuesta: {reason})\n", flush=True)


def check(args: argparse.Namespace) -> int:
    from webhooks.checks import run_checks

    return run_checks(Settings())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="iagente", description="iAgente Vida, life-insurance sales agent"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the web service and the worker")
    p.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: from CPUs)"
    )
    p.add_argument("--no-worker", action="store_true", help="run the web app alone")
    p.set_defaults(func=serve)
    p = sub.add_parser("worker", help="process queued messages and send the replies")
    p.add_argument("--threads", type=int, default=None, help="worker threads (WORKER_THREADS)")
    p.set_defaults(func=worker)
    p = sub.add_parser("chat", help="talk to the agent in the terminal (reads stdin)")
    p.add_argument("--phone", default="+34600000000", help="the customer's phone number (E.164)")
    p.set_defaults(func=chat)
    p = sub.add_parser("check", help="try every configured outside service")
    p.set_defaults(func=check)
    args = parser.parse_args(argv)
    logs.configure(
        os.environ.get("LOG_LEVEL", "WARNING" if args.command == "chat" else "INFO"),
        secrets=logs.secrets_of(Settings()),
    )
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
