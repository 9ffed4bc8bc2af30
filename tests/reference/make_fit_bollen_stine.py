"""Loose reference: Bollen-Stine bootstrap of the exact-fit test (cSEM testOMF(), Dijkstra &
Henseler 2015, Beran & Srivastava 1985): data transformed to X S^-1/2 Sigma^1/2, rows
resampled with replacement, model re-estimated, distances recomputed; HI95 / HI99 are the
95% / 99% quantiles (type 7) of the bootstrap distances. Inadmissible resamples are
dropped (cSEM's default .handle_inadmissibles = "drop").

Independent numpy (refpls.py), seeded numpy Generator; compared with ADANCO 2.2.1's HI95/HI99
(fit_pls_bollen_stine_adanco.csv, B and seed unknown): a Monte Carlo check, not an exact one.

    /work/peers-venv/bin/python tests/reference/make_fit_bollen_stine.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import refpls as rp  # noqa: E402
from make_fit_pls import BANK, MOBI, VARIANTS  # noqa: E402

B = 2000
SEED = 20260517
CASES = [  # data, blocks, paths, variant, scheme
    ("satisfaction_bank", BANK, rp.BANK_BLOCKS, rp.BANK_PATHS, "composite_modeB", "centroid"),
    ("satisfaction_bank", BANK, rp.BANK_BLOCKS, rp.BANK_PATHS, "common_factor_plsc", "centroid"),
    ("satisfaction_bank", BANK, rp.BANK_BLOCKS, rp.BANK_PATHS, "composite_modeA", "path"),
    ("mobi", MOBI, rp.MOBI_BLOCKS, rp.MOBI_PATHS, "composite_modeA", "path"),
]


def sym_pow(A, p):
    vals, vecs = np.linalg.eigh(A)
    return (vecs * vals ** p) @ vecs.T


def stats(S, model, variant, scheme, saturated):
    ctype, mode, consistent = VARIANTS[variant]
    est = rp.estimate(S, model, {lv: mode for lv in model.lvs}, scheme, consistent, 1e-10)
    Sig = rp.implied_indicator(S, est, model, {lv: ctype for lv in model.lvs}, saturated)
    ok = (np.all(np.linalg.eigvalsh(est["P"]) > 0) and np.all(np.abs(est["L"]) <= 1)
          and np.all(est["Q"] ** 2 <= 1) and np.all(np.linalg.eigvalsh(Sig) > 0))
    d = rp.distances(S, Sig)
    return ok, np.array([d["srmr"], d["d_uls"], d["d_g_log10"]])


def main():
    rows = []
    for data_name, path, blocks, paths, variant, scheme in CASES:
        model = rp.Model(blocks, paths)
        X = rp.load(path, model)
        X = (X - X.mean(0)) / X.std(0, ddof=1)
        S = rp.corr(X)
        for which in ("saturated", "estimated"):
            sat = which == "saturated"
            ok, observed = stats(S, model, variant, scheme, sat)
            ctype, mode, consistent = VARIANTS[variant]
            est = rp.estimate(S, model, {lv: mode for lv in model.lvs}, scheme, consistent, 1e-10)
            Sig = rp.implied_indicator(S, est, model, {lv: ctype for lv in model.lvs}, sat)
            Xt = X @ sym_pow(S, -0.5) @ sym_pow(Sig, 0.5)
            rng = np.random.default_rng(SEED)
            boot, flags = [], []
            for _ in range(B):
                idx = rng.integers(0, X.shape[0], X.shape[0])
                okb, d = stats(rp.corr(Xt[idx]), model, variant, scheme, sat)
                boot.append(d)
                flags.append(okb)
            boot, flags = np.array(boot), np.array(flags)
            for handling in ("drop", "ignore"):
                # drop: cSEM's default (inadmissible resamples left out); ignore: all kept
                # (a statistic that is NaN because Sigma is not positive definite is left out)
                if handling == "ignore" and flags.all():
                    continue
                sel = boot[flags] if handling == "drop" else boot
                for k, stat in enumerate(("srmr", "d_uls", "d_g")):
                    v = sel[:, k][np.isfinite(sel[:, k])]
                    rows.append(dict(data=data_name, variant=variant, scheme=scheme, model=which,
                                     statistic=stat, observed=observed[k], inadmissibles=handling,
                                     hi95=np.quantile(v, 0.95), hi99=np.quantile(v, 0.99),
                                     p=float(np.mean(v >= observed[k])),
                                     B=B, used=len(v), seed=SEED,
                                     rng="numpy.random.default_rng(seed).integers(0, n, n) per resample, "
                                         "one generator per (case, model)"))
            print(data_name, variant, scheme, which, "inadmissible", int((~flags).sum()), flush=True)
    out = pd.DataFrame(rows)
    out.to_csv(HERE / "fit_pls_bollen_stine_numpy.csv", index=False, float_format="%.10g")
    adanco = pd.read_csv(HERE / "fit_pls_bollen_stine_adanco.csv")
    m = out.merge(adanco, on=["data", "variant", "scheme", "model", "statistic"], suffixes=("", "_adanco"))
    m["rel95"] = m.hi95 / m.hi95_adanco - 1
    m["rel99"] = m.hi99 / m.hi99_adanco - 1
    print(m[["variant", "model", "statistic", "inadmissibles", "hi95", "hi95_adanco", "rel95", "hi99", "hi99_adanco", "rel99"]].to_string())


if __name__ == "__main__":
    main()
