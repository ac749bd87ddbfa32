"""`iagente whatsapp-web link` and `iagente check` against a fake Evolution API server."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.fake_evolution import FakeEvolution
from testkit.settings import settings_for
from webhooks.cli.checks import run_checks
from webhooks.cli.whatsapp_web import link
from webhooks.settings import Settings

API_KEY = "429683C4C977415CAAFCCE10F7D57E11"
TOKEN = "evolution-webhook-token-for-tests-0123456789"
PUBLIC = "https://agent.example.com"
EXPECTED_WEBHOOK = {
    "enabled": True,
    "url": f"{PUBLIC}/webhook/evolution",
    "headers": {"jwt_key": TOKEN},
    "byEvents": False,
    "base64": False,
    "events": ["QRCODE_UPDATED", "CONNECTION_UPDATE", "MESSAGES_UPSERT", "MESSAGES_UPDATE"],
}


@pytest.fixture
def evolution() -> Iterator[FakeEvolution]:
    with FakeEvolution(api_key=API_KEY) as fake:
        yield fake


def settings(fake: FakeEvolution, tmp_path: Path, **extra: object) -> Settings:
    values = {
        "evolution_api_url": fake.url,
        "evolution_api_key": API_KEY,
        "evolution_instance": "seguros-vida",
        "evolution_webhook_token": TOKEN,
        "public_base_url": PUBLIC,
        "var_dir": tmp_path,
    }
    return settings_for(None, **(values | extra))


def run(fake: FakeEvolution, tmp_path: Path, **extra: object) -> tuple[int, str]:
    out = io.StringIO()
    waits: list[float] = []
    code = link(settings(fake, tmp_path, **extra), out=out, sleep=waits.append)
    return code, out.getvalue()


def test_a_new_instance_is_created_with_our_webhook_and_its_qr_code_shown(
    evolution: FakeEvolution, tmp_path: Path
):
    code, printed = run(evolution, tmp_path)
    assert code == 0 and "WhatsApp linked" in printed
    [create] = evolution.calls("instance/create")
    assert create["status"] == 201 and create["apikey"] == API_KEY
    assert create["json"] == {
        "instanceName": "seguros-vida",
        "integration": "WHATSAPP-BAILEYS",
        "qrcode": True,
        "groupsIgnore": True,
        "webhook": EXPECTED_WEBHOOK,
    }
    # Two QR codes were offered, as Evolution refreshes them; the same code is drawn once.
    assert printed.count("Scan with WhatsApp") == 1
    assert "█" in printed or "▀" in printed or "▄" in printed
    png = tmp_path / "whatsapp-qr.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Evolution API" in printed  # the notice its licence asks for
    assert evolution.state["seguros-vida"] == "open"
    assert all(r["status"] in (200, 201, 404) for r in evolution.requests)


def test_an_existing_instance_gets_our_webhook(evolution: FakeEvolution, tmp_path: Path):
    evolution.state["seguros-vida"] = "close"
    code, printed = run(evolution, tmp_path)
    assert code == 0
    [webhook] = evolution.calls("webhook/set")
    assert webhook["status"] == 201 and webhook["json"] == {"webhook": EXPECTED_WEBHOOK}
    assert evolution.webhooks["seguros-vida"] == EXPECTED_WEBHOOK
    assert evolution.calls("instance/create") == []
    assert "Scan with WhatsApp" in printed


def test_a_linked_instance_needs_no_code(evolution: FakeEvolution, tmp_path: Path):
    evolution.state["seguros-vida"] = "open"
    code, printed = run(evolution, tmp_path)
    assert code == 0 and "Scan" not in printed and evolution.calls("instance/connect") == []


def test_settings_missing(evolution: FakeEvolution, tmp_path: Path):
    code, printed = run(evolution, tmp_path, public_base_url=None)
    assert code == 2 and "PUBLIC_BASE_URL" in printed and evolution.requests == []


def test_a_wrong_key_is_reported(evolution: FakeEvolution, tmp_path: Path):
    evolution.state["seguros-vida"] = "close"
    code, printed = run(evolution, tmp_path, evolution_api_key="wrong")
    assert code == 1 and "401" in printed and "wrong" not in printed


def test_check_reports_the_link(
    evolution: FakeEvolution, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    evolution.state["seguros-vida"] = "open"
    assert run_checks(settings(evolution, tmp_path)) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "evolution" in x)
    assert line.startswith("✓") and "linked" in line and "Evolution API" in line
    evolution.state["seguros-vida"] = "close"
    assert run_checks(settings(evolution, tmp_path)) == 1
    line = next(x for x in capsys.readouterr().out.splitlines() if "evolution" in x)
    assert line.startswith("✗") and "whatsapp-web link" in line
