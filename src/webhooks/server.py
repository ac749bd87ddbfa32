"""Run the Flask app under gunicorn from Python, with the project's gunicorn defaults."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from webhooks import gunicorn_conf
from webhooks.settings import Settings


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        from webhooks.app import create_app

        return create_app()


def run_gunicorn(settings: Settings, *, workers: int | None = None) -> None:
    options = {k: v for k, v in vars(gunicorn_conf).items() if not k.startswith("_")}
    options["bind"] = f"{settings.webhook_host}:{settings.webhook_port}"
    if workers:
        options["workers"] = workers
    _Gunicorn(options).run()
