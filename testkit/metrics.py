"""Reading GET /metrics in tests: every sample, and how far one moved."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def scrape(client) -> dict[tuple, float]:
    """Every sample of /metrics, keyed by (name, sorted labels)."""
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def moved(before: dict, after: dict, name: str, **labels) -> float:
    """How much the sample `name{labels}` grew between two scrapes."""
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)
