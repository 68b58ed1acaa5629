"""Headless Chromium for the leaderboard page: the browser test and the docs screenshots.

Uses Debian's ``chromium`` + ``chromium-driver`` through Selenium, with a fresh
profile per session and no network features. ``python -m
cxralign.leaderboard.browser SITE_DIR --out docs/img`` saves the desktop and
phone screenshots shown in the docs.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
BROWSER_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
DRIVER_CANDIDATES = ("/usr/bin/chromedriver", "chromedriver")
DESKTOP = (1400, 900)
PHONE = (390, 844)


def _first_found(candidates: tuple[str, ...]) -> str | None:
    for name in candidates:
        found = (
            shutil.which(name) if not Path(name).is_absolute() else (name if Path(name).exists() else None)
        )
        if found:
            return found
    return None


def find_chromium() -> tuple[str, str] | None:
    """(browser, driver) paths, or None where either is missing."""
    browser, driver = _first_found(BROWSER_CANDIDATES), _first_found(DRIVER_CANDIDATES)
    return (browser, driver) if browser and driver else None


@contextlib.contextmanager
def chromium(size: tuple[int, int] = DESKTOP, mobile: bool = False) -> Iterator[Any]:
    """A Selenium Chrome driver on headless Chromium with a throwaway profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    if found is None:
        raise RuntimeError("no chromium + chromedriver found (apt-get install chromium chromium-driver)")
    browser, driver_path = found
    profile = tempfile.mkdtemp(prefix="cxralign-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"):
        options.add_argument(flag)
    if mobile:
        options.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": {"width": size[0], "height": size[1], "pixelRatio": 2.0}}
        )
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def full_page_screenshot(driver: Any, out: Path, width: int, max_height: int = 6000) -> Path:
    """Resize the window to the page's height and save a PNG of the whole page."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(width, min(max(height, 400), max_height))
    out.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(out))
    return out


def screenshot_site(site_dir: Path, out_dir: Path) -> list[Path]:
    """Desktop and phone-width screenshots of ``site_dir/index.html``."""
    url = (site_dir / "index.html").resolve().as_uri()
    saved = []
    with chromium(DESKTOP) as driver:
        driver.get(url)
        saved.append(full_page_screenshot(driver, out_dir / "leaderboard_desktop.png", DESKTOP[0]))
    with chromium(PHONE, mobile=True) as driver:
        driver.get(url)
        out = out_dir / "leaderboard_phone.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(out))  # the first screen a phone user sees
        saved.append(out)
    return saved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Screenshot the rendered leaderboard at desktop and phone width."
    )
    parser.add_argument(
        "site", type=Path, help="directory holding index.html (cxralign leaderboard render --out)"
    )
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args(argv)
    for path in screenshot_site(args.site, args.out):
        print(path)


if __name__ == "__main__":
    main()
