"""Hostile input, tried as an attacker would, against local servers on 127.0.0.1: each case
asserts what was refused and that nothing else was lost (issue 13's table, one test per row,
and the cases that already held, kept as regressions).

Crawls run as subprocesses (one reactor per process); each is kept to a handful of pages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.raw_store import RawStore
from crawler.middlewares import address_problem
from tests.conftest import QUICK_CRAWL, run_cli, write_sources
from tests.hostile_web import RSS, Route, article, rss, serve_routes

SECRET = "TOKEN-5f1c-internal-only"


def crawl(sources: Path, data_dir: Path, *extra: str, timeout: float = 120):
    return run_cli(
        "crawl", "--sources", str(sources), "--data-dir", str(data_dir), *QUICK_CRAWL, *extra, timeout=timeout
    )


def stored(data_dir: Path) -> list:
    with RawStore(data_dir / "raw") as store:
        return list(store.pages())


def report(data_dir: Path, spider: str) -> dict:
    path = sorted((data_dir / "reports").glob(f"crawl-*-{spider}.json"))[-1]
    return json.loads(path.read_text())


def feed_source(url: str, **extra) -> dict:
    return {"name": "hostile", "kind": "feed", "url": url, "publisher": "Hostile", **extra}


# ---- row 5: internal addresses -------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),  # AWS, GCP and Azure metadata
        ("fe80::1%eth0", "link-local"),
        ("fd00:ec2::254", "private"),  # AWS metadata over IPv6
        ("100.100.100.200", "reserved"),  # shared address space (Alibaba metadata)
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("93.184.215.14", None),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
    ],
)
def test_row5_which_addresses_are_internal(address, problem):
    assert address_problem(address) == problem


def test_row5_links_and_redirects_to_internal_hosts_are_refused_and_the_requested_url_kept(tmp_path):
    with serve_routes() as site, serve_routes() as internal:
        internal.routes = {
            "/secret.html": Route(article("Internal", f"The admin token is {SECRET}.")),
            "/metadata.html": Route(article("Metadata", f"Cloud credentials {SECRET}.")),
        }
        site.routes = {
            "/feed.xml": Route(
                rss(
                    f"{site.base_url}/a.html",
                    f"{internal.base_url}/secret.html",
                    f"{site.base_url}/hop",
                    f"{site.base_url}/moved",
                ),
                headers=RSS,
            ),
            "/a.html": Route(article("Acme breach", "Acme said attackers stole customer data.")),
            "/hop": Route(status=302, headers={"Location": f"{internal.base_url}/metadata.html"}),
            "/moved": Route(status=301, headers={"Location": f"{site.base_url}/final.html"}),
            "/final.html": Route(article("Initech outage", "Initech said ransomware stopped its plants.")),
        }
        # The source allows its own host and port (it is on loopback); nothing else internal.
        sources = write_sources(
            tmp_path / "s.toml", [feed_source(f"{site.base_url}/feed.xml", allow_private_addresses=True)]
        )
        result = crawl(sources, tmp_path / "d")
        assert result.returncode == 0, result.stderr[-3000:]
        assert internal.hits == []
    pages = stored(tmp_path / "d")
    assert sorted(p.url for p in pages) == [f"{site.base_url}/a.html", f"{site.base_url}/final.html"]
    assert not any(SECRET.encode() in p.body for p in pages)
    moved = next(p for p in pages if p.url.endswith("/final.html"))
    assert moved.requested_url == f"{site.base_url}/moved"
    entry = report(tmp_path / "d", "feed")["sources"]["hostile"]
    assert entry["skipped_reasons"]["private_address"] == 2
    assert "refused" in result.stderr and "loopback" in result.stderr


def test_row5_a_run_refuses_loopback_unless_allowed_for_the_run(tmp_path):
    with serve_routes() as site:
        site.routes = {
            "/feed.xml": Route(rss(f"{site.base_url}/a.html"), headers=RSS),
            "/a.html": Route(article("Acme breach", "Acme said attackers stole customer data.")),
        }
        sources = write_sources(tmp_path / "s.toml", [feed_source(f"{site.base_url}/feed.xml")])
        refused = crawl(sources, tmp_path / "refused")
        assert refused.returncode == 0, refused.stderr[-3000:]
        assert site.hits == []
        entry = report(tmp_path / "refused", "feed")["sources"]["hostile"]
        assert entry["skipped_reasons"] == {"listing_private_address": 1}
        allowed = crawl(sources, tmp_path / "allowed", "-s", "ALLOW_PRIVATE_ADDRESSES=True")
        assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert [p.url for p in stored(tmp_path / "allowed")] == [f"{site.base_url}/a.html"]


# ---- row 6: a sitemap index that lists itself; deep and huge sitemaps ----------------------


def sitemap_index(*locs: str) -> str:
    entries = "".join(f"<sitemap><loc>__BASE_URL__{loc}</loc></sitemap>" for loc in locs)
    return f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'


def urlset(*locs: str) -> str:
    entries = "".join(f"<url><loc>__BASE_URL__{loc}</loc></url>" for loc in locs)
    return (
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    )


def test_row6_sitemaps_that_loop_nest_deep_or_list_too_much_end_with_a_log_line(tmp_path):
    xml = {"Content-Type": "application/xml"}
    pages = [f"/p{n}.html" for n in range(12)]
    with serve_routes() as site:
        site.routes = {
            "/sitemap.xml": Route(sitemap_index("/sitemap.xml", "/deep-1.xml", "/urls.xml"), headers=xml),
            **{
                f"/deep-{n}.xml": Route(sitemap_index(f"/deep-{n + 1}.xml"), headers=xml) for n in range(1, 4)
            },
            "/deep-4.xml": Route(urlset("/never.html"), headers=xml),
            "/urls.xml": Route(urlset(*pages), headers=xml),
            **{page: Route(article(f"Page {page}", "Acme said attackers stole data.")) for page in pages},
        }
        source = {"name": "loop", "kind": "sitemap", "url": f"{site.base_url}/sitemap.xml", "publisher": "L"}
        sources = write_sources(tmp_path / "s.toml", [{**source, "allow_private_addresses": True}])
        result = crawl(
            sources, tmp_path / "d", "-s", "SITEMAP_MAX_DEPTH=3", "-s", "SITEMAP_MAX_URLS=5", timeout=60
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert len(site.hits_of("/sitemap.xml")) == 1
        assert site.hits_of("/deep-3.xml") and not site.hits_of("/deep-4.xml")
    assert len(stored(tmp_path / "d")) == 5
    reasons = report(tmp_path / "d", "sitemap")["sources"]["loop"]["skipped_reasons"]
    assert reasons == {"listing_repeated": 1, "sitemap_too_deep": 1, "sitemap_too_many_urls": 7}
    assert "7 entries not followed (over the limit of 5 URLs)" in result.stderr
    assert "1 entries not followed (sitemap indexes nested more than 3 deep)" in result.stderr


# ---- row 10: robots.txt Crawl-delay ------------------------------------------------------------


def test_row10_robots_crawl_delay_is_honoured(tmp_path):
    with serve_routes() as site:
        site.routes = {
            "/robots.txt": Route("User-agent: *\nCrawl-delay: 1\n", headers={"Content-Type": "text/plain"}),
            "/feed.xml": Route(rss(*(f"{site.base_url}/a{n}.html" for n in range(3))), headers=RSS),
            **{
                f"/a{n}.html": Route(article(f"Story {n}", "Acme said attackers stole data."))
                for n in range(3)
            },
        }
        sources = write_sources(
            tmp_path / "s.toml", [feed_source(f"{site.base_url}/feed.xml", allow_private_addresses=True)]
        )
        result = crawl(sources, tmp_path / "d")  # DOWNLOAD_DELAY=0, AutoThrottle off
        assert result.returncode == 0, result.stderr[-3000:]
        times = [moment for moment, path in site.hits if path != "/robots.txt"]
    assert len(times) == 4 and len(stored(tmp_path / "d")) == 3
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert min(gaps) >= 0.9, gaps


# ---- the cases that held, kept: XXE, billion laughs, gzip bombs, file:// redirects, robots.txt
# Disallow; and off-site links, which now stay off unless the source names the domain -------

XXE_FEED = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title>
<item><title>&xxe;</title><link>__BASE_URL__/a.html</link><description>&xxe;</description></item>
<item><title>private</title><link>__BASE_URL__/private/x.html</link></item>
<item><title>bomb</title><link>__BASE_URL__/bomb.html</link></item>
<item><title>file</title><link>__BASE_URL__/to-file</link></item>
<item><title>elsewhere</title><link>http://elsewhere.example/story.html</link></item>
<item><title>hop</title><link>__BASE_URL__/to-elsewhere</link></item>
<item><title>other name</title><link>http://localhost:__PORT__/d.html</link></item>
</channel></rss>"""

LAUGHS_FEED = (
    '<?xml version="1.0"?><!DOCTYPE rss ['
    + '<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)
    )
    + ']><rss version="2.0"><channel><title>&lol9;</title>'
    + "<item><title>&lol9;</title><link>__BASE_URL__/c.html</link></item></channel></rss>"
)


def test_held_hostile_feeds_bombs_redirects_robots_and_offsite_links(tmp_path):
    import gzip

    bomb = gzip.compress(b"\0" * 30_000_000)  # 30 MB inflated, over DOWNLOAD_MAXSIZE (20 MB)
    with serve_routes() as site:
        port = site.base_url.rsplit(":", 1)[1]
        site.routes = {
            "/robots.txt": Route(
                "User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}
            ),
            "/xxe.xml": Route(XXE_FEED.replace("__PORT__", port), headers=RSS),
            "/laughs.xml": Route(LAUGHS_FEED, headers=RSS),
            "/other.xml": Route(rss(f"http://localhost:{port}/b.html"), headers=RSS),
            "/a.html": Route(article("Acme breach", "Acme said attackers stole customer data.")),
            "/b.html": Route(article("Initech outage", "Initech said ransomware stopped its plants.")),
            "/c.html": Route(article("Globex leak", "Globex said a database was exposed.")),
            "/private/x.html": Route(article("Private", SECRET)),
            "/bomb.html": Route(bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}),
            "/to-file": Route(status=302, headers={"Location": "file:///etc/passwd"}),
            "/to-elsewhere": Route(status=302, headers={"Location": "http://elsewhere.example/hop.html"}),
        }
        sources = write_sources(
            tmp_path / "s.toml",
            [
                feed_source(f"{site.base_url}/xxe.xml"),
                {**feed_source(f"{site.base_url}/laughs.xml"), "name": "laughs"},
                {
                    **feed_source(f"{site.base_url}/other.xml"),
                    "name": "named",
                    "allowed_domains": ["localhost"],
                },
            ],
        )
        result = crawl(sources, tmp_path / "d", "-s", "ALLOW_PRIVATE_ADDRESSES=True", timeout=90)
        assert result.returncode == 0, result.stderr[-3000:]
        assert not site.hits_of("/private/x.html")
    pages = {
        p.url.replace(site.base_url, "").replace(f"http://localhost:{port}", "localhost"): p
        for p in stored(tmp_path / "d")
    }
    # The XXE feed's items were read without the entity; /etc/passwd is nowhere.
    assert sorted(pages) == ["/a.html", "/c.html", "localhost/b.html"]
    assert not any(b"root:" in p.body for p in pages.values())
    sources_report = report(tmp_path / "d", "feed")["sources"]
    hostile = sources_report["hostile"]
    # robots.txt Disallow; a link, a redirect hop and another host name off the site; the gzip
    # bomb dropped over DOWNLOAD_MAXSIZE; the redirect to file:// not followed.
    assert hostile["skipped_reasons"] == {"robots_txt": 1, "offsite": 3, "ignored": 1}
    assert hostile["failed_reasons"] == {"http_302": 1}
    assert sources_report["laughs"]["stored"] == 1  # the billion laughs feed is read, bounded
    assert sources_report["named"]["stored"] == 1  # allowed_domains lets the other name in
    assert "off the site of source hostile" in result.stderr


def test_held_kill_9_during_a_crawl_loses_no_stored_page(tmp_path):
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    with serve_routes() as site:
        links = [f"{site.base_url}/s{n}.html" for n in range(8)]
        site.routes = {
            "/feed.xml": Route(rss(*links), headers=RSS),
            **{
                f"/s{n}.html": Route(article(f"Story {n}", f"Victim {n} said data was stolen."))
                for n in range(8)
            },
        }
        sources = write_sources(tmp_path / "s.toml", [feed_source(f"{site.base_url}/feed.xml")])
        command = [sys.executable, "-m", "incidents", "crawl", "--sources", str(sources), "--data-dir"]
        slow = ["-s", "ALLOW_PRIVATE_ADDRESSES=True", "-s", "AUTOTHROTTLE_ENABLED=False"]
        running = subprocess.Popen(
            [*command, str(tmp_path / "d"), *slow, "-s", "DOWNLOAD_DELAY=0.4", "-s", "RETRY_TIMES=0"],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while len([h for h in site.hits if h[1].startswith("/s")]) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        running.kill()
        running.wait()
        survived = stored(tmp_path / "d")
        assert survived and all(b"said data was stolen" in p.body for p in survived)
        again = crawl(sources, tmp_path / "d", "-s", "ALLOW_PRIVATE_ADDRESSES=True")
        assert again.returncode == 0, again.stderr[-3000:]
    pages = stored(tmp_path / "d")
    assert sorted(p.url for p in pages) == sorted(links)  # the rest fetched, nothing twice


def test_row5_sources_check_fetches_no_internal_address_either(tmp_path):
    with serve_routes() as site, serve_routes() as internal:
        internal.routes = {"/secret.xml": Route(rss(f"{internal.base_url}/x.html"), headers=RSS)}
        site.routes = {
            "/feed.xml": Route(rss(f"{site.base_url}/a.html"), headers=RSS),
            "/hop.xml": Route(status=302, headers={"Location": f"{internal.base_url}/secret.xml"}),
        }
        sources = write_sources(
            tmp_path / "s.toml",
            [
                {**feed_source(f"{site.base_url}/feed.xml"), "name": "unallowed"},
                {**feed_source(f"{site.base_url}/feed.xml"), "name": "own", "allow_private_addresses": True},
                {**feed_source(f"{site.base_url}/hop.xml"), "name": "hop", "allow_private_addresses": True},
            ],
        )
        result = run_cli("sources", "--sources", str(sources), "--check", timeout=60)
        assert internal.hits == [] and len(site.hits_of("/feed.xml")) == 1
    lines = {
        line.split()[0]: line
        for line in result.stdout.splitlines()
        if line.startswith(("unallowed", "own", "hop"))
    }
    assert "not checked: 127.0.0.1 resolves to 127.0.0.1 (loopback)" in lines["unallowed"]
    assert "HTTP 200" in lines["own"] and "1 entries" in lines["own"]
    assert "redirect to" in lines["hop"] and "refused" in lines["hop"]
