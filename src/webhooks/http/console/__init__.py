"""The operator console under /console/: server-rendered pages in Spanish, behind a sign-in.

`init_app` is all the app factory calls. The blueprint and its security headers are in
`blueprint.py`, the sign-in and sessions in `access.py`, the pages in `overview.py`,
`activity.py` and `conversations.py`, the SVG charts in `charts.py`. Templates and static
files are package data of `webhooks` (templates/console, static/console).
"""

from __future__ import annotations

from flask import Flask

from webhooks.http.console import access, activity, conversations, overview
from webhooks.http.console.blueprint import bp
from webhooks.services import services_of

__all__ = ["init_app"]
_PAGES = (activity, conversations, overview)  # imported for their routes on `bp`


def init_app(app: Flask) -> None:
    """Serve the console on `app` (a plain "off" page while ADMIN_TOKEN is unset)."""
    access.configure(app, services_of(app).settings)
    app.register_blueprint(bp)
