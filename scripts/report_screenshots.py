"""Screenshots of each page type of an omop-nlp HTML report, in Debian's chromium driven by Playwright.

    python scripts/report_screenshots.py REPORT.html OUT_DIR

The tests under tests/report/ launch the browser the same way (``launch_chromium``).
"""

from __future__ import annotations

import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGES = {"summary": "#summary", "over-time": "#time", "note": "#note/0"}


def launch_chromium(playwright):
    """Debian's chromium, never a browser that Playwright would download."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def screenshots(report: Path, out_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name, fragment in PAGES.items():
                page.goto(report.resolve().as_uri() + fragment)
                page.wait_for_timeout(800)  # plotly lays out its charts after load
                path = out_dir / f"{name}.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)
        finally:
            browser.close()
    return written


if __name__ == "__main__":
    for shot in screenshots(Path(sys.argv[1]), Path(sys.argv[2])):
        print(shot)
