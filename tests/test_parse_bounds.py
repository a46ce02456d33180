"""Pathological pages finish and still give their article (fuzz): hundreds of thousands of
nodes, 100,000-deep nesting, megabytes of script, unclosed tags, random tag soup. No timed
assertion (python -m bench.parse_speed prints the times); pytest-timeout guards each page."""

from __future__ import annotations

import random

import pytest

from bench.parse_speed import ARTICLE_PARAGRAPHS, ARTICLE_TITLE, PATHOLOGICAL, random_tag_soup
from pipelines.parsing import parse_html


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_page_finishes_with_its_article(name):
    article = parse_html(PATHOLOGICAL[name](), "http://127.0.0.1/news/harbour.html")
    for paragraph in ARTICLE_PARAGRAPHS:
        assert paragraph in article.text, (name, paragraph[:40])
    assert article.title == ARTICLE_TITLE
    assert article.published.date().isoformat() == "2023-02-14"
    assert article.published_source == "page_text"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_tag_soup_of_any_seed_finishes(seed):
    article = parse_html(random_tag_soup(seed=seed, n=random.Random(seed).randint(50_000, 200_000)))
    assert ARTICLE_PARAGRAPHS[0] in article.text


@pytest.mark.timeout(60)
def test_unclosed_script_before_the_article_swallows_the_rest_as_a_browser_would():
    page = f"<html><body><script>var a = 1;<p>{ARTICLE_PARAGRAPHS[0]}</p></body></html>".encode()
    assert ARTICLE_PARAGRAPHS[0] not in parse_html(page).text
