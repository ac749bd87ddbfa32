"""Helpers the tests and benches share: fake outside services, signed requests, a running stack."""

from pathlib import Path

import requests
import urllib3
from urllib3.connection import HTTPConnection
from urllib3.exceptions import MaxRetryError, NewConnectionError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def refused(url: str) -> requests.ConnectionError:
    """The error requests raises when the server at `url` refuses the connection (nothing sent)."""
    pool = urllib3.connection_from_url(url)  # opens nothing: urllib3 connects on the first request
    connection = HTTPConnection(pool.host, pool.port)
    return requests.ConnectionError(
        MaxRetryError(pool, url, NewConnectionError(connection, "refused"))
    )
