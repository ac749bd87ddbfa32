"""Run the Flask app under gunicorn from Python, with the project's gunicorn defaults."""

from __future__ import annotations

import multiprocessing

from gunicorn.app.base import BaseApplication

from webhooks.settings import Settings


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        from run_webhook import app

        return app


def run_gunicorn(settings: Settings, *, workers: int | None = None) -> None:
    _Gunicorn(
        {
            "bind": f"{settings.webhook_host}:{settings.webhook_port}",
            "workers": workers or min(2 * multiprocessing.cpu_count() + 1, 8),
            "threads": 4,
            "timeout": 30,
            "graceful_timeout": 20,
            "accesslog": "-",
        }
    ).run()
