"""The analysis' notes and warnings (data notes, fit warnings, EM and ingest notes,
non-linear notes...) in the report's language.

The lower layers write these sentences in English and the JSON keeps them so (`warnings`,
`data_quality.notes`, `nonlinear.notes`: a public contract). Each sentence has a message id
here: its English template with `{fields}`. A sentence is rendered by matching it against the
templates, translating the template through the catalog and filling the fields (themselves
translated when they are a known sentence or word). In English, or when no template matches,
the sentence is shown unchanged. Decides nothing; computes nothing.
"""

from __future__ import annotations

import functools
import re
import string

from csi.report.i18n import _, is_english


def N_(message: str) -> str:
    return message


# Every English sentence the analysis layers write for the user, as a catalog message id.
# Keep each template equal to the f-string that writes it (csi/ingest, csi/pipeline,
# csi/estimators, csi/drivers, csi/multi, csi/decisions); tests/test_i18n_notes.py renders
# fits that trigger them in zh-CN and finds any that drifted.
TEMPLATES = (
    # csi.ingest.items: missing answers
    N_("missing answers (listwise, the default): none among the model's items"),
    N_("missing answers ({method}): none among the model's items"),
    N_("missing answers (listwise, the default): dropped {dropped} of {candidates} "
       "respondents, who had {cells} missing cells; --missing em keeps them"),
    N_("missing answers (mean imputation): filled {cells} cells of {incomplete} respondents "
       "with the item means"),
    N_("missing answers (mean imputation): filled {cells} cells of {incomplete} respondents "
       "with the item means; dropped {dropped} who answered no item"),
    N_("missing answers (EM): means and covariances estimated from all {used} respondents by "
       "expectation-maximisation ({cells} missing cells in {incomplete} respondents)"),
    N_("missing answers (EM): means and covariances estimated from all {used} respondents by "
       "expectation-maximisation ({cells} missing cells in {incomplete} respondents, "
       "{iterations} iterations)"),
    N_("missing answers (EM): means and covariances estimated from all {used} respondents by "
       "expectation-maximisation ({cells} missing cells in {incomplete} respondents); "
       "dropped {dropped} who answered no item"),
    N_("missing answers (EM): means and covariances estimated from all {used} respondents by "
       "expectation-maximisation ({cells} missing cells in {incomplete} respondents, "
       "{iterations} iterations); dropped {dropped} who answered no item"),
    N_("{item}: {share}% of answers missing ({count} of {n})"),
    N_("{item}: only {count} distinct answers; PLS treats answers as interval data"),
    # straight-liners and careless respondents
    N_("--drop-straightliners: dropped {count} respondents who gave the same answer to every "
       "item (rows {rows})"),
    N_("{count} straight-liner (the same answer to every item; row {rows}); drop it with "
       "--drop-straightliners"),
    N_("{count} straight-liners (the same answer to every item; rows {rows}); drop them with "
       "--drop-straightliners"),
    N_("--drop-careless: dropped {count} respondent flagged as careless ({reasons}), listed "
       "in data_quality.careless"),
    N_("--drop-careless: dropped {count} respondents flagged as careless ({reasons}), listed "
       "in data_quality.careless"),
    N_("{count} respondent flagged as possibly careless ({reasons}); kept: review it "
       "(data_quality.careless, or csi validate), or drop it with --drop-careless"),
    N_("{count} respondents flagged as possibly careless ({reasons}); kept: review them "
       "(data_quality.careless, or csi validate), or drop them with --drop-careless"),
    # weights, IDs, reverse-coded items, completion times, column maps
    N_("weights: column {column}, frequency weights (a respondent counts as its weight: "
       "sample size {total} from {used} respondents; Kish's effective n {effective})"),
    N_("the weights in column {column} sum to {total} for {used} respondents: as frequency "
       "weights they set the sample size, and with it every standard error; if they are "
       "sampling or expansion weights, rescale them to mean 1"),
    N_("no respondent ID column found (give --id COLUMN to check for duplicates)"),
    N_("respondent IDs: column {column} ({how})"),
    N_("auto-detected"),
    N_("{count} respondent IDs appear more than once in column {column} (e.g. {id} in rows "
       "{rows})"),
    N_("reverse-coded {items} (x' = min + max - x)"),
    N_("submit time: column {column}; no start time or duration column, so no completion "
       "times"),
    N_("completion time: {source} ({typical}, {n} respondents)"),
    N_("column {column}"),
    N_("columns {start} to {end}"),
    N_("no readable times"),
    N_("median {value} minutes"),
    N_("median {value} seconds"),
    N_("column map {source}: {n} indicators taken from mapped columns"),
    N_("column {column} is not used: the map assigns column {other} to indicator {column}"),
    # csi.ingest.answers, delimited, readers
    N_("--na {codes}: {n} answers recoded as missing"),
    N_("SPSS user-missing values: {n} answers treated as missing"),
    N_("--clip: {n} values outside the scale moved to its bounds"),
    N_("{item}: {code} is labelled '{text}' but is not declared missing; give --na {code} if "
       "it means no answer"),
    N_("read as {encoding} text"),
    N_("fields separated by {name}s"),
    N_("comma"), N_("semicolon"), N_("tab"), N_("vertical bar"),
    N_("numbers written with a decimal comma"),
    N_("read sheet '{title}', the first of {n} ({titles}); choose another with --sheet"),
    N_("--header-row {row}: the column names are in row {row} of sheet '{title}'; the rows "
       "above are not read"),
    # csi.partition_sums: a survey in partitions on a cluster
    N_("read {n} partitions ({rows} rows) of {source} on the workers; only their sums came "
       "back"),
    N_("not computed for a survey in partitions on a cluster: straight-liners, duplicate "
       "respondent IDs, the careless screen and completion times (they need whole columns); "
       "fit without --scheduler to run them"),
    N_("no bootstrap for a survey in partitions on a cluster (not offered yet, see "
       "docs/scale.md): the estimates have no standard errors or intervals"),
    # csi.pipeline and the estimators
    N_("{n} bootstrap resamples could not be estimated ({reasons}); they were redrawn"),
    N_("{n} bootstrap resamples could not be estimated ({reasons}); inference uses the {used} "
       "that could"),
    N_("standard errors, p-values and intervals of the paths, loadings, effects and R² are ML "
       "ones (expected information, delta method; lavaan's defaults) at {level}, not "
       "bootstrap; the index has none: give --bootstrap N for bootstrap inference (each "
       "resample is a full CB-SEM refit)"),
    N_("{indicator} has a non-positive weight ({weight}) in {construct}: higher answers to it "
       "lower the index, and the index is no longer a weighted average of its items (it can "
       "leave 0-100); check the item's wording (reverse-coded?) or drop it"),
    N_("--missing em: the point estimates use EM's moments; the bootstrap resamples the "
       "EM-imputed rows, so its intervals slightly understate the uncertainty that missing "
       "data add"),
    N_("no --scale given: the index uses the observed answer range {low}..{high}; give --scale "
       "MIN:MAX if the questionnaire's scale is wider"),
    N_("the PLSc solution is inadmissible (the checks of cSEM's verify()): {found}. Its "
       "estimates are not trustworthy; PLS (--estimator pls) estimates composites and is "
       "always admissible, and the PLSc bootstrap keeps only admissible resamples"),
    N_("Heywood case: the error variance of indicator {name} is negative ({value}); the "
       "solution is improper: the model may be misspecified or empirically under-identified, "
       "or the sample too small"),
    N_("Heywood case: the disturbance variance of {name} is negative ({value}); the "
       "solution is improper: the model may be misspecified or empirically under-identified, "
       "or the sample too small"),
    N_("Heywood case: the standardized loading of {item} on {construct} is {value}, above 1 "
       "(its error variance is negative)"),
    # csi.drivers.nonlinear
    N_("too few respondents on one side of the knot for {constructs} (fewer than {n} or "
       "{share}): their effects are estimated linearly and not classified; try another --knot "
       "(median, mean or a value)"),
    N_("Kano classes need bootstrap intervals (--bootstrap {n} or more); none were assigned"),
    # csi.drivers.priorities.priority_model: the model the priorities use, and why
    N_("linear (the cross-validated comparison does not prefer the non-linear model)"),
    N_("non-linear (piecewise effects, +5 points propagated; the cross-validated comparison "
       "prefers it)"),
    N_("linear (set with --priorities-from linear; the cross-validated comparison prefers the "
       "linear model)"),
    N_("linear (set with --priorities-from linear; the cross-validated comparison prefers the "
       "non-linear model)"),
    N_("non-linear (piecewise effects, +5 points propagated; set with --priorities-from "
       "nonlinear; the cross-validated comparison prefers the linear model)"),
    N_("non-linear (piecewise effects, +5 points propagated; set with --priorities-from "
       "nonlinear; the cross-validated comparison prefers the non-linear model)"),
    # the commands' status lines (csi.cli)
    N_("Wrote {path} ({pages} pages, {size} KB)"),
    N_("Wrote {path} ({pages} pages)"),
    N_("Wrote {path} ({n} resamples, {size} KB)"),
    N_("Wrote {path}"),
    N_("{source}: {n} name not in the model, ignored: {names}"),
    N_("{source}: {n} names not in the model, ignored: {names}"),
    # csi.decisions (simulate, plan, aggregate) and their commands
    N_("{source}: the fit's advice is withheld ({reason}); {what}"),
    N_("these numbers come from an inadmissible solution"),
    N_("this plan comes from an inadmissible solution"),
    N_("{name} cannot go past its scale: {requested} was applied as {applied}"),
    N_("{name} is held at {value}, the end of the index's 0-100 scale: the model would take "
       "it further"),
    N_("no intervals: give the fit's bootstrap draws with --draws FILE (write them with `csi "
       "fit --draws FILE`)"),
    N_("no interval: give the fit's bootstrap draws with --draws FILE (write them with `csi "
       "fit --draws FILE`)"),
    N_("at their limit (scale top, max_points or --max-per-driver): {names}"),
    N_("no bootstrap standard errors in {members}: no SE or interval for the constructs they "
       "lack (fit with --bootstrap N)"),
    # csi.multi.compare, csi.multi.micom and csi.multi.differences
    N_("index"), N_("importance"),
    N_("p values are per estimate, not adjusted for the {n} estimates compared"),
    N_("{n} of {requested} permutations could not be estimated; p values use the {used} that "
       "could"),
    N_("the CIs of the differences use {n} resample pairs (failed resamples were dropped)"),
    N_("{construct} lacks compositional invariance (MICOM c = {c} below its permutation 5% "
       "quantile {quantile}): its index and path differences are not interpretable"),
    N_("MICOM: full measurement invariance (compositional invariance, equal composite means "
       "and variances): the groups' index levels compare directly"),
    N_("MICOM: partial measurement invariance (compositional invariance holds; composite means "
       "or variances differ for {constructs}): paths compare; the differing constructs' levels "
       "differ between the groups"),
    N_("MICOM: no compositional invariance for {constructs}: those constructs are formed "
       "differently in the two groups, so their index and path differences are not "
       "interpretable"),
    N_("No segment's {label} differs significantly from the others' (Holm-adjusted, {level}); "
       "their ranking may be chance."),
    N_("{label} differs significantly (Holm-adjusted, {level}) above the rest: {above}; below "
       "the rest: {below}; segments sharing a letter do not differ."),
    N_("{label} differs significantly (Holm-adjusted, {level}) above the rest: {above}; "
       "segments sharing a letter do not differ."),
    N_("{label} differs significantly (Holm-adjusted, {level}) below the rest: {below}; "
       "segments sharing a letter do not differ."),
    N_("{label} differs significantly (Holm-adjusted, {level}) between some pairs only; "
       "segments sharing a letter do not differ."),
    # csi.multi.latent
    N_("bootstrap likelihood-ratio test (McLachlan 1987; {n} regenerated data sets, alpha "
       "{alpha}): only one class could be estimated"),
    N_("bootstrap likelihood-ratio test (McLachlan 1987; {n} regenerated data sets, alpha "
       "{alpha}): {tests} -> {k} classes"),
    N_("bootstrap likelihood-ratio test (McLachlan 1987; {n} regenerated data sets, alpha "
       "{alpha}): {tests} -> {k} class"),
    N_("{k} vs {null} classes p = {p}"),
    N_("one class: no segments whose drivers differ"),
    N_("the classes' structural paths differ: actionable segments"),
    N_("no actionable segments: the classes do not differ significantly in their structural "
       "paths"),
    N_("{construct} is a single yes/no item: it cannot follow a normal regression within a "
       "class, so it takes part as a predictor only and its equation is left out of the "
       "mixture likelihood"),
    N_("EM did not converge within --max-iter for some K; its criteria are those of the last "
       "iteration"),
    # csi.multi.predict
    N_("earliest"), N_("direct"),
    N_("the model has high predictive power: every indicator is predicted with lower {metric} "
       "by PLS than by the linear-model benchmark"),
    N_("the model has medium predictive power: the majority (or half) of the indicators are "
       "predicted with lower {metric} by PLS than by the linear-model benchmark"),
    N_("the model has low predictive power: a minority of the indicators are predicted with "
       "lower {metric} by PLS than by the linear-model benchmark"),
    N_("the model lacks predictive power: {reason}"),
    N_("Q²_predict is not above 0 for every indicator (PLS does not beat the indicator "
       "averages)"),
    N_("no indicator is predicted with lower {metric} by PLS than by the linear-model "
       "benchmark"),
    # csi.multi.segments
    N_("no --scale given: the index uses the observed answer range of {where} {low}..{high}, "
       "shared by every {unit} so their indices compare; give --scale MIN:MAX if the "
       "questionnaire's scale is wider"),
    N_("skipped {n} segment with fewer than {min_n} usable respondents: {names}"),
    N_("skipped {n} segments with fewer than {min_n} usable respondents: {names}"),
    N_("segment {name} not estimated: {reason}"),
    N_("{n} respondent without a value of {column} belongs to no segment"),
    N_("{n} respondents without a value of {column} belong to no segment"),
)


def _pattern(template: str) -> re.Pattern:
    """The template as an anchored regular expression: each `{field}` a lazy group (a field
    used twice must match the same text twice)."""
    parts, seen = [], set()
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
    return re.compile("".join(parts), re.DOTALL)


@functools.cache
def _patterns() -> tuple[tuple[str, re.Pattern], ...]:
    # the most specific (longest) template first: a shorter one may match a longer sentence
    ordered = sorted((t for t in TEMPLATES if "{" in t), key=len, reverse=True)
    return tuple((template, _pattern(template)) for template in ordered)


def _field(value: str) -> str:
    """A field's text: a known sentence or word translated, else unchanged; a list of
    'word count' items (the careless screen's reasons) translated word by word."""
    whole = _sentence(value)
    if whole is not None:
        return whole
    if "; " in value:  # a list of sentences
        return _("; ").join(_field(part) for part in value.split("; "))
    parts = value.split(", ")
    out = []
    for part in parts:
        found = _sentence(part)
        if found is not None:
            out.append(found)
            continue
        word, _sep, count = part.rpartition(" ")
        if word and count.isdigit() and _(word) != word:
            out.append(_(word) + " " + count)
        else:
            out.append(part)
    return _(", ").join(out) if len(parts) > 1 else out[0]


def _sentence(text: str) -> str | None:
    """`text` translated from its template, or None when none matches."""
    if _(text) != text:  # a sentence without fields is its own message id
        return _(text)
    for template, pattern in _patterns():
        found = pattern.fullmatch(text)
        if found:
            values = {name: _field(value) for name, value in found.groupdict().items()}
            return _(template).format(**values)
    return None


def note(text: str) -> str:
    """One of the analysis' notes or warnings in the current language."""
    if is_english() or not text:
        return text
    found = _sentence(str(text))
    return str(text) if found is None else found
