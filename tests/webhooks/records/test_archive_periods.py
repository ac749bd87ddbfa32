"""Admin figures beyond Redis' memory, the retention job and `iagente db`, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from integrations.archive.database import head
from testkit.databases import archive_url, postgres_server
from testkit.stack import Stack
from webhooks.cli.checks import run_checks
from webhooks.cli.main import main
from webhooks.inbound.messages import InboundMessage
from webhooks.records.drainer import RETENTION_KEY
from webhooks.records.ops import turn_op
from webhooks.services import build_archive_store
from webhooks.settings import Settings

__all__ = ["archive_url", "postgres_server"]

ADMIN = "admin-token-for-periods"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
OLD, LEAD, RECENT = "+34600300601", "+34600300602", "+34600300603"


@pytest.fixture
def stack_settings(archive_url: str) -> dict:
    return {"database_url": archive_url, "admin_token": ADMIN, "unconverted_retention_days": 365}


@pytest.fixture
def history(stack: Stack) -> Iterator[Stack]:
    """Three archived customers: one quiet for two years, a lead as old, one from this week."""
    archive = stack.services.archive
    assert archive is not None
    store = archive.store.ready()
    now = datetime.now(UTC)
    for phone, days_ago, lead in ((OLD, 730, False), (LEAD, 700, True), (RECENT, 3, False)):
        at = (now - timedelta(days=days_ago)).isoformat()
        message = InboundMessage("meta", "whatsapp", phone, f"w.{phone}", "text", "Hola")
        after = {"stage": "FINALIZADO" if lead else "INICIO", "lead": lead, "turns": 1}
        op = turn_op(phone, [message], {}, after, None, started=True)
        op["at"] = op["messages"][0]["at"] = at
        if lead:
            op["events"] = [{"table": "leads", "key": f"lead:{phone}", "option_id": "basica"}]
        store.apply(phone, op)
    yield stack


def test_conversations_since_a_date_past_redis_come_from_the_archive(history):
    client = history.client
    since = (datetime.now(UTC) - timedelta(days=800)).date().isoformat()
    page = client.get(f"/webhook/conversations?since={since}", headers=AUTH).json
    assert [item["phone"] for item in page["items"]] == [RECENT, LEAD, OLD]
    assert page["total"] == 3 and page["items"][1]["stage"] == "FINALIZADO"
    leads = client.get(f"/webhook/conversations?since={since}&stage=FINALIZADO", headers=AUTH)
    assert [item["phone"] for item in leads.json["items"]] == [LEAD]
    second = client.get(f"/webhook/conversations?since={since}&per_page=2&page=2", headers=AUTH)
    assert [item["phone"] for item in second.json["items"]] == [OLD]
    # Within Redis' memory, Redis answers (the archive's history is not there).
    week = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    assert client.get(f"/webhook/conversations?since={week}", headers=AUTH).json["total"] == 0
    bad = client.get("/webhook/conversations?since=someday", headers=AUTH)
    assert bad.status_code == 400


def test_statistics_past_redis_count_the_archive(history):
    since = (datetime.now(UTC) - timedelta(days=800)).date()
    stats = history.client.get(f"/webhook/stats?since={since}", headers=AUTH).json
    assert stats["since"] == f"{since}T00:00:00+00:00"
    assert (stats["conversations_started"], stats["messages_in"]) == (3, 3)
    assert stats["active_conversations"] == 3
    reached = {step["stage"]: step["reached"] for step in stats["funnel"]}
    assert reached["INICIO"] == 3 and reached["FINALIZADO"] == 1
    recent = history.client.get("/webhook/stats", headers=AUTH).json  # the last 30 days: Redis
    assert recent["conversations_started"] == 0


def test_the_retention_job_purges_old_conversations_without_a_lead_once_a_day(history):
    archive = history.services.archive
    assert archive is not None
    history.services.redis.delete(RETENTION_KEY)

    assert archive.drainer.retain() == {"messages": 1, "conversations": 1, "customers": 1}
    assert archive.drainer.retain() is None  # done today, by this process or another

    assert archive.store.export(OLD)["customer"] is None
    assert len(archive.store.export(LEAD)["messages"]) == 1  # a lead is kept
    assert len(archive.store.export(RECENT)["messages"]) == 1
    purge = archive.store.export(OLD)["audit"]
    assert purge == []  # the purge's own audit entry names no customer


def test_iagente_db_migrates_and_purges(archive_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", archive_url)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1")  # never used: the archive alone
    assert main(["db", "current"]) == 0
    assert "revision None" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert f"revision {head()}" in capsys.readouterr().out
    assert main(["db", "purge"]) == 0
    assert '{"deleted": {}}' in capsys.readouterr().out
    assert main(["db", "downgrade", "base"]) == 0
    assert "revision None" in capsys.readouterr().out


def test_iagente_db_says_when_the_database_is_unreachable(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://archive:secret@127.0.0.1:1/archive")
    assert main(["db", "upgrade"]) == 1
    said = capsys.readouterr().err
    assert "the archive database" in said and "secret" not in said


def test_iagente_check_tries_the_archive(archive_url, redis_url, capsys):
    checked = Settings(_env_file=None, redis_url=redis_url, database_url=archive_url)
    assert run_checks(checked) == 0
    assert "schema at None: the worker" in capsys.readouterr().out
    store = build_archive_store(checked)
    store.ready()
    store.engine.dispose()
    assert run_checks(checked) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "archive" in x)
    assert line.startswith("✓ archive") and line.endswith("schema up to date")


def test_iagente_check_names_an_unreachable_archive_without_its_password(redis_url, capsys):
    url = "postgresql://archive:secret@127.0.0.1:1/archive"
    assert run_checks(Settings(_env_file=None, redis_url=redis_url, database_url=url)) == 1
    out = capsys.readouterr().out
    assert "✗ archive" in out and "secret" not in out
