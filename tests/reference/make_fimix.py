"""Reference: FIMIX-PLS (Hahn et al. 2002; Sarstedt et al. 2011) on mobi ECSI, K = 1..3:
log-likelihood, number of parameters, AIC, AIC3, AIC4, BIC, CAIC, HQ, MDL5, EN and the
segment shares of the best start.

Both peers are given the SAME construct scores (scores_mobi_ecsi_pls.csv: seminr 0.2.1 PLS,
all Mode A, path weighting, stop 1e-14, scores standardised with SD n-1), the same
structural equations (one normal regression with intercept per endogenous construct,
class-specific coefficients and variance, equations independent within a class), so
their likelihoods are comparable:
- seminrExtras 0.1.0 assess_fimix (EM, max_iter 5000, stop |dlnL| < 1e-6), nstart 10 with
  its default seed 123, and nstart 200 with seed 1 (the best of more starts);
- openpls-engine 1.13.0 FIMIX (EM, max_iter 5000, stop 1e-6, Dirichlet starts), n_restarts 10 seed 42 and
  n_restarts 200 seed 1, given the same scores through a stand-in for its Plspm object.
K = 1 is closed form (OLS per equation, ML variance SSE/n), computed here in numpy.

    /work/peers-venv/bin/python tests/reference/make_fimix.py
"""
from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import refpls as rp  # noqa: E402
from make_fit_pls import MOBI  # noqa: E402

KS = (2, 3)


def seminr_model():
    import seminr
    from seminr.specify.constructs import composite, constructs, mode_A
    from seminr.specify.relationships import paths, relationships

    model = rp.Model(rp.MOBI_BLOCKS, rp.MOBI_PATHS)
    df = pd.read_csv(MOBI)[model.mvs]
    mm = constructs(*[composite(k, v, weights=mode_A) for k, v in model.blocks.items()])
    sm = relationships(*[paths(from_=fr, to=to) for to, frs in model.paths.items() for fr in frs])
    return seminr.estimate_pls(df, mm, sm, max_it=10_000, stop_criterion=14), model


def criteria(lnl, q, n, en):
    """The criteria as seminrExtras defines them (MDL5 there: -2lnL + q/2 ln n)."""
    return {"lnL": lnl, "n_parameters": q, "AIC": -2 * lnl + 2 * q, "AIC3": -2 * lnl + 3 * q,
            "AIC4": -2 * lnl + 4 * q, "BIC": -2 * lnl + q * math.log(n),
            "CAIC": -2 * lnl + q * (math.log(n) + 1), "HQ": -2 * lnl + 2 * q * math.log(math.log(n)),
            "MDL5": -2 * lnl + (q / 2) * math.log(n), "EN": en}


def k1_closed_form(scores: pd.DataFrame, model: rp.Model):
    n = len(scores)
    lnl, q = 0.0, 0
    for to, frs in model.paths.items():
        X = np.column_stack([np.ones(n), scores[frs].to_numpy()])
        y = scores[to].to_numpy()
        beta = np.linalg.lstsq(X, y, rcond=None)[0]
        s2 = np.mean((y - X @ beta) ** 2)
        lnl += -0.5 * n * (math.log(2 * math.pi * s2) + 1)
        q += len(frs) + 2
    return lnl, q


class _ScoresOnly:
    """Stand-in for openpls' Plspm: FIMIX reads only scores() and path_coefficients()."""

    def __init__(self, scores, model):
        self._s = scores
        P = pd.DataFrame(0.0, index=model.endo, columns=model.lvs)
        for to, frs in model.paths.items():
            P.loc[to, frs] = 1.0  # non-zero marks a path; values are not used by FIMIX
        self._p = P

    def scores(self):
        return self._s

    def path_coefficients(self):
        return self._p


def main():
    warnings.simplefilter("ignore")
    from seminrExtras.fimix import assess_fimix
    from openpls.fimix import FIMIX

    fit, model = seminr_model()
    S = fit.construct_scores
    scores = pd.DataFrame(S.values, columns=list(S.cols))[model.lvs]
    scores.to_csv(HERE / "scores_mobi_ecsi_pls.csv", index=False, float_format="%.15g")
    n = len(scores)
    rows = []
    lnl1, q1 = k1_closed_form(scores, model)
    rows.append(dict(K=1, source="closed form (numpy OLS, ML variance)", starts=0, seed="",
                     **criteria(lnl1, q1, n, float("nan")), shares=""))
    for k in KS:
        for nstart, seed in ((10, 123), (200, 1)):
            res = assess_fimix(fit, K=k, nstart=nstart, seed=seed)
            ic = res.info_criteria
            rows.append(dict(K=k, source="seminrExtras 0.1.0 assess_fimix", starts=nstart, seed=seed,
                             **criteria(ic["lnL"], res.n_parameters, n, ic["EN"]),
                             shares=" ".join(f"{v:.6f}" for v in sorted(res.segment_proportions.values(), reverse=True))))
            assert abs(ic["AIC3"] - rows[-1]["AIC3"]) < 1e-9 and abs(ic["MDL5"] - rows[-1]["MDL5"]) < 1e-9
        for nstart, seed in ((10, 42), (200, 1)):
            f = FIMIX(_ScoresOnly(scores, model), n_classes=k, max_iter=5000, n_restarts=nstart, seed=seed)
            fc = f.fit_criteria()
            shares = np.sort(np.asarray(f.class_sizes(), dtype=float))[::-1]
            row = dict(K=k, source="openpls-engine 1.13.0 FIMIX", starts=nstart, seed=seed,
                       **criteria(float(fc["log_lik"]), int(fc["n_params"]), n, float(fc["en"])),
                       shares=" ".join(f"{v:.6f}" for v in shares))
            row["MDL5_openpls"] = float(fc["mdl5"])  # openpls: -2lnL + 5 q ln n
            rows.append(row)
        print("K", k, "done", flush=True)
    out = pd.DataFrame(rows)
    out.to_csv(HERE / "fimix_mobi.csv", index=False, float_format="%.10g")
    print(out[["K", "source", "starts", "lnL", "n_parameters", "AIC3", "CAIC", "EN", "shares"]].to_string())


if __name__ == "__main__":
    main()
