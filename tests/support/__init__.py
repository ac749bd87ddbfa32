"""Helpers the tests and benches share: fake outside services, signed requests, a running stack."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
