"""The whole service on a real 3-master Redis Cluster: web app, two workers, a killed worker.

REDIS_CLUSTER=1 makes the service talk to the cluster through RedisCluster, which refuses any
transaction, script or multi-key command whose keys span slots; the pipeline tests run unchanged
on it, then two worker processes share many phones and one of them is killed mid-turn.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from integrations.redis.local_cluster import LocalCluster
from testkit.fake_chatwoot import FakeChatwoot
from testkit.fake_providers import FakeProviders
from testkit.openai_server import FakeOpenAI
from testkit.signed import meta_headers, meta_text
from testkit.stack import Stack, running
from tests.system import test_chatwoot_flow, test_pipeline
from webhooks.app import create_app
from webhooks.services import build_services
from webhooks.settings import Settings

SECRET = "meta-app-secret"
# Free-form: more words than the rules brain reads with confidence, so the model is asked.
FREE_FORM = (
    "pues mira te cuento, la verdad es que sí quiero seguir con esto y que me vayas "
    "preguntando lo que haga falta"
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A local three-master cluster for the module."""
    with LocalCluster(tmp_path_factory.mktemp("cluster"), masters=3) as running_cluster:
        yield running_cluster


@pytest.fixture
def cluster_url(cluster: LocalCluster) -> str:
    """The URL of one node of the emptied cluster."""
    client = cluster.client()
    client.flushall()  # every primary
    client.close()
    return cluster.url


@pytest.fixture
def cluster_stack(cluster_url: str) -> Iterator[Stack]:
    """The in-process service (web app, worker threads) on the cluster."""
    with running(cluster_url, redis_cluster=True) as stack:
        assert isinstance(stack.services.redis, redis.RedisCluster)
        yield stack


PIPELINE_TESTS: dict[str, Callable[[Stack], None]] = {
    "sale_with_a_retried_delivery": test_pipeline.test_meta_conversation_with_a_retried_delivery,
    "burst": test_pipeline.test_a_burst_waiting_for_a_worker_gets_one_reply,
    "twilio": test_pipeline.test_twilio_sms_and_whatsapp,
    "statuses": test_pipeline.test_delivery_statuses_are_recorded_against_the_outbound_message,
    "template": test_pipeline.test_outside_the_24_hour_window_a_template_goes_out,
    "unreadable": test_pipeline.test_a_message_we_cannot_read_gets_a_polite_reply,
}


@pytest.mark.parametrize("scenario", PIPELINE_TESTS.values(), ids=PIPELINE_TESTS.keys())
def test_the_pipeline_on_a_cluster(cluster_stack: Stack, scenario: Callable[[Stack], None]):
    scenario(cluster_stack)


flow = test_chatwoot_flow
CHATWOOT_TESTS: dict[str, Callable[[Stack, FakeChatwoot], None]] = {
    "mirrored_sale": (
        flow.test_a_sale_leaves_contact_conversation_messages_labels_attributes_and_notes
    ),
    "agent_reply": (
        flow.test_an_agent_reply_reaches_the_customer_silences_the_bot_and_resolving_gives_it_back
    ),
    "chatwoot_down": (
        flow.test_with_chatwoot_down_customers_get_every_reply_and_the_mirror_catches_up
    ),
}


@pytest.mark.parametrize("scenario", CHATWOOT_TESTS.values(), ids=CHATWOOT_TESTS.keys())
def test_the_chatwoot_mirror_and_handover_on_a_cluster(
    cluster_url: str, scenario: Callable[[Stack, FakeChatwoot], None]
) -> None:
    with (
        FakeChatwoot(
            token=test_chatwoot_flow.CW_TOKEN, account_id=test_chatwoot_flow.ACCOUNT
        ) as fake,
        running(
            cluster_url, redis_cluster=True, **test_chatwoot_flow.chatwoot_settings(fake)
        ) as stack,
    ):
        stack.start_workers()
        scenario(stack, fake)


def test_a_reset_and_the_statistics_work_on_a_cluster(cluster_stack: Stack):
    test_pipeline.test_meta_conversation_with_a_retried_delivery(cluster_stack)
    stats = cluster_stack.service.stats
    assert stats is not None
    deadline = time.monotonic() + 20  # a turn is counted just after its reply is sent
    while (report := stats.report(stats.now().date())).messages_in < 9:
        assert time.monotonic() < deadline, report
        time.sleep(0.05)
    assert report.messages_in == 9 and report.funnel[-1].reached == 1
    phone = "+34600100100"
    cluster_stack.service.store.forget(phone)
    assert cluster_stack.service.state(phone) == {}


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "webhooks.cli", "worker", "--threads", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_two_worker_processes_on_a_cluster_and_a_killed_one_loses_nothing(
    cluster_url: str, tmp_path: Path
) -> None:
    with FakeProviders() as providers, FakeOpenAI() as model:
        model.by_text = {FREE_FORM: {"intent": "affirm"}}
        model.hang_once_on = FREE_FORM
        config: dict[str, Any] = {
            "REDIS_URL": cluster_url,
            "REDIS_CLUSTER": "1",
            "AGENT_BRAIN": "llm",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": model.base_url,
            "LLM_TIMEOUT_SECONDS": "120",
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_TOKEN": "meta-token",
            "WHATSAPP_PHONE_NUMBER_ID": "1122334455667",
            "WHATSAPP_API_URL": f"{providers.url}/v23.0",
            "TURN_LOCK_SECONDS": "2",
            "CLAIM_IDLE_SECONDS": "1",
            "DEBOUNCE_SECONDS": "0",
        }
        env = {**os.environ, **config, "VAR_DIR": str(tmp_path)}
        settings = Settings(_env_file=None, **{k.lower(): v for k, v in config.items()})
        client = create_app(settings).test_client()

        def post(phone: str, text: str, message_id: str) -> None:
            body = meta_text(phone, text, message_id)
            answer = client.post("/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET))
            assert answer.status_code == 200

        # Both read the same consumer group; each calls the model under its own path, so the
        # request that hangs says which worker is in the middle of the turn.
        workers = {
            n: start_worker(
                {**env, "OPENAI_BASE_URL": model.base_url.replace("/v1", f"/worker{n}/v1")},
                tmp_path / f"worker{n}.log",
            )
            for n in range(2)
        }
        try:
            phones = [f"+3460030{n:04d}" for n in range(12)]
            for n, phone in enumerate(phones):
                post(phone, "Hola", f"wamid.many{n}")
                post(phone, "Hola", f"wamid.many{n}")  # a provider's retry: answered once
            providers.wait_for(len(phones), timeout=60)

            victim = "+34600400100"
            post(victim, "Hola", "wamid.k1")
            providers.wait_for(len(phones) + 1, timeout=30)
            post(victim, FREE_FORM, "wamid.k2")
            assert model.hanging.wait(30), "the turn never reached the model"
            hung = next(
                r for r in model.requests if r["body"]["messages"][-1]["content"] == FREE_FORM
            )
            killed = next(n for n in workers if hung["path"].startswith(f"/worker{n}/"))
            workers[killed].send_signal(signal.SIGKILL)  # mid-turn: the model call is in flight
            workers[killed].wait(timeout=30)

            providers.wait_for(len(phones) + 2, timeout=30)
            time.sleep(1.5)  # room for a wrong, duplicate reply to show up
        finally:
            for proc in workers.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:  # stuck in the hanging model call
                        proc.kill()
                        proc.wait()
        survivor = workers[1 - killed]
        assert survivor.returncode == 0, (tmp_path / f"worker{1 - killed}.log").read_text()

    texts = [r["json"]["text"]["body"] for r in providers.sent if r["json"]["type"] == "text"]
    assert len(texts) == len(phones) + 2, texts
    by_phone: dict[str, int] = {}
    for record in providers.sent:
        by_phone[record["json"]["to"]] = by_phone.get(record["json"]["to"], 0) + 1
    assert all(by_phone[p.lstrip("+")] == 1 for p in phones)
    service = build_services(settings).conversations
    state = service.state(victim)
    assert state["turns"] == 2 and state["stage"] == "NEEDS_ANALYSIS"
    assert [e["direction"] for e in service.store.transcript(victim)] == ["in", "out", "in", "out"]
    assert "¿Cómo te llamas?" in service.store.transcript(victim)[-1]["text"]
