"""The rendered page in a real headless Chromium: loads, escapes, sorts, filters; a screenshot is saved."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_leaderboard_support import make_submission, registry

from cxralign.leaderboard import render_leaderboard
from cxralign.leaderboard.browser import chromium, find_chromium, full_page_screenshot

XSS = "<script>alert(1)</script>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        find_chromium() is None,
        reason="no headless browser: install Debian's chromium and chromium-driver (.ci/run does) to run this test",
    ),
]


def test_page_loads_escapes_sorts_and_filters(tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    make_submission(tmp_path, "alpha", 0.06)
    make_submission(tmp_path, "beta", 0.0, seed=2, model_name=XSS, training=("phantoms", "mimic-cxr"))
    make_submission(tmp_path, "gamma", 0.03, seed=1, training=("chexpert",))
    index, _ = render_leaderboard(
        tmp_path / "submissions", tmp_path / "site", registry=registry(), include_reported=False
    )
    with chromium() as driver:
        driver.get(index.resolve().as_uri())
        assert driver.title == "cxralign leaderboard"
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text  # noqa: B018  (no alert was raised by the model name)
        names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#overall tbody td.model .name")]
        assert XSS in names  # shown as text, not run
        assert driver.execute_script("return document.querySelectorAll('script').length") == 1  # only app.js

        table = driver.find_element(By.CSS_SELECTOR, "section.benchmark table.sortable")
        header = table.find_elements(By.CSS_SELECTOR, "thead th")[2]  # the main score

        def main_values() -> list[float]:
            cells = table.find_elements(By.CSS_SELECTOR, "tbody tr td:nth-child(3)")
            return [float(c.get_attribute("data-value")) for c in cells]

        header.find_element(By.TAG_NAME, "button").click()
        assert header.get_attribute("aria-sort") == "descending"
        assert main_values() == sorted(main_values(), reverse=True)
        header.find_element(By.TAG_NAME, "button").click()
        assert header.get_attribute("aria-sort") == "ascending"
        assert main_values() == sorted(main_values()) and main_values()[0] != main_values()[-1]

        model_header = table.find_elements(By.CSS_SELECTOR, "thead th")[1]
        model_header.find_element(By.TAG_NAME, "button").click()
        shown = [e.text for e in table.find_elements(By.CSS_SELECTOR, "tbody td.model .name")]
        assert shown == sorted(shown, key=str.lower)

        driver.find_element(By.ID, "model-filter").send_keys("gamma")
        visible = [r for r in driver.find_elements(By.CSS_SELECTOR, "#overall tbody tr") if r.is_displayed()]
        assert [r.find_element(By.CSS_SELECTOR, ".name").text for r in visible] == ["Model gamma"]
        driver.execute_script(
            "const f = document.getElementById('model-filter'); f.value = ''; f.dispatchEvent(new Event('input'))"
        )
        driver.find_element(By.ID, "hide-contaminated").click()
        visible = [r for r in driver.find_elements(By.CSS_SELECTOR, "#overall tbody tr") if r.is_displayed()]
        # alpha (trained on phantoms) and beta (phantoms, MIMIC-CXR) are contaminated on the phantom benchmark
        assert [r.find_element(By.CSS_SELECTOR, ".name").text for r in visible] == ["Model gamma"]

        shot = full_page_screenshot(driver, tmp_path / "leaderboard.png", 1366)
        assert shot.stat().st_size > 10_000


WIDE = (1400, 900)
PHONE = (390, 844)
SVG_NS = "{http://www.w3.org/2000/svg}svg"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three models on one benchmark, one of them clean; rendered with the model pages and plots."""
    root = tmp_path_factory.mktemp("site")
    make_submission(root, "alpha", 0.06)
    make_submission(root, "beta", 0.0, seed=2, training=("phantoms", "mimic-cxr"))
    make_submission(root, "gamma", 0.03, seed=1, training=("chexpert",))
    index, _ = render_leaderboard(
        root / "submissions", root / "site", registry=registry(), include_reported=False
    )
    return index.parent


def _local_targets(driver, selector: str) -> list[tuple[str, str]]:
    """(page URL, href) of every in-site link under ``selector`` (external http links left out)."""
    script = (
        "return [...document.querySelectorAll(arguments[0])]"
        ".map(a => [a.getAttribute('href'), a.href]).filter(p => !/^https?:/.test(p[0]))"
    )
    return driver.execute_script(script, selector)


def _exists(url: str) -> bool:
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(url).path)).is_file()


def test_wide_page_fits_links_resolve_and_plots_are_svg(site: Path) -> None:
    import xml.etree.ElementTree as ET

    from selenium.webdriver.common.by import By

    with chromium(WIDE) as driver:
        driver.get((site / "index.html").resolve().as_uri())
        overflow = driver.execute_script(
            "return [...document.querySelectorAll('section .table-wrap')]"
            ".map(w => [w.closest('section').id, w.scrollWidth - w.clientWidth])"
        )
        assert overflow and all(extra <= 0 for _, extra in overflow), (
            overflow
        )  # no sideways scrolling at 1400 px
        abbreviated = driver.find_elements(By.CSS_SELECTOR, "section.benchmark th.metric abbr[title]")
        assert abbreviated and all(a.get_attribute("title") for a in abbreviated)  # full name on hover
        legend = driver.find_element(By.CSS_SELECTOR, "section.benchmark dl.legend").text
        assert "negation.accuracy" in legend  # and in the legend

        rows = driver.find_elements(
            By.CSS_SELECTOR,
            "#overall tbody tr[data-model], section.benchmark table[data-entity=results] tbody tr[data-model]",
        )
        assert len(rows) == 6
        for row in rows:
            hrefs = [a.get_attribute("href") for a in row.find_elements(By.CSS_SELECTOR, "td.model a")]
            assert hrefs and all(_exists(h) for h in hrefs if h.startswith("file:")), hrefs
        results = driver.find_elements(
            By.CSS_SELECTOR, "section.benchmark table[data-entity=results] tbody tr[data-model]"
        )
        for row in results:  # each result row links its JSON and its per-item scores
            names = {a.text for a in row.find_elements(By.CSS_SELECTOR, ".links a")}
            assert {"card", "JSON", "scores"} <= names
        assert all(
            _exists(url)
            for _, url in _local_targets(driver, "a[href]")
            if not url.endswith(".html#") and "#" not in url
        )

        inline = driver.execute_script(
            "return [...document.querySelectorAll('figure .plot svg')].map(s => new XMLSerializer().serializeToString(s))"
        )
        assert len(inline) >= 3  # text prior, per finding, at least one paired difference
        for text in inline:
            assert ET.fromstring(text).tag == SVG_NS
        assert "text prior" in inline[0]
        for href, url in _local_targets(driver, "a.svg-link"):
            assert href.startswith("plots/") and ET.parse(url.removeprefix("file://")).getroot().tag == SVG_NS

        page = driver.find_element(By.CSS_SELECTOR, "#overall tbody tr[data-model] a.name").get_attribute(
            "href"
        )
        driver.get(page)
        assert "Reproduce" in driver.page_source and "reference:alpha" in driver.page_source
        for _, url in _local_targets(driver, "a[href]"):
            assert _exists(url.split("#")[0]), url


def test_phone_page_is_usable_and_hiding_everything_says_so(site: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    with chromium(PHONE, mobile=True) as driver:
        driver.get((site / "index.html").resolve().as_uri())
        width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert (
            width[0] <= width[1]
        )  # the page itself does not scroll sideways; wide tables scroll in their box
        sticky = driver.execute_script(
            "return getComputedStyle(document.querySelector('section.benchmark td.model')).position"
        )
        assert sticky == "sticky"
        driver.find_element(By.ID, "model-filter").send_keys("no such model")
        empty = driver.find_element(By.CSS_SELECTOR, "section.benchmark tr.empty-state")
        assert empty.is_displayed() and "no model matches" in empty.text

    root = tmp_path / "all-contaminated"
    make_submission(root, "delta", 0.05)
    make_submission(root, "epsilon", 0.01, seed=3)
    index, _ = render_leaderboard(
        root / "submissions", root / "site", registry=registry(), include_reported=False
    )
    with chromium(WIDE) as driver:
        driver.get(index.resolve().as_uri())
        empties = driver.find_elements(By.CSS_SELECTOR, "tr.empty-state")
        assert empties and not any(e.is_displayed() for e in empties)
        driver.find_element(By.ID, "hide-contaminated").click()
        shown = [
            e
            for e in driver.find_elements(
                By.CSS_SELECTOR,
                "#overall tr.empty-state, section.benchmark table[data-entity=results] tr.empty-state",
            )
            if e.is_displayed()
        ]
        assert len(shown) == 2
        assert all("2 of 2 entries are contaminated" in e.text and "Untick" in e.text for e in shown)
