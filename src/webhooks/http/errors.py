"""Error answers: every one is JSON, and an unexpected failure says nothing about the inside."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.sansio.response import Response as BaseResponse

log = logging.getLogger(__name__)


def _http_error(exc: HTTPException) -> BaseResponse:
    if exc.response is not None:
        return exc.response  # a view's own answer (already JSON), given through abort()
    answer = jsonify(error=exc.description or exc.name, status=exc.code)
    answer.status_code = exc.code or 500
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            answer.headers[name] = value
    return answer


def _unexpected(exc: Exception) -> Response:
    # The endpoint, not the path: admin paths carry phone numbers.
    log.exception("unhandled error endpoint=%s method=%s", request.endpoint, request.method)
    answer = jsonify(error="internal error", status=500)
    answer.status_code = 500
    return answer


def init_app(app: Flask) -> None:
    """Answer every error of `app` in JSON."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
