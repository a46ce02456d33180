"""Google News RSS search feeds: discovery of articles in outlets the registry does not list.

Each item links a news.google.com/rss/articles/<token> redirect, not the article. Tokens
made before July 2024 are base64 (protobuf) holding the article URL and are decoded here,
offline. Newer tokens ("AU_yqL…" inside) can only be resolved by asking Google: those are
handed, in one batch per feed, to the decoder named by the GOOGLE_NEWS_DECODER setting
("module:function", called with (urls, user_agent), returning one URL or None per URL, as a
list or an awaitable), by default googlenewsdecoder's. The articles are then fetched and
stored as HTML pages of the google-news source, with the outlet (the item's <source>) as
publisher.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlparse

import feedparser
from scrapy.http import Response

from core.records import PageItem
from crawler.spiders.records import RecordSpider
from sources.common import Entry, Listing, entry_date

Decoder = Callable[[list[str], str], "list[str | None] | Awaitable[list[str | None]]"]
OLD_PREFIX = b"\x08\x13\x22"
NEW_FORMAT_MARK = b"AU_yqL"


class GoogleNewsSpider(RecordSpider):
    name = "google-news"
    offsite_articles = True  # it lists other sites' articles

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.decoder = load_decoder(crawler.settings.get("GOOGLE_NEWS_DECODER"))
        return spider

    async def parse_listing(self, response: Response) -> AsyncIterator[Any]:
        listing = read_google_news(response.body, response.url)
        decoded = await self.decode([e.fetch or "" for e in listing.entries])
        kept = []
        for entry, url in zip(listing.entries, decoded):
            if url:
                entry.fetch = url
                kept.append(entry)
            else:
                self.logger.info("could not decode Google News link %s", entry.fetch)
                listing.skip("undecodable_link")
        listing.entries = kept
        for item in self.emit_listing(response, listing):
            yield item

    async def decode(self, links: list[str]) -> list[str | None]:
        """Each link's article URL: offline when the token holds it, else through the decoder
        (one batch per feed)."""
        result: list[str | None] = []
        pending: list[int] = []
        for index, link in enumerate(links):
            if not is_google_news_link(link):
                result.append(link or None)
                continue
            result.append(decode_old_token(link))
            if result[-1] is None:
                pending.append(index)
        if pending:
            answer = self.decoder([links[i] for i in pending], self.settings.get("USER_AGENT"))
            if inspect.isawaitable(answer):
                answer = await answer
            for index, url in zip(pending, answer):
                result[index] = url
        return result

    def parse_article(self, response: Response) -> Iterable[PageItem]:
        outlet = response.meta.get("outlet")
        for item in super().parse_article(response):
            if outlet:
                item.publisher = outlet
            yield item


def read_google_news(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """The feed's items as articles to fetch: the outlet's URL where the token holds it
    (decoded here, offline), else the news.google.com link (the spider asks the decoder)."""
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        return Listing(broken=f"not a feed ({parsed.get('bozo_exception') or 'no RSS root'})")
    listing = Listing()
    for entry in parsed.entries:
        link = entry.get("link") or ""
        if not link:
            listing.skip("no_link")
            continue
        article = (decode_old_token(link) if is_google_news_link(link) else link) or link
        outlet = (entry.get("source") or {}).get("title")
        listing.entries.append(
            Entry(
                fetch=article, published=entry_date(entry), meta={"outlet": outlet, "google_news_link": link}
            )
        )
    return listing


def is_google_news_link(url: str) -> bool:
    parsed = urlparse(url)
    parts = parsed.path.rstrip("/").split("/")
    return parsed.hostname == "news.google.com" and len(parts) >= 2 and parts[-2] in ("articles", "read")


def decode_old_token(url: str) -> str | None:
    """The article URL inside a pre-2024 token (base64 protobuf), or None for new-format tokens."""
    token = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(OLD_PREFIX):
        return None
    length, offset = read_varint(raw, len(OLD_PREFIX))
    if length is None:
        return None
    payload = raw[offset : offset + length]
    if payload.startswith(NEW_FORMAT_MARK) or len(payload) != length:
        return None
    text = payload.decode("utf-8", errors="replace")
    return text if text.startswith(("http://", "https://")) else None


def read_varint(data: bytes, offset: int) -> tuple[int | None, int]:
    """A protobuf varint at offset: (value, offset after it); (None, offset) when truncated."""
    value, shift = 0, 0
    while offset < len(data):
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
    return None, offset


def load_decoder(target: str | None) -> Decoder:
    module, _, function = (target or "sources.google_news.spider:decode_online").partition(":")
    return getattr(importlib.import_module(module), function)


async def decode_online(urls: list[str], user_agent: str) -> list[str | None]:
    """New-format tokens resolved by asking Google, through the googlenewsdecoder package."""
    from googlenewsdecoder import GoogleDecoderAsync

    async with GoogleDecoderAsync(user_agent=user_agent) as decoder:
        answers = await decoder.decode_google_news_urls(urls, interval=1, concurrency=2)
    return [a.get("decoded_url") if a.get("success") else None for a in answers]
