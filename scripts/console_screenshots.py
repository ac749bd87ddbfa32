"""Screenshots of every console page into docs/console/ (the README shows them).

    .venv/bin/python -m scripts.console_screenshots

The whole service runs here as the tests run it: a throwaway redis-server, fake providers, the
seeded customers of testkit/console.py, and Debian's headless Chromium.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from integrations.redis.server import RedisProcess
from testkit.console import ADMIN, chromium, missing_browser, seed, served
from testkit.stack import running

ROOT = Path(__file__).resolve().parents[1]

OUT = ROOT / "docs" / "console"
LEAD = "+34600111222"


def _shoot(driver, url: str, name: str) -> None:
    """Load `url` and save the whole page as docs/console/<name>.png."""
    width = driver.execute_script("return window.innerWidth")
    mobile = width < 500

    def screen(height: int) -> None:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)

    screen(480)  # short first, so the page's own height is measured
    driver.get(url)
    screen(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.save_screenshot(str(OUT / f"{name}.png"))
    print(f"docs/console/{name}.png")


def main() -> int:
    """Run the service, seed it, and photograph each page (desktop, and one on a phone)."""
    if why := missing_browser():
        print(why, file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as data,
        RedisProcess(Path(data)) as redis,
        running(redis.url, admin_token=ADMIN) as stack,
        served(stack.app) as origin,
    ):
        seed(stack)
        for width, suffix in ((1280, ""), (390, "-movil")):
            with chromium(width, 844) as driver:
                _shoot(driver, f"{origin}/console/login", f"login{suffix}")
                driver.find_element("css selector", "#token").send_keys(ADMIN)
                driver.find_element("css selector", "form button").click()
                _shoot(driver, f"{origin}/console/", f"resumen{suffix}")
                _shoot(driver, f"{origin}/console/actividad?dias=7", f"actividad{suffix}")
                _shoot(driver, f"{origin}/console/conversaciones", f"conversaciones{suffix}")
                _shoot(driver, f"{origin}/console/conversaciones/{LEAD}", f"conversacion{suffix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
