"""The example apps in a real browser: headless Chromium signs in, adds a
book, sees it listed and sees the report come from the cache on reload.

Screenshots of every app are kept in ``artifacts/screenshots``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from example_apps import common

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("CI must install chromium and chromium-driver (.ci/run)")
    pytest.skip("needs Debian's chromium and chromium-driver", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def apps():
    env = {k: v for k, v in os.environ.items() if k != "AEROSPIKE_HOSTS"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "example_apps", "--ports", "0,0,0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    urls = {}
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    while len(urls) < 3 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        name, _, url = line.strip().partition(" ")
        if name in ("django", "flask", "fastapi"):
            urls[name] = url.strip()
    try:
        assert len(urls) == 3, f"the apps did not start: {urls}"
        yield urls
    finally:
        process.terminate()
        process.wait(30)
        process.stdout.close()


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1100,900",
    ):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for(driver, condition, what):
    WebDriverWait(driver, 20).until(lambda d: condition(d), message=what)


def _titles(driver):
    return [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "td.title")]


def _shot(driver, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


@pytest.mark.parametrize("name", ["django", "flask", "fastapi"])
def test_sign_in_add_a_book_and_see_a_cache_hit(apps, browser, name):
    base = apps[name]
    browser.delete_all_cookies()
    browser.get(base + "/books")
    assert browser.current_url.endswith("/login")
    browser.find_element(By.NAME, "username").send_keys(common.DEMO_USER)
    browser.find_element(By.NAME, "password").send_keys(common.DEMO_PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    _wait_for(browser, lambda d: d.current_url.endswith("/books"), "the book list")
    _shot(browser, f"{name}-1-signed-in")

    title = f"Browser book {name} {int(time.time())}"
    browser.find_element(By.NAME, "title").send_keys(title)
    browser.find_element(By.NAME, "author").send_keys("Grace Hopper")
    browser.find_element(By.NAME, "year").send_keys("1952")
    browser.find_element(By.ID, "add-book").click()
    _wait_for(browser, lambda d: title in _titles(d), f"{title!r} in the list")
    _shot(browser, f"{name}-2-book-listed")

    browser.get(base + "/report")
    first = browser.find_element(By.ID, "cache-state").text
    browser.refresh()
    assert browser.find_element(By.ID, "cache-state").text == "hit"
    ttl = int(browser.find_element(By.ID, "cache-ttl").text)
    assert 0 < ttl <= common.REPORT_TTL
    assert first in ("miss", "hit")
    _shot(browser, f"{name}-3-report-cache-hit")

    browser.get(base + "/status")
    assert "4096" in browser.find_element(By.ID, "nodes").text
    _shot(browser, f"{name}-4-cluster")
