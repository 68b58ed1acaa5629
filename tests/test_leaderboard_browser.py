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
