"""Structural VIF against its closed form: VIF_k = 1 / (1 - R²_k), R²_k of predictor k
regressed on the target's other predictors (Hair et al. 2017, ch. 6), by least squares on
simulated construct scores."""

import numpy as np

from csi.measures.reliability import structural_vif


def test_vif_is_one_over_one_minus_r2_of_each_predictor_on_the_others():
    rng = np.random.default_rng(4)
    mixing = rng.normal(size=(5, 5)) + 2 * np.eye(5)
    scores = rng.normal(size=(400, 5)) @ mixing
    scores = (scores - scores.mean(0)) / scores.std(0)
    cor = np.corrcoef(scores.T)
    predecessors = (np.array([], dtype=int), np.array([0]), np.array([0, 1]),
                    np.array([0, 1, 2]), np.array([1, 3]))
    found = structural_vif(cor, predecessors)
    expected = {}
    for target, preds in enumerate(predecessors):
        for k in preds:
            others = [j for j in preds if j != k]
            x = np.column_stack([np.ones(len(scores)), scores[:, others]])
            fitted = x @ np.linalg.lstsq(x, scores[:, k], rcond=None)[0]
            r2 = 1 - np.sum((scores[:, k] - fitted) ** 2) / np.sum(scores[:, k] ** 2)
            expected[(int(k), target)] = 1 / (1 - r2)
    assert found.keys() == expected.keys()
    assert all(abs(found[key] - expected[key]) < 1e-10 for key in expected)
    assert found[(1, 2)] > 1.2  # the predictors are correlated: the test can fail
    assert structural_vif(cor, (np.array([], dtype=int),) * 3) == {}
