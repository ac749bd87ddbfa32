"""Gunicorn configuration: gunicorn -c gunicorn.conf.py run_webhook:app (see webhooks.cli.gunicorn_conf)."""

from webhooks.cli.gunicorn_conf import *  # noqa: F403
