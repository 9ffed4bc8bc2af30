"""Reference: Necessary Condition Analysis (Dul 2016) of every structural predictor ->
endogenous construct pair of the mobi ECSI model, on given construct scores
(scores_mobi_ecsi_pls.csv: seminr PLS scores, all Mode A, path weighting, standardised).

Sources, all on the same scores:
- numpy closed form below (CE-FDH step ceiling, its peers, CR-FDH = OLS line through the
  peers; d = ceiling zone / scope, scope = the observed x and y ranges);
- seminrExtras 0.1.0 assess_nca (effect sizes, permutation p, bottleneck table);
- ncapackage 1.0.0 (module `nca`, a Python port of R NCA's nca_analysis; its package
  __init__ needs Python >= 3.12 for a printing helper, so the computational module
  nca.nca is imported directly): effect sizes, CR-FDH slope/intercept, bottlenecks.

    /work/peers-venv/bin/python tests/reference/make_nca.py
"""
from __future__ import annotations

import contextlib
import io
import site
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import refpls as rp  # noqa: E402

SCORES = HERE / "scores_mobi_ecsi_pls.csv"
TEST_REP = 1000
SEED = 123
STEPS = 10


def ce_fdh(x, y):
    """Step ceiling: at each distinct x, the largest y observed at or left of it."""
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    ux, first = np.unique(xs, return_index=True)
    last = np.r_[first[1:], len(xs)] - 1
    ceil = np.maximum.accumulate(ys[last])  # max y within each level, then running max
    return ux, ceil


def peers(ux, ceil, x, y):
    """Upper-left corners of the step ceiling: levels where the ceiling rises."""
    rise = np.r_[True, ceil[1:] > ceil[:-1]]
    return ux[rise], ceil[rise]


def zone_under_line(a, b, x0, x1, y0, y1):
    """Area of the scope rectangle above the line y = a + b x (line clipped to [y0, y1])."""
    pts = [x0, x1]
    if b != 0:
        pts += [(y0 - a) / b, (y1 - a) / b]
    pts = np.unique(np.clip(pts, x0, x1))
    area = 0.0
    for l, r in zip(pts[:-1], pts[1:]):
        h = lambda t: y1 - np.clip(a + b * t, y0, y1)  # noqa: E731
        area += (r - l) * (h(l) + h(r)) / 2  # exact: linear between crossing points
    return area


def nca_numpy(x, y):
    x0, x1, y0, y1 = x.min(), x.max(), y.min(), y.max()
    scope = (x1 - x0) * (y1 - y0)
    ux, ceil = ce_fdh(x, y)
    zone_ce = float(np.sum(np.diff(ux) * (y1 - ceil[:-1])))
    px, py = peers(ux, ceil, x, y)
    if len(px) >= 2:
        b, a = np.polyfit(px, py, 1)
        zone_cr = zone_under_line(a, b, x0, x1, y0, y1)
    else:  # one peer: the ceiling is flat at y_max, no line (d = 0, as CE-FDH)
        a = b = np.nan
        zone_cr = zone_ce
    levels = np.linspace(0, 100, STEPS + 1)
    # clamp: y0 + 1.0 * (y1 - y0) can round above y1 and would miss the top level
    yt = np.minimum(y0 + levels / 100 * (y1 - y0), y1)
    idx = np.searchsorted(ceil, yt, side="left")  # first level whose ceiling reaches yt
    need_ce = np.where(idx < len(ux), ux[np.minimum(idx, len(ux) - 1)], np.nan)
    need_cr = (yt - a) / b if len(px) >= 2 else need_ce  # flat ceiling: as CE-FDH
    pct = lambda v: (v - x0) / (x1 - x0) * 100  # noqa: E731
    return dict(scope=scope, zone_ce_fdh=zone_ce, d_ce_fdh=zone_ce / scope, zone_cr_fdh=zone_cr,
                d_cr_fdh=zone_cr / scope, cr_fdh_intercept=a, cr_fdh_slope=b, n_peers=len(px),
                x_min=x0, x_max=x1, y_min=y0, y_max=y1), levels, pct(need_ce), pct(need_cr)


def nca_port():
    pkg = types.ModuleType("nca")
    pkg.__path__ = [str(Path(p) / "nca") for p in site.getsitepackages()]
    sys.modules["nca"] = pkg
    from nca.nca import nca_analysis

    return nca_analysis


def main():
    warnings.simplefilter("ignore")
    scores = pd.read_csv(SCORES)
    model = rp.Model(rp.MOBI_BLOCKS, rp.MOBI_PATHS)
    nca_analysis = nca_port()
    from make_fimix import seminr_model
    from seminrExtras.nca import assess_nca

    fit, _ = seminr_model()
    assert np.allclose(np.asarray(fit.construct_scores.values)[:, [list(fit.construct_scores.cols).index(c) for c in scores.columns]],
                       scores.to_numpy(), atol=1e-12)
    rows, bn_rows, conf = [], [], []
    for target, drivers in model.paths.items():
        se = assess_nca(fit, target, predictors=drivers, test_rep=TEST_REP, seed=SEED, steps=STEPS)
        for drv in drivers:
            x, y = scores[drv].to_numpy(), scores[target].to_numpy()
            r, levels, bn_ce, bn_cr = nca_numpy(x, y)
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    port = nca_analysis(scores, [drv], target, ceilings=["ce_fdh", "cr_fdh"],
                                        test_rep=TEST_REP, steps=STEPS)
                par = port["summaries"][drv]["params"]
            except ZeroDivisionError:  # the port divides by a zero CE-FDH ceiling zone (d = 0)
                port, par = None, pd.DataFrame(np.nan, index=["p-value", "Effect size", "Ceiling zone",
                                                              "Slope", "Intercept"],
                                               columns=["ce_fdh", "cr_fdh"])
            row = dict(target=target, driver=drv, n=len(x), **r,
                       p_ce_fdh_seminrextras=se.significance.get(drv, "ce_fdh"),
                       p_cr_fdh_seminrextras=se.significance.get(drv, "cr_fdh"),
                       p_ce_fdh_nca_port=float(par.loc["p-value", "ce_fdh"]),
                       p_cr_fdh_nca_port=float(par.loc["p-value", "cr_fdh"]))
            rows.append(row)
            peer = {"seminrExtras 0.1.0": dict(d_ce_fdh=se.effect_sizes.get(drv, "ce_fdh"),
                                               d_cr_fdh=se.effect_sizes.get(drv, "cr_fdh")),
                    "ncapackage 1.0.0 (R NCA port)": dict(
                        d_ce_fdh=float(par.loc["Effect size", "ce_fdh"]),
                        d_cr_fdh=float(par.loc["Effect size", "cr_fdh"]),
                        zone_ce_fdh=float(par.loc["Ceiling zone", "ce_fdh"]),
                        zone_cr_fdh=float(par.loc["Ceiling zone", "cr_fdh"]),
                        cr_fdh_slope=float(par.loc["Slope", "cr_fdh"]),
                        cr_fdh_intercept=float(par.loc["Intercept", "cr_fdh"]),
                        scope=float(port["summaries"][drv]["global"].loc["Scope"].iloc[0]) if port else np.nan)}
            for name, vals in peer.items():
                for k, v in vals.items():
                    conf.append(dict(target=target, driver=drv, statistic=k, peer=name, reference=r[k],
                                     peer_value=v, abs_diff=abs(r[k] - v)))
            se_bn = se.bottleneck
            for ceil, mine in (("ce_fdh", bn_ce), ("cr_fdh", bn_cr)):
                port_bn = port["bottlenecks"][ceil][drv].to_numpy() if port else [np.nan] * len(levels)
                se_col = se_bn[ceil].values[:, list(se_bn[ceil].cols).index(drv)]
                for lvl, m, pv, sv in zip(levels, mine, port_bn, se_col):
                    bn_rows.append(dict(target=target, driver=drv, ceiling=ceil, target_level_pct=lvl,
                                        driver_required_pct=m,
                                        nca_port=pv if isinstance(pv, str) else float(pv),
                                        seminrextras=sv))
        print(target, "done", flush=True)
    pd.DataFrame(rows).to_csv(HERE / "nca_mobi_ecsi.csv", index=False, float_format="%.12g")
    pd.DataFrame(bn_rows).to_csv(HERE / "nca_mobi_ecsi_bottlenecks.csv", index=False, float_format="%.10g")
    conf = pd.DataFrame(conf)
    conf.to_csv(HERE / "nca_mobi_ecsi_confirmation.csv", index=False, float_format="%.12g")
    print(conf.groupby(["peer", "statistic"]).abs_diff.max().to_string())


if __name__ == "__main__":
    main()
