"""geo.search: Chinese substrings, English word prefixes, synonyms and ranking."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.search import load_synonyms, search_mask, search_scores

SYNONYMS_CSV = Path(__file__).resolve().parents[1] / "data" / "search_synonyms.csv"


@pytest.fixture
def projects() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["port-jinli", "airport", "sports", "support", "berths", "road"],
        "title_zh": ["金利港集装箱泊位", "临空港经济区", "体育中心", "扶持资金", "高要港扩建",
                     "高要大道"],
        "title_en": ["Jinli Port container berths", "General airport", "Sports centre",
                     "Support fund", "Gaoyao harbour expansion", "Gaoyao Avenue"],
        "location_text": ["金利港", "高要区", "南岸街道", "高要区", "高要港", "南岸街道;金渡镇"],
        "description": ["", "", "", "", "", "A road from Nan'an to Jindu."],
    })


@pytest.fixture(scope="module")
def synonyms():
    return load_synonyms(SYNONYMS_CSV)


def test_english_word_prefix_not_substring(projects) -> None:
    hits = projects[search_mask(projects, "port")]["id"].tolist()
    assert hits == ["port-jinli"]  # not airport, sports, support


def test_synonyms_reach_chinese_records(projects, synonyms) -> None:
    hits = projects[search_mask(projects, "wharf", synonyms)]["id"].tolist()
    assert hits == ["port-jinli", "berths"]  # 港 / 泊位 in the titles, not 临空港 (airport)
    assert projects[search_mask(projects, "wharf")].empty  # no synonyms: nothing


def test_chinese_substring_and_every_term_must_match(projects) -> None:
    assert projects[search_mask(projects, "金利")]["id"].tolist() == ["port-jinli"]
    assert projects[search_mask(projects, "高要 大道")]["id"].tolist() == ["road"]
    assert projects[search_mask(projects, "金渡")]["id"].tolist() == ["road"]


def test_ranking_title_before_synonym_before_description(projects, synonyms) -> None:
    scores = dict(zip(projects["id"], search_scores(projects, "port", synonyms), strict=True))
    assert scores["port-jinli"] > scores["berths"] > 0  # title word > synonym in the title
    assert scores["airport"] == scores["sports"] == 0


def test_empty_query_matches_everything(projects) -> None:
    assert search_mask(projects, "   ").all()


def test_committed_synonyms_are_well_formed(synonyms) -> None:
    assert synonyms["wharf"][:3] == ("re:(?<![空粤香])港(?!澳)", "码头", "泊位")
    assert all(term == term.casefold() and alts for term, alts in synonyms.items())
