"""Gradient-boosted trees stored as plain nodes and scored without scikit-learn, for every
trained model of the pipelines that ships trees (the role rankers of pipelines.nlp, the
main-text line model of pipelines.parsing): no pickles, no scikit-learn at run time.

Each tree is a list of nodes [feature index, threshold, left, right, value]; a node whose
left is -1 is a leaf. A row goes left when its feature value is <= the threshold. The margin
(log-odds) is the bias plus the learning rate times the sum of the leaves reached.
"""

from __future__ import annotations

import math
from typing import Any

Tree = list[list[float]]


def trees_margin(
    names: list[str], trees: list[Tree], bias: float, rate: float, features: dict[str, float]
) -> float:
    """The log-odds of one row (a feature the dict lacks is 0)."""
    values = [features.get(name, 0.0) for name in names]
    total = 0.0
    for tree in trees:
        node = tree[0]
        while node[2] >= 0:
            node = tree[int(node[2])] if values[int(node[0])] <= node[1] else tree[int(node[3])]
        total += node[4]
    return bias + rate * total


def export_trees(model: Any, names: list[str]) -> tuple[list[str], list[Tree], float, float]:
    """(features used, trees, bias, rate) of a fitted scikit-learn GradientBoostingClassifier
    or HistGradientBoostingClassifier (binary, no missing values) whose columns are `names`."""
    if hasattr(model, "estimators_"):  # GradientBoostingClassifier
        raw = []
        for estimator in model.estimators_[:, 0]:
            t = estimator.tree_
            raw.append(
                [
                    (
                        int(t.feature[n]),
                        float(t.threshold[n]),
                        int(t.children_left[n]),
                        int(t.children_right[n]),
                        float(t.value[n].ravel()[0]),
                    )
                    for n in range(t.node_count)
                ]
            )
        prior = float(model.init_.class_prior_[1])
        bias, rate = math.log(prior / (1 - prior)), float(model.learning_rate)
    else:  # HistGradientBoostingClassifier: its leaves already carry the learning rate
        raw = [
            [
                (
                    int(n["feature_idx"]),
                    float(n["num_threshold"]),
                    -1 if n["is_leaf"] else int(n["left"]),
                    -1 if n["is_leaf"] else int(n["right"]),
                    float(n["value"]),
                )
                for n in predictors[0].nodes
            ]
            for predictors in model._predictors
        ]
        bias, rate = float(model._baseline_prediction.ravel()[0]), 1.0
    used = sorted({feature for tree in raw for feature, _, left, _, _ in tree if left >= 0})
    index = {feature: i for i, feature in enumerate(used)}
    trees = [
        [
            [0, 0.0, -1, -1, round(value, 6)]
            if left < 0
            else [index[feature], round(threshold, 6), left, right, 0.0]
            for feature, threshold, left, right, value in tree
        ]
        for tree in raw
    ]
    return [names[f] for f in used], trees, round(bias, 6), rate
