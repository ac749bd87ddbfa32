"""Gunicorn configuration for `gunicorn -c gunicorn.conf.py run_webhook:app`.

The settings themselves live in `webhooks.cli.gunicorn_conf`.
"""

from webhooks.cli.gunicorn_conf import *  # noqa: F403
