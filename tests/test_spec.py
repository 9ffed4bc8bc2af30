"""Model-specification parsing and its errors: each names the line."""

import pytest

from csi.errors import ModelError
from csi.model.spec import builtin_models, load_model, parse_model

SPEC_ERRORS = {
    "unknown operator": (
        "A =~ a1 + a2\nB := a3\nB ~ A",
        "m.lav, line 2: unknown operator in 'B := a3'; expected '=~' (reflective block), "
        "'<~' (formative block) or '~' (structural path)",
    ),
    "construct without indicators": (
        "A =~\nB =~ b1\nB ~ A",
        "m.lav, line 1: construct 'A' has no indicators",
    ),
    "indicator in two blocks": (
        "A =~ a1 + a2\nB =~ a2 + b1\nB ~ A",
        "m.lav, line 2: indicator 'a2' is already in block 'A' (line 1)",
    ),
    "path to undeclared construct": (
        "A =~ a1\nB =~ b1\nB ~ A + C",
        "m.lav, line 3: path 'C -> B' refers to undeclared construct 'C' "
        "(declare it with 'C =~ ...')",
    ),
    "cycle": (
        "A =~ a1\nB =~ b1\nC =~ c1\nB ~ A\nC ~ B\nA ~ C",
        "m.lav, line 6: the structural model has a cycle: A -> B -> C -> A",
    ),
    "self loop": (
        "A =~ a1\nB =~ b1\nB ~ A\nA ~ A",
        "m.lav, line 4: the structural model has a cycle: A -> A",
    ),
    "covariance in a PLS model": (
        "A =~ a1\nB =~ b1\nB ~ A\na1 ~~ b1",
        "m.lav, line 4: covariances ('~~') are not supported by the PLS estimators; "
        "remove the line",
    ),
    "fixed value in a PLS model": (
        "A =~ 1*a1 + a2\nB =~ b1\nB ~ A",
        "m.lav, line 1: fixed values and labels ('1*a1') are not supported by the PLS "
        "estimators; remove the multiplier",
    ),
    "isolated construct": (
        "A =~ a1\nB =~ b1\nC =~ c1\nB ~ A",
        "m.lav, line 3: construct 'C' is not connected by any structural path",
    ),
    "both modes": (
        "A =~ a1\nA <~ a2\nB =~ b1\nB ~ A",
        "m.lav, line 2: construct 'A' is declared both reflective (=~) and formative (<~)",
    ),
}


@pytest.mark.parametrize("case", sorted(SPEC_ERRORS))
def test_spec_error_names_the_line(case):
    text, message = SPEC_ERRORS[case]
    with pytest.raises(ModelError) as raised:
        parse_model(text, name="m.lav")
    assert str(raised.value) == message


def test_parses_modes_paths_comments_and_continuations():
    spec = parse_model(
        "# a comment\n# @label Sat = Customer Satisfaction\n# @target Sat\n"
        "Sat =~ s1 + s2 +\n       s3   # trailing comment\n"
        "Qual <~ q1 + q2; Exp =~ e1\n"
        "Sat ~ Qual + Exp\nQual ~ Exp\n",
        name="m",
    )
    assert spec.constructs == ("Sat", "Qual", "Exp")
    assert spec.block("Sat").indicators == ("s1", "s2", "s3")
    assert spec.block("Qual").mode == "B"
    assert spec.block("Sat").mode == "A"
    assert spec.predecessors("Sat") == ("Qual", "Exp")
    assert spec.endogenous == ("Sat", "Qual")
    assert spec.label("Sat") == "Customer Satisfaction"
    assert spec.target == "Sat"


def test_builtin_models_have_the_documented_structure():
    assert set(builtin_models()) == {"acsi", "ecsi", "scsb", "ccsi", "ncsb"}
    ecsi = load_model("ecsi")
    assert len(ecsi.indicators) == 24
    expected = {
        ("Image", "Expectation"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
        ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
        ("Quality", "Value"), ("Quality", "Satisfaction"), ("Value", "Satisfaction"),
        ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"), ("Complaints", "Loyalty"),
    }
    assert {(p.source, p.target) for p in ecsi.paths} == expected
    acsi = load_model("acsi")
    assert acsi.constructs == (
        "Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"
    )
    assert acsi.target == "Satisfaction"


def test_missing_indicator_names_closest_column():
    spec = parse_model("A =~ PERQ1 + PERQ8\nB =~ b1\nB ~ A", name="m.lav")
    with pytest.raises(ModelError) as raised:
        spec.check_columns(["PERQ1", "PERQ7", "b1"], "survey.csv")
    assert str(raised.value) == (
        "m.lav, line 1: indicator 'PERQ8' is not a column of survey.csv (closest: 'PERQ7')"
    )


def test_unknown_model_name():
    with pytest.raises(ModelError, match=r"unknown model 'nope': not a file and not a built-in "
                                         r"model \(acsi, ccsi, ecsi, ncsb, scsb\)"):
        load_model("nope")
