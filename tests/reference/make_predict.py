"""Reference: PLSpredict (Shmueli et al. 2016, 2019) per indicator of the endogenous
constructs: RMSE, MAE of PLS and of the LM benchmark, Q2_predict; leave-one-out folds
(deterministic) and a 10-fold split saved in predict_folds_<data>_k10.csv.

Peers: seminr 0.2.1 (Python port of R seminr; predict_pls with an injected ordering),
openpls-engine 1.13.0 (PLSPredict, folds injected through its permutation). Independent
check: the numpy implementation below (refpls.py weights), on the same folds.

    /work/peers-venv/bin/python tests/reference/make_predict.py

Definitions (all three sources):
- fold f: PLS (all Mode A, path scheme) re-estimated on the training rows; test rows
  standardised with the training means and SDs; construct scores = z_test W';
  EA ("earliest antecedent"): exogenous scores kept, endogenous scores propagated through
  the training path coefficients in causal order; DA ("direct antecedent"): each
  endogenous score = its direct antecedents' (observed-data) scores times the paths.
  Indicator prediction = mean_train + sd_train * loading * predicted score.
- LM benchmark: each endogenous indicator regressed (OLS with intercept, training rows) on
  the indicators of the exogenous constructs (EA) or of the construct's direct
  antecedents (DA; seminr's choice for its DA technique).
- rmse = sqrt(mean(e^2)), mae = mean(|e|) over all n out-of-sample predictions.
- q2_predict = 1 - SSE_pls / SSE_ia, ia = the training-fold mean of the indicator
  (Shmueli et al. 2019; SmartPLS; openpls). q2_predict_csem = cSEM's variant
  1 - sum((e - mean e)^2) / sum((e_ia - mean e_ia)^2) (R/helper_predict.R calculateq2).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import refpls as rp  # noqa: E402
from make_fit_pls import BANK, MOBI  # noqa: E402

TOL = 1e-12
K = 10
FOLD_SEED = 20260518


def causal_order(model: rp.Model):
    done, order = set(model.exo), []
    pending = list(model.endo)
    while pending:
        for lv in list(pending):
            if all(p in done for p in model.paths[lv]):
                order.append(lv)
                done.add(lv)
                pending.remove(lv)
    return order


def numpy_predict(X, model: rp.Model, folds, technique):
    """Out-of-sample predictions (n x n_endo_items) of PLS, LM and the training mean."""
    n = X.shape[0]
    endo_items = [m for lv in model.endo for m in model.blocks[lv]]
    ei = [model.mvs.index(m) for m in endo_items]
    pls = np.zeros((n, len(ei)))
    lm = np.zeros((n, len(ei)))
    ia = np.zeros((n, len(ei)))
    order = causal_order(model)
    for f in np.unique(folds):
        te, tr = folds == f, folds != f
        Xtr, Xte = X[tr], X[te]
        mu, sd = Xtr.mean(0), Xtr.std(0, ddof=1)
        S = rp.corr(Xtr)
        est = rp.estimate(S, model, {lv: "A" for lv in model.lvs}, "path", False, TOL)
        W, L, B = est["W"], est["L"], est["B"]
        Y = ((Xte - mu) / sd) @ W.T  # n_test x J
        if technique == "EA":
            P = Y.copy()
            for lv in order:
                j = model.lvs.index(lv)
                P[:, j] = P @ B[j]
        else:
            P = Y @ B.T
            for lv in model.exo:
                j = model.lvs.index(lv)
                P[:, j] = Y[:, j]
        lam = L.sum(0)  # each indicator's loading on its construct
        own = model.M.argmax(0)
        pred = mu + sd * lam * P[:, own]
        pls[te] = pred[:, ei]
        ia[te] = mu[ei]
        for lv in model.endo:
            src = model.exo if technique == "EA" else model.paths[lv]
            xi = [model.mvs.index(m) for s in src for m in model.blocks[s]]
            D = np.column_stack([np.ones(tr.sum()), Xtr[:, xi]])
            beta = np.linalg.lstsq(D, Xtr[:, [model.mvs.index(m) for m in model.blocks[lv]]], rcond=None)[0]
            cols = [endo_items.index(m) for m in model.blocks[lv]]
            lm[np.ix_(te, cols)] = np.column_stack([np.ones(te.sum()), Xte[:, xi]]) @ beta
    return endo_items, X[:, ei], pls, lm, ia


def metrics(items, actual, pls, lm, ia):
    e, el, ei = actual - pls, actual - lm, actual - ia
    q2c = 1 - np.sum((e - e.mean(0)) ** 2, 0) / np.sum((ei - ei.mean(0)) ** 2, 0)
    return pd.DataFrame(dict(indicator=items,
                             rmse=np.sqrt(np.mean(e ** 2, 0)), mae=np.mean(np.abs(e), 0),
                             rmse_lm=np.sqrt(np.mean(el ** 2, 0)), mae_lm=np.mean(np.abs(el), 0),
                             q2_predict=1 - np.sum(e ** 2, 0) / np.sum(ei ** 2, 0),
                             q2_predict_csem=q2c,
                             rmse_ia=np.sqrt(np.mean(ei ** 2, 0))))


def seminr_predict(path, model: rp.Model, technique, ordering, k):
    import seminr
    from seminr.predict.metrics import item_metrics
    from seminr.predict.predict_pls import predict_pls
    from seminr.predict.techniques import predict_DA, predict_EA
    from seminr.specify.constructs import composite, constructs, mode_A
    from seminr.specify.relationships import paths, relationships

    df = pd.read_csv(path)[model.mvs]
    mm = constructs(*[composite(k_, v, weights=mode_A) for k_, v in model.blocks.items()])
    sm = relationships(*[paths(from_=fr, to=to) for to, frs in model.paths.items() for fr in frs])
    fit = seminr.estimate_pls(df, mm, sm, max_it=10_000, stop_criterion=14)
    pred = predict_pls(fit, technique=predict_EA if technique == "EA" else predict_DA,
                       no_folds=k, ordering=list(map(int, ordering)))
    it = pred.items
    items = list(it.pls_out_of_sample.cols)
    return items, it.pls_out_of_sample.values, it.lm_out_of_sample.values


def openpls_predict(path, model: rp.Model, ordering, k):
    """openpls PLSPredict (EA scores, LM on earliest antecedents), same folds, tight tol."""
    import openpls.plspm as opm
    import openpls.predict as opp
    from openpls.config import MV, Config, Structure
    from openpls.mode import Mode
    from openpls.scale import Scale
    from openpls.scheme import Scheme

    df = pd.read_csv(path)[model.mvs]
    st = Structure()
    for to, frs in model.paths.items():
        st.add_path(frs, [to])
    cfg = Config(st.path(), default_scale=Scale.NUM)
    for lv, items in model.blocks.items():
        cfg.add_lv(lv, Mode.A, *[MV(m) for m in items])

    real_plspm = opm.Plspm

    def tight(data, config, scheme, **kw):
        return real_plspm(data, config, scheme, iterations=10_000, tolerance=1e-12)

    class FixedRng:
        def __init__(self, seed=None):
            pass

        def permutation(self, n):
            return np.asarray(ordering)

    opm.Plspm = tight
    real_rng = opp.np.random.default_rng
    opp.np.random.default_rng = FixedRng
    try:
        p = opp.PLSPredict(cfg, df, scheme=Scheme.PATH, k=k, repeats=1, seed=0,
                           lm_predictor_set="earliest_antecedents")
        m = p.metrics().reset_index()
    finally:
        opm.Plspm = real_plspm
        opp.np.random.default_rng = real_rng
    return m


def fold_assignment(n, k, ordering):
    """Contiguous blocks of the ordering (R's cut(seq_len(n), k) = numpy array_split when
    k divides n)."""
    from seminr.predict.predict_pls import cut_folds

    folds = np.zeros(n, dtype=int)
    for pos, f in enumerate(cut_folds(n, k)):
        folds[ordering[pos]] = f
    return folds


def main():
    out, conf = [], []
    for data_name, path, blocks, paths in (("mobi", MOBI, rp.MOBI_BLOCKS, rp.MOBI_PATHS),
                                           ("satisfaction_bank", BANK, rp.BANK_BLOCKS, rp.BANK_PATHS)):
        model = rp.Model(blocks, paths)
        X = rp.load(path, model)
        n = X.shape[0]
        ordering_k = np.random.default_rng(FOLD_SEED).permutation(n)
        folds_k = fold_assignment(n, K, ordering_k)
        pd.DataFrame(dict(row=np.arange(n), fold=folds_k)).to_csv(
            HERE / f"predict_folds_{data_name}_k{K}.csv", index=False)
        assert np.array_equal(
            folds_k, np.concatenate([np.full(len(b), i + 1) for i, b in
                                     enumerate(np.array_split(np.arange(n), K))])[np.argsort(ordering_k)])
        for folds_name, folds, ordering, k in (("loo", np.arange(n), np.arange(n), None),
                                              (f"k{K}", folds_k, ordering_k, K)):
            for technique in ("EA", "DA"):
                items, actual, pls, lm, ia = numpy_predict(X, model, folds, technique)
                ref = metrics(items, actual, pls, lm, ia)
                ref.insert(0, "technique", technique)
                ref.insert(0, "folds", folds_name)
                ref.insert(0, "data", data_name)
                out.append(ref)
                s_items, s_pls, s_lm = seminr_predict(path, model, technique, ordering, k)
                assert s_items == items
                sm = metrics(items, actual, s_pls, s_lm, ia)
                for col in ("rmse", "mae", "rmse_lm", "mae_lm", "q2_predict", "q2_predict_csem"):
                    conf.append(dict(data=data_name, folds=folds_name, technique=technique,
                                     statistic=col, peer="seminr 0.2.1 (Python) predict_pls",
                                     max_abs_diff=float(np.max(np.abs(sm[col] - ref[col])))))
                conf.append(dict(data=data_name, folds=folds_name, technique=technique,
                                 statistic="pls predictions (n x items)", peer="seminr 0.2.1 (Python) predict_pls",
                                 max_abs_diff=float(np.max(np.abs(s_pls - pls)))))
                conf.append(dict(data=data_name, folds=folds_name, technique=technique,
                                 statistic="lm predictions (n x items)", peer="seminr 0.2.1 (Python) predict_pls",
                                 max_abs_diff=float(np.max(np.abs(s_lm - lm)))))
                if technique == "EA":
                    om = openpls_predict(path, model, ordering, n if k is None else k).set_index("indicator")
                    r = ref.set_index("indicator")
                    for col, ocol in (("rmse", "rmse_pls"), ("mae", "mae_pls"), ("rmse_lm", "rmse_lm"),
                                      ("mae_lm", "mae_lm"), ("q2_predict", "q2_predict")):
                        conf.append(dict(data=data_name, folds=folds_name, technique=technique,
                                         statistic=col, peer="openpls-engine 1.13.0 PLSPredict (sd ddof=0)",
                                         max_abs_diff=float(np.max(np.abs(om.loc[r.index, ocol] - r[col])))))
                print(data_name, folds_name, technique, "done", flush=True)
    pd.concat(out).to_csv(HERE / "predict_pls.csv", index=False, float_format="%.12g")
    conf = pd.DataFrame(conf)
    conf.to_csv(HERE / "predict_pls_confirmation.csv", index=False, float_format="%.3g")
    print(conf.groupby(["peer", "statistic"]).max_abs_diff.max().to_string())


if __name__ == "__main__":
    main()
