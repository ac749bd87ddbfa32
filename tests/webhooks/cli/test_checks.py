"""`iagente check`: each configured outside service is tried for real and reported plainly."""

import responses

from webhooks.cli.checks import run_checks
from webhooks.settings import Settings


def settings(redis_url, **extra):
    return Settings(
        _env_file=None,
        redis_url=redis_url,
        agent_brain="rules",
        whatsapp_token="meta-token",
        whatsapp_phone_number_id="1122",
        whatsapp_api_url="https://graph.test/v23.0",
        twilio_account_sid="AC1",
        twilio_auth_token="twilio-token",
        twilio_api_url="https://twilio.test",
        chatwoot_base_url="https://chatwoot.test",
        chatwoot_account_id=1,
        chatwoot_user_token="cw-token",
        chatwoot_inbox_id=7,
        **extra,
    )


@responses.activate
def test_every_configured_service_is_tried(redis_url, capsys):
    responses.get(
        "https://graph.test/v23.0/1122",
        json={"display_phone_number": "+34 910 000 000"},
        match=[responses.matchers.header_matcher({"Authorization": "Bearer meta-token"})],
    )
    responses.get("https://twilio.test/2010-04-01/Accounts/AC1.json", json={"status": "active"})
    responses.get(
        "https://chatwoot.test/api/v1/accounts/1/inboxes/7",
        json={"name": "WhatsApp"},
        match=[responses.matchers.header_matcher({"api_access_token": "cw-token"})],
    )
    assert run_checks(settings(redis_url)) == 0
    out = capsys.readouterr().out
    assert "✓ redis" in out and "✓ meta      phone number +34 910 000 000" in out
    assert "✓ twilio    account active" in out and "✓ chatwoot  inbox WhatsApp" in out
    assert "meta-token" not in out and "twilio-token" not in out


@responses.activate
def test_a_failing_service_is_named_and_the_exit_code_says_so(redis_url, capsys):
    responses.get("https://graph.test/v23.0/1122", status=401, json={"error": {"code": 190}})
    responses.get("https://twilio.test/2010-04-01/Accounts/AC1.json", json={"status": "active"})
    responses.get("https://chatwoot.test/api/v1/accounts/1/inboxes/7", json={"name": "x"})
    assert run_checks(settings(redis_url)) == 1
    out = capsys.readouterr().out
    assert "✗ meta" in out and "401" in out and "✓ twilio" in out
