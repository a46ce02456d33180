"""Hostile use of one data directory: commands run at once, kill -9 half-way, a build that
would shrink the dataset. Each asserts the published dataset and the extracted articles lost
nothing (issue 13, rows 1-3)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from analysis import load_dataset, storage
from analysis.build import build_dataset
from core.config import DataDir
from core.locks import data_dir_lock
from core.raw_store import RawStore
from core.records import AnalysisRecord, PageItem
from pipelines import extracted
from pipelines.extract import run_extract
from tests.conftest import REPO, run_cli, write_sources
from tests.fixtures.dataset.factory import article, sample_rows, write_extracted

VICTIMS = ["Acme Corp", "Initech", "Globex", "Umbrella Health", "Hooli", "Vandelay Industries"]


def store_pages(data_dir: DataDir) -> None:
    with RawStore(data_dir.raw) as store:
        for n, victim in enumerate(VICTIMS):
            url = f"https://news.example/{n}"
            body = (
                f"<html><head><title>{victim} hit by ransomware</title>"
                f'<meta property="article:published_time" content="2024-03-0{n + 1}T10:00:00Z"></head>'
                f"<body><article><h1>{victim} hit by ransomware</h1><p>{victim} said on Monday that "
                f"a ransomware attack had encrypted its servers and stopped production.</p></article>"
                "</body></html>"
            ).encode()
            store.add(PageItem(url, url, url, "news", 200, [("Content-Type", "text/html")], body, "News"))


def fake_analyze(documents):
    """The analysis without spaCy: every page is a ransomware incident at the victim in its title."""
    for doc in documents:
        victim = doc["title"].split(" hit by")[0]
        yield AnalysisRecord(id=doc["id"], is_incident=True, incident_types=["ransomware"], victims=[victim])


def extracted_and_built(tmp_path) -> DataDir:
    data_dir = DataDir(tmp_path / "d")
    store_pages(data_dir)
    run_extract(data_dir, fake_analyze, batch_size=2)
    build_dataset(data_dir)
    return data_dir


def published(data_dir: DataDir) -> tuple[int, int]:
    dataset = load_dataset(data_dir)
    return len(dataset["articles"]), len(dataset["incidents"])


# ---- row 2: kill -9 during extract --all, then build ---------------------------------------

KILLED_EXTRACT = textwrap.dedent(
    """
    import os, signal, sys
    from core.config import DataDir
    from pipelines.extract import run_extract
    from tests.test_hostile_data import fake_analyze

    def dies_in_the_second_batch(documents):
        dies_in_the_second_batch.batches += 1
        if dies_in_the_second_batch.batches == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        yield from fake_analyze(documents)

    dies_in_the_second_batch.batches = 0
    run_extract(DataDir.resolve(sys.argv[1]), dies_in_the_second_batch, reprocess_all=True, batch_size=2)
    """
)


def test_row2_kill_9_during_extract_all_loses_no_extracted_article(tmp_path):
    data_dir = extracted_and_built(tmp_path)
    assert published(data_dir) == (6, 6)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_EXTRACT, str(data_dir.root)], cwd=REPO, capture_output=True, text=True
    )
    assert killed.returncode == -9, killed.stderr
    assert len(extracted.read_table(data_dir.extracted)) == 6  # the old parts are all still there
    build_dataset(data_dir)
    assert published(data_dir) == (6, 6)
    # The next full extraction clears the interrupted one's leftovers and swaps in a whole set.
    run_extract(data_dir, fake_analyze, reprocess_all=True, batch_size=2)
    assert len(extracted.read_table(data_dir.extracted)) == 6
    assert [p.name for p in data_dir.extracted.iterdir()] == ["articles"]


def test_row2_a_build_that_would_drop_most_articles_is_refused_unless_allowed(tmp_path):
    data_dir = DataDir(tmp_path / "d")
    rows = sample_rows()
    write_extracted(data_dir.extracted, rows)
    build_dataset(data_dir)
    before = published(data_dir)
    for part in extracted.articles_dir(data_dir.extracted).glob("*.parquet"):
        part.unlink()  # the extracted articles are gone (reset, lost)
    refused = run_cli("build", "--data-dir", str(data_dir.root))
    assert refused.returncode == 2
    assert "not published" in refused.stderr and "--allow-shrink" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert published(data_dir) == before
    allowed = run_cli("build", "--data-dir", str(data_dir.root), "--allow-shrink")
    assert allowed.returncode == 0, allowed.stderr
    assert published(data_dir) == (0, 0)


def test_row2_the_redirect_history_survives_a_build_that_drops_its_target(tmp_path):
    data_dir = DataDir(tmp_path / "d")
    write_extracted(data_dir.extracted, [article("late", "2023-02-03T10:00", ["Example Ltd"])])
    build_dataset(data_dir)
    write_extracted(data_dir.extracted, [article("early", "2023-01-30T10:00", ["Example"])])
    build_dataset(data_dir)
    assert load_dataset(data_dir).resolve("example-2023-02") == "example-2023-01"
    for part in extracted.articles_dir(data_dir.extracted).glob("*.parquet"):
        part.unlink()
    build_dataset(data_dir, allow_shrink=True)
    build_dataset(data_dir, allow_shrink=True)
    redirects = load_dataset(data_dir)["redirects"]
    assert dict(zip(redirects["old_incident_id"], redirects["incident_id"])) == {
        "example-2023-02": "example-2023-01"
    }


# ---- row 1: two builds at once ---------------------------------------------------------------


def test_row1_a_second_build_names_the_running_one_and_waits_only_when_asked(tmp_path):
    data_dir = DataDir(tmp_path / "d")
    write_extracted(data_dir.extracted, sample_rows())
    build_dataset(data_dir)
    before = published(data_dir)
    with data_dir_lock(data_dir, "incidents build"):
        refused = run_cli("build", "--data-dir", str(data_dir.root))
        assert refused.returncode == 2
        assert f"pid {os.getpid()}" in refused.stderr and "(incidents build)" in refused.stderr
        assert "--wait" in refused.stderr
        assert published(data_dir) == before
        waiting = subprocess.Popen(
            [sys.executable, "-m", "incidents", "build", "--wait", "--data-dir", str(data_dir.root)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        assert waiting.poll() is None  # still waiting for the lock
    _, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert published(data_dir) == before


def test_row1_builds_at_once_never_remove_each_others_staging_or_the_live_dataset(tmp_path):
    """Without the commands' lock (the library called twice): a build running elsewhere keeps
    its staging directory, and the live dataset stays whole."""
    data_dir = DataDir(tmp_path / "d")
    write_extracted(data_dir.extracted, sample_rows())
    build_dataset(data_dir)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        running = data_dir.root / f"dataset.staging-{other.pid}-0badcafe"
        (running / "incidents").mkdir(parents=True)
        code = f"from analysis.build import build_dataset; build_dataset({str(data_dir.root)!r})"
        builds = [
            subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        errors = [build.communicate(timeout=120)[1] for build in builds]
        # One may lose the race for the final rename, with an error; neither breaks the dataset.
        assert any(build.returncode == 0 for build in builds), errors
        assert running.is_dir()
        for name in ("incidents", "articles", "mentions", "statements", "redirects"):
            assert (data_dir.dataset / name).is_dir()
        assert published(data_dir)[0] == len(sample_rows())
    finally:
        other.kill()
        other.wait()
    storage.clean_stale(data_dir.dataset)
    assert not running.exists()


# ---- row 3: two crawls at once ----------------------------------------------------------------


@pytest.mark.parametrize("command", ["crawl", "extract"])
def test_row3_a_second_crawl_or_extract_stops_at_once_and_leaves_the_job_queue(tmp_path, command):
    data_dir = DataDir(tmp_path / "d")
    queue = data_dir.jobs / "feed" / "requests.queue"
    queue.mkdir(parents=True)
    (queue / "p0").write_bytes(b"pending requests of the running crawl")
    # A source nothing answers (and loopback, refused anyway): this test never reaches a network.
    sources = write_sources(
        tmp_path / "s.toml", [{"name": "x", "kind": "feed", "url": "http://127.0.0.1:9/f", "publisher": "X"}]
    )
    extra = ["--sources", str(sources)] if command == "crawl" else []
    with data_dir_lock(data_dir, "incidents crawl --sources s.toml"):
        result = run_cli(command, *extra, "--data-dir", str(data_dir.root), timeout=60)
    assert result.returncode == 2
    assert f"in use by pid {os.getpid()} (incidents crawl --sources s.toml)" in result.stderr
    assert (queue / "p0").read_bytes() == b"pending requests of the running crawl"
    assert not data_dir.raw.exists()


KILLED_BUILD = textwrap.dedent(
    """
    import os, signal, sys
    from analysis import storage
    from analysis.build import build_dataset

    real_write = storage.write_table
    written = []

    def dies_at_the_third_table(folder, name, table):
        written.append(name)
        if len(written) == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        real_write(folder, name, table)

    storage.write_table = dies_at_the_third_table
    build_dataset(sys.argv[1])
    """
)


def test_held_kill_9_during_a_build_leaves_the_published_dataset(tmp_path):
    data_dir = DataDir(tmp_path / "d")
    write_extracted(data_dir.extracted, sample_rows()[:4])
    build_dataset(data_dir)
    before = published(data_dir)
    write_extracted(data_dir.extracted, sample_rows()[4:])
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_BUILD, str(data_dir.root)], cwd=REPO, capture_output=True, text=True
    )
    assert killed.returncode == -9, killed.stderr
    assert published(data_dir) == before
    build_dataset(data_dir)
    assert published(data_dir)[0] == len(sample_rows())
    assert sorted(p.name for p in data_dir.root.iterdir() if p.name.startswith("dataset")) == ["dataset"]
