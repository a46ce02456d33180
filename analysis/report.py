"""`incidents report`: a self-contained site a journalist can work from, offline.

OUT/index.html has the charts (matplotlib SVG inlined) and every incident in a table that a
search box, filters (type, country, sector) and sortable columns narrow down; OUT/incidents/
has one page per incident: victim, dates, types, the services affected with the sentence
that says so, agencies, attackers, who said what, and every source as publisher and date,
linked. The only script is one small inline block, allowed by its SHA-256 hash in the
Content-Security-Policy; nothing is loaded from outside. Without the script the table is
still all there. Every value from the data is HTML-escaped, links are kept only for http(s)
URLs, and matplotlib's math parsing is off so "$" in a label stays a dollar sign.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import matplotlib
import pandas as pd
import pycountry
from matplotlib.figure import Figure

from analysis.cells import listed
from analysis.query import load_dataset
from core.config import DataDir

TOP = 12
RC = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
    "#8c6d31",
]


def _short(text: str, limit: int = 42) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(fig, name: str) -> str:
    """The figure as an inline <svg> element (no XML prologue, IDs unique to the chart)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": name}):
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    prefix = re.sub(r"[^a-z0-9]+", "-", name.lower())
    svg = re.sub(r'\bid="', f'id="{prefix}-', svg)
    svg = re.sub(r'(href="#|url\(#)', rf"\g<1>{prefix}-", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(name)}" ', 1)


def _empty(name: str) -> str:
    fig = Figure(figsize=(5.5, 1.2))
    ax = fig.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, "no data yet", ha="center", va="center", color="#777")
    return _svg(fig, name)


def _counts(lists: pd.Series) -> Counter:
    """Incidents per value of a list column (each incident counts once per value)."""
    counter: Counter = Counter()
    for cell in lists:
        if cell is not None and not isinstance(cell, str):
            counter.update({str(v) for v in cell if v is not None and str(v).strip()})
    return counter


def _barh(counter: Counter, name: str, color: str) -> str:
    if not counter:
        return _empty(name)
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP][::-1]
    fig = Figure(figsize=(5.5, 0.32 * len(items) + 0.7))
    ax = fig.subplots()
    ax.barh([_short(k) for k, _ in items], [v for _, v in items], color=color)
    for y, (_, value) in enumerate(items):
        ax.text(value, y, f" {value}", va="center", fontsize=8)
    ax.set_xlabel("incidents")
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _svg(fig, name)


def _per_month(incidents: pd.DataFrame) -> str:
    name = "Incidents per month by type"
    if incidents.empty:
        return _empty(name)
    months = incidents["first_reported_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M")
    long = pd.DataFrame({"month": months, "type": incidents["incident_types"]}).explode("type")
    long["type"] = long["type"].fillna("unspecified")
    table = long.groupby(["month", "type"]).size().unstack(fill_value=0)
    table = table.reindex(pd.period_range(months.min(), months.max(), freq="M"), fill_value=0)
    order = table.sum().sort_values(ascending=False).index
    table = table[order]
    fig = Figure(figsize=(11, 3.6))
    ax = fig.subplots()
    bottom = None
    positions = range(len(table))
    for index, column in enumerate(table.columns):
        ax.bar(
            positions,
            table[column],
            bottom=bottom,
            label=column,
            color=PALETTE[index % len(PALETTE)],
            width=0.85,
        )
        bottom = table[column] if bottom is None else bottom + table[column]
    step = max(1, len(table) // 18)
    ax.set_xticks(list(positions)[::step], [str(p) for p in table.index][::step], rotation=45, ha="right")
    ax.set_ylabel("incidents (first reported)")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(
        ncols=min(len(table.columns), 7),
        fontsize=8,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(0, 1.18),
    )
    return _svg(fig, name)


def _country_label(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return f"{getattr(country, 'common_name', None) or country.name} ({code})" if country else code


def charts(incidents: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(title, caption, inline svg) for each chart of the report."""
    with matplotlib.rc_context(RC):
        countries = Counter(_country_label(str(c)) for c in incidents["country"].dropna())
        sectors = Counter(str(s) for s in incidents["sector"].dropna())
        services = Counter()
        for cell in incidents["services_affected"]:
            services.update({" ".join(str(s).split()).lower() for s in (cell if cell is not None else ())})
        return [
            (
                "Incidents per month by type",
                "By month of first report; an incident of several types counts once per type.",
                _per_month(incidents),
            ),
            (
                "By sector",
                "Incidents per sector of the victim.",
                _barh(sectors, "Incidents by sector", "#2ca02c"),
            ),
            (
                "By country",
                "Incidents per country of the victim.",
                _barh(countries, "Incidents by country", "#1f77b4"),
            ),
            (
                "Agencies most involved",
                "Incidents in which each agency is reported as involved.",
                _barh(_counts(incidents["agencies"]), "Agencies most involved", "#9467bd"),
            ),
            (
                "Services most affected",
                "Incidents in which each service is reported affected.",
                _barh(services, "Services most affected", "#d62728"),
            ),
        ]


def _safe_url(url) -> str | None:
    """The URL if it is http(s) with a host, else None (never a javascript: or data: link)."""
    parts = urlsplit(url if isinstance(url, str) else "")
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _a(url, label: str) -> str:
    safe = _safe_url(url)
    if not safe:
        return html.escape(label)
    return f'<a href="{html.escape(safe, quote=True)}" rel="noopener noreferrer">{html.escape(label)}</a>'


def _text(value, default: str = "") -> str:
    return value if isinstance(value, str) and value.strip() else default


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else f"{value:%Y-%m-%d}"


def _joined(cell) -> str:
    return html.escape("; ".join(listed(cell)))


def _label(kind: str) -> str:
    return kind.replace("_", " ")


# The table's search, filters and sorting. A constant: its hash goes into the CSP.
SCRIPT = """
(function () {
  var table = document.getElementById("incidents");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var filters = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var params = new URLSearchParams(location.search);
  function apply() {
    var terms = search.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var n = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var ok = terms.every(function (t) { return text.indexOf(t) >= 0; });
      filters.forEach(function (select) {
        var values = (row.getAttribute("data-" + select.dataset.filter) || "").split("|");
        if (select.value && values.indexOf(select.value) < 0) { ok = false; }
      });
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  function sortBy(index, ascending) {
    var numeric = heads[index].getAttribute("data-kind") === "number";
    heads.forEach(function (th) { th.removeAttribute("aria-sort"); });
    heads[index].setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-sort") || a.cells[index].textContent;
      var y = b.cells[index].getAttribute("data-sort") || b.cells[index].textContent;
      var c = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return ascending ? c : -c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  heads.forEach(function (th, index) {
    var button = th.querySelector("button");
    if (button) {
      button.addEventListener("click", function () {
        sortBy(index, th.getAttribute("aria-sort") !== "ascending");
      });
    }
  });
  search.value = params.get("q") || "";
  filters.forEach(function (select) {
    select.value = params.get(select.dataset.filter) || "";
    select.addEventListener("change", apply);
  });
  search.addEventListener("input", apply);
  var key = params.get("sort");
  heads.forEach(function (th, index) {
    if (key && th.getAttribute("data-key") === key) { sortBy(index, params.get("order") !== "desc"); }
  });
  apply();
})();
"""
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP_INDEX = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src '{SCRIPT_HASH}'"
CSP_PAGE = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

# (key, heading, kind): kind "number" sorts numerically, "text" as text.
TABLE_COLUMNS = [
    ("first", "First reported", "text"),
    ("victim", "Victim / headline", "text"),
    ("types", "Types", "text"),
    ("country", "Country", "text"),
    ("sector", "Sector", "text"),
    ("services", "Services affected", "text"),
    ("agencies", "Agencies", "text"),
    ("attackers", "Claimed by", "text"),
    ("sources", "Sources", "number"),
]


def incident_page_name(incident_id: str) -> str:
    """The incident's page, relative to the report's index (IDs are [a-z0-9-], safe as names)."""
    return f"incidents/{incident_id}.html"


def incidents_table(incidents: pd.DataFrame) -> str:
    """Every incident, newest first, with the data attributes the filters read."""
    ordered = incidents.sort_values(["first_reported_at", "incident_id"], ascending=[False, True])
    body = []
    for r in ordered.to_dict("records"):
        victim = _text(r["victim"], "(unknown victim)")
        types = listed(r["incident_types"])
        country = _text(r["country"])
        sector = _text(r["sector"])
        body.append(
            f'<tr data-type="{html.escape("|".join(types), quote=True)}" data-country="{html.escape(country, quote=True)}"'
            f' data-sector="{html.escape(sector, quote=True)}">'
            f'<td class=nowrap data-sort="{r["first_reported_at"]:%Y-%m-%dT%H:%M}">{_day(r["first_reported_at"])}</td>'
            f'<td class=victim data-sort="{html.escape(victim.casefold(), quote=True)}">'
            f'<a href="{incident_page_name(r["incident_id"])}"><strong>{html.escape(victim)}</strong></a><br>'
            f"<span class=muted>{html.escape(_text(r['title']))}</span></td>"
            f"<td class=types>{html.escape('; '.join(_label(t) for t in types))}</td>"
            f"<td>{html.escape(country)}</td>"
            f"<td>{html.escape(sector)}</td>"
            f"<td>{_joined(r['services_affected'])}</td>"
            f"<td>{_joined(r['agencies'])}</td>"
            f"<td>{_joined(r['attackers'])}</td>"
            f'<td class=num data-sort="{int(r["n_sources"])}">{int(r["n_sources"])}</td>'
            "</tr>"
        )
    head = "".join(
        f'<th data-key="{key}" data-kind="{kind}"><button type="button">{html.escape(heading)}</button></th>'
        for key, heading, kind in TABLE_COLUMNS
    )
    return f'<table id="incidents"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _options(values, label=lambda v: v) -> str:
    return "".join(
        f'<option value="{html.escape(v, quote=True)}">{html.escape(label(v))}</option>'
        for v in sorted(set(values))
    )


def controls(incidents: pd.DataFrame) -> str:
    """The search box and the filters (the script makes them work)."""
    types = [t for cell in incidents["incident_types"] for t in listed(cell)]
    countries = [c for c in incidents["country"].dropna().astype(str)]
    sectors = [s for s in incidents["sector"].dropna().astype(str)]
    selects = [
        ("type", "any type", _options(types, _label)),
        ("country", "any country", _options(countries, _country_label)),
        ("sector", "any sector", _options(sectors)),
    ]
    return (
        '<div class="controls"><label>Search <input id="search" type="search" '
        'placeholder="victim, headline, agency, attacker…" autocomplete="off"></label>'
        + "".join(
            f'<label><select data-filter="{name}"><option value="">{empty}</option>{options}</select></label>'
            for name, empty, options in selects
        )
        + f'<span class="muted"><b id="shown">{len(incidents)}</b> of {len(incidents)} incidents shown</span></div>'
    )


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2a44;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:24px} header p{margin:4px 0 0;color:#c9d3e6} header a{color:#fff}
main{padding:16px 32px;max-width:1240px}
.stats{display:flex;gap:16px;margin:8px 0 16px}
.stat{background:#fff;border-radius:8px;padding:10px 16px;box-shadow:0 1px 2px #0002}
.stat b{display:block;font-size:22px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}
figure{background:#fff;margin:0;padding:12px 16px;border-radius:8px;box-shadow:0 1px 2px #0002}
figure.wide{grid-column:1/-1}
figure h2{font-size:16px;margin:0 0 2px} figcaption{color:#667;font-size:12px;margin-bottom:6px}
figure svg{max-width:100%;height:auto} figure.wide svg{width:100%}
section{margin-top:20px;background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px #0002}
section h2{font-size:17px;margin:4px 0 10px}
.controls{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin-bottom:10px}
.controls input{width:280px;padding:5px 8px} .controls select{padding:4px}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th,td{border-bottom:1px solid #e3e6eb;padding:6px;vertical-align:top;text-align:left;overflow-wrap:break-word}
th{background:#eef1f6;position:sticky;top:0;white-space:nowrap}
th button{font:inherit;font-weight:600;border:0;background:none;cursor:pointer;padding:0;color:inherit}
th[aria-sort=ascending] button::after{content:" ▲"} th[aria-sort=descending] button::after{content:" ▼"}
td.types{min-width:90px} td.victim{min-width:180px;max-width:300px}
tr[hidden]{display:none}
.muted{color:#556} .num{text-align:right} .nowrap{white-space:nowrap}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0}
dl.facts dt{color:#556;font-weight:600} dl.facts dd{margin:0}
ul.plain{margin:0;padding-left:18px} ul.plain li{margin:4px 0}
blockquote{margin:6px 0 12px;padding:6px 12px;border-left:3px solid #9467bd;background:#f8f6fb}
blockquote footer{padding:4px 0 0;font-size:12px}
.evidence{color:#445;font-style:italic}
footer{color:#778;font-size:12px;padding:16px 32px}
"""


def _page(title: str, csp: str, header: str, body: str, footer: str, script: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{STYLE}</style></head>
<body>
<header>{header}</header>
<main>
{body}
</main>
<footer>{footer}</footer>{f"<script>{script}</script>" if script else ""}
</body></html>
"""


def _footer(card: dict) -> str:
    return (
        f"Dataset built {html.escape(str(card.get('built_at', 'unknown')))} · incident-tracker "
        f"{html.escape(str(card.get('builder_version', '')))} · every figure counts incidents, not articles; "
        "syndicated copies of one story count once."
    )


def render(incidents: pd.DataFrame, card: dict, source: str) -> str:
    """The report's index page."""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    first = incidents["first_reported_at"]
    span = f"{first.min():%Y-%m-%d} – {first.max():%Y-%m-%d}" if len(first) else "no incidents yet"
    stats = [
        ("incidents", len(incidents)),
        ("articles", int(incidents["n_urls"].sum()) if len(incidents) else 0),
        ("victims", incidents["victim_key"].nunique() if len(incidents) else 0),
        ("sources", len({s for cell in incidents["sources"] for s in listed(cell)})),
    ]
    figures = []
    for index, (title, caption, svg) in enumerate(charts(incidents)):
        figures.append(
            f'<figure class="{"wide" if index == 0 else ""}"><h2>{html.escape(title)}</h2>'
            f"<figcaption>{html.escape(caption)}</figcaption>{svg}</figure>"
        )
    header = (
        f"<h1>Cyber incidents in public reporting</h1>"
        f"<p>First reported {html.escape(span)} · generated {generated} from {html.escape(source)}</p>"
    )
    body = (
        f'<div class="stats">{"".join(f"<div class=stat><b>{v}</b>{html.escape(k)}</div>" for k, v in stats)}</div>'
        f'<div class="grid">{"".join(figures)}</div>'
        f"<section><h2>Incidents</h2>{controls(incidents)}{incidents_table(incidents)}</section>"
    )
    return _page("Cyber incidents report", CSP_INDEX, header, body, _footer(card), SCRIPT)


def _source_label(article: dict) -> str:
    publisher = _text(article.get("publisher"), _text(article.get("source"), "source"))
    day = _day(article.get("published_at"))
    return f"{publisher}, {day}" if day else publisher


def _supported_by(incident: dict, field: str, value: str, articles: dict[str, dict]) -> str:
    """Links to the articles that back one value of one field (from the incident's evidence)."""
    for item in incident["evidence"] if incident["evidence"] is not None else ():
        if item["field"] == field and item["value"] == value:
            found = [articles[a] for a in listed(item["article_ids"]) if a in articles]
            if found:
                return (
                    ' <span class="muted">('
                    + ", ".join(_a(a["url"], _source_label(a)) for a in found)
                    + ")</span>"
                )
    return ""


def _values(incident: dict, field: str, articles: dict[str, dict], label=lambda v: v) -> str:
    values = listed(incident[field])
    if not values:
        return '<span class="muted">none reported</span>'
    return (
        "<ul class=plain>"
        + "".join(
            f"<li>{html.escape(label(v))}{_supported_by(incident, field, v, articles)}</li>" for v in values
        )
        + "</ul>"
    )


def _services(incident: dict, articles: dict[str, dict]) -> str:
    statuses = list(incident["services_status"]) if incident["services_status"] is not None else []
    if not statuses:
        return '<span class="muted">none reported</span>'
    items = []
    for status in statuses:
        article = articles.get(status.get("article_id") or "", {})
        sentence = _text(status.get("sentence"))
        items.append(
            f"<li><strong>{html.escape(_text(status.get('service')))}</strong>"
            + (f" — {html.escape(_text(status.get('status')))}" if _text(status.get("status")) else "")
            + (f'<br><span class="evidence">“{html.escape(sentence)}”</span>' if sentence else "")
            + (
                f' <span class="muted">({_a(article.get("url"), _source_label(article))})</span>'
                if article
                else ""
            )
            + "</li>"
        )
    return "<ul class=plain>" + "".join(items) + "</ul>"


def _statements(statements: pd.DataFrame, articles: dict[str, dict]) -> str:
    if statements.empty:
        return '<p class="muted">No statements quoted.</p>'
    quotes = []
    for s in statements.sort_values(["published_at", "article_id"]).to_dict("records"):
        article = articles.get(
            s["article_id"], {"url": s["url"], "source": s["source"], "published_at": s["published_at"]}
        )
        quotes.append(
            f"<blockquote>{html.escape(_text(s['quote']))}"
            f"<footer><strong>{html.escape(_text(s['speaker'], 'unattributed'))}</strong>, quoted by "
            f"{_a(article.get('url'), _source_label(article))}</footer></blockquote>"
        )
    return "".join(quotes)


def incident_page(incident: dict, articles: pd.DataFrame, statements: pd.DataFrame, card: dict) -> str:
    """One incident: the facts, each with the sources behind it, the statements and the sources."""
    by_id = {a["article_id"]: a for a in articles.to_dict("records")}
    victim = _text(incident["victim"], "(unknown victim)")
    others = [v for v in listed(incident["victims"]) if v != victim]
    country = _text(incident["country"])
    facts = [
        ("Incident ID", html.escape(incident["incident_id"])),
        ("First reported", _day(incident["first_reported_at"])),
        ("Last reported", _day(incident["last_reported_at"])),
        (
            "Country",
            html.escape(_country_label(country)) if country else '<span class="muted">unknown</span>',
        ),
        ("Sector", html.escape(_text(incident["sector"], "unknown"))),
        (
            "Other victims named",
            html.escape("; ".join(others)) if others else '<span class="muted">none</span>',
        ),
        ("Types", _values(incident, "incident_types", by_id, _label)),
        ("Claimed by / attributed to", _values(incident, "attackers", by_id)),
        ("Agencies involved", _values(incident, "agencies", by_id)),
    ]
    sources = "".join(
        f"<li>{_a(a['url'], _source_label(a))}: {html.escape(_text(a['title'], a['url']))}"
        + (' <span class="muted">(copy of an earlier story)</span>' if a.get("is_copy") is True else "")
        + "</li>"
        for a in articles.sort_values(["published_at", "article_id"]).to_dict("records")
    )
    header = (
        f'<p><a href="../index.html">← all incidents</a></p><h1>{html.escape(victim)}</h1>'
        f"<p>{html.escape(_text(incident['title']))}</p>"
    )
    body = (
        '<section><h2>What was reported</h2><dl class="facts">'
        + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
        + "</dl></section>"
        f"<section><h2>Services affected</h2>{_services(incident, by_id)}</section>"
        f"<section><h2>Statements</h2>{_statements(statements, by_id)}</section>"
        f"<section><h2>Sources ({len(articles)})</h2><ul class=plain>{sources}</ul></section>"
    )
    return _page(f"{victim} — incident {incident['incident_id']}", CSP_PAGE, header, body, _footer(card))


def write_report(out_dir: Path | str, data_dir: DataDir | str | Path | None = None) -> Path:
    """Write OUT/index.html and OUT/incidents/<id>.html (replacing an earlier report); returns the index."""
    dataset = load_dataset(data_dir, tables=("incidents", "articles", "statements"))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = out / ".incidents.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    incidents = dataset["incidents"]
    articles = dataset["articles"]
    articles = articles[articles["incident_id"].notna()]
    article_groups = dict(tuple(articles.groupby("incident_id", observed=True)))
    statement_groups = dict(tuple(dataset["statements"].groupby("incident_id", observed=True)))
    empty_articles, empty_statements = articles.iloc[0:0], dataset["statements"].iloc[0:0]
    for incident in incidents.to_dict("records"):
        key = incident["incident_id"]
        page = incident_page(
            incident,
            article_groups.get(key, empty_articles),
            statement_groups.get(key, empty_statements),
            dataset.card,
        )
        (staging / f"{key}.html").write_text(page, encoding="utf-8")
    pages = out / "incidents"
    shutil.rmtree(pages, ignore_errors=True)
    staging.rename(pages)
    index = out / "index.html"
    tmp = out / ".index.html.tmp"
    tmp.write_text(render(incidents, dataset.card, str(dataset.path)), encoding="utf-8")
    tmp.replace(index)
    return index
