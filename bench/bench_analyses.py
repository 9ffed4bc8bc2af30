"""Issue 17's figures on mobi (ECSI, 250 respondents): `csi predict` with 10 folds x 10
repetitions, the Bollen-Stine bootstrap of the model fit with 5,000 resamples, and the fit of
ECSI with a two-stage interaction term (Satisfaction ~ Quality:Value), point estimates and
with a bootstrap that redoes both stages per resample. Peers, run by the peer Python when it
is given: openpls-engine's PLSPredict (10 folds x 10 repeats) and seminr 0.2.1 (the Python
port: estimate_pls and bootstrap_model with interaction_term(method = two_stage), cores=1).
No installed Python peer implements the Bollen-Stine bootstrap (cSEM's testOMF() is R), so
that figure has none. `make bench` runs these through bench.py (analyses_figures).

Usage: python bench/bench_analyses.py [--peer-python PATH] [--repeat N] [--quick]
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


SEMINR_INTERACTION = """
import time, pandas as pd, seminr
d = pd.read_csv(MOBI_PATH)
blocks = {"Image": ["IMAG1","IMAG2","IMAG3","IMAG4","IMAG5"], "Expectation": ["CUEX1","CUEX2","CUEX3"],
  "Quality": ["PERQ" + str(i) for i in range(1, 8)], "Value": ["PERV1","PERV2"],
  "Satisfaction": ["CUSA1","CUSA2","CUSA3"], "Complaints": ["CUSCO"], "Loyalty": ["CUSL1","CUSL2","CUSL3"]}
paths = {"Expectation": ["Image"], "Quality": ["Expectation"], "Value": ["Expectation","Quality"],
  "Satisfaction": ["Image","Expectation","Quality","Value","Quality*Value"],
  "Complaints": ["Satisfaction"], "Loyalty": ["Image","Satisfaction","Complaints"]}
mm = seminr.constructs(*[seminr.composite(k, v) for k, v in blocks.items()],
                       seminr.interaction_term("Quality", "Value", method=seminr.two_stage))
sm = seminr.relationships(*[seminr.paths(v, k) for k, v in paths.items()])
fit = lambda: seminr.estimate_pls(d, mm, sm)
model = fit()
start = time.perf_counter()
for _ in range(REPEAT):
    fit()
point = (time.perf_counter() - start) / REPEAT
start = time.perf_counter()
seminr.bootstrap_model(model, nboot=NBOOT, cores=1, seed=1)
print(point, time.perf_counter() - start)
"""


def interaction_figures(peer_python: str | None, resamples: int, repeat: int) -> list[dict]:
    """ECSI + Quality:Value (two-stage) on mobi: a point fit and a bootstrap of `resamples`,
    csi.fit beside seminr's estimate_pls and bootstrap_model."""
    import csi
    from csi.model.spec import parse_model

    text = _ecsi_text() + "\nSatisfaction ~ Quality:Value\n"
    spec = parse_model(text, name="ecsi+Quality:Value")
    point = median_seconds(lambda: csi.fit(MOBI, spec, scale=(1, 10), bootstrap=0), repeat)
    start = time.perf_counter()
    csi.fit(MOBI, spec, scale=(1, 10), bootstrap=resamples, seed=1)
    booted = time.perf_counter() - start
    theirs = (None, None)
    if peer_python:
        code = (f"MOBI_PATH = {str(MOBI)!r}\nREPEAT = {repeat}\nNBOOT = {resamples}\n"
                + SEMINR_INTERACTION)
        done = subprocess.run([peer_python, "-c", code], capture_output=True, text=True,
                              check=False, cwd="/")
        if done.returncode == 0:
            theirs = tuple(float(v) for v in done.stdout.split()[-2:])
        else:
            print(f"seminr failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
    return [
        row("interaction fit, mobi ECSI + Quality:Value, two-stage, point estimates", point,
            theirs[0], "peer: seminr 0.2.1 estimate_pls"),
        row(f"interaction fit + bootstrap {resamples:,} (both stages per resample)", booted,
            theirs[1], "peer: seminr 0.2.1 bootstrap_model, cores=1"),
    ]


def _ecsi_text() -> str:
    from csi.model.spec import builtin_models

    return builtin_models()["ecsi"]


def analyses_figures(peer_python: str | None = None, repeat: int = 3,
                     quick: bool = False) -> list[dict]:
    """Every figure of this module (bench.py's `make bench` calls this)."""
    return (predict_and_fit_test(peer_python, repeat)
            + interaction_figures(peer_python, 50 if quick else 500, repeat))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer-python")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print_rows(analyses_figures(args.peer_python, args.repeat, args.quick), peer="peer")


def predict_and_fit_test(peer_python: str | None, repeat: int) -> list[dict]:
    """csi predict (10 x 10) beside openpls-engine, and the Bollen-Stine bootstrap."""
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
                          repeat)
    theirs = None
    if peer_python:
        done = subprocess.run([peer_python, "-c", f"MOBI_PATH = {str(MOBI)!r}\n" + PEER], capture_output=True,
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
    return rows


if __name__ == "__main__":
    main()
