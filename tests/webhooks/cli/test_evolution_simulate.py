"""`iagente simulate --provider evolution`: a message posted as Evolution posts it, with its JWT."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from werkzeug.serving import make_server

from testkit.evolution import WEBHOOK_TOKEN
from testkit.fake_evolution import FakeEvolution
from testkit.stack import Stack, running
from webhooks.cli.simulate import simulate

API_KEY = "429683C4C977415CAAFCCE10F7D57E11"


@pytest.fixture
def served(redis_url: str) -> Iterator[tuple[Stack, FakeEvolution, str]]:
    """The service over real HTTP on 127.0.0.1 (simulate posts with requests), workers on."""
    with (
        FakeEvolution(api_key=API_KEY, instances={"seguros-vida": "open"}) as evolution,
        running(
            redis_url,
            evolution_api_url=evolution.url,
            evolution_api_key=API_KEY,
            evolution_instance="seguros-vida",
            evolution_webhook_token=WEBHOOK_TOKEN,
        ) as stack,
    ):
        server = make_server("127.0.0.1", 0, stack.app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        stack.start_workers()
        try:
            yield stack, evolution, f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join()


def test_simulate_posts_as_evolution_and_the_reply_goes_out(served, capsys):
    stack, evolution, url = served
    code = simulate(
        stack.services,
        phone="+34600000004",
        text="Hola",
        provider="evolution",
        channel="whatsapp",
        url=url,
        timeout=20,
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "sent via evolution" in err
    [reply] = evolution.texts_to("34600000004@s.whatsapp.net")
    assert "iAgente Vida" in reply and f"agente> {reply}" in out


def test_simulate_without_the_token_says_what_to_set(served, capsys):
    stack, _, url = served
    settings = stack.settings.model_copy(update={"evolution_webhook_token": None})
    services = replace(stack.services, settings=settings)
    code = simulate(
        services,
        phone="+34600000005",
        text="Hola",
        provider="evolution",
        channel="whatsapp",
        url=url,
        timeout=5,
    )
    assert code == 1 and "EVOLUTION_WEBHOOK_TOKEN is not set" in capsys.readouterr().err
