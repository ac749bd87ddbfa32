"""GET /webhook/status: components, queue, and what makes the service degraded."""

from __future__ import annotations

from integrations.redis.health import HealthBook
from testkit.settings import settings_for
from webhooks.app import create_app


def test_a_fresh_service_is_ok_and_says_what_is_configured(client):
    answer = client.get("/webhook/status")
    body = answer.json
    assert answer.status_code == 200 and body["status"] == "ok"
    assert body["components"]["redis"] == {"configured": True, "reachable": True}
    assert body["components"]["brain"] == {"configured": True, "kind": "rules"}
    assert body["components"]["meta"] == {"configured": False}
    assert body["queue"] == {"depth": 0, "oldest_age_seconds": 0.0}
    assert body["version"] and body["uptime_seconds"] >= 0


def test_a_failing_channel_degrades_until_it_works_again(redis_url, redis_client):
    settings = settings_for(redis_url, whatsapp_token="t", whatsapp_phone_number_id="1")
    client = create_app(settings).test_client()
    assert client.get("/webhook/status").json["components"]["meta"]["reachable"] is None
    book = HealthBook(redis_client)
    book.failed("meta", "190 Invalid OAuth access token")
    body = client.get("/webhook/status").json
    assert body["status"] == "degraded" and body["components"]["meta"]["reachable"] is False
    assert body["components"]["meta"]["last_error"] == "190 Invalid OAuth access token"
    book.ok("meta")
    body = client.get("/webhook/status").json
    assert body["status"] == "ok" and body["components"]["meta"]["reachable"] is True


def test_redis_down_is_503():
    answer = create_app(settings_for("redis://127.0.0.1:1/0")).test_client().get("/webhook/status")
    assert answer.status_code == 503 and answer.json["status"] == "degraded"
    assert answer.json["components"]["redis"]["reachable"] is False


def test_successes_are_written_at_most_once_a_second_but_always_after_a_failure(redis_client):
    book = HealthBook(redis_client, ok_every=60)
    book.ok("meta")
    first = book.read("meta")["last_ok_at"]
    redis_client.hset("iagente:health", "meta:ok_at", "2000-01-01T00:00:00+00:00")
    book.ok("meta")  # within the minute: not written again
    assert book.read("meta")["last_ok_at"] == "2000-01-01T00:00:00+00:00" != first
    book.failed("meta", "131000 Something went wrong")
    assert book.read("meta")["reachable"] is False
    book.ok("meta")  # right after a failure this process saw: written
    assert book.read("meta")["reachable"] is True
    assert book.read("meta")["last_ok_at"] != "2000-01-01T00:00:00+00:00"
