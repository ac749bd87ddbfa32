"""The operator console in a real headless Chromium (Selenium), on the whole running service.

Customers are seeded through the signed webhooks and the worker; the operator's message is
checked where it lands, in the body of the request the fake Graph API received.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testkit.console import (
    ADMIN,
    CUSTOMERS,
    chromium,
    missing_browser,
    seed,
    served,
    talk,
)
from testkit.stack import Stack, running
from webhooks.http.console import access

pytestmark = pytest.mark.skipif(bool(missing_browser()), reason=missing_browser() or "")

LEAD, PROPOSAL = "+34600111222", "+34600333444"


@pytest.fixture
def stack(redis_url: str) -> Iterator[Stack]:
    """The service with ADMIN_TOKEN set, against fake providers."""
    with running(redis_url, admin_token=ADMIN) as running_stack:
        yield running_stack


@pytest.fixture
def origin(stack: Stack) -> Iterator[str]:
    """The stack's app on a real HTTP server."""
    with served(stack.app) as url:
        yield url


@pytest.fixture
def browser() -> Iterator:
    """A headless Chromium."""
    with chromium() as driver:
        yield driver


def by_css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def all_css(driver, selector: str) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def navigating(driver, act) -> None:
    """Do `act` (a click, a key) and wait until the next page has replaced this one."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    page = by_css(driver, "html")
    act()
    WebDriverWait(driver, 20).until(expected_conditions.staleness_of(page))


def sign_in(driver, origin: str, token: str = ADMIN) -> None:
    """Type the token and press Enter, as an operator at a keyboard does."""
    from selenium.webdriver.common.keys import Keys

    driver.get(f"{origin}/console/login")
    field = by_css(driver, "#token")
    assert driver.switch_to.active_element == field  # the field has the focus on arrival
    navigating(driver, lambda: field.send_keys(token, Keys.ENTER))


def test_sign_in_then_the_funnel_of_the_seeded_conversations(
    stack: Stack, origin: str, browser
) -> None:
    seed(stack)
    browser.get(f"{origin}/console/actividad")
    assert "/console/login" in browser.current_url  # no session: the sign-in first
    sign_in(browser, origin)
    assert browser.current_url == f"{origin}/console/"
    browser.get(f"{origin}/console/actividad?dias=7")
    rows = {
        row.find_element("css selector", "th").text: [
            cell.text for cell in row.find_elements("css selector", "td")
        ]
        for row in all_css(browser, "#embudo tbody tr")
    }
    assert rows["Inicio"] == ["5", "—"]
    assert rows["Análisis de necesidades"] == ["4", "80,0 %"]
    assert rows["Propuesta"][0] == "2" and rows["Finalizado"] == ["1", "50,0 %"]
    assert by_css(browser, "#leads").text == "1"
    assert by_css(browser, "#activos-24h").text == "5"
    bars = all_css(browser, "svg.chart .stage rect")
    widths = [float(bar.get_attribute("width")) for bar in bars]
    assert len(widths) == 5 and widths == sorted(widths, reverse=True) and widths[-1] > 0


def test_open_a_conversation_and_send_an_operator_message(
    stack: Stack, origin: str, browser
) -> None:
    seed(stack)
    sign_in(browser, origin)
    browser.get(f"{origin}/console/conversaciones?etapa=PRESENTACION_PROPUESTA")
    links = all_css(browser, "#conversaciones tbody th a")
    assert [a.text for a in links] == [PROPOSAL]
    navigating(browser, links[0].click)
    assert "Soy Ana, 35 años, no fumo" in by_css(browser, "#transcripcion").text
    assert len(all_css(browser, "#cotizacion tbody tr")) >= 2
    before = len(stack.providers.sent)
    by_css(browser, "#texto").send_keys("Hola Ana, soy Marta, su asesora. ¿Le llamo hoy?")
    navigating(browser, by_css(browser, "form[action$='/mensaje'] button").click)
    assert "Mensaje enviado." in by_css(browser, ".flash.ok").text
    sent = stack.providers.sent[before:]
    assert [r["json"] for r in sent] == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": PROPOSAL[1:],
            "type": "text",
            "text": {
                "body": "Hola Ana, soy Marta, su asesora. ¿Le llamo hoy?",
                "preview_url": False,
            },
        }
    ]
    assert "Operador" in by_css(browser, "#transcripcion li:last-child .meta").text


def test_overview_copy_button_runs_under_the_csp(stack: Stack, origin: str, browser) -> None:
    sign_in(browser, origin)
    field = by_css(browser, "#url-1")
    assert field.get_attribute("value") == "https://bot.test/webhook/whatsapp"
    button = by_css(browser, "button[data-copy='url-1']")
    button.click()
    from selenium.webdriver.support.wait import WebDriverWait

    # The static script ran (the CSP let it, and nothing inline); the clipboard answers async,
    # and the label goes back after 2 s, so it is watched for rather than read once.
    copied = WebDriverWait(browser, 10, poll_frequency=0.1).until(
        lambda _: button.text == "Copiada"
    )
    assert copied
    errors = [e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert errors == []


def test_a_wrong_token_is_refused(stack: Stack, origin: str, browser) -> None:
    sign_in(browser, origin, "not-the-token")
    assert "Token incorrecto" in by_css(browser, ".flash.error").text
    browser.get(f"{origin}/console/")
    assert "/console/login" in browser.current_url


def test_a_post_without_the_csrf_token_is_refused(stack: Stack, origin: str, browser) -> None:
    talk(stack, LEAD, ["Hola"])
    sign_in(browser, origin)
    browser.get(f"{origin}/console/conversaciones/{LEAD}")
    before = len(stack.providers.sent)
    # WebDriver's own script is not page script: the CSP does not apply to it.
    browser.execute_script(
        "document.querySelector(\"form[action$='/mensaje'] input[name=csrf_token]\").remove()"
    )
    by_css(browser, "#texto").send_keys("Sin token")
    navigating(browser, by_css(browser, "form[action$='/mensaje'] button").click)
    assert by_css(browser, "h1").text == "Error 400"
    assert "token CSRF" in by_css(browser, "main").text
    assert len(stack.providers.sent) == before


def test_failed_sign_ins_are_throttled(stack: Stack, origin: str, browser) -> None:
    for _ in range(access.MAX_FAILURES):
        sign_in(browser, origin, "guess")
    sign_in(browser, origin)
    assert "Demasiados intentos" in by_css(browser, ".flash.error").text
    browser.get(f"{origin}/console/")
    assert "/console/login" in browser.current_url


def test_every_page_fits_a_phone_screen(stack: Stack, origin: str) -> None:
    seed(stack)
    with chromium(390, 844) as phone:  # an iPhone 12-14's CSS pixels
        sign_in(phone, origin)
        for path in (
            "/console/",
            "/console/actividad",
            "/console/conversaciones",
            f"/console/conversaciones/{LEAD}",
        ):
            phone.get(f"{origin}{path}")
            overflow = phone.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, path
            for control in all_css(
                phone, "main input:not([type=hidden]), main select, main textarea"
            ):
                name = control.get_attribute("id")
                assert name and all_css(phone, f"label[for='{name}']"), (path, name)


def test_the_seed_reaches_every_stage(stack: Stack) -> None:
    seed(stack)
    stages = {phone: stack.service.state(phone)["stage"] for phone in CUSTOMERS}
    assert stages[LEAD] == "FINALIZADO" and stack.service.state(LEAD)["lead"]
    assert stages[PROPOSAL] == "PRESENTACION_PROPUESTA"
    assert stages["+34600555666"] == "NEEDS_ANALYSIS"
