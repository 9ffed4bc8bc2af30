"""Reference: CVPAT (Liengaard et al. 2021; Sharma et al. 2023) of the mobi ECSI model
(all Mode A, path weighting) against the LM and IA benchmarks. The two peers define the
loss differently, so each is recorded under its own definition and confirmed by numpy
(make_predict.numpy_predict, same folds):

- variant "seminrextras" (seminrExtras 0.1.0 assess_cvpat, Sharma et al. 2023 as in R
  seminrExtras): leave-one-out folds, DA predictions, LM on the direct antecedents'
  indicators, IA = FULL-SAMPLE indicator mean; per respondent a construct's loss is the
  MEAN of its indicators' squared errors, the overall loss the mean over the endogenous
  constructs. Test: bootstrap of the mean loss difference (nboot 2000, seed 123) -> "Boot
  T value", "Boot P Value" (loose); the classic paired t test of the same differences is
  given too (exact).
- variant "openpls" (openpls-engine 1.13.0 CVPAT, Liengaard et al. 2021 style): the 10 folds
  of predict_folds_mobi_k10.csv, EA predictions, LM on the direct antecedents' indicators,
  IA = TRAINING-FOLD mean; a construct's loss is the SUM of its indicators' squared errors,
  overall = sum over all endogenous indicators; one-sided paired t test (H1: PLS loss lower).

    /work/peers-venv/bin/python tests/reference/make_cvpat.py
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import refpls as rp  # noqa: E402
from make_fit_pls import MOBI  # noqa: E402
from make_predict import numpy_predict, openpls_predict  # noqa: E402,F401

NBOOT = 2000
SEED = 123


def losses(items, err, model, how):
    """Per-respondent losses: one column per endogenous construct, plus overall."""
    cols = {}
    for lv in model.endo:
        idx = [items.index(m) for m in model.blocks[lv]]
        sq = err[:, idx] ** 2
        cols[lv] = sq.mean(1) if how == "mean" else sq.sum(1)
    df = pd.DataFrame(cols)
    df["Overall"] = df.mean(1) if how == "mean" else (err ** 2).sum(1)
    return df


def paired(d):
    n = len(d)
    t = d.mean() / (d.std(ddof=1) / np.sqrt(n))
    return t, 2 * stats.t.sf(abs(t), n - 1), stats.t.cdf(t, n - 1)


def openpls_cvpat(model, ordering, benchmark):
    import openpls.plspm as opm
    import openpls.cvpat as opc
    from openpls.config import MV, Config, Structure
    from openpls.mode import Mode
    from openpls.scale import Scale
    from openpls.scheme import Scheme

    df = pd.read_csv(MOBI)[model.mvs]
    st = Structure()
    for to, frs in model.paths.items():
        st.add_path(frs, [to])
    cfg = Config(st.path(), default_scale=Scale.NUM)
    for lv, items in model.blocks.items():
        cfg.add_lv(lv, Mode.A, *[MV(m) for m in items])
    real = opm.Plspm

    class FixedRng:
        def __init__(self, seed=None):
            pass

        def permutation(self, n):
            return np.asarray(ordering)

    opm.Plspm = lambda data, config, scheme, **kw: real(data, config, scheme, iterations=10_000, tolerance=1e-12)
    real_rng = opc.np.random.default_rng
    opc.np.random.default_rng = FixedRng
    try:
        c = opc.CVPAT(cfg, df, scheme=Scheme.PATH, benchmark=benchmark, k=10, repeats=1, seed=0)
        return c.overall(), c.per_construct()
    finally:
        opm.Plspm = real
        opc.np.random.default_rng = real_rng


def main():
    warnings.simplefilter("ignore")
    model = rp.Model(rp.MOBI_BLOCKS, rp.MOBI_PATHS)
    X = rp.load(MOBI, model)
    n = X.shape[0]
    rows, conf = [], []

    # --- variant seminrextras: LOO, DA, IA = full-sample mean, mean losses -----------
    from make_fimix import seminr_model
    from seminrExtras.cvpat import assess_cvpat

    fit, _ = seminr_model()
    res = assess_cvpat(fit, nboot=NBOOT, seed=SEED)
    items, actual, pls, lm, _ = numpy_predict(X, model, np.arange(n), "DA")
    ia = actual - actual.mean(0)
    L_pls = losses(items, actual - pls, model, "mean")
    for bench, err, table in (("LM", actual - lm, res.cvpat_compare_lm), ("IA", ia, res.cvpat_compare_ia)):
        L_b = losses(items, err, model, "mean")
        for con in L_pls.columns:
            d = (L_b[con] - L_pls[con]).to_numpy()
            t, p2, _ = paired(d)
            peer = dict(zip(table.cols, table.values[list(table.rows).index(con)]))
            rows.append(dict(variant="seminrextras", benchmark=bench, construct=con, folds="loo",
                             technique="DA", loss="mean of squared errors", n=n,
                             loss_pls=L_pls[con].mean(), loss_benchmark=L_b[con].mean(),
                             diff_pls_minus_benchmark=L_pls[con].mean() - L_b[con].mean(),
                             t_paired=t, p_paired_two_sided=p2, p_paired_one_sided_pls_better=stats.t.sf(t, n - 1),
                             boot_t_seminrextras=peer["Boot T value"], boot_p_seminrextras=peer["Boot P Value"],
                             nboot=NBOOT, seed=SEED))
            for k, pk in (("loss_pls", "PLS Loss"), ("loss_benchmark", f"{bench} Loss"),
                          ("diff_pls_minus_benchmark", "Diff")):
                conf.append(dict(variant="seminrextras", benchmark=bench, construct=con, statistic=k,
                                 peer="seminrExtras 0.1.0 assess_cvpat", reference=rows[-1][k],
                                 peer_value=peer[pk], abs_diff=abs(rows[-1][k] - peer[pk])))

    # --- variant openpls: 10 folds from file, EA PLS, LM direct, IA train mean, sums ---
    folds = pd.read_csv(HERE / "predict_folds_mobi_k10.csv")["fold"].to_numpy()
    ordering = np.argsort(folds, kind="stable")  # contiguous blocks of 25 = the same folds
    items, actual, pls_ea, _, ia_tr = numpy_predict(X, model, folds, "EA")
    _, _, _, lm_da, _ = numpy_predict(X, model, folds, "DA")
    L_pls = losses(items, actual - pls_ea, model, "sum")
    for bench, err in (("LM", actual - lm_da), ("IA", actual - ia_tr)):
        L_b = losses(items, err, model, "sum")
        overall, per = openpls_cvpat(model, ordering, bench)
        for con in L_pls.columns:
            d = (L_pls[con] - L_b[con]).to_numpy()
            t, p2, p1 = paired(d)
            rows.append(dict(variant="openpls", benchmark=bench, construct=con, folds="k10 (file)",
                             technique="EA (LM: direct antecedents)", loss="sum of squared errors", n=n,
                             loss_pls=L_pls[con].mean(), loss_benchmark=L_b[con].mean(),
                             diff_pls_minus_benchmark=d.mean(), t_paired=-t, p_paired_two_sided=p2,
                             p_paired_one_sided_pls_better=p1, nboot=0, seed=""))
            o = overall if con == "Overall" else per.loc[con]
            for k, pk, sign in (("loss_pls", "mean_loss_pls", 1), ("loss_benchmark", "mean_loss_benchmark", 1),
                                ("diff_pls_minus_benchmark", "mean_difference", 1),
                                ("t_paired", "t_statistic", -1), ("p_paired_one_sided_pls_better", "p_one_sided", 1)):
                conf.append(dict(variant="openpls", benchmark=bench, construct=con, statistic=k,
                                 peer="openpls-engine 1.13.0 CVPAT", reference=rows[-1][k],
                                 peer_value=sign * float(o[pk]), abs_diff=abs(rows[-1][k] - sign * float(o[pk]))))
        print("openpls", bench, "done", flush=True)
    out = pd.DataFrame(rows)
    out.to_csv(HERE / "cvpat_mobi_ecsi.csv", index=False, float_format="%.12g")
    conf = pd.DataFrame(conf)
    conf.to_csv(HERE / "cvpat_mobi_ecsi_confirmation.csv", index=False, float_format="%.12g")
    print(conf.groupby(["peer", "statistic"]).abs_diff.max().to_string())
    print(out[["variant", "benchmark", "construct", "loss_pls", "loss_benchmark", "t_paired",
               "p_paired_two_sided", "boot_p_seminrextras"]].to_string())


if __name__ == "__main__":
    main()
