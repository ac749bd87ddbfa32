"""Gunicorn configuration: gunicorn -c gunicorn.conf.py run_webhook:app (see webhooks.gunicorn_conf)."""

from webhooks.gunicorn_conf import *  # noqa: F403
