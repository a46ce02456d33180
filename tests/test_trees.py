"""Boosted trees stored as plain nodes (pipelines.trees) score as scikit-learn does."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.trees import export_trees, trees_margin


@pytest.mark.parametrize("kind", ["gradient", "histogram"])
def test_exported_trees_score_rows_as_scikit_learn_does(kind):
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.random((300, 4))
    y = ((x[:, 0] + x[:, 2] > 1.0) ^ (x[:, 3] > 0.9)).astype(int)
    model = (
        GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0)
        if kind == "gradient"
        else HistGradientBoostingClassifier(max_iter=20, early_stopping=False, random_state=0)
    ).fit(x, y)
    names = ["a", "b", "c", "d"]
    features, trees, bias, rate = export_trees(model, names)
    assert set(features) <= set(names) and trees
    rows = rng.random((50, 4))
    ours = [
        1 / (1 + math.exp(-trees_margin(features, trees, bias, rate, dict(zip(names, row))))) for row in rows
    ]
    assert np.allclose(ours, model.predict_proba(rows)[:, 1], atol=1e-4)
