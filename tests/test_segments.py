"""Per-segment fits (`csi fit --by`): splitting, min-n, shared settings, the seeding rule,
the ranking table and the csi.segments/1 JSON."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csi.inference.bootstrap import BootstrapSettings
from csi.cli.main import cli
from csi.errors import DataError, ExitCode
from csi.ingest import IngestOptions, Survey
from csi.scale_out import LocalExecutor
from csi.multi.segments import SEEDING_RULE, fit_segments, natural_key, segment_seed, split
from tests.conftest import MOBI, ROOT

GOLDEN = ROOT / "tests" / "golden" / "mobi_ecsi.json"

STORES = {"North": 120, "South": 80, "East": 30, "West": 100, "Centre": 90}


def stores_frame(sizes: dict[str, int] = STORES, seed: int = 0) -> pd.DataFrame:
    """mobi's respondents resampled (seeded) into stores of the given sizes; the store
    column is text, in shuffled row order."""
    mobi = pd.read_csv(MOBI)
    rng = np.random.default_rng(seed)
    parts = []
    for name, size in sizes.items():
        part = mobi.iloc[rng.integers(0, len(mobi), size)].copy()
        part.insert(0, "store", name)
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


@pytest.fixture(scope="module")
def stores_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("segments") / "stores.csv"
    frame = stores_frame()
    frame.loc[3, "store"] = None  # one respondent without a store
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def stores_json(stores_csv):
    result = run("fit", stores_csv, "--model", "ecsi", "--scale", "1:10", "--by", "store",
                 "--bootstrap", "200", "--seed", "11", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_segments_json_has_one_fit_document_per_segment(stores_json):
    doc = stores_json
    assert doc["schema"] == "csi.segments/1"
    assert doc["by"] == "store" and doc["min_n"] == 50 and doc["seed"] == 11
    assert doc["target"] == "Satisfaction"
    assert doc["seeding"] == SEEDING_RULE
    assert doc["rows_without_segment"] == 1
    # segments in natural order of their names, each a complete csi.fit/1 document
    assert [s["segment"]["value"] for s in doc["segments"]] == ["Centre", "North", "South",
                                                                  "West"]
    for segment in doc["segments"]:
        assert segment["schema"] == "csi.fit/1"
        assert segment["segment"]["column"] == "store"
        assert segment["bootstrap"]["n_requested"] == 200
        assert segment["bootstrap"]["seed"] == segment_seed(11, segment["segment"]["value"])
        assert segment["n_obs"] == segment["segment"]["rows"]
        assert "ci_low" in segment["index"]["Satisfaction"]
    lost = stores_frame().loc[3, "store"]  # the store whose respondent lost the value
    rows = {s["segment"]["value"]: s["segment"]["rows"] for s in doc["segments"]}
    assert rows == {name: STORES[name] - (name == lost) for name in rows}
    # the small store is reported, not fitted
    assert doc["skipped"] == [{"value": "East", "rows": 30, "rows_used": 30,
                               "reason": "30 usable respondents, fewer than --min-n 50",
                               "below_min_n": True}]
    assert doc["warnings"] == ["1 respondent without a value of store belongs to no segment"]


def test_ranking_is_sorted_by_satisfaction(stores_json):
    scores = {s["segment"]["value"]: s["index"]["Satisfaction"]["score"]
              for s in stores_json["segments"]}
    ranking = stores_json["ranking"]
    assert [r["segment"] for r in ranking] == sorted(scores, key=scores.get, reverse=True)
    assert [r["score"] for r in ranking] == sorted(scores.values(), reverse=True)
    assert all(r["ci_low"] < r["score"] < r["ci_high"] for r in ranking)


def test_terminal_table_lists_segments_by_satisfaction(stores_csv, stores_json):
    result = run("fit", stores_csv, "--model", "ecsi", "--scale", "1:10", "--by", "store",
                 "--bootstrap", "200", "--seed", "11", env={"COLUMNS": "140"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "sorted by Customer Satisfaction" in out
    order = [r["segment"] for r in stores_json["ranking"]]
    positions = [out.index(f" {name} ") for name in order]
    assert positions == sorted(positions)
    best = stores_json["ranking"][0]
    assert f"{best['score']:.1f}" in out
    assert f"{best['ci_low']:.1f}–{best['ci_high']:.1f}" in out
    assert "Skipped 1 segment with fewer than 50 usable respondents (--min-n): East (n = 30)" \
        in out


def test_a_segment_equals_a_fit_of_its_rows_alone(tmp_path, stores_csv, stores_json):
    """Same model, settings and scale, and the seed recorded for the segment: `csi fit` on
    the segment's rows alone gives the segment's numbers exactly."""
    frame = pd.read_csv(stores_csv)
    alone = tmp_path / "west.csv"
    frame[frame["store"] == "West"].to_csv(alone, index=False)
    segment = next(s for s in stores_json["segments"] if s["segment"]["value"] == "West")
    result = run("fit", alone, "--model", "ecsi", "--scale", "1:10", "--bootstrap", "200",
                 "--seed", segment["bootstrap"]["seed"], "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    for key in ("n_obs", "settings", "paths", "weights", "loadings", "r2", "total_effects",
                "indirect_effects", "index", "item_weights", "reliability", "htmt",
                "bootstrap", "importance", "priorities"):
        assert doc[key] == segment[key], key


def test_a_segment_does_not_depend_on_the_other_segments_or_the_workers():
    """The seeding rule: a segment's stream depends on the run seed and its name only, not
    on which segments exist, their order, or the workers. (Its respondents' order within it
    matters, as in any bootstrap; and without --scale the shared scale is the observed range
    of the whole survey, so the scale is given here.)"""
    frame = stores_frame({"A": 60, "B": 70, "C": 80})
    settings = BootstrapSettings(resamples=150, seed=5)
    scale = IngestOptions(scale=(1, 10))
    full = fit_segments(Survey("s", frame), "acsi", "store", bootstrap=settings, options=scale)
    others = frame[frame["store"] != "A"].sort_values("store", ascending=False, kind="stable")
    fewer = fit_segments(Survey("s", others), "acsi", "store", bootstrap=settings,
                         options=scale, executor=LocalExecutor(2))
    assert [f.name for f in fewer.fits] == ["B", "C"]
    docs = {f.name: f.to_dict("store") for f in full.fits}
    for fit in fewer.fits:
        other = fit.to_dict("store")
        other["segment"]["rows"] = docs[fit.name]["segment"]["rows"]
        # careless respondents are named by their row of the file, which the reordering moved
        for mine, theirs in zip(other["data_quality"]["careless"],
                                docs[fit.name]["data_quality"]["careless"]):
            mine["row"] = theirs["row"]
        assert json.dumps(other) == json.dumps(docs[fit.name]), fit.name


def test_the_same_run_on_one_or_two_threads_gives_the_same_bytes():
    frame = stores_frame({"A": 60, "B": 70, "C": 80})
    settings = BootstrapSettings(resamples=150, seed=5)
    one = fit_segments(Survey("s", frame), "acsi", "store", bootstrap=settings,
                       executor=LocalExecutor(1))
    two = fit_segments(Survey("s", frame), "acsi", "store", bootstrap=settings,
                       executor=LocalExecutor(2))
    assert one.to_json() == two.to_json()


def test_segment_seed_follows_the_documented_rule():
    key = int.from_bytes(hashlib.sha256("Zürich".encode()).digest()[:16], "big")
    high, low = np.random.SeedSequence(42, spawn_key=(key,)).generate_state(2, np.uint32)
    assert segment_seed(42, "Zürich") == (int(high) << 32) | int(low)
    assert segment_seed(42, "Zürich") != segment_seed(43, "Zürich")
    assert segment_seed(42, "Zürich") != segment_seed(42, "Zurich")


def test_segment_column_need_not_be_numeric_and_numbers_sort_numerically():
    frame = pd.DataFrame({"code": [2.0, 10.0, 1.0, np.nan, 2.0], "text": [" b", "a", "", "b", "a "],
                          "x": range(5)})
    groups, without = split(Survey("s", frame), "code")
    assert list(groups) == ["1", "2", "10"] and without == 1
    assert groups["2"].tolist() == [0, 4]
    groups, without = split(Survey("s", frame), "text")
    assert {k: v.tolist() for k, v in groups.items()} == {"a": [1, 4], "b": [0, 3]}
    assert without == 1
    assert sorted(["b", "10", "A", "2"], key=natural_key) == ["2", "10", "A", "b"]


def test_spss_value_labels_name_the_segments():
    frame = pd.DataFrame({"region": [1.0, 2.0, 1.0], "x": [1, 2, 3]})
    survey = Survey("s.sav", frame, value_labels={"region": {1.0: "North", 2.0: "South"}})
    groups, _ = split(survey, "region")
    assert list(groups) == ["North", "South"]


def test_missing_by_column_names_the_closest(stores_csv):
    result = run("fit", stores_csv, "--model", "acsi", "--by", "stor")
    assert result.exit_code == ExitCode.DATA == 3
    assert result.stderr == f"Error: --by 'stor' is not a column of {stores_csv} " \
                            "(closest: 'store')\n"
    with pytest.raises(DataError, match="columns: store, CUEX1"):
        split(Survey("s", pd.read_csv(stores_csv)), "region")


def test_min_n_is_checked_and_needs_by(stores_csv):
    result = run("fit", stores_csv, "--by", "store", "--min-n", "5")
    assert result.exit_code == ExitCode.USAGE
    assert "5 is not in the range x>=10" in result.stderr
    result = run("fit", stores_csv, "--min-n", "20")
    assert result.exit_code == ExitCode.USAGE
    assert "--min-n applies to segments: give --by COLUMN too" in result.stderr
    result = run("fit", stores_csv, "--by", "store", "--check", GOLDEN)
    assert result.exit_code == ExitCode.USAGE
    assert "--check compares one fit with a baseline; it cannot be combined with --by" \
        in result.stderr


def test_min_n_counts_usable_respondents_and_can_be_lowered():
    frame = stores_frame({"A": 60, "B": 45})
    frame.loc[frame.index[frame["store"] == "A"][:15], "CUSA1"] = np.nan  # 45 usable left
    results = fit_segments(Survey("s", frame), "acsi", "store", min_n=50)
    assert [f.name for f in results.fits] == []
    assert [(s.name, s.rows, s.rows_used) for s in results.skipped] == [("A", 60, 45),
                                                                        ("B", 45, 45)]
    results = fit_segments(Survey("s", frame), "acsi", "store", min_n=40)
    assert [f.name for f in results.fits] == ["A", "B"]
    assert results.fits[0].result.n_obs == 45


def test_a_segment_that_cannot_be_estimated_is_reported_and_the_others_fitted():
    frame = stores_frame({"A": 60, "B": 70})
    frame.loc[frame["store"] == "B", "CUSCO"] = 7  # constant within B only
    results = fit_segments(Survey("s.csv", frame), "acsi", "store")
    assert [f.name for f in results.fits] == ["A"]
    (skip,) = results.skipped
    assert not skip.small
    assert skip.reason == ("s.csv [store = B], column CUSCO: the item is constant (every "
                           "answer is 7); it carries no information, drop it from the model")


def test_segments_share_the_observed_scale_of_the_whole_survey():
    frame = stores_frame({"A": 60, "B": 70})
    frame.loc[frame["store"] == "A", frame.columns[1:]] = \
        frame.loc[frame["store"] == "A", frame.columns[1:]].clip(upper=9)
    results = fit_segments(Survey("s", frame), "acsi", "store")
    for fit in results.fits:
        assert fit.result.settings["scale"] == {"min": 1.0, "max": 10.0, "from_data": True}
        assert any("observed answer range of the whole survey 1..10, shared by every segment"
                   in w for w in fit.result.warnings)


def test_row_numbers_in_a_segments_report_are_the_files():
    frame = stores_frame({"A": 60, "B": 70})
    row = int(np.flatnonzero(frame["store"] == "B")[5])
    frame.loc[row, frame.columns[1:]] = 5  # a straight-liner at file row row + 1
    results = fit_segments(Survey("s", frame), "acsi", "store",
                           options=IngestOptions(scale=(1, 10)))
    b = next(f for f in results.fits if f.name == "B")
    assert b.result.data_quality["straightliners"]["rows"] == [row + 1]
    assert any(f"row {row + 1})" in w for w in b.result.warnings)


def test_progress_advances_once_per_segment():
    frame = stores_frame({"A": 60, "B": 20, "C": 55})
    calls = []
    fit_segments(Survey("s", frame), "acsi", "store", progress=calls.append,
                 executor=LocalExecutor(2))
    assert calls == [1, 1, 1]


def test_csv_output_has_every_construct_per_segment(stores_csv):
    result = run("fit", stores_csv, "--model", "acsi", "--scale", "1:10", "--by", "store",
                 "--bootstrap", "0", "--format", "csv", "-q")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "store,rank,n_obs,construct,score,ci_low,ci_high"
    assert len(lines) == 1 + 4 * 6  # four segments, six ACSI constructs
    assert lines[1].split(",")[1] == "1" and lines[-1].split(",")[1] == "4"


def test_a_run_that_fits_no_segment_is_an_error(stores_csv):
    result = run("fit", stores_csv, "--model", "acsi", "--by", "store", "--min-n", "500",
                 "--bootstrap", "0", "--format", "json")
    assert result.exit_code == ExitCode.DATA
    assert result.stdout == ""
    assert result.stderr.startswith("Error: no segment of store could be fitted: the largest, "
                                    "North, has 1")
    assert result.stderr.endswith(" usable respondents (--min-n 500); lower --min-n\n")
    frame = stores_frame({"A": 60}).assign(store="")
    with pytest.raises(DataError, match="--by 'store': the column is empty in every row of s"):
        fit_segments(Survey("s", frame), "acsi", "store")


def test_careless_respondents_are_named_by_their_row_of_the_file():
    frame = stores_frame({"A": 60, "B": 70})
    items = [c for c in frame.columns if c[:4] in ("CUEX", "PERQ", "PERV", "CUSA", "CUSL")]
    frame.loc[frame.index[-1], items] = 10  # a straight-liner: the file's last row
    store = frame["store"].iloc[-1]
    results = fit_segments(Survey("s", frame), "acsi", "store",
                           options=IngestOptions(scale=(1, 10)))
    flagged = {fit.name: [entry["row"] for entry in
                          fit.result.data_quality["careless"] if "longstring" in entry["reasons"]]
               for fit in results.fits}
    assert len(frame) in flagged[store]
