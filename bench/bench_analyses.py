"""Issue 17's figures on mobi (ECSI, 250 respondents): `csi predict` with 10 folds x 10
repetitions, and the Bollen-Stine bootstrap of the model fit with 5,000 resamples, beside
openpls-engine's PLSPredict (10 folds x 10 repeats) run by the peer Python when it is given.
No installed Python peer implements the Bollen-Stine bootstrap (cSEM's testOMF() is R), so
that figure has none.

Usage: python bench/bench_analyses.py [--peer-python PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from timing import median_seconds, print_rows, row

ROOT = Path(__file__).resolve().parent.parent
MOBI = ROOT / "surveys" / "mobi.csv"

PEER = """
import time, pandas as pd
from openpls.config import MV, Config, Structure
from openpls.mode import Mode
from openpls.scale import Scale
from openpls.scheme import Scheme
import openpls.predict as opp
blocks = {"Image": ["IMAG1","IMAG2","IMAG3","IMAG4","IMAG5"], "Expectation": ["CUEX1","CUEX2","CUEX3"],
  "Quality": ["PERQ" + str(i) for i in range(1, 8)], "Value": ["PERV1","PERV2"],
  "Satisfaction": ["CUSA1","CUSA2","CUSA3"], "Complaints": ["CUSCO"], "Loyalty": ["CUSL1","CUSL2","CUSL3"]}
paths = {"Expectation": ["Image"], "Quality": ["Expectation"], "Value": ["Expectation","Quality"],
  "Satisfaction": ["Image","Expectation","Quality","Value"], "Complaints": ["Satisfaction"],
  "Loyalty": ["Image","Satisfaction","Complaints"]}
df = pd.read_csv(MOBI_PATH)[[m for b in blocks.values() for m in b]]
st = Structure()
for to, frs in paths.items():
    st.add_path(frs, [to])
cfg = Config(st.path(), default_scale=Scale.NUM)
for lv, items in blocks.items():
    cfg.add_lv(lv, Mode.A, *[MV(m) for m in items])
run = lambda: opp.PLSPredict(cfg, df, scheme=Scheme.PATH, k=10, repeats=10, seed=1).metrics()
run()
start = time.perf_counter(); run(); print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer-python")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from csi.ingest import IngestOptions, item_matrix, read_survey
    from csi.model.spec import load_model
    from csi.multi.predict import predict_items
    from csi import estimators
    from csi.estimators.base import PlsSettings
    from csi.inference import model_fit
    from csi.model.structure import Structure as CsiStructure
    from csi.pipeline import sample_of

    spec = load_model("ecsi")
    options = IngestOptions.from_text(scale="1:10")
    items = item_matrix(read_survey(MOBI, options), spec, options=options)
    ours = median_seconds(lambda: predict_items(items, spec, folds=10, repeats=10, seed=1),
                          args.repeat)
    theirs = None
    if args.peer_python:
        done = subprocess.run([args.peer_python, "-c", f"MOBI_PATH = {str(MOBI)!r}\n" + PEER], capture_output=True,
                              text=True, check=False)
        theirs = float(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
    rows = [row("csi predict, mobi ECSI, 10 folds x 10 repetitions (100 PLS fits, batched)",
                ours, theirs, "peer: openpls-engine PLSPredict k=10 repeats=10")]
    structure = CsiStructure.from_spec(spec)
    sample = sample_of(items)
    settings = PlsSettings()
    point = estimators.get("pls").point_fit(sample.moments().cor, sample.size, structure,
                                            settings)
    start = time.perf_counter()
    model_fit.bollen_stine(sample, structure, settings, point, 5000, 1, workers=2)
    rows.append(row("Bollen-Stine bootstrap of the fit, mobi ECSI, 5,000 resamples x 2 models",
                    time.perf_counter() - start, None, "no Python peer implements it"))
    print_rows(rows, peer="openpls")


if __name__ == "__main__":
    main()
