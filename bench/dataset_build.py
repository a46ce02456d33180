"""Build the dataset from 100,000 generated analysed articles, then add 1,000 more (an
incremental build); time queries in DuckDB vs pandas.

    python -m bench.dataset_build [--articles 100000] [--add 1000] [--victims 5000] [--keep DIR]

Targets (issue 14): a full build of 100,000 articles under 60 s, adding 1,000 under 10 s;
both are printed with their ratio to the target and the incremental one to the full build,
with each build's CPU seconds and the load average (the machine may be shared). Then a
build with nothing new, which reads and writes nothing.

The corpus: ~5k victim organisations (spelled with and without legal suffixes), each with
one or more incidents over three years, each incident reported by several outlets over a
few weeks, a quarter of the articles syndicated copies (near-identical text) of another.
The build runs in a child process so its peak memory (max RSS) is measured alone. Then a
few typical analyst queries run through DuckDB (over the parquet files) and through pandas
(on DataFrames already loaded; the load time is printed separately), in the same run.
The synthetic ground truth also gives a clustering score at scale.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from analysis import load_dataset
from analysis.query import run_query
from bench.clustering_quality import scores
from core.config import DataDir
from core.vocabulary import SPECIFIC_INCIDENT_TYPES
from pipelines.extracted import articles_dir
from pipelines.extracted_schema import EXTRACTED_ARTICLE

TYPES = list(SPECIFIC_INCIDENT_TYPES)
TYPE_WEIGHTS = np.array([30, 25, 10, 5, 3, 6, 3, 3, 2, 1, 8, 4], dtype=float)
ATTACKERS = [
    "LockBit",
    "ALPHV",
    "Cl0p",
    "Black Basta",
    "Akira",
    "Play",
    "Rhysida",
    "Qilin",
    "BlackSuit",
    "Medusa",
    "Scattered Spider",
    "Lazarus Group",
    "APT29",
    "Killnet",
    "NoName057(16)",
    "8Base",
    "Royal",
    "Conti",
    "REvil",
    "Hive",
]
AGENCIES = [
    ("National Cyber Security Centre", "GB"),
    ("National Crime Agency", "GB"),
    ("Information Commissioner's Office", "GB"),
    ("Federal Bureau of Investigation", "US"),
    ("Cybersecurity and Infrastructure Security Agency", "US"),
    ("Europol", None),
    ("Australian Federal Police", "AU"),
    ("Australian Signals Directorate", "AU"),
    ("Bundesamt für Sicherheit in der Informationstechnik", "DE"),
    ("ANSSI", "FR"),
    ("Canadian Centre for Cyber Security", "CA"),
    ("Securities and Exchange Commission", "US"),
]
COUNTRIES = ["US", "GB", "DE", "FR", "AU", "CA", "NL", "IT", "ES", "JP", "IE", "BE", "SE", "IN", "BR"]
COUNTRY_WEIGHTS = np.array([40, 15, 7, 6, 6, 5, 3, 3, 3, 3, 2, 2, 2, 2, 1], dtype=float)
SECTORS = [
    "healthcare",
    "education",
    "manufacturing",
    "retail",
    "finance",
    "government",
    "telecommunications",
    "energy",
    "transport",
    "technology",
    "hospitality",
    "legal services",
    "media",
    "logistics",
    "public transport",
]
SERVICES = [
    "online orders",
    "card payments",
    "email",
    "website",
    "patient records",
    "appointments",
    "payroll",
    "customer portal",
    "phone lines",
    "IT systems",
    "mobile app",
    "deliveries",
]
SOURCES = [f"outlet-{i:02d}" for i in range(40)]
SUFFIXES = ["", "", "", " Ltd", " Inc", " Group", " plc", " Holdings"]
WORDS = (
    "northern southern global united metro city river coast valley summit harbor crown pine oak "
    "apex atlas beacon cedar delta echo falcon granite horizon iris juniper keystone lumen meridian "
    "nova orbit pioneer quartz ridge sterling tidal union vertex willow zenith"
).split()
NOUNS = (
    "health bank logistics energy foods systems university council hospital airlines insurance "
    "telecom retail motors pharma water railways media school clinic labs capital partners"
).split()


def generate(n_articles: int, n_victims: int, seed: int = 42) -> tuple[pa.Table, np.ndarray]:
    """(extracted-article table, true incident label per article)."""
    rng = np.random.default_rng(seed)
    names = sorted(
        {
            f"{a.title()} {b.title()} {c.title()}"
            for a, b, c in zip(
                rng.choice(WORDS, n_victims * 3),
                rng.choice(WORDS, n_victims * 3),
                rng.choice(NOUNS, n_victims * 3),
            )
        }
    )
    names = list(rng.permutation(names)[:n_victims])
    start = np.datetime64("2022-01-01T00:00", "m")
    span = 3 * 365 * 24 * 60
    per_incident = 8
    n_incidents = n_articles // per_incident
    incident_victim = rng.zipf(1.6, n_incidents) % n_victims  # a few victims are hit often
    # Incidents of one victim sit at least 120 days apart, so the truth is unambiguous.
    incident_start = rng.integers(0, span - 60 * 24 * 60, n_incidents)
    order = np.lexsort((incident_start, incident_victim))
    gap = 120 * 24 * 60
    for prev, cur in zip(order, order[1:]):
        if incident_victim[prev] == incident_victim[cur] and incident_start[cur] - incident_start[prev] < gap:
            incident_start[cur] = incident_start[prev] + gap
    incident_type = rng.choice(len(TYPES), n_incidents, p=TYPE_WEIGHTS / TYPE_WEIGHTS.sum())
    incident_attacker = np.where(
        rng.random(n_incidents) < 0.5, rng.integers(0, len(ATTACKERS), n_incidents), -1
    )
    incident_country = rng.choice(len(COUNTRIES), n_incidents, p=COUNTRY_WEIGHTS / COUNTRY_WEIGHTS.sum())
    incident_sector = rng.integers(0, len(SECTORS), n_incidents)

    label = rng.integers(0, n_incidents, n_articles)
    offset = (rng.exponential(4 * 24 * 60, n_articles)).astype(np.int64).clip(0, 40 * 24 * 60)
    published = start + (incident_start[label] + offset).astype("timedelta64[m]")
    source = rng.integers(0, len(SOURCES), n_articles)
    copy_of = np.full(n_articles, -1)
    is_copy = rng.random(n_articles) < 0.25
    first_of_incident = {}
    for row in np.argsort(published, kind="stable"):
        first = first_of_incident.setdefault(int(label[row]), int(row))
        if is_copy[row] and first != row:
            copy_of[row] = first
    vocab = np.array([f"w{i}" for i in range(20_000)])
    suffix = rng.integers(0, len(SUFFIXES), n_articles)
    texts = [
        f"{names[incident_victim[label[row]]]} said on Monday that it was dealing with a cyber incident. "
        + " ".join(rng.choice(vocab, 110))
        for row in range(n_articles)
    ]
    for row in np.flatnonzero(copy_of >= 0):
        texts[row] = texts[copy_of[row]] + " Republished with permission."
    rows = {name: [] for name in EXTRACTED_ARTICLE.names}
    for row in range(n_articles):
        inc = int(label[row])
        victim = names[incident_victim[inc]]
        text = texts[row]
        specific = rng.random() < 0.7 or offset[row] > 3 * 24 * 60
        agency = AGENCIES[(inc + row) % len(AGENCIES)] if rng.random() < 0.3 else None
        article_id = hashlib.blake2b(f"a{row}".encode(), digest_size=8).hexdigest()
        rows["article_id"].append(article_id)
        rows["url"].append(f"https://{SOURCES[source[row]]}.example/{article_id}")
        rows["source"].append(SOURCES[source[row]])
        rows["publisher"].append(SOURCES[source[row]].replace("-", " ").title())
        rows["title"].append(f"{victim} hit by cyber incident")
        rows["text"].append(text)
        rows["published_at"].append(published[row].astype("datetime64[us]").item())
        rows["fetched_at"].append(published[row].astype("datetime64[us]").item())
        rows["language"].append("en")
        rows["is_incident"].append(True)
        rows["incident_types"].append([TYPES[incident_type[inc]]] if specific else ["unspecified"])
        rows["victims"].append([victim + SUFFIXES[suffix[row]]])
        rows["attackers"].append(
            [ATTACKERS[incident_attacker[inc]]] if incident_attacker[inc] >= 0 and specific else []
        )
        rows["agencies"].append([{"name": agency[0], "country": agency[1]}] if agency else [])
        services = [SERVICES[(inc + k) % len(SERVICES)] for k in range(int(rng.integers(0, 3)))]
        rows["services_affected"].append(services)
        rows["services"].append([{"service": s, "status": "disrupted", "sentence": None} for s in services])
        rows["organisations"].append([victim])
        rows["countries"].append([COUNTRIES[incident_country[inc]]])
        rows["sector"].append(SECTORS[incident_sector[inc]])
        rows["statements"].append(
            [{"speaker": victim, "quote": "We are investigating."}] if row % 5 == 0 else []
        )
        rows["mentions"].append([{"text": victim, "label": "ORG", "role": "victim", "sentence": None}])
        rows["extractor_version"].append("synthetic-1")
    for name, values in rows.items():
        if not values:  # fields the generator does not model (record_id, authors, errors...)
            rows[name] = [None] * n_articles
    return pa.Table.from_pydict(rows, schema=EXTRACTED_ARTICLE), label


def write_extracted(root: Path, table: pa.Table, parts: int = 5, tag: str = "bench") -> None:
    folder = articles_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-table.num_rows // parts)
    for index in range(parts):
        pq.write_table(table.slice(index * size, size), folder / f"part-{tag}-{index:02d}.parquet")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_in_child(data_dir: Path, *flags: str) -> tuple[float, int]:
    """Run the build in a fresh interpreter: (wall seconds, peak RSS in MiB of the children so
    far). Also prints the child's CPU seconds and the load average: on a shared machine the
    wall time is the CPU time stretched by the other processes."""
    started, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(
        [sys.executable, "-m", "incidents", "build", "--data-dir", str(data_dir), *flags], check=True
    )
    seconds = time.perf_counter() - started
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"  (build {' '.join(flags) or 'incremental'}: {_children_cpu() - cpu:.1f} s CPU; load average {load})"
    )
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kib // 1024


FULL_TARGET_S = 60.0
INCREMENTAL_TARGET_S = 10.0


def timed(function, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def queries(data_dir: DataDir, ds) -> list[tuple[str, object, object]]:
    """(name, DuckDB callable, pandas callable) for typical analyst questions."""
    inc, art = ds["incidents"], ds["articles"]
    return [
        (
            "incidents per month by type",
            lambda: run_query(
                """SELECT strftime(first_reported_at, '%Y-%m') AS month, t AS type, count(*) AS n
                                 FROM incidents, unnest(incident_types) AS u(t) GROUP BY 1, 2 ORDER BY 1, 2""",
                data_dir,
            ),
            lambda: (
                inc[["first_reported_at", "incident_types"]]
                .explode("incident_types")
                .assign(month=lambda d: d["first_reported_at"].dt.strftime("%Y-%m"))
                .groupby(["month", "incident_types"])
                .size()
            ),
        ),
        (
            "incidents where NCSC was involved",
            lambda: run_query(
                """SELECT incident_id, victim FROM incidents
                                 WHERE list_contains(agencies, 'National Cyber Security Centre')""",
                data_dir,
            ),
            lambda: inc.loc[
                inc["agencies"].map(lambda a: "National Cyber Security Centre" in a),
                ["incident_id", "victim"],
            ],
        ),
        (
            "everything LockBit claimed, with URLs",
            lambda: run_query(
                """SELECT i.incident_id, i.victim, a.url FROM incidents i
                                 JOIN articles a USING (incident_id)
                                 WHERE list_contains(i.attackers, 'LockBit')""",
                data_dir,
            ),
            lambda: inc.loc[inc["attackers"].map(lambda a: "LockBit" in a), ["incident_id", "victim"]].merge(
                art[["incident_id", "url"]], on="incident_id"
            ),
        ),
        (
            "top attackers by incidents",
            lambda: run_query(
                """SELECT a AS attacker, count(*) AS n FROM incidents, unnest(attackers) AS u(a)
                                 GROUP BY 1 ORDER BY 2 DESC LIMIT 10""",
                data_dir,
            ),
            lambda: inc["attackers"].explode().value_counts().head(10),
        ),
        (
            "articles per source mentioning 'w123' in text",
            lambda: run_query(
                """SELECT source, count(*) AS n FROM articles
                                 WHERE contains(text, ' w123 ') GROUP BY 1 ORDER BY 2 DESC""",
                data_dir,
            ),
            lambda: art.loc[art["text"].str.contains(" w123 ", regex=False), "source"].value_counts(),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--add", type=int, default=1_000, help="articles added for the incremental build")
    parser.add_argument("--victims", type=int, default=5_000)
    parser.add_argument("--keep", type=Path, help="build in this data dir and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        data_dir = DataDir.resolve(root)
        started = time.perf_counter()
        everything, all_truth = generate(args.articles + args.add, args.victims)
        table, truth = everything.slice(0, args.articles), all_truth[: args.articles]
        write_extracted(data_dir.extracted, table)
        print(
            f"generated {table.num_rows:,} articles ({len(set(truth)):,} true incidents) "
            f"in {time.perf_counter() - started:.1f} s"
        )

        seconds, peak = build_in_child(root, "--full")
        print(
            f"full build of {table.num_rows:,}: {seconds:.1f} s wall (incl. interpreter start), peak RSS "
            f"{peak} MiB; {seconds / FULL_TARGET_S:.2f}x the {FULL_TARGET_S:.0f} s target"
        )
        if args.add:
            write_extracted(data_dir.extracted, everything.slice(args.articles), parts=1, tag="later")
            added, _ = build_in_child(root)
            print(
                f"incremental build adding {args.add:,} to {table.num_rows:,}: {added:.1f} s wall; "
                f"{added / INCREMENTAL_TARGET_S:.2f}x the {INCREMENTAL_TARGET_S:.0f} s target, "
                f"{added / seconds:.2f}x the full build"
            )
            table, truth = everything, all_truth
            unchanged, _ = build_in_child(root)
            print(
                f"build with nothing new: {unchanged:.1f} s wall (incl. interpreter start), dataset untouched"
            )

        load_seconds, ds = timed(lambda: load_dataset(data_dir), repeat=1)
        print(f"dataset: {len(ds['incidents']):,} incidents; pandas load of all tables {load_seconds:.2f} s")
        predicted = dict(zip(ds["articles"]["article_id"], ds["articles"]["incident_id"]))
        ids = table.column("article_id").to_pylist()
        result = scores({a: str(t) for a, t in zip(ids, truth)}, predicted)
        print(
            "clustering on the synthetic truth: "
            + ", ".join(
                f"{k} {result[k]:.3f}"
                for k in ("pairwise_precision", "pairwise_recall", "bcubed_precision", "bcubed_recall")
            )
        )

        print(f"\n{'query':<46} {'duckdb':>9} {'pandas':>9} {'pandas/duckdb':>14}")
        for name, duck, panda in queries(data_dir, ds):
            duck_s, _ = timed(duck)
            panda_s, _ = timed(panda)
            print(f"{name:<46} {duck_s * 1000:>7.1f}ms {panda_s * 1000:>7.1f}ms {panda_s / duck_s:>13.2f}x")
        print("(duckdb reads the parquet files on every query; pandas works on DataFrames already in memory)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
