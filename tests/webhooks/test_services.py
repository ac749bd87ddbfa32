"""The composition root: one object of collaborators, built once from the settings."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from agent.brains.rules import RulesBrain
from testkit import DATA
from testkit.settings import settings_for
from webhooks.app import create_app
from webhooks.crm.handover import ChatwootSide
from webhooks.services import build_services, services_of
from webhooks.settings import SettingsError, load_settings

CHATWOOT = {
    "chatwoot_base_url": "http://127.0.0.1:9",
    "chatwoot_account_id": 1,
    "chatwoot_user_token": "cw-token",
    "chatwoot_inbox_id": 7,
}


def test_the_web_app_keeps_the_services_it_is_given(services, app):
    assert services_of(app) is services
    with app.app_context():
        assert services_of() is services


def test_without_chatwoot_there_is_no_chatwoot_side_anywhere(services, client):
    assert services.chatwoot is None
    assert client.get("/webhook/status").get_json()["components"]["chatwoot"] == {
        "configured": False
    }
    event = (DATA / "chatwoot" / "webhooks" / "message_created_outgoing_agent.json").read_bytes()
    answer = client.post("/webhook/chatwoot", data=event, content_type="application/json")
    assert answer.get_json() == {"ignored": "Chatwoot is not configured"}


def test_with_chatwoot_configured_every_part_is_built_once_and_shared(redis_url):
    services = build_services(settings_for(redis_url, **CHATWOOT))
    side = services.chatwoot
    assert isinstance(side, ChatwootSide)
    assert side.handover.links is side.links and side.mirror.links is side.links
    assert side.handover.outbox is side.outbox and side.mirror.outbox is side.outbox
    assert side.handover.service is services.conversations
    assert side.handover.confirm_messages  # no webhook secret: agent messages are checked
    signed = build_services(settings_for(redis_url, chatwoot_webhook_secret="s3cret", **CHATWOOT))
    assert not signed.chatwoot.handover.confirm_messages


def test_the_parts_given_replace_the_ones_settings_would_make(settings, redis_client):
    brain = RulesBrain()
    services = build_services(settings, redis_client=redis_client, brain=brain)
    assert services.redis is redis_client
    assert services.conversations.context.brain is brain


def test_no_redis_url_is_a_settings_error_and_no_redis_server_is_started(tmp_path):
    """Starting the embedded Redis is the launcher's job (the CLI, run_webhook.py)."""
    with pytest.raises(SettingsError, match="REDIS_URL"):
        create_app(settings_for(None, var_dir=tmp_path / "var"))
    assert not (tmp_path / "var").exists()


def test_redis_cluster_without_a_node_to_start_from_is_a_settings_error(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_CLUSTER", "1")
    with pytest.raises(SettingsError, match="REDIS_CLUSTER: .*needs REDIS_URL"):
        load_settings(_env_file=None)


def test_the_insurers_tariff_and_product_facts_files_are_used(redis_url, tmp_path):
    packaged = resources.files("agent") / "data"
    tariff = json.loads((packaged / "tariff.json").read_text(encoding="utf-8"))
    tariff["policy_fee"] = f"{float(tariff['policy_fee']) + 100:.2f}"
    facts = json.loads((packaged / "product.json").read_text(encoding="utf-8"))
    facts["name"] = "Vida Tranquila de la Aseguradora"
    (tmp_path / "tariff.json").write_text(json.dumps(tariff), encoding="utf-8")
    (tmp_path / "product.json").write_text(json.dumps(facts), encoding="utf-8")

    default = build_services(settings_for(redis_url)).conversations.context
    own = build_services(
        settings_for(
            redis_url,
            tariff_file=tmp_path / "tariff.json",
            product_facts_file=tmp_path / "product.json",
        )
    ).conversations.context
    data = {"age": 35, "smoker": False, "cover": 150000, "term": 20}
    assert own.quotes.quote(**data) != default.quotes.quote(**data)
    assert own.facts.name == "Vida Tranquila de la Aseguradora" != default.facts.name
