"""Keep one document's failure inside its own record.

spaCy drops a document whose component raises (or stops the whole run), which would break
the one-record-per-input contract; a guarded component records the error in the document's
analysis instead and passes the document on.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from spacy.tokens import Doc

from pipelines.nlp.state import doc_analysis

LOG = logging.getLogger(__name__)


def guarded(method: Callable) -> Callable:
    """Decorate a component's __call__ so an exception becomes analysis["errors"]."""

    @functools.wraps(method)
    def wrapper(self, doc: Doc) -> Doc:
        try:
            return method(self, doc)
        except Exception as exc:  # the point is to contain any failure
            LOG.warning("component %s failed: %s", getattr(self, "name", "?"), exc, exc_info=True)
            analysis = doc_analysis(doc)
            analysis.errors.append(f"{getattr(self, 'name', '?')}: {type(exc).__name__}: {exc}")
            return doc

    return wrapper
