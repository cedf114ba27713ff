"""The town brief prints to exactly ONE A4 page in Chromium for every town of the real data
(``page.pdf(format="A4")`` honours the brief's ``@page``), with the issuing body, the plan date
and the locator map; the longest town (金利镇) is also rendered to PNG for a look
(tests/artifacts/brief-jinli.png when pdftoppm is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from geo import codelists as gc
from geo import filtering
from geo.boundaries import load_river, load_towns
from geo.brief import town_brief_html
from geo.loading import load_projects
from geo.paths import PROJECTS_GEOJSON
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

JINLI = "441204115"


@pytest.fixture(scope="module")
def briefs() -> dict[str, tuple[str, str]]:
    """``{code: (name_zh, html)}`` for the 17 towns, as the app builds them."""
    projects, towns = load_projects(PROJECTS_GEOJSON), load_towns()
    river, codelists = load_river(), gc.load_codelists()
    district_wide = projects[pd.to_numeric(projects["precision"]) == 4]
    out = {}
    for _, town in towns.iterrows():
        in_town = filtering.projects_in_town(projects, town["code"], towns)
        out[town["code"]] = (town["name_zh"], town_brief_html(
            town.to_dict(), in_town, codelists, generated_on="2026-12-02", towns=towns,
            river=river, district_wide=district_wide))
    return out


@pytest.fixture(scope="module")
def pdfs(briefs, tmp_path_factory, browser) -> dict[str, Path]:
    """Every town's brief printed by Chromium (the session's shared browser: a second sync
    Playwright in the same worker is refused)."""
    folder = tmp_path_factory.mktemp("briefs")
    out = {}
    page = browser.new_page()
    for code, (_, html) in briefs.items():
        page.set_content(html, wait_until="load")
        out[code] = folder / f"{code}.pdf"
        page.pdf(path=str(out[code]), format="A4", print_background=True)
    page.close()
    return out


def test_every_town_brief_is_one_a4_page(briefs, pdfs):
    from pypdf import PdfReader

    assert len(pdfs) == 17
    pages = {briefs[code][0]: len(PdfReader(path).pages) for code, path in pdfs.items()}
    assert pages == {name: 1 for name in pages}, pages
    box = PdfReader(pdfs[JINLI]).pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2  # A4


def test_pdf_text_has_issuing_body_plan_date_and_locator(briefs, pdfs):
    from pypdf import PdfReader

    for code, path in pdfs.items():
        text = "".join(PdfReader(path).pages[0].extract_text().split())
        assert "肇庆市高要区人民政府" in text, code
        assert "2021-12" in text and "位置示意图" in text, code
        assert "<svg" in briefs[code][1] and f'data-code="{code}"' in briefs[code][1]
    jinli = "".join(PdfReader(pdfs[JINLI]).pages[0].extract_text().split())
    assert "全区性项目" in jinli and "金利镇" in jinli


def test_jinli_brief_rendered_to_png(pdfs):
    if not shutil.which("pdftoppm"):
        pytest.skip("poppler-utils not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdfs[JINLI]),
                    str(ARTIFACTS / "brief-jinli")], check=True)
    assert (ARTIFACTS / "brief-jinli.png").stat().st_size > 10_000


def test_an_overlong_list_is_cut_and_still_one_page(tmp_path, browser):
    """More projects than a page holds (windows of the real data, longest titles first):
    the list is cut with "另有 N 项,见在线地图" and the brief stays on one page."""
    from pypdf import PdfReader

    projects, towns = load_projects(PROJECTS_GEOJSON), load_towns()
    projects = projects.sort_values("title_en", key=lambda s: -s.str.len())
    town = towns[towns["code"] == JINLI].iloc[0].to_dict()
    codelists, river = gc.load_codelists(), load_river()
    page = browser.new_page()  # the session's shared browser (see `pdfs`)
    for start in (0, 40, 80, 120):
        html = town_brief_html(town, projects.iloc[start:start + 60], codelists, "x",
                               towns=towns, river=river, district_wide=projects)
        assert "另有" in html and "见在线地图" in html
        page.set_content(html, wait_until="load")
        page.pdf(path=str(tmp_path / "b.pdf"), format="A4", print_background=True)
        assert len(PdfReader(tmp_path / "b.pdf").pages) == 1, start
    page.close()
