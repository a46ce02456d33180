"""Assemble the analysis pipeline: the English model plus the project's registered components.

The one place that decides which model components run. The lemmatizer is excluded (every
cue list is written as word forms), which with the attribute ruler kept makes the pipeline
cheaper than the model's default one even with the project's components added.
"""

from __future__ import annotations

from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from core.config import spacy_model_name

# Importing the modules registers their factories with spaCy.
from pipelines.nlp import (  # noqa: F401
    classify,
    context,
    gazetteer_component,
    roles,
    selective,
    services,
    statements,
)
from pipelines.nlp.learned import make_learned  # noqa: F401  (the incident_learned factory)

# Every cue list is written as word forms, so lemmas are never read.
EXCLUDED_MODEL_COMPONENTS = ("lemmatizer",)
PROJECT_COMPONENTS = (
    "incident_gazetteer",
    "incident_roles",
    "incident_statements",
    "incident_classifier",
    "incident_services",
    "incident_learned",
    "incident_context",
)


def register_extensions() -> None:
    """Doc._.analysis holds each component's results (msgpack-safe, so it survives n_process);
    Doc._.title_end marks where the title ends; Doc._.published_year dates the article."""
    if not Doc.has_extension("analysis"):
        Doc.set_extension("analysis", default=None)
    if not Doc.has_extension("title_end"):
        Doc.set_extension("title_end", default=0)
    if not Doc.has_extension("published_year"):
        Doc.set_extension("published_year", default=None)


def build_nlp(
    model: str | None = None,
    *,
    gazetteer_dir: str | None = None,
    exclude: tuple[str, ...] = EXCLUDED_MODEL_COMPONENTS,
    component_config: dict[str, dict[str, Any]] | None = None,
    fast_pos: bool = True,
    selective_ner: bool = True,
    learned: bool = True,
) -> Language:
    """Load the English model (name per core.config.spacy_model_name) and add the
    project's components after it; `component_config` overrides a component's settings,
    e.g. {"incident_roles": {"max_victims": 2}}. With `fast_pos` the attribute ruler is
    replaced by a tag → POS lookup (same POS, lemmas and morphology are not needed)."""
    register_extensions()
    nlp = spacy.load(spacy_model_name(model), exclude=list(exclude))
    overrides = component_config or {}
    if fast_pos and "attribute_ruler" in nlp.pipe_names and "tagger" in nlp.pipe_names:
        mapping = context.tag_pos_mapping(nlp)
        if mapping:
            nlp.replace_pipe("attribute_ruler", "tag_pos", config={"mapping": mapping})
            nlp.rename_pipe("attribute_ruler", "tag_pos")
    if "parser" in nlp.pipe_names:
        nlp.add_pipe("paragraph_sentences", before="parser")
    else:
        nlp.add_pipe("paragraph_sentences", first=True)
    if selective_ner and "ner" in nlp.pipe_names:
        ner = nlp.get_pipe("ner")
        nlp.add_pipe("selective_ner", after="ner")
        nlp.get_pipe("selective_ner").bind(ner)
        nlp.disable_pipe("ner")
    for name in PROJECT_COMPONENTS:
        config = dict(overrides.get(name, {}))
        if name in {"incident_gazetteer", "incident_context"} and gazetteer_dir is not None:
            config.setdefault("gazetteer_dir", gazetteer_dir)
        if name == "incident_learned" and not learned:
            config.setdefault("rules_only", True)
        nlp.add_pipe(name, config=config)
    return nlp
