"""The Python port of seminr (PyPI `seminr`), timed for bench/bench_startup.py: estimate_pls
of ECSI on mobi alone (seminr's own estimation: measurement and structural model, PLS
algorithm), median seconds in-process. Run with the peer venv's python; prints JSON."""

from __future__ import annotations

import argparse
import json
import statistics
import time

import pandas as pd
from seminr import composite, constructs, estimate_pls, paths, relationships
from seminr.specify.constructs import multi_items

BLOCKS = {"Image": ("IMAG", 5), "Expectation": ("CUEX", 3), "Quality": ("PERQ", 7),
          "Value": ("PERV", 2), "Satisfaction": ("CUSA", 3), "Loyalty": ("CUSL", 3)}
PATHS = [("Image", "Expectation"), ("Expectation", "Quality"), ("Expectation", "Value"),
         ("Quality", "Value"), ("Image", "Satisfaction"), ("Expectation", "Satisfaction"),
         ("Quality", "Satisfaction"), ("Value", "Satisfaction"), ("Satisfaction", "Complaints"),
         ("Image", "Loyalty"), ("Satisfaction", "Loyalty"), ("Complaints", "Loyalty")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    data = pd.read_csv(args.data)
    measurement = constructs(
        *(composite(name, multi_items(stem, range(1, count + 1)))
          for name, (stem, count) in BLOCKS.items()),
        composite("Complaints", ["CUSCO"]))
    structural = relationships(*(paths(a, b) for a, b in PATHS))
    fit = lambda: estimate_pls(data, measurement, structural)  # noqa: E731
    fit()
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    print(json.dumps({"seconds_per_fit": statistics.median(times)}))


if __name__ == "__main__":
    main()
