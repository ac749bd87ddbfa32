"""The console through Flask's test client: access, CSRF, cookies, headers, pages and actions.

Real Redis, the rules brain and local fake providers; customers reach the console the way they
reach the service, through the signed webhook and the worker. The browser tests are in
tests/system/test_console_browser.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from integrations.redis.server import free_port
from integrations.redis.stats import DayCount, StatsStore
from testkit.console import ADMIN, SALE, csrf_of, talk, work
from testkit.settings import settings_for
from testkit.signed import meta_change, meta_headers
from testkit.stack import SECRET, Stack, running
from webhooks.app import create_app
from webhooks.cli.banner import banner
from webhooks.http.console import access
from webhooks.services import build_services

PHONE, OTHER = "+34600111222", "+34600333444"
TO_QUOTE = SALE


@pytest.fixture
def stack(redis_url: str) -> Iterator[Stack]:
    """The service with ADMIN_TOKEN set, against fake providers (no worker threads)."""
    with running(redis_url, admin_token=ADMIN) as running_stack:
        yield running_stack


def sign_in(client: FlaskClient, token: str = ADMIN) -> TestResponse:
    """Open the sign-in page and post `token` with the page's CSRF token."""
    form = client.get("/console/login")
    return client.post("/console/login", data={"token": token, "csrf_token": csrf_of(form)})


# --- access ------------------------------------------------------------------------------------


def test_without_a_session_every_page_sends_to_the_sign_in(stack: Stack) -> None:
    for path in ("/console/", "/console/actividad", "/console/conversaciones"):
        answer = stack.client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/console/login?next=")


def test_a_post_without_a_session_changes_nothing(stack: Stack) -> None:
    talk(stack, PHONE, ["Hola"])
    form = stack.client.get("/console/login")
    answer = stack.client.post(
        f"/console/conversaciones/{PHONE}/reiniciar",
        data={"confirmar": "si", "csrf_token": csrf_of(form)},
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/console/login"
    assert stack.service.exists(PHONE)


def test_the_right_token_opens_a_session_with_a_strict_httponly_cookie(stack: Stack) -> None:
    answer = sign_in(stack.client)
    assert answer.status_code == 303 and answer.headers["Location"] == "/console/"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{access.COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http here: a Secure cookie would never come back
    assert stack.client.get("/console/").status_code == 200


def test_the_cookie_is_secure_over_https(stack: Stack) -> None:
    form = stack.client.get("/console/login", base_url="https://bot.test")
    answer = stack.client.post(
        "/console/login",
        data={"token": ADMIN, "csrf_token": csrf_of(form)},
        base_url="https://bot.test",
        headers={"Referer": "https://bot.test/console/login"},
    )
    assert answer.status_code == 303
    assert "; Secure" in answer.headers["Set-Cookie"]


def test_a_wrong_token_is_refused_and_opens_nothing(stack: Stack) -> None:
    answer = sign_in(stack.client, "not-the-token")
    assert answer.status_code == 401
    assert "Token incorrecto" in answer.get_data(as_text=True)
    assert stack.client.get("/console/").status_code == 302


def test_failed_sign_ins_are_throttled_per_address_even_for_the_right_token(stack: Stack) -> None:
    for _ in range(access.MAX_FAILURES):
        assert sign_in(stack.client, "guess").status_code == 401
    answer = sign_in(stack.client)
    assert answer.status_code == 429
    assert 0 < int(answer.headers["Retry-After"]) <= access.FAILURE_WINDOW
    assert stack.client.get("/console/").status_code == 302
    # Another address is not held back by this one's failures.
    other = stack.app.test_client()
    form = other.get("/console/login")
    answer = other.post(
        "/console/login",
        data={"token": ADMIN, "csrf_token": csrf_of(form)},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert answer.status_code == 303


def test_a_post_without_the_csrf_token_is_refused(stack: Stack) -> None:
    assert stack.client.post("/console/login", data={"token": ADMIN}).status_code == 400
    sign_in(stack.client)
    talk(stack, PHONE, ["Hola"])
    answer = stack.client.post(
        f"/console/conversaciones/{PHONE}/mensaje", data={"texto": "Hola, soy Marta"}
    )
    assert answer.status_code == 400
    assert "token CSRF" in answer.get_data(as_text=True)
    answer = stack.client.post(
        f"/console/conversaciones/{PHONE}/mensaje",
        data={"texto": "Hola, soy Marta", "csrf_token": "forged"},
    )
    assert answer.status_code == 400
    assert "Hola, soy Marta" not in stack.providers.texts_to(PHONE)


def test_signing_out_ends_the_session_even_for_a_copied_cookie(stack: Stack) -> None:
    sign_in(stack.client)
    page = stack.client.get("/console/")
    cookie = stack.client.get_cookie(access.COOKIE, path="/console")
    assert cookie is not None
    answer = stack.client.post("/console/logout", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 303
    assert stack.client.get("/console/").status_code == 302
    thief = stack.app.test_client()
    thief.set_cookie(access.COOKIE, cookie.value, path="/console")
    assert thief.get("/console/").status_code == 302


def test_pages_carry_the_security_headers(stack: Stack) -> None:
    for answer in (
        stack.client.get("/console/login"),
        stack.client.get("/console/static/console.css"),
    ):
        csp = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        answer.close()  # the static file's handle


def test_no_page_has_inline_script_or_style(stack: Stack) -> None:
    talk(stack, PHONE, TO_QUOTE)
    sign_in(stack.client)
    for path in (
        "/console/login",
        "/console/",
        "/console/actividad",
        "/console/conversaciones",
        f"/console/conversaciones/{PHONE}",
    ):
        html = stack.client.get(path).get_data(as_text=True)
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [], path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path


def test_the_console_is_off_without_an_admin_token(redis_url: str) -> None:
    with running(redis_url) as stack:
        answer = stack.client.get("/console/")
        assert answer.status_code == 404
        assert "ADMIN_TOKEN" in answer.get_data(as_text=True)
        assert stack.client.get("/console/login").status_code == 404
        assert stack.client.post("/console/login", data={"token": ""}).status_code == 404


def test_the_next_page_after_signing_in_stays_inside_the_console(stack: Stack) -> None:
    form = stack.client.get("/console/login?next=/console/actividad")
    answer = stack.client.post(
        "/console/login",
        data={"token": ADMIN, "csrf_token": csrf_of(form), "next": "https://evil.test/"},
    )
    assert answer.headers["Location"] == "/console/"


# --- pages ---------------------------------------------------------------------------------------


def test_the_overview_shows_components_queue_and_the_webhook_urls(stack: Stack) -> None:
    sign_in(stack.client)
    html = stack.client.get("/console/").get_data(as_text=True)
    for url in ("whatsapp", "twilio", "twilio/status", "chatwoot", "evolution"):
        assert f'value="https://bot.test/webhook/{url}"' in html
    assert 'id="componente-meta"' in html and 'id="componente-redis"' in html
    assert re.search(r'id="cola-pendientes">0<', html)


def test_testing_connections_runs_the_checks_of_iagente_check(stack: Stack) -> None:
    sign_in(stack.client)
    page = stack.client.get("/console/")
    html = stack.client.post("/console/checks", data={"csrf_token": csrf_of(page)}).get_data(
        as_text=True
    )
    table = html[html.index('id="comprobaciones"') :]
    # Redis answers PING; the fake Graph API has no phone-number endpoint, so Meta fails.
    assert re.search(r"redis</th>\s*<td><span class=\"badge ok\">", table)
    assert re.search(r"meta</th>\s*<td><span class=\"badge bad\">", table)


def test_the_activity_page_shows_the_funnel_of_the_conversations(stack: Stack) -> None:
    talk(stack, PHONE, TO_QUOTE)
    talk(stack, OTHER, ["Hola"])
    sign_in(stack.client)
    html = stack.client.get("/console/actividad?dias=7").get_data(as_text=True)
    funnel = html[html.index('id="embudo"') :]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>([^<]+)</td>', funnel)
    reached = {name: int(count) for name, count, _ in rows}
    assert reached["Inicio"] == 2 and reached["Propuesta"] == 1 and reached["Finalizado"] == 0
    assert ("Análisis de necesidades", "1", "50,0 %") in rows
    assert re.search(r'id="activos-24h">2<', html)


def test_the_activity_export_is_a_spreadsheet_of_the_period(stack: Stack) -> None:
    talk(stack, PHONE, ["Hola"])
    sign_in(stack.client)
    answer = stack.client.get("/console/actividad.csv?dias=7")
    assert answer.mimetype == "text/csv"
    lines = answer.get_data(as_text=True).splitlines()
    assert lines[0] == "metric,value"
    assert "messages_in,1" in lines and "funnel.INICIO.reached,1" in lines and "leads,0" in lines
    assert sum(line.startswith("day.") for line in lines) == 2 * 7


def test_a_bad_period_is_a_clear_400(stack: Stack) -> None:
    sign_in(stack.client)
    for query in ("desde=ayer", "desde=2999-01-01", "dias=0", "dias=9999999999999"):
        answer = stack.client.get(f"/console/actividad?{query}")
        assert answer.status_code == 400, query


def test_the_list_filters_by_stage_handover_lead_and_phone(stack: Stack) -> None:
    talk(stack, PHONE, TO_QUOTE)
    talk(stack, OTHER, ["Hola"])
    sign_in(stack.client)

    def phones(query: str) -> set[str]:
        html = stack.client.get(f"/console/conversaciones?{query}").get_data(as_text=True)
        return set(re.findall(r'<th scope="row"><a href="[^"]+">(\+\d+)</a>', html))

    assert phones("") == {PHONE, OTHER}
    assert phones("etapa=PRESENTACION_PROPUESTA") == {PHONE}
    assert phones("telefono=333") == {OTHER}
    assert phones("traspaso=si") == set()
    assert phones("lead=no") == {PHONE, OTHER}
    assert phones("lead=si") == set()
    assert stack.client.get("/console/conversaciones?etapa=NADA").status_code == 400


def test_the_detail_shows_transcript_profile_quote_consent_and_needs(stack: Stack) -> None:
    talk(stack, PHONE, TO_QUOTE)
    sign_in(stack.client)
    html = stack.client.get(f"/console/conversaciones/{PHONE}").get_data(as_text=True)
    assert "Soy Ana, 35 años, no fumo" in html
    profile = html[html.index('id="perfil"') :]
    assert re.search(r"<dt>Edad</dt><dd>35</dd>", profile)
    assert re.search(r"<dt>Fumador</dt><dd>no</dd>", profile)
    quote = html[html.index('id="cotizacion"') :]
    assert len(re.findall(r"<tr >|<tr class=", quote[: quote.index("</table>")])) >= 2
    assert "Dado el" in html[html.index('id="consentimiento"') :]
    assert 'id="necesidades"' in html
    assert stack.client.get("/console/conversaciones/+34699999999").status_code == 404


def test_an_operator_message_reaches_the_customer(stack: Stack) -> None:
    talk(stack, PHONE, ["Hola"])
    sign_in(stack.client)
    page = stack.client.get(f"/console/conversaciones/{PHONE}")
    answer = stack.client.post(
        f"/console/conversaciones/{PHONE}/mensaje",
        data={"texto": "Le llamo mañana", "csrf_token": csrf_of(page)},
        follow_redirects=True,
    )
    assert "Mensaje enviado." in answer.get_data(as_text=True)
    sent = stack.providers.sent[-1]["json"]
    assert sent["to"] == PHONE[1:] and sent["text"]["body"] == "Le llamo mañana"
    assert "Operador" in answer.get_data(as_text=True)


def test_an_empty_or_overlong_message_is_a_400_and_sends_nothing(stack: Stack) -> None:
    talk(stack, PHONE, ["Hola"])
    sign_in(stack.client)
    token = csrf_of(stack.client.get(f"/console/conversaciones/{PHONE}"))
    before = len(stack.providers.sent)
    for text in ("   ", "x" * 5000):
        answer = stack.client.post(
            f"/console/conversaciones/{PHONE}/mensaje", data={"texto": text, "csrf_token": token}
        )
        assert answer.status_code == 400
    assert len(stack.providers.sent) == before


def test_close_and_reset_with_its_confirmation(stack: Stack) -> None:
    talk(stack, PHONE, ["Hola"])
    sign_in(stack.client)
    token = csrf_of(stack.client.get(f"/console/conversaciones/{PHONE}"))
    path = f"/console/conversaciones/{PHONE}"
    answer = stack.client.post(f"{path}/cerrar", data={"csrf_token": token})
    assert answer.status_code == 303
    assert stack.service.state(PHONE)["stage"] == "FINALIZADO"
    answer = stack.client.post(f"{path}/reiniciar", data={"csrf_token": token})
    assert answer.status_code == 303 and stack.service.exists(PHONE)  # not confirmed
    answer = stack.client.post(f"{path}/reiniciar", data={"csrf_token": token, "confirmar": "si"})
    assert answer.status_code == 303 and not stack.service.exists(PHONE)


def test_stats_count_leads_and_messages_per_day(redis_client) -> None:
    now = [1_780_000_000.0]
    stats = StatsStore(redis_client, ["INICIO", "FINALIZADO"], clock=lambda: now[0])
    stats.record_turn(
        "+34600000001", inbound=2, outbound=1, started=True, stage="INICIO", arrived=None
    )
    stats.record_turn(
        "+34600000001",
        inbound=1,
        outbound=1,
        started=False,
        stage="FINALIZADO",
        arrived=None,
        lead=True,
    )
    now[0] += 86400
    stats.record_turn(
        "+34600000001",
        inbound=1,
        outbound=0,
        started=False,
        stage="FINALIZADO",
        arrived=None,
        lead=True,
    )
    report = stats.report(datetime.fromtimestamp(now[0] - 86400, UTC).date())
    assert report.leads == 1
    first = datetime.fromtimestamp(now[0] - 86400, UTC).date()
    assert report.days[0] == DayCount(first, 3, 2)
    assert report.days[1].messages_in == 1 and report.days[1].messages_out == 0


def _meta_post(stack: Stack, value: dict) -> None:
    """POST one signed Cloud API `messages` change carrying `value` (statuses or messages)."""
    body = meta_change(value)
    answer = stack.client.post("/webhook/whatsapp", data=body, headers=meta_headers(body, SECRET))
    assert answer.status_code == 200


def test_the_transcript_shows_delivery_statuses_and_media(stack: Stack) -> None:
    talk(stack, PHONE, ["Hola"])
    wamid = stack.service.store.transcript(PHONE)[1]["ids"][0]
    _meta_post(
        stack,
        {
            "statuses": [
                {
                    "id": wamid,
                    "status": "read",
                    "timestamp": "1700000000",
                    "recipient_id": PHONE[1:],
                }
            ]
        },
    )
    stack.providers.media["photo-1"] = (b"\xff\xd8\xff\xe0 a jpeg", "image/jpeg")
    _meta_post(
        stack,
        {
            "contacts": [{"profile": {"name": "Ana"}, "wa_id": PHONE[1:]}],
            "messages": [
                {
                    "from": PHONE[1:],
                    "id": "wamid.photo",
                    "timestamp": "1700000100",
                    "type": "image",
                    "image": {"id": "photo-1", "mime_type": "image/jpeg", "caption": "mi DNI"},
                }
            ],
        },
    )
    work(stack)
    sign_in(stack.client)
    html = stack.client.get(f"/console/conversaciones/{PHONE}").get_data(as_text=True)
    transcript = html[html.index('id="transcripcion"') : html.index("</ol>")]
    assert '<span class="delivery read">leído</span>' in transcript
    assert re.search(r'<span class="badge">image</span>.*?<p>mi DNI</p>', transcript, re.S)


def test_a_mirrored_conversation_links_to_chatwoot_and_the_outbox_shows(redis_url: str) -> None:
    chatwoot = {
        "chatwoot_base_url": "https://chatwoot.example.com/",
        "chatwoot_account_id": 3,
        "chatwoot_user_token": "chatwoot-token",
        "chatwoot_inbox_id": 7,
        "chatwoot_webhook_secret": "chatwoot-secret",
    }
    with running(redis_url, admin_token=ADMIN, **chatwoot) as stack:
        talk(stack, PHONE, ["Hola"])
        assert stack.services.chatwoot is not None
        stack.services.chatwoot.links.save(PHONE, conversation_id=42)
        sign_in(stack.client)
        html = stack.client.get(f"/console/conversaciones/{PHONE}").get_data(as_text=True)
        assert 'href="https://chatwoot.example.com/app/accounts/3/conversations/42"' in html
        overview = stack.client.get("/console/").get_data(as_text=True)
        outbox = overview[overview.index("Salida hacia Chatwoot") :]
        pending = re.search(r"<dt>Operaciones pendientes</dt><dd>(\d+)</dd>", outbox)
        assert pending and int(pending.group(1)) > 0  # nothing drained it: no mirror running


def test_without_redis_the_console_says_so_with_a_503() -> None:
    services = build_services(settings_for(f"redis://127.0.0.1:{free_port()}/0", admin_token=ADMIN))
    client = create_app(services=services).test_client()
    assert client.get("/console/login").status_code == 200  # the form needs no Redis
    with client.session_transaction() as session:
        session["sid"] = "a session id Redis would have to confirm"
    answer = client.get("/console/")
    assert answer.status_code == 503
    assert "Redis no responde" in answer.get_data(as_text=True)
    services.redis.close()


def test_the_banner_says_where_the_console_is(redis_url: str) -> None:
    on = banner(settings_for(redis_url, admin_token=ADMIN), redis_url=redis_url, embedded=False)
    assert "console   http://127.0.0.1:5000/console/ (sign in with ADMIN_TOKEN)" in on
    assert ADMIN not in on
    off = banner(settings_for(redis_url), redis_url=redis_url, embedded=False)
    assert "console   off (set ADMIN_TOKEN)" in off
