"""`incidents report`: one self-contained HTML page with charts and the latest incidents.

Charts are matplotlib SVG inlined in the page; there is no script and no external
resource, and a Content-Security-Policy forbids both, so the page works offline and a
hostile headline can at worst show up as text: every value from the data is HTML-escaped,
links are kept only for http(s) URLs, and matplotlib's math parsing is off so "$" in a label
stays a dollar sign.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import matplotlib
import pandas as pd
import pycountry
from matplotlib.figure import Figure

from analysis.query import load_dataset
from core.config import DataDir

LATEST_ROWS = 50
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


def _link(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return html.escape(url or "")
    page = parts.path.rstrip("/").rsplit("/", 1)[-1]
    label = _short(f"{parts.netloc}/…/{page}" if page else parts.netloc, 48)
    return f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer">{html.escape(label)}</a>'


def _joined(cell) -> str:
    values = [] if cell is None or isinstance(cell, str) else [str(v) for v in cell]
    return html.escape("; ".join(values))


def latest_table(incidents: pd.DataFrame, rows: int = LATEST_ROWS) -> str:
    ordered = incidents.sort_values(["first_reported_at", "incident_id"], ascending=[False, True]).head(rows)
    body = []
    for r in ordered.to_dict("records"):
        links = " ".join(_link(u) for u in (r["source_urls"] if r["source_urls"] is not None else ()))
        victim = r["victim"] if isinstance(r["victim"], str) else "(unknown)"
        body.append(
            "<tr>"
            f"<td class=nowrap>{r['first_reported_at']:%Y-%m-%d}</td>"
            f"<td class=victim><strong>{html.escape(victim)}</strong><br>"
            f"<span class=muted>{html.escape(str(r['title'] or ''))}</span></td>"
            f"<td class=types>{_joined(r['incident_types']).replace('_', ' ')}</td>"
            f"<td>{_joined(r['services_affected'])}</td>"
            f"<td>{_joined(r['agencies'])}</td>"
            f"<td>{_joined(r['attackers'])}</td>"
            f"<td class=num>{int(r['n_sources'])}</td>"
            f"<td class=links>{links}</td>"
            "</tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "First reported",
            "Victim / headline",
            "Types",
            "Services affected",
            "Agencies",
            "Claimed by",
            "Sources",
            "Links",
        )
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2a44;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:24px} header p{margin:4px 0 0;color:#c9d3e6}
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
table{border-collapse:collapse;width:100%;font-size:12.5px}
th,td{border-bottom:1px solid #e3e6eb;padding:6px;vertical-align:top;text-align:left;overflow-wrap:break-word}
th{background:#eef1f6;position:sticky;top:0;white-space:nowrap}
td.types{min-width:90px} td.victim{min-width:180px;max-width:300px}
.muted{color:#556} .num{text-align:right} .nowrap{white-space:nowrap}
.links a{display:inline-block;margin-right:6px}
footer{color:#778;font-size:12px;padding:16px 32px}
"""


def render(incidents: pd.DataFrame, card: dict, source: str) -> str:
    """The report's HTML."""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    first = incidents["first_reported_at"]
    span = f"{first.min():%Y-%m-%d} – {first.max():%Y-%m-%d}" if len(first) else "no incidents yet"
    stats = [
        ("incidents", len(incidents)),
        ("articles", int(incidents["n_urls"].sum()) if len(incidents) else 0),
        ("victims", incidents["victim_key"].nunique() if len(incidents) else 0),
        ("sources", len({s for cell in incidents["sources"] for s in (cell if cell is not None else ())})),
    ]
    figures = []
    for index, (title, caption, svg) in enumerate(charts(incidents)):
        figures.append(
            f'<figure class="{"wide" if index == 0 else ""}"><h2>{html.escape(title)}</h2>'
            f"<figcaption>{html.escape(caption)}</figcaption>{svg}</figure>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cyber incidents report</title>
<style>{STYLE}</style></head>
<body>
<header><h1>Cyber incidents in public reporting</h1>
<p>First reported {html.escape(span)} · generated {generated} from {html.escape(source)}</p></header>
<main>
<div class="stats">{"".join(f'<div class="stat"><b>{v}</b>{html.escape(k)}</div>' for k, v in stats)}</div>
<div class="grid">{"".join(figures)}</div>
<section><h2>Latest incidents</h2>{latest_table(incidents)}</section>
</main>
<footer>Dataset built {html.escape(str(card.get("built_at", "unknown")))} ·
incident-tracker {html.escape(str(card.get("builder_version", "")))} · every figure counts incidents, not articles;
syndicated copies of one story count once.</footer>
</body></html>
"""


def write_report(out_dir: Path | str, data_dir: DataDir | str | Path | None = None) -> Path:
    """Write OUT/index.html; returns its path."""
    dataset = load_dataset(data_dir, tables=("incidents",))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "index.html"
    staging = out / ".index.html.tmp"
    staging.write_text(render(dataset["incidents"], dataset.card, str(dataset.path)), encoding="utf-8")
    staging.replace(page)
    return page
