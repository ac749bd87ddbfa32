"""Gunicorn defaults for the web app (`gunicorn -c gunicorn.conf.py run_webhook:app`)."""

import multiprocessing
import os
from typing import Any

from webhooks.settings import load_settings

# The same settings as every other command: the environment, then .env.
_settings = load_settings()
bind = f"{_settings.webhook_host}:{_settings.webhook_port}"
# The webhook only verifies, parses and queues: a few threads per process absorb I/O waits.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Webhook bodies are small: refuse oversized request lines and headers early.
limit_request_line = 4094
limit_request_fields = 100
# Gunicorn's access log would print admin paths, which carry phone numbers: the app logs one
# masked line per webhook instead. Set GUNICORN_ACCESS_LOG=- to get it anyway.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = _settings.log_level.lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Gunicorn's own lines go through the app's handler (webhooks.logs): JSON in production too.
logconfig_dict: dict[str, Any] = {
    "root": {"level": _settings.log_level, "handlers": ["iagente"]},
    "loggers": {
        "gunicorn.error": {"handlers": [], "propagate": True},
        # Gunicorn emits access lines whenever a logconfig is given: off unless asked for.
        "gunicorn.access": {
            "handlers": [],
            "propagate": True,
            "level": "INFO" if accesslog else "CRITICAL",
        },
    },
    "handlers": {"iagente": {"()": "webhooks.logs.handler"}},
}


def child_exit(server, worker):
    """Prometheus multiprocess bookkeeping: a dead worker's live gauges stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
