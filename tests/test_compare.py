"""Two-group comparison (`csi compare`): the vectorised permutation test against explicit
refits, its size under a simulated null and its power under a planted difference, the
bootstrap CIs of the differences, the verdicts and the command."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csi.inference.bootstrap import BootstrapSettings
from csi.cli.main import cli
from csi.multi.compare import (
    Metrics,
    compare,
    compare_by,
    format_interval,
    format_p,
    permutation_chunk,
    permutation_test,
    pooled_problem,
    verdict,
)
from csi.errors import ExitCode
from csi.estimators.reported import estimate_vectors
from csi.ingest import IngestOptions, Survey, item_matrix
from csi.sample import moments
from csi.estimators.base import PlsSettings
from csi.estimators import estimate
from csi.scale_out import LocalExecutor
from csi.model.spec import parse_model
from tests.conftest import MOBI
from tests.simulate import Population
from tests.test_segments import stores_frame

SCALE = (1.0, 13.0)


def population(path_x_y: float = 0.3) -> Population:
    """Three reflective constructs, X -> M -> Y and X -> Y, three items each."""
    return Population(
        constructs=("X", "M", "Y"),
        loadings={"X": (0.8, 0.8, 0.7), "M": (0.8, 0.7, 0.8), "Y": (0.8, 0.8, 0.7)},
        paths={"M": {"X": 0.4}, "Y": {"X": path_x_y, "M": 0.3}},
    )


SPEC = parse_model(population().model_text() + "\n# @target Y", "sim")
METRICS = Metrics.for_model(SPEC)


def sample(rng, n, path_x_y=0.3):
    frame = population(path_x_y).sample(rng, n).clip(*SCALE)
    return item_matrix(Survey("sim", frame), SPEC, SCALE)


def test_metrics_are_indices_paths_and_importances():
    table = METRICS.table()
    assert table["family"].tolist() == ["index"] * 3 + ["path"] * 3 + ["importance"] * 2
    assert table["construct"].tolist()[:3] == ["X", "M", "Y"]
    assert list(zip(table["from"], table["to"]))[3:] == [("X", "M"), ("X", "Y"), ("M", "Y"),
                                                         ("X", "Y"), ("M", "Y")]


def test_vectorised_permutations_equal_refitting_both_groups():
    """A permutation's moments come from one product of the membership matrix with the
    respondents' cross-products; refitting each permuted group from its own rows gives the
    same estimates."""
    rng = np.random.default_rng(7)
    a, b = sample(rng, 60), sample(rng, 80)
    problem = pooled_problem(a, b, METRICS.layout, PlsSettings())
    seed = np.random.SeedSequence(3)
    differences, failed = permutation_chunk((problem, 60, "construct", METRICS), (5, seed))
    assert failed == 0 and differences.shape == (5, 8)
    base = np.zeros((5, 140))
    base[:, :60] = 1.0
    membership = np.random.default_rng(seed).permuted(base, axis=1)  # as the chunk draws
    for row, mask in enumerate(membership.astype(bool)):
        metrics = []
        for rows in (problem.sample.values[mask], problem.sample.values[~mask]):
            stats = moments(rows)
            fit = estimate(stats.cor[None], METRICS.layout.structure, PlsSettings())
            vectors = estimate_vectors(fit, stats.mean[None], stats.sd[None], METRICS.layout,
                                       *SCALE, True)
            metrics.append(METRICS.extract(vectors)[0])
        np.testing.assert_allclose(differences[row], metrics[1] - metrics[0], rtol=0,
                                   atol=1e-9)


@pytest.mark.slow
def test_permutation_test_has_its_nominal_size_under_the_null():
    """Size study: 400 replications of two groups of 100 drawn from one population, 199
    permutations each (so that p <= 0.05 has probability exactly 10/200 = 0.05 for an exact
    test), every replication seeded.

    If the test is exact, the number of rejections at alpha = 0.05 of one estimate is
    Binomial(400, 0.05): mean 20, SD 4.4. The band 8..34 holds it with probability 0.998
    (P(X <= 7) = 0.0006, P(X >= 35) = 0.0011, scipy.stats.binom), while a test of true size
    0.10 would fall inside it with probability 0.18 only. The pre-specified estimate is the
    path X -> Y; the other seven (correlated) estimates get the band 7..36 each (tails
    0.0002 + 0.0003).
    """
    rng = np.random.default_rng(20261128)
    p_values = []
    for replication in range(400):
        a, b = sample(rng, 100), sample(rng, 100)
        test = permutation_test(a, b, SPEC, permutations=199, seed=replication,
                                metrics=METRICS)
        assert test.n_used == 199
        p_values.append(test.p)
    rejections = (np.array(p_values) <= 0.05).sum(axis=0)
    print("rejections per estimate at 0.05 (of 400):", rejections.tolist())
    assert 8 <= rejections[4] <= 34  # path X -> Y
    assert np.all((rejections >= 7) & (rejections <= 36))


@pytest.mark.slow
def test_permutation_test_detects_a_planted_difference():
    """Power: the path X -> Y is 0.2 in one population and 0.5 in the other (a difference of
    0.3), 300 respondents per group; 30 seeded replications with 199 permutations. The
    difference's SE is about 0.08, so the test should reject in nearly every replication;
    asserting 25 of 30 leaves room for chance. The unchanged path M -> Y rejects rarely."""
    rng = np.random.default_rng(5)
    p_values = []
    for replication in range(30):
        a, b = sample(rng, 300, path_x_y=0.2), sample(rng, 300, path_x_y=0.5)
        test = permutation_test(a, b, SPEC, permutations=199, seed=replication,
                                metrics=METRICS)
        assert test.observed[4] > 0  # b - a, the planted direction
        p_values.append(test.p)
    rejections = (np.array(p_values) <= 0.05).sum(axis=0)
    print("rejections per estimate at 0.05 (of 30):", rejections.tolist())
    assert rejections[4] >= 25  # path X -> Y
    assert rejections[5] <= 5  # path M -> Y, equal in both populations


def groups(seed=0):
    frame = stores_frame({"q2": 150, "q3": 150}, seed=seed).rename(columns={"store": "wave"})
    return frame


def test_compare_reports_differences_with_cis_p_values_and_verdicts():
    frame = groups()
    settings = BootstrapSettings(resamples=300, seed=9)
    comparison = compare_by(Survey("waves.csv", frame), "ecsi", "wave", bootstrap=settings,
                            permutations=199, options=IngestOptions(scale=(1, 10)))
    table = comparison.differences
    assert (comparison.a.name, comparison.b.name) == ("q2", "q3")
    assert len(table) == 7 + 12 + 4  # ECSI: 7 indices, 12 paths, 4 drivers of Satisfaction
    a, b = comparison.a.result, comparison.b.result
    satisfaction = table[(table["family"] == "index") & (table["construct"] == "Satisfaction")]
    row = satisfaction.iloc[0]
    score = {g: r.index.set_index("construct").loc["Satisfaction", "score"]
             for g, r in (("a", a), ("b", b))}
    assert row["a"] == score["a"] and row["b"] == score["b"]
    assert row["difference"] == pytest.approx(score["b"] - score["a"], abs=1e-12)
    # the CI is the percentile interval of (resample r of b) - (resample r of a)
    draws = [METRICS_ECSI().extract(r.draws.values) for r in (a, b)]
    delta = draws[1][:, 4] - draws[0][:, 4]
    assert comparison.bootstrap_pairs == 300
    assert row["ci_low"] == pytest.approx(np.quantile(delta, 0.025), abs=1e-12)
    assert row["ci_high"] == pytest.approx(np.quantile(delta, 0.975), abs=1e-12)
    # the permutation test saw the same observed difference
    np.testing.assert_allclose(comparison.permutation.observed, table["difference"],
                               rtol=0, atol=1e-9)
    assert ((table["p"] > 0) & (table["p"] <= 1)).all()
    assert (table["significant"] == (table["p"] <= 0.05)).all()
    assert row["verdict"].startswith("Customer Satisfaction ")
    assert comparison.a.seed != comparison.b.seed


def METRICS_ECSI():
    from csi.model.spec import load_model

    return Metrics.for_model(load_model("ecsi"))


def test_group_fits_equal_the_segment_fits_of_csi_fit_by():
    """With --by, a group's bootstrap seed is its segment seed: its fit is the segment's."""
    from csi.multi.segments import fit_segments

    frame = groups(1)
    settings = BootstrapSettings(resamples=120, seed=4)
    options = IngestOptions(scale=(1, 10))
    comparison = compare_by(Survey("w", frame), "acsi", "wave", bootstrap=settings,
                            permutations=50, options=options)
    segments = fit_segments(Survey("w", frame), "acsi", "wave", bootstrap=settings,
                            options=options)
    for group, fit in zip((comparison.a, comparison.b), segments.fits):
        assert group.seed == fit.seed
        assert group.result.paths.equals(fit.result.paths)


def test_results_do_not_depend_on_the_workers():
    frame = groups(2)
    settings = BootstrapSettings(resamples=120, seed=4)
    runs = [compare_by(Survey("w", frame), "acsi", "wave", bootstrap=settings,
                       permutations=600, executor=LocalExecutor(workers)).to_json()
            for workers in (1, 2)]
    assert runs[0] == runs[1]


def test_two_files_share_the_observed_scale(tmp_path):
    mobi = pd.read_csv(MOBI)
    first, second = mobi.iloc[:125].copy(), mobi.iloc[125:].copy()
    first[first.columns] = first.clip(upper=9)  # the first file never uses 10
    comparison = compare(Survey("q2.csv", first), Survey("q3.csv", second), "acsi",
                         permutations=20)
    for group in (comparison.a, comparison.b):
        assert group.result.settings["scale"] == {"min": 1.0, "max": 10.0, "from_data": True}
        assert any("observed answer range of both surveys 1..10, shared by every group" in w
                   for w in group.result.warnings)
    assert comparison.bootstrap_pairs == 0 and comparison.differences["ci_low"].isna().all()


def test_verdict_wording():
    label = {"Satisfaction": "Customer Satisfaction", "Quality": "Perceived Quality"}.get
    row = {"family": "index", "construct": "Satisfaction", "from": None, "to": None,
           "a": 72.44, "b": 74.54, "difference": 2.1, "ci_low": 0.4, "ci_high": 3.8,
           "p": 0.0201, "significant": True}
    assert verdict(row, label, 0.95) == ("Customer Satisfaction rose 2.1 points "
                                         "(72.4 → 74.5), 95% CI 0.4–3.8, p = 0.02")
    row |= {"family": "path", "construct": None, "from": "Quality", "to": "Satisfaction",
            "a": 0.64, "b": 0.37, "difference": -0.27, "ci_low": -0.497, "ci_high": -0.001,
            "p": 0.046}
    assert verdict(row, label, 0.95) == (
        "The path Perceived Quality → Customer Satisfaction fell 0.27 (0.64 → 0.37), "
        "95% CI -0.50 to 0.00, p = 0.046")
    row |= {"family": "importance", "a": 0.45, "b": 0.452, "difference": 0.002,
            "ci_low": -0.2, "ci_high": 0.21, "p": 0.93, "significant": False}
    assert verdict(row, label, 0.90) == (
        "The importance of Perceived Quality for Customer Satisfaction was unchanged "
        "(0.45 → 0.45), 90% CI -0.20 to 0.21, p = 0.93: not a significant change at the 10% "
        "level")
    assert format_p(0.0004) == "p < 0.001" and format_p(0.0079) == "p = 0.0079"
    assert format_interval(0.4, 3.8, 1) == "0.4–3.8"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def wave_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("waves")
    frame = groups(3)
    for wave in ("q2", "q3"):
        frame[frame["wave"] == wave].drop(columns="wave").to_csv(folder / f"wave_{wave}.csv",
                                                                 index=False)
    frame.to_csv(folder / "waves.csv", index=False)
    return folder


def test_compare_command_two_files(wave_files):
    args = ("compare", wave_files / "wave_q2.csv", wave_files / "wave_q3.csv", "--model", "ecsi",
            "--scale", "1:10", "--bootstrap", "200", "--permutations", "199")
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "csi.compare/1" and doc["direction"] == "b - a"
    assert [g["name"] for g in doc["groups"]] == ["wave_q2.csv", "wave_q3.csv"]
    assert doc["permutation"] == {"n_requested": 199, "n_used": 199, "n_failed": 0}
    assert [f["schema"] for f in doc["fits"]] == ["csi.fit/1", "csi.fit/1"]
    assert len(doc["differences"]) == 23
    first = doc["differences"][0]
    assert set(first) == {"family", "construct", "from", "to", "a", "b", "difference", "se",
                          "ci_low", "ci_high", "p", "significant", "verdict"}
    table = run(*args)
    assert table.exit_code == 0, table.output
    satisfaction = next(d for d in doc["differences"] if d["construct"] == "Satisfaction")
    assert satisfaction["verdict"].split(", 95% CI")[0] in " ".join(table.stdout.split())
    assert "permutation test with 199 permutations (Chin & Dibbern 2010)" in \
        " ".join(table.stdout.split())


def test_compare_command_by_column_and_its_errors(wave_files, tmp_path):
    result = run("compare", wave_files / "waves.csv", "--by", "wave", "--model", "acsi",
                 "--bootstrap", "50", "--permutations", "30", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == ("family,construct,from,to,a,b,difference,se,"
                                             "ci_low,ci_high,p,significant,verdict")
    three = pd.read_csv(wave_files / "waves.csv")
    three.loc[:10, "wave"] = "q4"
    path = tmp_path / "three.csv"
    three.to_csv(path, index=False)
    result = run("compare", path, "--by", "wave")
    assert result.exit_code == ExitCode.DATA
    assert result.stderr == ("Error: --by wave has 3 levels (q2, q3, q4); csi compare needs "
                             "exactly two: filter the file, or fit every level with "
                             "`csi fit --by`\n")
    result = run("compare", path)
    assert result.exit_code == ExitCode.USAGE
    assert "give two survey files (A B), or one survey and --by COLUMN" in result.stderr
    result = run("compare", path, path, "--by", "wave")
    assert result.exit_code == ExitCode.USAGE
