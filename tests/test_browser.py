"""The report pages in a real browser (headless Chromium): the verdict, the failing requirement, its message and
its exchange are on the first screen after one click, with no console error; the same for the matrix.

Needs Debian's ``chromium`` and ``chromium-driver`` packages and the ``selenium`` package (tox -e browser);
skipped otherwise. OAIC_UPDATE_SCREENSHOTS=1 also writes the README's screenshots (docs/img/).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.reference_fixtures import reference_server, run_against_reference

ROOT = Path(__file__).resolve().parent.parent
SCREEN = (1280, 800)
FAULT, FAILING, ONLY = "stream-invalid-json", "chat.stream.data-json", ("chat.stream.*",)
UPDATE_SCREENSHOTS = bool(os.environ.get("OAIC_UPDATE_SCREENSHOTS"))


def _binary(*names: str) -> str | None:
    return next((path for name in names if (path := shutil.which(name))), None)


CHROMIUM = _binary("chromium", "chromium-browser", "google-chrome")
CHROMEDRIVER = _binary("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (tox -e browser)")
if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip("no chromium and chromedriver binaries (Debian: apt-get install chromium chromium-driver)",
                allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                 f"--window-size={SCREEN[0]},{SCREEN[1]}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """A run against the reference provider with one stream fault, and a clean run of the same selection."""
    folder = tmp_path_factory.mktemp("browser")
    with reference_server() as server:
        run_against_reference(server, str(folder / "faulty"), [FAULT], ONLY)
        run_against_reference(server, str(folder / "clean"), [], ONLY)
    return folder


def _open(driver, page: Path, screen: tuple[int, int] = SCREEN, mobile: bool = False) -> None:
    # The viewport itself is 1280x800 (a window of that size has a smaller viewport).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": screen[0], "height": screen[1], "deviceScaleFactor": 1, "mobile": mobile})
    driver.get(page.as_uri())
    driver.get_log("browser")  # start from an empty console


def _on_first_screen(driver, element) -> bool:
    top, bottom = driver.execute_script(
        "var r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom];", element)
    viewport = driver.execute_script("return window.innerHeight")
    return element.is_displayed() and -2 <= top < viewport and bottom > 0


def _console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def _screenshot(driver, name: str, folder: Path) -> None:
    driver.save_screenshot(str(folder / name))
    if UPDATE_SCREENSHOTS:
        target = ROOT / "docs" / "img" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / name, target)


def test_report_shows_the_failure_and_its_exchange_after_one_click(browser, reports):
    _open(browser, reports / "faulty" / "report.html")
    verdict = browser.find_element(By.ID, "verdict")
    assert "NOT CONFORMANT" in verdict.text and _on_first_screen(browser, verdict)
    card = browser.find_element(By.ID, f"req-{FAILING}")
    assert _on_first_screen(browser, card) and card.get_attribute("open") is not None
    message = card.find_element(By.CSS_SELECTOR, ".finding .message")
    assert "is not JSON" in message.text and _on_first_screen(browser, message)
    button = card.find_element(By.CSS_SELECTOR, "button.show-ex")
    assert _on_first_screen(browser, button)
    button.click()  # the one click
    exchange = card.find_element(By.CSS_SELECTOR, ".exchange")
    assert exchange.is_displayed() and _on_first_screen(browser, exchange)
    assert "POST /chat/completions" in exchange.text and "HTTP 200" in exchange.text
    highlighted = exchange.find_elements(By.CSS_SELECTOR, ".events tr.hl")
    assert len(highlighted) == 1 and "data:" in highlighted[0].text
    others = exchange.find_elements(By.CSS_SELECTOR, "button.sib")
    if len(others) > 1:  # the other requests of the test are one click away too
        others[-1 if "current" in others[0].get_attribute("class") else 0].click()
        assert "HTTP" in card.find_element(By.CSS_SELECTOR, ".exchange").text
    assert _console_errors(browser) == []
    _screenshot(browser, "report.png", reports)
    if UPDATE_SCREENSHOTS:  # and the exchange viewer itself, scrolled into view
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", exchange)
        _screenshot(browser, "report-exchange.png", reports)


def test_report_filters_and_anchors_work(browser, reports):
    _open(browser, reports / "faulty" / "report.html")
    browser.find_element(By.ID, "q").send_keys(FAILING)
    visible = [c for c in browser.find_elements(By.CSS_SELECTOR, "details.req") if c.is_displayed()]
    assert [c.get_attribute("id") for c in visible] == [f"req-{FAILING}"]
    browser.get((reports / "faulty" / "report.html").as_uri() + "#req-chat.stream.done-sentinel")
    anchored = browser.find_element(By.ID, "req-chat.stream.done-sentinel")
    assert anchored.get_attribute("open") is not None and _on_first_screen(browser, anchored)
    assert _console_errors(browser) == []


def test_report_fits_a_phone(browser, reports):
    _open(browser, reports / "faulty" / "report.html", (390, 844), mobile=True)
    assert "NOT CONFORMANT" in browser.find_element(By.ID, "verdict").text
    card = browser.find_element(By.ID, f"req-{FAILING}")
    card.find_element(By.CSS_SELECTOR, "button.show-ex").click()
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a phone screen"
    assert _console_errors(browser) == []
    _screenshot(browser, "report-phone.png", reports)


def test_matrix_shows_the_failing_requirement_per_target(browser, reports):
    from oaic.cli import main

    matrix = reports / "matrix.html"
    faulty, clean = (str(reports / name / "results.json") for name in ("faulty", "clean"))
    assert main(["report", "--matrix", faulty, clean, "-o", str(matrix)]) == 0
    _open(browser, matrix)
    row = browser.find_element(By.ID, f"req-{FAILING}")
    cells = row.find_elements(By.CSS_SELECTOR, "td.cell")
    assert [c.text for c in cells] == ["fail", "pass"] and _on_first_screen(browser, row)
    heads = browser.find_elements(By.CSS_SELECTOR, "th.target")
    assert "NOT CONFORMANT" in heads[0].text and "CONFORMANT" in heads[1].text
    browser.find_element(By.ID, "failing").click()  # only failing somewhere
    shown = [r.get_attribute("id") for r in browser.find_elements(By.CSS_SELECTOR, "tr.req") if r.is_displayed()]
    assert f"req-{FAILING}" in shown and all(r.startswith("req-chat.stream") for r in shown)
    assert _console_errors(browser) == []
    if UPDATE_SCREENSHOTS:  # the README shows the matrix of the bundled recordings
        _open(browser, ROOT / "examples" / "matrix.html")
        assert _console_errors(browser) == []
        _screenshot(browser, "matrix.png", reports)
