"""The review sheet in a real headless Chromium: verdicts clicked, kept over a reload, saved as a file."""

from __future__ import annotations

import json
import time
from pathlib import Path

from audit_support import make_build
from test_leaderboard_browser import pytestmark  # noqa: F401  (the same marks: browser, slow, skipped without Chromium)

from cxralign.audit import draw_sample, load_verdicts, score_verdicts, write_sheet
from cxralign.leaderboard.browser import chromium, full_page_screenshot


def _wait_for_file(folder: Path, pattern: str, seconds: float = 10.0) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no {pattern} downloaded into {folder}")


def test_sheet_records_verdicts_keeps_them_over_a_reload_and_saves_them(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    build = make_build(tmp_path)
    sample = draw_sample(build, n=10, seed=2)
    sheet = write_sheet(sample, tmp_path / "sheet.html")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with chromium((1400, 900)) as driver:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        driver.get(sheet.resolve().as_uri())
        assert driver.execute_script("return document.querySelectorAll('script[src], link[href]').length") == 0
        rows = driver.find_elements(By.CSS_SELECTOR, "article.row")
        assert [r.get_attribute("data-key") for r in rows] == sample.keys

        driver.find_element(By.ID, "reviewer").send_keys("Dr. Browser")
        rows[0].find_element(By.CSS_SELECTOR, ".choice-wrong").click()
        rows[0].find_element(By.CSS_SELECTOR, ".reason").send_keys("finding still stated in the impression")
        rows[1].find_element(By.CSS_SELECTOR, ".choice-awkward").click()
        for row in rows[2:9]:
            row.find_element(By.CSS_SELECTOR, ".choice-correct").click()
        rows[9].click()  # the current row for the keyboard
        driver.find_element(By.TAG_NAME, "body").send_keys("3")
        assert rows[0].get_attribute("data-verdict") == "wrong"
        assert rows[9].get_attribute("data-verdict") == "wrong"
        assert driver.find_element(By.ID, "progress").text == "10 / 10"

        driver.refresh()  # localStorage keeps the work
        rows = driver.find_elements(By.CSS_SELECTOR, "article.row")
        assert [r.get_attribute("data-verdict") for r in rows] == ["wrong", "awkward", *["correct"] * 7, "wrong"]
        assert rows[0].find_element(By.CSS_SELECTOR, ".reason").get_attribute("value").startswith("finding still")
        assert driver.find_element(By.ID, "reviewer").get_attribute("value") == "Dr. Browser"

        driver.find_element(By.ID, "save").click()
        saved = _wait_for_file(downloads, "verdicts-*.json")
        assert "Saved" in driver.find_element(By.ID, "status").text
        full_page_screenshot(driver, tmp_path / "sheet.png", 1400)

        # a fresh browser (nothing kept) continues from the saved file; another sample's file is refused
        driver.execute_script("localStorage.clear()")
        driver.refresh()
        assert driver.find_element(By.ID, "progress").text == "0 / 10"
        upload = driver.find_element(By.ID, "load")
        driver.execute_script("arguments[0].style.display = 'block'", upload)
        upload.send_keys(str(saved))  # read asynchronously: wait for the sheet to show it
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "progress").text == "10 / 10")
        rows = driver.find_elements(By.CSS_SELECTOR, "article.row")
        assert rows[1].get_attribute("data-verdict") == "awkward"
        foreign = json.loads(saved.read_text())
        foreign["sample"]["sample_sha256"] = "0" * 64
        (tmp_path / "foreign.json").write_text(json.dumps(foreign))
        upload.send_keys(str(tmp_path / "foreign.json"))
        status = driver.find_element(By.ID, "status")
        WebDriverWait(driver, 10).until(lambda d: "foreign.json" in status.text)
        assert "another sample" in status.text and "error" in status.get_attribute("class")

    verdicts = load_verdicts(saved)
    assert verdicts.reviewer == "Dr. Browser" and verdicts.build.data_sha256 == sample.identity.data_sha256
    assert [item.verdict for item in verdicts.items] == ["wrong", "awkward", *["correct"] * 7, "wrong"]
    assert verdicts.items[0].reason == "finding still stated in the impression"
    overall = score_verdicts(verdicts).overall
    assert (overall.wrong, overall.awkward, overall.correct) == (2, 1, 7)
    assert json.loads(saved.read_text())["sample"]["sample_sha256"] == sample.sample_sha256
