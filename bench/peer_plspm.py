"""Time the peer package `plspm` (PyPI, 0.5.7) on the ECSI model, in the same run as csi.

The benchmark reports csi's speed as ratios to a peer measured on the same machine in the
same run, so the numbers do not depend on how fast that machine happens to be. This script
is that peer's side. It runs in its own virtualenv (see bench/requirements-peer.txt,
because plspm 0.5.7 does not work with pandas 3), never imports csi, and prints ONE JSON
object on stdout:

  fit        wall-clock seconds per full Plspm(...) fit (the median of --repeat runs), the
             pandas read_csv time, and the path coefficients, so that the caller can check
             that the peer estimated the same model (Image -> Expectation = 0.504914 on mobi).
  bootstrap  wall-clock seconds for --resamples bootstrap resamples with processes=1. The
             time of one point fit, measured on its own, is subtracted.

The model is the ECSI model (mobi data): all blocks are Mode A and the path weighting
scheme is used. Only Config(..., default_scale=Scale.NUM), which standardizes every
column, gives the same results as the R packages. With the default metric Config, every
column is divided by a single standard deviation pooled over all the columns.
"""
import argparse
import json
import statistics
import time
import warnings

import numpy as np
import pandas as pd
import plspm.bootstrap
from plspm.config import MV, Config
from plspm.mode import Mode
from plspm.plspm import Plspm
from plspm.scale import Scale
from plspm.scheme import Scheme

PEER = "plspm 0.5.7"
BLOCKS = {  # in causal order, so the path matrix comes out lower triangular as plspm requires
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}
PATHS = [
    ("Image", "Expectation"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
    ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"), ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"), ("Complaints", "Loyalty"),
]


def ecsi_config():
    lvs = list(BLOCKS)
    path = pd.DataFrame(0, index=lvs, columns=lvs)  # row = target, column = source
    for source, target in PATHS:
        path.loc[target, source] = 1
    config = Config(path, default_scale=Scale.NUM)
    for lv, mvs in BLOCKS.items():
        config.add_lv(lv, Mode.A, *[MV(mv) for mv in mvs])
    return config


def fit(data, **bootstrap):
    return Plspm(data, ecsi_config(), Scheme.PATH, **bootstrap)


def timed(run):
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


class _ShortPoll:
    """plspm.bootstrap polls its worker with time.sleep(1), which adds 1 to 2 idle seconds
    to every bootstrap. Unless --stock-poll is given, we poll every 10 ms instead."""
    sleep = staticmethod(lambda seconds: time.sleep(0.01))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", choices=["fit", "bootstrap"])
    parser.add_argument("--data", required=True, help="CSV with the 24 ECSI (mobi) columns")
    parser.add_argument("--repeat", type=int, default=1, help="fit: number of timed fits")
    parser.add_argument("--resamples", type=int, default=200, help="bootstrap: number of resamples (>= 10)")
    parser.add_argument("--seed", type=int, default=1, help="bootstrap: numpy seed")
    parser.add_argument("--stock-poll", action="store_true",
                        help="bootstrap: keep plspm's 1 s polling sleep")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # plspm's pandas FutureWarnings would flood stderr

    read_seconds, data = timed(lambda: pd.read_csv(args.data))
    out = {"peer": PEER, "work": args.work, "n": len(data)}
    if args.work == "fit":
        times = []
        for _ in range(max(1, args.repeat)):
            seconds, model = timed(lambda: fit(data))
            times.append(seconds)
        coefficients = model.path_coefficients()
        out.update(seconds_per_fit=statistics.median(times), repeat=len(times),
                   read_seconds=read_seconds, fit_seconds=statistics.median(times),
                   paths={f"{s} -> {t}": float(coefficients.loc[t, s]) for s, t in PATHS})
    else:
        if args.resamples < 10:
            parser.error("plspm replaces fewer than 10 resamples with 100")
        if not args.stock_poll:
            plspm.bootstrap.time = _ShortPoll
        point_seconds = min(timed(lambda: fit(data))[0] for _ in range(3))
        np.random.seed(args.seed)  # the forked worker inherits this state
        total, model = timed(lambda: fit(data, bootstrap=True,
                                         bootstrap_iterations=args.resamples, processes=1))
        seconds = total - point_seconds
        out.update(resamples=args.resamples, seconds=seconds,
                   seconds_per_resample=seconds / args.resamples,
                   total_seconds=total, point_fit_seconds=point_seconds,
                   paths_std_error={k: float(v) for k, v in
                                    model.bootstrap().paths()["std.error"].items()},
                   note="seconds = total_seconds - point_fit_seconds (the fastest of 3 point "
                        "fits). It includes the start of one forked worker process. The 1 s "
                        "polling sleep of plspm.bootstrap is "
                        + ("kept (--stock-poll)." if args.stock_poll else "cut to 10 ms."))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
