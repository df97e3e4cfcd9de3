"""Fixtures of the report tests: the demo notes through extract, their report, and Debian's chromium.

tests/report is a package so that this conftest never shadows tests/conftest.py, which other
test modules import as ``conftest``.

The browser is ``/usr/bin/chromium`` (``make chromium`` installs it), driven by Playwright and
launched as ``scripts/report_screenshots.py`` does; Playwright never downloads a browser here.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from .helpers import DEMO_NOTES, REPO, extract, report


@pytest.fixture(scope="session")
def demo_predictions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return extract(DEMO_NOTES, tmp_path_factory.mktemp("report") / "predictions.jsonl")


@pytest.fixture(scope="session")
def demo_report(demo_predictions: Path) -> Path:
    return report(demo_predictions, DEMO_NOTES, demo_predictions.parent / "report.html")


def _screenshots_module():
    spec = importlib.util.spec_from_file_location("report_screenshots", REPO / "scripts" / "report_screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def browser():
    module = _screenshots_module()
    if not Path(module.CHROMIUM).exists():
        pytest.fail(f"{module.CHROMIUM} is missing: run `make chromium` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = module.launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()
