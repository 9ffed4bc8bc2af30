"""seminrExtras' FIMIX-PLS (PyPI `seminrextras`, the Python port of the R package), timed for
bench/bench_latent.py: seminr's PLS of ECSI on the survey, its construct scores written to
--scores (so csi fits the same scores), then assess_fimix for each K with --starts random
starts (its defaults otherwise: max_iter 5000, stop 1e-6, seed 123). Run with the peer venv's
python; prints JSON {"seconds": {K: s}, "loglik": {K: lnL}}."""

from __future__ import annotations

import argparse
import json
import time

import pandas as pd
from seminr import composite, constructs, estimate_pls, paths, relationships
from seminr.specify.constructs import multi_items
from seminrExtras.fimix import assess_fimix

BLOCKS = {"Image": ("IMAG", 5), "Expectation": ("CUEX", 3), "Quality": ("PERQ", 7),
          "Value": ("PERV", 2), "Satisfaction": ("CUSA", 3), "Loyalty": ("CUSL", 3)}
PATHS = [("Image", "Expectation"), ("Expectation", "Quality"), ("Expectation", "Value"),
         ("Quality", "Value"), ("Image", "Satisfaction"), ("Expectation", "Satisfaction"),
         ("Quality", "Satisfaction"), ("Value", "Satisfaction"), ("Satisfaction", "Complaints"),
         ("Image", "Loyalty"), ("Satisfaction", "Loyalty"), ("Complaints", "Loyalty")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--scores", required=True, help="CSV to write seminr's scores to")
    parser.add_argument("--max-classes", type=int, default=5)
    parser.add_argument("--starts", type=int, default=10)
    args = parser.parse_args()
    data = pd.read_csv(args.data)
    measurement = constructs(
        *(composite(name, multi_items(stem, range(1, count + 1)))
          for name, (stem, count) in BLOCKS.items()),
        composite("Complaints", ["CUSCO"]))
    model = estimate_pls(data, measurement, relationships(*(paths(a, b) for a, b in PATHS)))
    scores = model.construct_scores
    pd.DataFrame(scores.values, columns=list(scores.cols)).to_csv(args.scores, index=False)
    seconds, loglik = {}, {}
    for k in range(2, args.max_classes + 1):  # assess_fimix needs K >= 2
        start = time.perf_counter()
        found = assess_fimix(model, K=k, nstart=args.starts)
        seconds[k] = time.perf_counter() - start
        loglik[k] = None if found is None else found.log_likelihood
    print(json.dumps({"seconds": seconds, "loglik": loglik}))


if __name__ == "__main__":
    main()
