"""Open the rendered HTML in headless Chromium: every page renders, every internal link and image resolves."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from docs_parks import PARKS

from itpark.docs import write_docs

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1800",
)
SCREENSHOT = "quangnam-cloud-topology.png"  # docs/screenshots/, shown by the README


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("chromium and chromium-driver are needed at /usr/bin (Debian packages)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def _local(url: str) -> tuple[Path, str]:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)), unquote(parsed.fragment)


@pytest.mark.slow
@pytest.mark.parametrize("park", PARKS)
def test_every_page_renders_with_links_and_images(browser, park: str, rendered, tmp_path: Path) -> None:
    root = tmp_path / park
    write_docs(rendered[park], root)  # a fresh render, not the committed copy
    pages = sorted(root.rglob("*.html"))
    assert len(pages) > 20
    svgs = 0
    for page in pages:
        browser.get(page.as_uri())
        assert browser.execute_script("return document.readyState") == "complete", page
        assert browser.title and browser.find_element("tag name", "main").text.strip(), page
        for href in browser.execute_script("return Array.from(document.links, a => a.href)"):
            assert href.startswith("file://"), (page, href)  # nothing leaves the site
            target, fragment = _local(href)
            assert target.is_file(), (page, href)
            if fragment:
                assert re.search(rf'id="{re.escape(fragment)}"', target.read_text(encoding="utf-8")), (page, href)
        broken = browser.execute_script(
            "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        assert not broken, (page, broken)
        images = browser.execute_script("return Array.from(document.images, i => i.src)")
        svgs += sum(src.endswith(".svg") for src in images)
        if page.parent.name in ("tenants", "dossier") or page.name == "topology.html":
            assert any(src.endswith(".svg") for src in images), page
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, (page, errors)
    assert svgs >= len(list((root / "svg").glob("*.svg")))


@pytest.mark.slow
def test_screenshot_of_the_topology(browser, rendered, tmp_path: Path) -> None:
    write_docs(rendered["quangnam-cloud"], tmp_path / "site")
    browser.get((tmp_path / "site/en/topology.html").as_uri())
    target = Path(os.environ.get("ITPARK_SCREENSHOT_DIR", tmp_path)) / SCREENSHOT
    target.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(target))
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
    width = browser.execute_script("return document.querySelector('figure img').naturalWidth")
    assert width > 500  # the park diagram was loaded and laid out, not an empty box
