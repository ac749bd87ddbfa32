"""The console's blueprint: its templates and static files, security headers, HTML errors."""

from __future__ import annotations

import logging
from pathlib import Path

import redis
from flask import Blueprint, Response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
_WEBHOOKS = Path(__file__).resolve().parents[2]

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder=str(_WEBHOOKS / "templates"),
    static_folder=str(_WEBHOOKS / "static" / "console"),
    static_url_path="/static",
)

# No inline script or style anywhere: every script and stylesheet is a file under /console/static.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"  # frame-ancestors for older browsers
    # same-origin, not no-referrer: Flask-WTF checks the Referer of a POST made over https.
    response.headers["Referrer-Policy"] = "same-origin"
    if response.mimetype == "text/html" or response.mimetype == "text/csv":
        response.headers["Cache-Control"] = "no-store"  # customers' data stays off disk caches
    return response


@bp.errorhandler(HTTPException)
def _error_page(exc: HTTPException) -> tuple[str, int]:
    code = exc.code or 500
    message: str | None
    if isinstance(exc, CSRFError):
        message = "Falta el token CSRF o no es válido: vuelva a cargar la página y repita."
    elif exc.description != type(exc).description:
        message = exc.description  # our own words, given to abort()
    else:
        message = _MESSAGES.get(code)
    return render_template("console/error.html", code=code, message=message), code


@bp.errorhandler(redis.RedisError)
def _redis_down(exc: redis.RedisError) -> tuple[str, int]:
    # Sessions, throttling and every page need Redis: say so plainly rather than a bare 500.
    log.warning("console without redis: %s", type(exc).__name__)
    message = "Redis no responde: la consola (y el servicio) no pueden trabajar ahora."
    return render_template("console/error.html", code=503, message=message), 503


_MESSAGES = {
    400: "La petición no es válida (¿formulario caducado? Vuelva a cargar la página).",
    403: "No tiene permiso para esto.",
    404: "No existe.",
    405: "Método no permitido.",
    413: "El texto es demasiado largo.",
    429: "Demasiados intentos fallidos. Espere unos minutos y vuelva a probar.",
}
