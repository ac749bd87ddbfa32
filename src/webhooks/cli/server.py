"""Run the Flask app under gunicorn from Python, with the project's gunicorn defaults."""

from __future__ import annotations

import copy
import errno
import socket
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from webhooks.cli import gunicorn_conf
from webhooks.settings import Settings


class ListenError(RuntimeError):
    """The web app can't listen where the settings say (port taken, address not ours)."""


def check_listen(host: str, port: int) -> None:
    """Bind (and let go of) WEBHOOK_HOST:WEBHOOK_PORT as gunicorn will, or say why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ListenError(f"WEBHOOK_HOST={host} is not an address of this machine: {exc}") from None
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ListenError(
                    f"port {port} on {host} is already in use (another ./run?): stop what "
                    "listens there or set WEBHOOK_PORT in .env"
                ) from None
            raise ListenError(f"can't listen on {host}:{port}: {exc.strerror}") from None


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any], settings: Settings) -> None:
        self._options = options
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        from webhooks.app import create_app

        return create_app(self._settings)


def run_gunicorn(
    settings: Settings,
    *,
    workers: int | None = None,
    when_ready: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGTERM; `when_ready` runs once the socket is bound, before any web worker."""
    options = {k: v for k, v in vars(gunicorn_conf).items() if not k.startswith("_")}
    options["bind"] = f"{settings.webhook_host}:{settings.webhook_port}"
    options["loglevel"] = settings.log_level.lower()
    logconfig = copy.deepcopy(gunicorn_conf.logconfig_dict)
    logconfig["root"]["level"] = settings.log_level
    options["logconfig_dict"] = logconfig
    if workers:
        options["workers"] = workers
    if when_ready is not None:
        options["when_ready"] = lambda arbiter: when_ready()
    _Gunicorn(options, settings).run()
