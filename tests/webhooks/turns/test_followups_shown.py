"""Where reminders show: the admin conversation detail, the admin statistics and /metrics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from testkit.followups import SPAIN, TO_NAME, Clock, customer, follow_ups
from testkit.metrics import moved, scrape
from webhooks.turns.worker import Worker

ADMIN = "admin-token-for-tests"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def stack_settings():
    return {"admin_token": ADMIN}


def test_the_admin_api_and_metrics_show_the_reminders(stack):
    clock = Clock(START)
    reminders = follow_ups(stack.services, clock)
    worker = Worker(
        stack.service, stack.services.queue, stack.services.channels, followups=reminders
    )
    before = scrape(stack.client)
    customer(stack, worker).says(*TO_NAME)

    detail = stack.client.get(f"/webhook/conversation/{SPAIN}", headers=AUTH).json
    assert detail["follow_up"] == {
        "next_due": "2026-12-01T12:00:00+00:00",
        "step": 0,
        "sent": 0,
        "last_sent_at": None,
    }
    assert stack.client.get("/webhook/stats", headers=AUTH).json["follow_ups_pending"] == 1

    clock.advance(hours=2)
    assert reminders.fire_due() == 1
    detail = stack.client.get(f"/webhook/conversation/{SPAIN}", headers=AUTH).json
    assert detail["follow_up"] == {
        "next_due": "2026-12-02T08:00:00+00:00",  # 22 h after the customer's last message
        "step": 1,
        "sent": 1,
        "last_sent_at": "2026-12-01T12:00:00+00:00",
    }
    reminder = detail["transcript"][-1]
    assert reminder["follow_up"] == 1 and reminder["author"] == "bot"
    stats = stack.client.get("/webhook/stats", headers=AUTH).json
    assert stats["follow_ups_sent"] == 1 and stats["follow_ups_pending"] == 1
    after = scrape(stack.client)
    assert moved(before, after, "iagente_follow_ups_total", outcome="sent") == 1
    assert after[("iagente_follow_ups_pending", ())] == 1

    assert stack.client.delete(f"/webhook/conversation/{SPAIN}", headers=AUTH).status_code == 200
    assert stack.client.get("/webhook/stats", headers=AUTH).json["follow_ups_pending"] == 0
    assert reminders.timers.get(SPAIN) is None
