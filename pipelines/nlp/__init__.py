"""The analysis stage: a spaCy pipeline that turns an article into an analysis record.

Public API (other stages depend on it): `Analyzer(model=None, n_process=1, batch_size=32)`
with `.analyze(docs) -> Iterator[dict]`, `ANALYZER_VERSION`, and `build_nlp(model=None)`.
"""

from pipelines.nlp.analyzer import ANALYZER_VERSION, Analyzer, empty_record
from pipelines.nlp.pipeline import build_nlp

__all__ = ["ANALYZER_VERSION", "Analyzer", "build_nlp", "empty_record"]
