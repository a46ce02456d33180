"""The parser on every hazard of the sample web and on hostile input, and its quality."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime

import pytest

from bench.parse_quality import BASE_URL, evaluate, load_gold, page_bytes, token_scores
from pipelines.parsing import ParseError, parse_html
from pipelines.parsing.encoding import decode_html
from tests.conftest import run_cli

GOLD = {record["slug"]: record for record in load_gold()}


def parsed(slug: str):
    record = GOLD[slug]
    return record, parse_html(page_bytes(record), f"{BASE_URL}{record['path']}")


def test_sample_web_text_matches_what_was_written():
    result = evaluate()
    assert result["ours"]["precision"] >= 0.98 and result["ours"]["recall"] >= 0.98
    assert result["ours"]["f1"] >= result["trafilatura_default"]["f1"]
    assert all(score >= 0.98 for score in result["field_accuracy"].values())


@pytest.mark.parametrize(
    "slug",
    [
        "royal-mail-export-disruption",
        "mgm-resorts-shuts-systems",
        "synnovis-attack-london-hospitals",
        "govwire-ncsc-royal-mail-incident",
    ],
)
def test_metadata_from_json_ld_opengraph_microdata_and_meta(slug):
    record, article = parsed(slug)
    assert article.title == record["title"]
    assert article.published.date().isoformat() == record["published"][:10]
    assert article.authors == record["authors"]
    assert article.language == "en"
    assert article.canonical_url == BASE_URL + record["path"]


def test_boilerplate_never_reaches_the_text():
    for slug in (
        "royal-mail-export-disruption",
        "mgm-resorts-shuts-systems",
        "colonial-pipeline-darkside-ransomware",
    ):
        _, article = parsed(slug)
        for phrase in (
            "cookies",
            "Sign up for our daily briefing",
            "Most read",
            "Another week, another outage",
            "Related stories",
            "Advertisement",
            "Subscribe to the Metro Tribune",
            "Front page",
        ):
            assert phrase not in article.text, (slug, phrase)


def test_windows_1252_page_without_a_declared_charset():
    record, article = parsed("british-library-technology-outage")
    assert "cp1252" in record["hazards"]
    assert article.encoding == "cp1252"
    assert token_scores(article.text, record["text"]).recall > 0.99
    assert "\u2019" in article.text or "\u201c" in article.text  # curly quotes survived


def test_wrongly_declared_charset_is_caught():
    page = '<html><head><meta charset="utf-8"><title>Caf\u00e9</title></head><body><p>\u201cWe\u2019re investigating,\u201d it said \u2013 \u20ac5m.</p></body></html>'
    text, encoding = decode_html(page.encode("cp1252"), "text/html; charset=utf-8")
    assert encoding == "cp1252" and "\u201cWe\u2019re investigating,\u201d" in text


def test_a_stray_bad_byte_does_not_make_a_utf8_page_a_legacy_code_page():
    paragraph = "Sprzeciw wobec atak\u00f3w na Fundacj\u0119 Lux Veritatis, m\u00f3wi\u0105 organizacje. "
    body = f'<html><head><meta charset="utf-8"></head><body><p>{paragraph * 40}</p></body></html>'.encode()
    text, encoding = decode_html(body[:900] + b"\xc3(" + body[900:])
    assert encoding == "utf-8" and paragraph in text


def test_malformed_html():
    record, article = parsed("qilin-publishes-synnovis-data")
    assert "malformed" in record["hazards"]
    assert token_scores(article.text, record["text"]).recall > 0.98
    assert article.title == record["title"]


def test_formula_title_is_kept_verbatim():
    record, article = parsed("colonial-pipeline-darkside-ransomware")
    assert article.title.startswith("=HYPERLINK(")


def test_huge_page_parses_in_bounded_time():
    record, _ = parsed("t-mobile-breach-40-million")
    body = page_bytes(record)
    assert len(body) > 4_000_000
    started = time.process_time()
    article = parse_html(body)
    elapsed = time.process_time() - started
    assert token_scores(article.text, record["text"]).f1 > 0.98
    assert "Comment 19999" not in article.text
    assert elapsed < 60  # a generous bound: the point is that it finishes, not how fast


def test_truncates_absurd_pages_and_says_so():
    body = b"<html><body><article><p>" + b"word " * 5_000_000 + b"</p></article></body></html>"
    article = parse_html(body)
    assert article.warnings and "truncated" in article.warnings[0]


@pytest.mark.parametrize("body", [b"", b"   ", b"\x00\xff\xfe\x00garbage\x00"])
def test_empty_or_binary_input(body):
    try:
        article = parse_html(body)
    except ParseError:
        return
    assert article.text == "" or isinstance(article.text, str)


def test_hostile_json_ld_and_dates_do_not_break_parsing():
    page = b"""<html><head>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "OK", "datePublished": "yesterday-ish", "author": [[[{"name": 5}]]]}</script>
<script type="application/ld+json">{not json at all</script>
<meta property="article:published_time" content="2023-02-30T99:99:99Z">
<meta name="date" content="2023-01-11T10:00:00+01:00">
</head><body><p>Body text long enough to count as an article paragraph for the extractor to keep.</p></body></html>"""
    article = parse_html(page)
    assert article.title == "OK"
    assert article.published == datetime(2023, 1, 11, 9, 0, tzinfo=UTC)


def test_parse_command_emits_one_json_line_per_file(tmp_path):
    record = GOLD["royal-mail-export-disruption"]
    plain = tmp_path / "a.html"
    plain.write_bytes(page_bytes(record))
    zipped = tmp_path / "b.html.gz"
    zipped.write_bytes(gzip.compress(page_bytes(GOLD["mgm-resorts-shuts-systems"])))
    result = run_cli("parse", str(plain), str(zipped))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(plain), str(zipped)]
    assert set(lines[0]) >= {"path", "url", "title", "text", "published", "authors", "language"}
    assert lines[0]["title"] == record["title"]
    assert lines[1]["title"] == GOLD["mgm-resorts-shuts-systems"]["title"]


def test_parse_command_reports_a_bad_file_and_goes_on(tmp_path):
    good = tmp_path / "good.html"
    good.write_bytes(page_bytes(GOLD["mgm-resorts-shuts-systems"]))
    result = run_cli("parse", str(tmp_path / "missing.html"), str(good))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert "error" in lines[0] and lines[1]["title"]
    assert result.returncode == 1


ARTICLE_PARAGRAPHS = "".join(
    f"<p>Paragraph {i} of the story says what happened at the company and what it told customers.</p>"
    for i in range(8)
)


@pytest.mark.parametrize(
    "wrapper_class",
    [
        "l-sidebar-fixed l-article-body-segment",
        "post category-popular",
        "entry-content social-share-enabled",
        "c-fixed-sidebar-layout c-sidebar",
    ],
)
def test_article_wrappers_with_boilerplate_looking_classes_are_kept(wrapper_class):
    page = (
        f'<html><body><nav><a href="/">Home</a></nav><div class="{wrapper_class}"><h1>Story</h1>'
        f"{ARTICLE_PARAGRAPHS}</div><footer><p>Copyright notice of the site.</p></footer></body></html>"
    )
    article = parse_html(page.encode())
    assert "Paragraph 0 of the story" in article.text and "Paragraph 7 of the story" in article.text


@pytest.mark.parametrize(
    "wrapper", ['<form id="aspnetForm" method="post" action="story.aspx">', '<div id="nav">']
)
def test_a_page_wide_form_or_misnamed_wrapper_is_not_pruned_with_the_article(wrapper):
    """ASP.NET puts every page in one <form>; some sites wrap the whole page, paragraphs
    written as line breaks, in a box named "nav"."""
    close = "</form>" if wrapper.startswith("<form") else "</div>"
    story = "<br><br>".join(
        f"Paragraph {i} of the story says what happened at the company and what it told customers."
        for i in range(8)
    )
    page = (
        f'<html><body>{wrapper}<div class="links"><a href="/">Home</a></div><h1>Story</h1>'
        f'<div class="story">{story}</div><input type="hidden" name="__VIEWSTATE" value="x">{close}'
        "</body></html>"
    )
    text = parse_html(page.encode()).text
    assert sum(f"Paragraph {i} of the story" in text for i in range(8)) >= 6  # the vote may drop an end line


def test_a_footer_word_in_the_body_class_does_not_make_the_page_chrome():
    """WordPress themes put words like "footer-widgets-visible" on <body>: the article in a
    "content-sidebar-wrap" box must still be found and protected from the pruning."""
    page = (
        '<html><body class="single footer-widgets-visible"><div class="content-sidebar-wrap">'
        f'<main class="content"><article><h1>Story</h1><div class="entry-content">{ARTICLE_PARAGRAPHS}'
        '</div></article></main><aside class="sidebar"><p>Other stories of the week.</p></aside>'
        "</div></body></html>"
    )
    text = parse_html(page.encode()).text
    assert "Paragraph 0 of the story" in text and "Other stories" not in text


def test_short_post_among_long_teasers_stays_short():
    teasers = "".join(
        f'<div class="teaser"><p>Teaser {i}: another story about something else entirely, with a long '
        f"summary that goes on for a while to look like text.</p></div>"
        for i in range(12)
    )
    page = (
        f"<html><body><article><h1>Short post</h1><p>The short post itself: one paragraph of real "
        f"text that is the whole article, with a link to the rest.</p></article>"
        f'<section class="more-stories">{teasers}</section></body></html>'
    )
    article = parse_html(page.encode())
    assert "The short post itself" in article.text
    assert "Teaser 3" not in article.text


def test_entities_in_structured_metadata_are_decoded():
    page = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
        '"headline": "Firm&#8217;s &#8216;unhackable&#8217; lock &amp; key"}</script></head>'
        f"<body>{ARTICLE_PARAGRAPHS}</body></html>"
    )
    assert parse_html(page.encode()).title == "Firm\u2019s \u2018unhackable\u2019 lock & key"


@pytest.mark.parametrize(
    ("url", "page_date", "want", "source"),
    [
        ("https://news.example/2019/03/harbour-outage", None, "2019-03-01", "url"),
        ("https://news.example/world/2019/3/harbour-outage.html", None, "2019-03-01", "url"),
        ("https://news.example/2019/03/12/harbour-outage", None, "2019-03-12", "url"),
        ("https://news.example/2019/03/harbour-outage", "2019-03-20", "2019-03-20", "page_text"),
        ("https://news.example/2019/13/harbour-outage", None, None, "none"),
    ],
)
def test_a_year_and_month_url_path_dates_the_article_to_the_first_only_when_nothing_better(
    url, page_date, want, source
):
    byline = f"<div class='meta'>Published {page_date}</div>" if page_date else ""
    page = (
        "<html><head><title>Harbour outage</title></head><body><article><h1>Harbour outage</h1>"
        f"{byline}<p>{'The harbour authority said its booking systems were down for a day. ' * 5}</p>"
        "</article></body></html>"
    ).encode()
    article = parse_html(page, url)
    assert (article.published.date().isoformat() if article.published else None) == want
    assert article.published_source == source


def test_an_xhtml_page_declaring_its_encoding_parses():
    paragraph = "The harbour systems were restored on Monday after the attack on the booking portal."
    page = (
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>'
        f"<article><p>{paragraph}</p><p>{paragraph}</p></article></body></html>"
    ).encode()
    assert paragraph in parse_html(page).text


def test_every_extractor_reads_the_page_and_the_vote_keeps_the_article():
    from pipelines.parsing.places import PLACE_PREFIX, PLACES
    from pipelines.parsing.text import PRUNED
    from pipelines.parsing.voting import VOTERS, load_model

    assert load_model() is not None
    record = GOLD["colonial-pipeline-darkside-ransomware"]
    readings: dict[str, str] = {}
    article = parse_html(page_bytes(record), f"{BASE_URL}{record['path']}", readings=readings)
    places = {PLACE_PREFIX + place for place in PLACES}
    assert set(readings) == {*VOTERS, *places, PRUNED} and all(readings[voter] for voter in VOTERS)
    assert readings[PLACE_PREFIX + "paragraph"] and readings[PLACE_PREFIX + "link"]
    assert token_scores(article.text, record["text"]).recall > 0.98


def test_the_place_readings_say_where_each_text_sits_and_the_line_features_read_them():
    """A link in a "related" box inside the footer, a paragraph in the article: the line
    model sees which is which through the share of each line's word pairs in each place."""
    import lxml.html

    from pipelines.parsing.places import PLACE_PREFIX, place_readings
    from pipelines.parsing.voting import candidates

    paragraph = "The harbour systems were restored on Monday after the attack on the booking portal."
    teaser = "Port strike enters its second week"
    tree = lxml.html.document_fromstring(
        f"<html><body><article><p>{paragraph}</p></article><footer><div class='related-stories "
        f"category-news'><ul><li><a href='/x'>{teaser}</a></li></ul></div></footer></body></html>"
    )
    places = place_readings(tree)
    assert places[PLACE_PREFIX + "paragraph"] == paragraph == places[PLACE_PREFIX + "article"]
    for place in ("link", "list", "chrome", "related"):
        assert places[PLACE_PREFIX + place] == teaser
    assert not places[PLACE_PREFIX + "comments"]
    lines = dict(candidates({"trafilatura": paragraph, "resiliparse": f"{paragraph}\n{teaser}", **places}))
    assert lines[paragraph]["in_article"] == 1.0 and lines[paragraph]["in_link"] == 0.0
    assert lines[teaser]["in_link"] == 1.0 and lines[teaser]["in_related"] == 1.0


def test_the_voted_lines_keep_trafilaturas_order_with_the_others_in_their_place():
    from pipelines.parsing.voting import _in_page_order

    page = "alpha one two three\nbeta four five six\ngamma seven eight nine\ndelta ten eleven twelve"
    lines = [("alpha one two three", True), ("gamma seven eight nine", True), ("beta four five six", False)]
    assert _in_page_order(lines, page) == [
        "alpha one two three",
        "beta four five six",
        "gamma seven eight nine",
    ]


def test_a_paragraph_the_page_repeats_is_a_candidate_again_marked_a_repeat():
    """trafilatura keeps a repeated paragraph once; the reading of the whole page has both."""
    from pipelines.parsing.voting import candidates

    paragraph = "The harbour systems were restored on Monday after the attack on the booking portal."
    texts = {"trafilatura": paragraph, "ours": paragraph, "resiliparse": f"{paragraph}\nMenu\n{paragraph}"}
    lines = candidates(texts)
    assert [line for line, _ in lines] == [paragraph, "Menu", paragraph]
    assert [features["repeat"] for _, features in lines] == [0.0, 0.0, 1.0]


def test_plain_trafilaturas_vote_reads_the_page_as_served_with_a_post_held_in_noscript():
    """Blogger serves its posts inside <noscript> (the script-built view aside): the stripped
    tree lacks them, the page as served has them."""
    import lxml.html

    from pipelines.parsing.bounds import strip_raw_text_elements
    from pipelines.parsing.voting import voter_texts

    paragraph = "The harbour systems were restored on Monday after the attack on the booking portal."
    served = (
        "<html><head><title>Harbour</title></head><body><div id='app'></div>"
        f"<noscript><div class='post-body'><p>{paragraph}</p><p>{paragraph} Staff processed cargo by hand.</p>"
        "</div></noscript></body></html>"
    )
    readings: dict[str, str] = {}
    parse_html(served.encode(), readings=readings)
    assert paragraph in readings["trafilatura"] and paragraph not in readings["ours"]
    stripped = strip_raw_text_elements(served)
    tree = lxml.html.document_fromstring(stripped)
    assert paragraph not in voter_texts(tree, stripped, None)["trafilatura"]  # the tree alone
    assert (
        paragraph in voter_texts(tree, stripped, None, lxml.html.document_fromstring(served))["trafilatura"]
    )


def test_justext_reads_with_the_stop_list_of_the_pages_language():
    import lxml.html

    from pipelines.parsing.voting import page_language

    declared = lxml.html.document_fromstring("<html lang='de-DE'><body><p>Hello there.</p></body></html>")
    assert page_language(declared) == "de"
    german = (
        "Die Hafenbehörde teilte am Dienstag mit, dass ihre Buchungssysteme nach einem Angriff mit "
        "Erpressungssoftware wieder funktionieren und die Mitarbeiter keine Sendungen mehr von Hand bearbeiten."
    )
    undeclared = lxml.html.document_fromstring(f"<html><body><p>{german}</p></body></html>")
    assert page_language(undeclared) == "de"
