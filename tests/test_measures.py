"""Measures computed from block sums, against their closed forms: structural VIF =
1 / (1 - R²) of each predictor on the target's other predictors (Hair et al. 2017, ch. 6),
by least squares on simulated scores; reliability block by block as the formulas read, and a
NaN in one block (an inadmissible PLSc block) staying in that block."""

import numpy as np

from csi.measures.reliability import reliability, structural_vif


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


def _block_by_block(cor, weights, loadings, blocks):
    """Cronbach's alpha, rho_A, rho_C and AVE of each block from its own submatrix, as the
    formulas in csi.measures.reliability's docstring read."""
    out = {name: [] for name in ("alpha", "rho_a", "rho_c", "ave")}
    for idx in blocks:
        k, r, lam = idx.size, cor[np.ix_(idx, idx)], loadings[idx]
        if k == 1:
            for name in out:
                out[name].append(1.0)
            continue
        w = weights[idx] / np.sqrt(weights[idx] @ r @ weights[idx])
        outer = np.outer(w, w)
        out["alpha"].append(k / (k - 1) * (1 - k / r.sum()))
        out["rho_a"].append((w @ w) ** 2 * (w @ (r - np.eye(k)) @ w)
                            / (w @ (outer - np.diag(np.diag(outer))) @ w))
        out["rho_c"].append(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam ** 2).sum()))
        out["ave"].append(np.mean(lam ** 2))
    return {name: np.array(values) for name, values in out.items()}


def test_reliability_equals_the_formulas_block_by_block_and_keeps_a_nan_in_its_block():
    rng = np.random.default_rng(9)
    blocks = [np.array([0, 3, 5]), np.array([1, 2]), np.array([4]), np.array([6, 7, 8, 9])]
    scores = rng.normal(size=(300, 4))
    block_of = np.empty(10, dtype=int)
    for k, idx in enumerate(blocks):
        block_of[idx] = k
    items = scores[:, block_of] + rng.normal(scale=0.8, size=(300, 10))
    cor = np.corrcoef(items.T)
    weights, loadings = rng.uniform(0.2, 0.6, 10), rng.uniform(0.5, 0.9, 10)
    found = reliability(cor, weights, loadings, blocks)
    expected = _block_by_block(cor, weights, loadings, blocks)
    for name, values in expected.items():
        np.testing.assert_allclose(getattr(found, name), values, rtol=1e-12, err_msg=name)
    broken = loadings.copy()
    broken[[1, 2]] = np.nan  # block 1 inadmissible
    found = reliability(cor, weights, broken, blocks)
    assert np.isnan(found.rho_c[1]) and np.isnan(found.ave[1])
    keep = [0, 2, 3]
    np.testing.assert_allclose(found.rho_c[keep], expected["rho_c"][keep], rtol=1e-12)
    np.testing.assert_allclose(found.ave[keep], expected["ave"][keep], rtol=1e-12)
    unweighted = weights.copy()
    unweighted[[6, 7]] = np.nan
    found = reliability(cor, unweighted, loadings, blocks)
    assert np.isnan(found.rho_a[3])
    np.testing.assert_allclose(found.rho_a[:3], expected["rho_a"][:3], rtol=1e-12)
