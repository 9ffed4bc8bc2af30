"""Reference: PLS path models with an interaction (moderation) or quadratic term on mobi, by
the three ways of building the product term: two-stage, orthogonal, product-indicator.

Peer: seminr 0.2.1 (the Python port of R seminr; interaction_term / quadratic_term with
two_stage, orthogonal, product_indicator; stop_criterion 14, max_it 1000). Its interaction
path is Henseler & Chin's (2010) variance-adjusted one (seminr's adjust_interaction: the
interaction scores times sum |loading| sd(item) / sum |loading|).
Independent check: numpy below, written from the published definitions (Chin et al. 2003;
Little et al. 2006; Henseler & Chin 2010), with refpls.py's PLS weights on the correlation
matrix of the extended data and the stage-2 paths by OLS on the scores; the two must agree
to 1e-9 or this script stops.

    /work/peers-venv/bin/python tests/reference/make_interaction.py

Writes interaction_mobi.csv: model, method, kind (path | weight | loading), from, to, value.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import refpls as rp  # noqa: E402

ROOT = HERE.parents[1]
MOBI = ROOT / "surveys" / "mobi.csv"
OUT = HERE / "interaction_mobi.csv"
TOL = 1e-9
METHODS = ("two-stage", "orthogonal", "product-indicator")
MODELS = {"interaction": ("Quality", "Value"), "quadratic": ("Quality", "Quality")}


def zscore(x):
    return (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)


def numpy_fit(data: pd.DataFrame, focal: str, moderator: str, method: str):
    """Paths {(from, to)}, weights and loadings {(construct, item)} of the moderated ECSI."""
    blocks = dict(rp.MOBI_BLOCKS)
    X = data[[m for b in blocks.values() for m in b]].to_numpy(float)
    main_model = rp.Model(blocks, rp.MOBI_PATHS)
    modes = {lv: "A" for lv in blocks}
    fx, mx = blocks[focal], blocks[moderator]
    if method == "two-stage":
        W, _ = rp.pls_weights(rp.corr(X), main_model, modes)
        scores = zscore(X) @ W.T
        j, k = main_model.lvs.index(focal), main_model.lvs.index(moderator)
        G = (scores[:, j] * scores[:, k])[:, None]
        names = [f"{focal}:{moderator}"]
    else:
        zf, zm = zscore(data[fx].to_numpy(float)), zscore(data[mx].to_numpy(float))
        G = np.column_stack([zf[:, a] * zm[:, b] for a in range(len(fx)) for b in range(len(mx))])
        names = [f"{a}:{b}" for a in fx for b in mx]
        if method == "orthogonal":
            raw = data[list(dict.fromkeys(fx + mx))].to_numpy(float)
            design = np.column_stack([np.ones(len(raw)), raw])
            beta, *_ = np.linalg.lstsq(design, G, rcond=None)
            G = G - design @ beta
    term = f"{focal}:{moderator}"
    blocks2 = blocks | {term: names}
    paths2 = {k: list(v) for k, v in rp.MOBI_PATHS.items()}
    paths2["Satisfaction"] = paths2["Satisfaction"] + [term]
    if focal not in paths2["Satisfaction"]:
        paths2["Satisfaction"].append(focal)
    model = rp.Model(blocks2, paths2)
    X2 = np.column_stack([X, G])
    est = rp.estimate(rp.corr(X2), model, {lv: "A" for lv in blocks2})
    loadings = est["L"]
    t = model.lvs.index(term)
    idx = np.flatnonzero(model.M[t])
    lam = np.abs(loadings[t, idx])
    c = (lam * X2[:, idx].std(axis=0, ddof=1)).sum() / lam.sum()
    # stage-2 paths by OLS on the standardized scores (closed form), interaction adjusted
    Wm = est["W"]
    scores = zscore(X2) @ Wm.T
    paths = {}
    for to, froms in paths2.items():
        y = scores[:, model.lvs.index(to)]
        Z = scores[:, [model.lvs.index(f) for f in froms]]
        coef = np.linalg.solve(Z.T @ Z, Z.T @ y)
        for f, b in zip(froms, coef):
            paths[(f, to)] = b / c if f == term else b
    weights = {(lv, m): Wm[j, model.mvs.index(m)] for j, lv in enumerate(model.lvs)
               for m in blocks2[lv]}
    loads = {(lv, m): loadings[j, model.mvs.index(m)] for j, lv in enumerate(model.lvs)
             for m in blocks2[lv]}
    return paths, weights, loads


def seminr_fit(data: pd.DataFrame, focal: str, moderator: str, method: str):
    import seminr

    builders = {"two-stage": seminr.two_stage, "orthogonal": seminr.orthogonal,
                "product-indicator": seminr.product_indicator}
    blocks = rp.MOBI_BLOCKS
    term = f"{focal}*{moderator}"
    mm = seminr.constructs(
        *[seminr.composite(lv, items) for lv, items in blocks.items()],
        seminr.interaction_term(focal, moderator, method=builders[method]))
    rows = []
    for to, froms in rp.MOBI_PATHS.items():
        extra = [term] if to == "Satisfaction" else []
        rows.append(seminr.paths(list(froms) + extra, to))
    model = seminr.estimate_pls(data, mm, seminr.relationships(*rows), stop_criterion=14,
                                max_it=1000)
    ours = f"{focal}:{moderator}"
    paths = {}
    for to, froms in rp.MOBI_PATHS.items():
        for f in list(froms) + ([term] if to == "Satisfaction" else []):
            paths[(ours if f == term else f, to)] = float(model.path_coef.get(f, to))
    return paths, model


def main() -> None:
    import seminr

    data = pd.read_csv(MOBI)
    rows = []
    for model_name, (focal, moderator) in MODELS.items():
        for method in METHODS:
            paths, weights, loadings = numpy_fit(data, focal, moderator, method)
            try:
                peer, _ = seminr_fit(data, focal, moderator, method)
            except ValueError as exc:  # seminr's orthogonal X:X regresses on X's items twice
                print(f"{model_name} {method}: seminr fails ({exc}); numpy only")
                peer = None
            for key, value in paths.items():
                if peer is not None and abs(peer[key] - value) > TOL:
                    raise SystemExit(f"{model_name} {method} {key}: seminr {peer[key]} numpy "
                                     f"{value}")
                rows.append((model_name, method, "path", *key, value))
            for (lv, item), value in weights.items():
                rows.append((model_name, method, "weight", lv, item, value))
            for (lv, item), value in loadings.items():
                rows.append((model_name, method, "loading", lv, item, value))
    frame = pd.DataFrame(rows, columns=["model", "method", "kind", "from", "to", "value"])
    with OUT.open("w", encoding="utf-8") as out:
        out.write(f"# seminr {seminr.__version__} (Python port), numpy {np.__version__}; "
                  "paths: seminr = numpy to 1e-9 (quadratic orthogonal: numpy only, seminr's "
                  "OLS is singular there); weights, loadings: numpy (refpls.py)\n")
        frame.to_csv(out, index=False, float_format="%.15g")
    print(f"wrote {OUT} ({len(frame)} rows)")


if __name__ == "__main__":
    main()
