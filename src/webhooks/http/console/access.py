"""Who may use the console: sign-in with ADMIN_TOKEN, sessions in Redis, CSRF, throttling.

The session cookie holds only a random session id, signed with a key derived from ADMIN_TOKEN
(changing the token signs everyone out); the session itself is a Redis key, so signing out
ends it everywhere. Failed sign-ins are counted per client address in Redis: after
MAX_FAILURES within FAILURE_WINDOW seconds, that address is refused until the window ends.
Behind a proxy, `request.is_secure` (hence the cookie's Secure flag) follows X-Forwarded-Proto
when gunicorn trusts the proxy (FORWARDED_ALLOW_IPS).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import cast

from flask import (
    Flask,
    Response,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect

from webhooks.http.console.blueprint import bp
from webhooks.services import services_of
from webhooks.settings import Settings

log = logging.getLogger(__name__)

SESSION_SECONDS = 8 * 3600  # an operator's working day; renewed on every request
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60
COOKIE = "iagente_console"
PUBLIC = {"console.login", "console.static"}

csrf = CSRFProtect()


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


def configure(app: Flask, settings: Settings) -> None:
    """Cookie, CSRF and signing key of the console's sessions, on `app`."""
    app.session_interface = _SessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE,
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # Checked by hand only in the console's requests: the provider webhooks are not forms.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: a page left open still works
    )
    if settings.admin_token:
        token = settings.admin_token.get_secret_value().encode()
        app.secret_key = hmac.new(token, b"iagente console session", hashlib.sha256).hexdigest()
    csrf.init_app(app)


def _key(*parts: str) -> str:
    return ":".join(("iagente", "console", *parts))


def _client() -> str:
    return request.remote_addr or "unknown"


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    services = services_of()
    if not services.settings.admin_token:
        return render_template("console/off.html"), 404
    if request.method == "POST":
        csrf.protect()  # a missing or wrong token is a CSRFError: 400
    if request.endpoint in PUBLIC:
        return None
    sid = session.get("sid")
    if not isinstance(sid, str) or not services.redis.expire(_key("session", sid), SESSION_SECONDS):
        session.pop("sid", None)
        if request.method == "GET":
            return redirect(url_for("console.login", next=request.full_path))
        return redirect(url_for("console.login"), 303)
    return None


def _safe_next(target: str | None) -> str:
    """Back where the operator was going, only ever inside the console."""
    if target and target.startswith("/console/") and not target.startswith("/console//"):
        return target
    return url_for("console.overview")


def _throttled() -> int:
    """Seconds this address must still wait, or 0."""
    redis = services_of().redis
    failures = cast(bytes | None, redis.get(_key("failures", _client())))
    if failures is None or int(failures) < MAX_FAILURES:
        return 0
    return max(1, redis.ttl(_key("failures", _client())))


def _failed() -> None:
    redis, key = services_of().redis, _key("failures", _client())
    pipe = redis.pipeline(transaction=True)
    pipe.set(key, 0, ex=FAILURE_WINDOW, nx=True)  # the window starts at the first failure
    pipe.incr(key)
    pipe.execute()


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form; a right ADMIN_TOKEN opens a session."""
    if request.method == "GET":
        return render_template("console/login.html", next=request.args.get("next", ""))
    if wait := _throttled():
        log.warning("console sign-in refused: too many failures")
        response = Response(render_template("console/login.html", wait=wait), 429)
        response.headers["Retry-After"] = str(wait)
        return response
    services = services_of()
    token = services.settings.admin_token
    expected = token.get_secret_value().encode() if token else b""
    given = request.form.get("token", "").strip().encode()
    if not given or not hmac.compare_digest(given, expected):
        _failed()
        log.warning("console sign-in failed")
        return render_template("console/login.html", failed=True), 401
    services.redis.delete(_key("failures", _client()))
    sid = secrets.token_urlsafe(32)
    services.redis.set(_key("session", sid), "1", ex=SESSION_SECONDS)
    session.clear()  # a new session id and CSRF token after signing in
    session["sid"] = sid
    log.info("console sign-in")
    return redirect(_safe_next(request.form.get("next")), 303)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session here and everywhere its cookie might be."""
    if isinstance(sid := session.get("sid"), str):
        services_of().redis.delete(_key("session", sid))
    session.clear()
    flash("Ha cerrado la sesión.")
    return redirect(url_for("console.login"), 303)
