"""The report's sections, each a function of the report's context (csi.report.pdf.layout.Report)
that returns its flowables, read from the `csi.fit` dict only.

Title page; executive summary (the target's index with its interval, every index, the top
priorities in the same sentences as the terminal, csi.drivers.priorities.sentences); structural
model (path diagram, paths, R²); drivers and priorities (priority table, importance bars,
importance–performance map, question-level map of the top drivers); non-linear effects (when
the fit has a `nonlinear` block); hidden segments and scenarios (when a latent, simulate or
plan result is given: csi.report.pdf.hidden_segments, csi.report.pdf.scenarios); measurement
model (loadings, weights, reliability, HTMT and VIF with the quality flags of
csi.measures.reliability); data quality; methods appendix.
"""

from __future__ import annotations

from csi.measures.reliability import (AVE_MIN, HTMT_MAX, LOADING_MIN, RHO_C_MIN, VIF_MAX,
                                      quality_flags)
from csi.report import charts, words
from csi.report.careless import careless_line
from csi.report.diagnostics import diagnostic_lines
from csi.report.i18n import _, ngettext, percent, term
from csi.report.notes import note as note_text
from csi.report.pdf.fonts import markup
from csi.report.pdf.layout import (FLAG, Report, fixed, flagged, general, interval, num,
                                   pvalue, share)

STRIPE = "#f6f8fa"

ESTIMATORS = {
    "pls": lambda: _("PLS path modeling (Lohmöller's algorithm)"),
    "plsc": lambda: _("consistent PLS (PLSc; Dijkstra & Henseler 2015)"),
    "cbsem": lambda: _("covariance-based SEM (maximum likelihood)"),
}


def estimator_name(key) -> str:
    make = ESTIMATORS.get(key or "pls")
    return make() if make else str(key)
REFERENCES = [
    "Dijkstra, T. K., & Henseler, J. (2015). Consistent partial least squares path modeling. "
    "MIS Quarterly, 39(2), 297–316.",
    "Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall.",
    "Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The American "
    "Customer Satisfaction Index: nature, purpose, and findings. Journal of Marketing, 60(4), "
    "7–18.",
    "Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with "
    "unobservable variables and measurement error. Journal of Marketing Research, 18(1), 39–50.",
    "Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2017). A primer on partial "
    "least squares structural equation modeling (PLS-SEM), 2nd ed. Sage.",
    "Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing "
    "discriminant validity in variance-based structural equation modeling. Journal of the "
    "Academy of Marketing Science, 43(1), 115–135.",
    "Kano, N., Seraku, N., Takahashi, F., & Tsuji, S. (1984). Attractive quality and must-be "
    "quality. Journal of the Japanese Society for Quality Control, 14(2), 39–48.",
    "Lohmöller, J.-B. (1989). Latent variable path modeling with partial least squares. "
    "Physica.",
    "Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. Journal of "
    "Marketing, 41(1), 77–79.",
    "Ringle, C. M., & Sarstedt, M. (2016). Gain more insight from your PLS-SEM results: the "
    "importance-performance map analysis. Industrial Management & Data Systems, 116(9), "
    "1865–1886.",
    "Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path modeling. "
    "Computational Statistics & Data Analysis, 48(1), 159–205.",
]


def build(rep: Report, waves=None) -> list:
    """The whole story: title page, then the sections flowing on; a section starts a new page
    only when less than a third of the page is left, so no page stays near-empty."""
    from reportlab.platypus import CondPageBreak, NextPageTemplate, PageBreak

    rep.waves = waves
    story = title_page(rep)
    story += [NextPageTemplate("body"), PageBreak()]
    parts = SECTIONS
    if waves:
        from csi.report.pdf.trend import trend

        parts = (lambda rep: trend(rep, waves),) + SECTIONS
    for part in parts:
        flowables = part(rep)
        if flowables:
            if len(story) > 2 and not isinstance(story[-1], PageBreak):
                story.append(CondPageBreak(SECTION_ROOM * 25.7 * 28.3465))
            story += flowables
    return story


SECTION_ROOM = 0.33  # the share of a page a new section needs to start on it


def planned_sections(rep: Report) -> list[str]:
    """The section names in order, for the contents and cross-references."""
    names = [_("Trend across waves")] if rep.waves else []
    names += [_("Executive summary"), _("Structural model")]
    if rep.doc.get("priorities"):
        names.append(_("Drivers and priorities"))
    if rep.doc.get("nonlinear"):
        names.append(_("Non-linear effects"))
    if rep.latent:
        names.append(_("Hidden segments"))
    if rep.scenarios:
        names.append(_("Scenarios"))
    names += [_("Measurement model"), _("Data quality"), _("Methods")]
    return names


def title_page(rep: Report) -> list:
    """Title, subtitle, the fit's key facts and the contents."""
    from reportlab.platypus import Spacer

    doc, data = rep.doc, rep.doc.get("data") or {}
    scale = rep.settings.get("scale") or {}
    model = doc["model"]
    n_read = data.get("rows_read")
    used = f"{doc.get('n_obs', '—')}" + (_(" of {n} rows read", n=n_read)
                                         if n_read is not None else "")
    dropped = data.get("rows_dropped_missing")
    if dropped:
        used += ngettext(" ({n} dropped for missing answers)",
                         " ({n} dropped for missing answers)", dropped)
    facts = [
        (_("Survey file"), str(doc.get("source", "—"))),
        (_("Respondents used"), used),
        (_("Report date"), rep.today.isoformat()),
        (_("Model"), _("{name}: {constructs} constructs, {paths} paths",
                       name=model.get("name", "—"), constructs=len(rep.constructs),
                       paths=len(model.get("paths", [])))),
        (_("Target"), rep.label(rep.target) if rep.target else "—"),
        (_("Estimator"), estimator_text(rep)),
        (_("Variant"), variant_text(rep)),
        (_("Answer scale"), f"{general(scale.get('min'))}–{general(scale.get('max'))}"
                            + (_(" (observed range)") if scale.get("from_data") else "")),
        (_("Bootstrap"), bootstrap_text(rep)),
        (_("csi version"), str(doc.get("csi_version", "—"))),
    ]
    story = [Spacer(1, 60), rep.P(rep.title, "title"),
             rep.P(_("{target}: index, drivers and priorities", target=rep.label(rep.target))
                   if rep.target else _("Index, drivers and priorities"), "subtitle")]
    story.append(rep.facts(facts))
    story.append(Spacer(1, 24))
    story.append(rep.P(_("Contents"), "h2"))
    for number, name in enumerate(planned_sections(rep), start=1):
        story.append(rep.P(f"{number}. {name}", "body"))
    return story


def estimator_text(rep: Report) -> str:
    """The estimator, weighting scheme and indicator scaling in words."""
    s = rep.settings
    if s.get("standardized", True):
        return _("{estimator}, {scheme} weighting scheme, standardized indicators",
                 estimator=estimator_name(s.get("estimator")), scheme=_(s.get("scheme", "path")))
    return _("{estimator}, {scheme} weighting scheme, unstandardized (centred) indicators",
             estimator=estimator_name(s.get("estimator")), scheme=_(s.get("scheme", "path")))


def variant_text(rep: Report) -> str:
    """Linear or non-linear structural model, and the model the priorities use."""
    block = rep.doc.get("nonlinear")
    model = (rep.doc.get("priority_settings") or {}).get("model", "linear")
    if block:
        return _("non-linear ({knot}); priorities from the {model} model", knot=knot_text(rep),
                 model=note_text(model))
    return _("{model} structural model", model=note_text(model))


def bootstrap_text(rep: Report) -> str:
    """The bootstrap in one line, or why there are no intervals."""
    b = rep.boot
    if not b:
        return _("none: estimates without intervals or significance")
    return _("{used} of {requested} resamples used, {method} {level} intervals, seed {seed}",
             used=b.get("n_used", "—"), requested=b.get("n_requested", "—"),
             method=_(b.get("ci_method", "percentile")), level=rep.level_text,
             seed=b.get("seed", "—"))


def summary(rep: Report) -> list:
    """The diagnostics block first, then the target's index, every index, and what to
    improve first (or why that advice is withheld)."""
    from reportlab.platypus import KeepTogether

    from csi.drivers.priorities import Priorities

    doc = rep.doc
    story = [rep.heading(_("Executive summary"))]
    story += diagnostics_block(rep)
    index = doc.get("index") or {}
    row = index.get(rep.target) or {}
    score = num(row.get("score"))
    if score is not None:
        text = f"{rep.label(rep.target)}: {fixed(score, 1)}"
        if num(row.get("ci_low")) is not None:
            text += _(" ({level} CI {interval})", level=rep.level_text,
                      interval=interval(row, 1))
        story.append(rep.P(text, "headline"))
    scale = rep.settings.get("scale") or {}
    n_items = next((len(c.get("indicators", [])) for c in doc["model"]["constructs"]
                    if c["name"] == rep.target), 0)
    explain = ngettext(
        "Indices run from 0 to 100. Each is a weighted average of its questions' answers, "
        "rescaled from the {low}–{high} answer scale; {target} is measured by {n} question "
        "and based on {n_obs} respondents.",
        "Indices run from 0 to 100. Each is a weighted average of its questions' answers, "
        "rescaled from the {low}–{high} answer scale; {target} is measured by {n} questions "
        "and based on {n_obs} respondents.", n_items, low=general(scale.get("min")),
        high=general(scale.get("max")), target=rep.label(rep.target), n_obs=doc.get("n_obs"))
    r2 = num((doc.get("r2") or {}).get(rep.target))
    if r2 is not None:
        explain += _(" The model explains {share} of the differences between respondents in "
                     "{target} (R² {r2}).", share=percent(r2), target=rep.label(rep.target),
                     r2=fixed(r2, 2))
    story.append(rep.P(explain))
    has_ci = any(num(v.get("ci_low")) is not None for v in index.values())
    rows = []
    for name in rep.constructs:
        if name not in index:
            continue
        cells = [rep.label(name), fixed(index[name].get("score"), 1)]
        if has_ci:
            cells.append(interval(index[name], 1))
        rows.append(cells)
    header = [_("Construct"), _("Index")] + ([_("{level} CI", level=rep.level_text)]
                                            if has_ci else [])
    story.append(rep.sub(_("Indices")))
    story.append(rep.table(header, rows, [3.2, 1, 1.3][: len(header)], numeric={1, 2}))
    story.extend(rep.chart(charts.index_chart(doc, rep.label),
                           (_("Every construct's index (0–100) with its {level} bootstrap "
                              "interval; {target} highlighted.", level=rep.level_text,
                              target=rep.label(rep.target)) if has_ci else
                            _("Every construct's index (0–100); {target} highlighted.",
                              target=rep.label(rep.target)))))
    withheld = words.advice(doc)
    if withheld:
        story.append(rep.sub(_("What to improve first")))
        story.append(rep.P(withheld))
    elif doc.get("priorities"):
        story.append(rep.sub(_("What to improve first")))
        for number, sentence in enumerate(words.priority_sentences(
                Priorities.from_dict(doc), rep.label, rep.level_text), start=1):
            story.append(KeepTogether([rep.P(f"{number}. {sentence}", "item")]))
    notes = fit_notes(rep)
    if notes:
        # the section's number first: a _() call inside ngettext() hides the plural from the
        # message extractor
        section = _number_of(rep, _("Data quality"))
        story.append(rep.P(ngettext("{n} note on the data or the fit: see section {section}.",
                                    "{n} notes on the data or the fit: see section {section}.",
                                    len(notes), section=section), "small"))
    return story


def diagnostics_block(rep: Report) -> list:
    """Errors and warnings the analysis found, before anything else (csi.report.diagnostics);
    nothing when there are none."""
    lines = diagnostic_lines(rep.doc, rep.label)
    if not lines:
        return []
    story = [rep.sub(_("Diagnostics"))]
    colours = {"error": FLAG, "warning": "#9a6700"}
    for severity, text in lines:
        head = {"error": _("Error"), "warning": _("Warning")}.get(severity, _("Note"))
        colour = colours.get(severity, "#6b7785")
        story.append(rep.P(f'<font color="{colour}"><b>{markup(head)}:</b></font> '
                           f"{markup(text)}", "item", markup=True))
    return story


def _number_of(rep: Report, name: str) -> int:
    """The section number of `name`."""
    return planned_sections(rep).index(name) + 1


def structural(rep: Report) -> list:
    """Path diagram, path coefficients and R²."""
    doc = rep.doc
    story = [rep.heading(_("Structural model"))]
    significance = (_("Solid dark arrows are significant (the {level} bootstrap interval "
                      "excludes zero); grey arrows are not", level=rep.level_text)
                    if rep.boot else _("Without a bootstrap, significance is not known"))
    story.extend(rep.chart(
        charts.path_diagram(doc, rep.label),
        _("Path diagram. The numbers beside the arrows are standardized path coefficients "
          "(the change in the target construct, in standard deviations, per standard "
          "deviation of the source); arrow width grows with the coefficient. {significance}. "
          "Each box shows the construct's index and, for constructs the model explains, R².",
          significance=significance),
        max_height=0.45 * 25.7 * 28.3465))
    has_ci = any(num(p.get("ci_low")) is not None for p in doc.get("paths", []))
    header = [_("From"), _("To"), _("Path")] + ([_("{level} CI", level=rep.level_text),
                                                 _("p")] if has_ci else [])
    rows, muted = [], set()
    for i, p in enumerate(doc.get("paths", [])):
        cells = [rep.label(p["from"]), rep.label(p["to"]), fixed(p.get("estimate"))]
        if has_ci:
            cells += [interval(p, 3), pvalue(p.get("p"))]
            if charts.significant(p) is False:
                muted.add(i)
                cells[2] += _(" (n.s.)")
        rows.append(cells)
    story.append(rep.sub(_("Path coefficients")))
    story.append(rep.table(header, rows, [2.4, 2.4, 1.2, 1.5, 0.8][: len(header)],
                           numeric={2, 3, 4}, muted=muted))
    if has_ci:
        story.append(rep.P(_("n.s.: not significant; grey rows."), "small"))
    r2_rows = [[rep.label(c), fixed(v), fixed((doc.get("r2_adj") or {}).get(c))]
               for c, v in (doc.get("r2") or {}).items()]
    if r2_rows:
        story.append(rep.sub(_("Explained variance")))
        story.append(rep.table([_("Construct"), _("R²"), _("Adjusted R²")], r2_rows, [3, 1, 1],
                               numeric={1, 2}))
    return story


def drivers(rep: Report) -> list:
    """Priority table, impact bars and importance–performance maps (when priorities ran)."""
    doc = rep.doc
    if not doc.get("priorities"):
        return []
    settings = doc.get("priority_settings") or {}
    target = rep.label(rep.target)
    story = [rep.heading(_("Drivers and priorities"))]
    withheld = words.advice(doc)
    if withheld:
        story.append(rep.P(withheld))
    story.append(rep.P(_(
        "Drivers of {target} ({reason}; {model} model). Importance is a driver's total effect "
        "on {target}: the index points {target} gains per index point of the driver, "
        "directly and through the constructs in between. Performance is the driver's index. "
        "The priority score, importance × (100 − performance), is the number of points "
        "{target} could gain; drivers are ranked by it.", target=target,
        reason=words.target_reason(settings.get("target_reason")),
        model=note_text(settings.get("model", "linear")))))
    importance = {r["driver"]: r for r in doc.get("importance") or []}
    has_ci = rep.level is not None and any(
        num(r.get("impact_5pt_ci_low")) is not None for r in importance.values())
    # with three drivers or fewer every one is in the top three: the column says nothing
    top3 = has_ci and len(doc["priorities"]) > 3
    header = ["#", _("Driver"), (_("+5 lifts target by ({level} CI)", level=rep.level_text)
                                 if has_ci else _("+5 lifts target by")),
              _("Performance"), _("Quadrant")] + ([_("Top 1")] if has_ci else []) + (
                  [_("Top 3")] if top3 else [])
    rows, muted = [], set()
    for i, row in enumerate(sorted(doc["priorities"], key=lambda p: p["rank"])):
        info = importance.get(row["driver"], {})
        impact = ("+" if (num(info.get("impact_5pt")) or 0) >= 0 else "") + fixed(
            num(info.get("impact_5pt")) or 0, 2)
        if has_ci:
            impact += f" ({interval(info, 2, 'impact_5pt_ci_low', 'impact_5pt_ci_high')})"
        driver = markup(rep.label(row["driver"]))
        if row.get("negative"):
            driver += f' <font color="{FLAG}">{markup(_("(negative effect)"))}</font>'
        elif has_ci and row.get("significant") is False:
            driver += markup(_(" (not significant)"))
            muted.add(i)
        cells = [str(row["rank"]), driver, markup(impact), fixed(info.get("performance"), 1),
                 markup(term(row.get("quadrant", "")))]
        if has_ci:
            cells.append(markup(words.share(num(row.get("p_top1")))
                                if num(row.get("p_top1")) is not None else "—"))
        if top3:
            cells.append(markup(words.share(num(row.get("p_top3")))
                                if num(row.get("p_top3")) is not None else "—"))
        rows.append(cells)
    story.append(rep.table(header, rows, [0.3, 2.1, 1.8, 0.9, 1.6, 0.6, 0.6][: len(header)],
                           numeric={0, 2, 3, 5, 6}, markup=True, muted=muted))
    if top3:
        story.append(rep.P(_(
            "Top 1 / Top 3: the share of bootstrap resamples in which the driver is the top "
            "priority / among the top three; how stable the ranking is."), "small"))
    elif has_ci:
        story.append(rep.P(_(
            "Top 1: the share of bootstrap resamples in which the driver is the top priority; "
            "how stable the ranking is."), "small"))
    story.append(rep.sub(_("Impact of each driver")))
    story.extend(rep.chart(
        charts.importance_bars(doc, rep.label),
        _("Index points {target} gains when a driver's index rises by 5 points, with {level} "
          "bootstrap intervals; grey bars are not significant.", target=target,
          level=rep.level_text) if has_ci else
        _("Index points {target} gains when a driver's index rises by 5 points.",
          target=target)))
    story.append(rep.sub(_("Importance–performance map")))
    story.extend(rep.chart(
        charts.ipma_map(doc, rep.label),
        _("Importance–performance map. Quadrants: importance and performance are split at "
          "their means over the drivers. {quadrant}: important drivers that perform below "
          "average.", quadrant=term("Concentrate here"))
        + (_(" Lines show {level} bootstrap intervals.", level=rep.level_text)
           if has_ci else "")))
    tops = charts.top_drivers(doc)
    if tops:
        story.append(rep.sub(_("Questions of the top drivers")))
        story.extend(rep.chart(
            charts.indicator_ipma(doc, rep.label, tops),
            ngettext("Question-level importance–performance map of the top driver: each "
                     "question's total effect on {target} (its weight in the driver's index "
                     "times the driver's importance) against its mean answer on 0–100.",
                     "Question-level importance–performance map of the top {n} drivers: each "
                     "question's total effect on {target} (its weight in the driver's index "
                     "times the driver's importance) against its mean answer on 0–100.",
                     len(tops), target=target)))
        items = [r for r in doc.get("indicator_importance") or [] if r["construct"] in tops]
        item_ci = any(num(r.get("importance_ci_low")) is not None for r in items)
        header = [_("Driver"), _("Question"), _("Importance"), _("Performance")]
        rows = []
        for r in sorted(items, key=lambda r: (tops.index(r["construct"]),
                                              -(num(r.get("importance")) or 0))):
            question = rep.label.question(r["indicator"])
            name = r["indicator"] + (f": {question}" if question else "")
            imp = fixed(r.get("importance"), 3)
            perf = fixed(r.get("performance"), 1)
            if item_ci:
                imp += f" ({interval(r, 3, 'importance_ci_low', 'importance_ci_high')})"
                perf += f" ({interval(r, 1, 'performance_ci_low', 'performance_ci_high')})"
            rows.append([rep.label(r["construct"]), name, imp, perf])
        story.append(rep.table(header, rows, [1.8, 2.8, 1.5, 1.4], numeric={2, 3}))
        if item_ci:
            story.append(rep.P(_("In brackets: {level} bootstrap intervals.",
                                 level=rep.level_text), "small"))
    return story


def nonlinear(rep: Report) -> list:
    """Response curves, Kano classes and the linear/non-linear comparison (when present)."""
    block = rep.doc.get("nonlinear")
    if not block:
        return []
    story = [rep.heading(_("Non-linear effects"))]
    target = rep.label(rep.target)
    story.append(rep.P(_(
        "The non-linear variant ({knot}) lets each structural effect differ below and above a "
        "knot on the driver's 0–100 index, so an effect can be stronger for dissatisfied "
        "customers (a basic need: poor performance hurts more than good performance "
        "pleases), the same on both sides (a performance factor), or stronger for satisfied "
        "ones (an excitement factor), as in Kano's model of quality (Kano et al. 1984).",
        knot=knot_text(rep))))
    drawn = charts.nonlinear_paths(rep.doc)
    if drawn:
        banded = any(p.get("curve_ci_low") for p in drawn)
        story.extend(rep.chart(
            charts.nonlinear_curves(rep.doc, rep.label),
            _("Estimated response curves of {outcome} against each driver's index; dotted "
              "line: the knot. In brackets: the driver's Kano class.",
              outcome=target if all(p.get("to") == rep.target for p in drawn)
              else _("each outcome"))
            + (_(" Shaded: the {level} bootstrap band of the piecewise curve.",
                 level=rep.level_text or "95%") if banded else "")))
    drivers = block.get("drivers") or []
    if drivers:
        has_ci = any(num(d.get("impact_5pt_ci_low")) is not None for d in drivers)
        rows = []
        for d in drivers:
            impact = fixed(d.get("impact_5pt"), 2)
            if has_ci:
                impact += f" ({interval(d, 2, 'impact_5pt_ci_low', 'impact_5pt_ci_high')})"
            rows.append([rep.label(d.get("driver", "")), term(d.get("kano_class")),
                         share(d.get("p_basic")), share(d.get("p_performance")),
                         share(d.get("p_excitement")), fixed(d.get("marginal_effect")),
                         impact])
        story.append(rep.sub(_("Kano classes of the drivers of {target}", target=target)))
        story.append(rep.table([_("Driver"), _("Class"), _("P(basic)"), _("P(performance)"),
                                _("P(excitement)"), _("Marginal effect"),
                                _("+5 lifts target by")], rows,
                               [1.9, 1.15, 0.85, 1.0, 1.0, 0.95, 1.6],
                               numeric={2, 3, 4, 5, 6}))
        story.append(rep.P(_(
            "P(...): the share of bootstrap resamples that put the driver in each class; "
            "— : not classified. Marginal effect: points of the target per point of the "
            "driver at its current level."), "small"))
    paths = block.get("paths") or []
    if paths:
        has_ci = any(num(p.get("slope_low_ci_low")) is not None for p in paths)
        rows = []
        for p in paths:
            below, above = fixed(p.get("slope_low")), fixed(p.get("slope_high"))
            if has_ci:
                below += f" ({interval(p, 2, 'slope_low_ci_low', 'slope_low_ci_high')})"
                above += f" ({interval(p, 2, 'slope_high_ci_low', 'slope_high_ci_high')})"
            rows.append([f"{rep.label(p['from'])} → {rep.label(p['to'])}", below, above,
                         fixed(p.get("asymmetry"), 2), fixed(p.get("turning_point"), 1)])
        story.append(rep.sub(_("Slopes below and above the knot")))
        story.append(rep.table([_("Path"), _("Slope below"), _("Slope above"), _("Asymmetry"),
                                _("Turning point")], rows, [2.6, 1.45, 1.45, 1.1, 1.0],
                               numeric={1, 2, 3, 4}))
        if has_ci:
            story.append(rep.P(_("In brackets: {level} bootstrap intervals.",
                                 level=rep.level_text), "small"))
    comparison = block.get("comparison") or {}
    if comparison:
        story.append(rep.sub(_("Linear or non-linear?")))
        outcome = rep.label(comparison.get("target") or rep.target or "")
        rows = [[_("R² of {target}", target=outcome),
                 fixed(comparison.get("r2_linear")), fixed(comparison.get("r2_nonlinear"))],
                [_("Cross-validated R²"), fixed(comparison.get("cv_r2_linear")),
                 fixed(comparison.get("cv_r2_nonlinear"))]]
        story.append(rep.table(["", _("Linear"), _("Non-linear")], rows, [2.5, 1, 1],
                               numeric={1, 2}))
        verdict = words.verdict(comparison, outcome)
        if verdict:
            story.append(rep.P(str(verdict)))
    for note in block.get("notes") or []:
        story.append(rep.P(_("Note") + _(": ") + note_text(note), "small"))
    return story


def knot_text(rep: Report) -> str:
    """Where the non-linear variant put its knot."""
    knot = (rep.doc.get("nonlinear") or {}).get("knot")
    if knot is None:
        return _("knot not recorded")
    number = num(knot)
    return (_("knot at {value}", value=format(number, "g")) if number is not None
            else _("knot: {rule}", rule=_(str(knot))))


def measurement(rep: Report) -> list:
    """Loadings, weights, reliability, HTMT and VIF; the values csi.measures.reliability
    flags are marked ✗ and counted."""
    doc = rep.doc
    flags = quality_flags(doc)
    story = [rep.heading(_("Measurement model"))]
    loadings = {(r["construct"], r["indicator"]): r for r in doc.get("loadings") or []}
    weights = {(r["construct"], r["indicator"]): r for r in doc.get("weights") or []}
    low_loadings = set(flags.loadings)
    rows = []
    for c in doc["model"]["constructs"]:
        for item in c.get("indicators", []):
            key = (c["name"], item)
            loading = num((loadings.get(key) or {}).get("estimate"))
            question = rep.label.question(item)
            rows.append([markup(rep.label(c["name"])),
                         markup(item + (_(": ") + question if question else "")),
                         markup(fixed((weights.get(key) or {}).get("estimate"))),
                         flagged(fixed(loading), key in low_loadings)])
    story.append(rep.sub(_("Loadings and weights")))
    story.append(rep.P(_(
        "Loadings are each question's correlation with its construct; weights are its share "
        "in the construct's score. Flagged (✗): loading below {limit} on a reflective "
        "construct with several questions.", limit=LOADING_MIN), "lead"))
    story.append(rep.table([_("Construct"), _("Question"), _("Weight"), _("Loading")], rows,
                           [1.8, 3.6, 0.8, 0.9], numeric={2, 3}, markup=True))
    reliability = doc.get("reliability") or {}
    rows = []
    for name in rep.constructs:
        r = reliability.get(name)
        if not r:
            continue
        rows.append([markup(rep.label(name)), markup(fixed(r.get("alpha"))),
                     markup(fixed(r.get("rho_a"))),
                     flagged(fixed(r.get("rho_c")), name in flags.rho_c),
                     flagged(fixed(r.get("ave")), name in flags.ave)])
    if rows:
        story.append(rep.sub(_("Reliability and convergent validity")))
        story.append(rep.P(_("Flagged (✗): rho_C below {rho_c} (composite reliability) or AVE "
                             "below {ave} (average variance extracted).", rho_c=RHO_C_MIN,
                             ave=AVE_MIN), "lead"))
        story.append(rep.table([_("Construct"), "alpha", "rho_A", "rho_C", "AVE"], rows,
                               [3, 1, 1, 1, 1], numeric={1, 2, 3, 4}, markup=True))
    htmt = doc.get("htmt") or []
    if htmt:
        value = {frozenset((r["a"], r["b"])): num(r.get("value")) for r in htmt}
        high = {frozenset(pair) for pair in flags.htmt}
        names = [c for c in rep.constructs if any(c in pair for pair in value)]
        rows = []
        for i, a in enumerate(names):
            cells = [markup(f"{i + 1}. {rep.label(a)}")]
            for j, b in enumerate(names[:-1]):
                v = value.get(frozenset((a, b))) if j < i else None
                cells.append(flagged(fixed(v), frozenset((a, b)) in high) if v is not None
                             else ("—" if j == i else ""))
            rows.append(cells)
        story.append(rep.sub(_("Discriminant validity (HTMT)")))
        story.append(rep.P(_(
            "Heterotrait–monotrait ratio of correlations between constructs (columns numbered "
            "as the rows). Flagged (✗): above {limit}, where two constructs may not be "
            "distinct.", limit=HTMT_MAX), "lead"))
        story.append(rep.table([""] + [str(j + 1) for j in range(len(names) - 1)], rows,
                               [2.6] + [0.75] * (len(names) - 1),
                               numeric=set(range(1, len(names))), markup=True))
    vif = doc.get("vif") or []
    if vif:
        high = set(flags.vif)
        rows = [[markup(rep.label(r["from"])), markup(rep.label(r["to"])),
                 flagged(fixed(r.get("value"), 2), (r["from"], r["to"]) in high)]
                for r in vif]
        story.append(rep.sub(_("Collinearity of the structural model (VIF)")))
        story.append(rep.P(_("Flagged (✗): VIF above {limit}.", limit=format(VIF_MAX, "g")), "lead"))
        story.append(rep.table([_("Predictor"), _("Of"), "VIF"], rows, [2.5, 2.5, 1],
                               numeric={2}, markup=True))
    count = flags.count
    story.insert(1, rep.P(
        ngettext("{n} quality flag in this section.", "{n} quality flags in this section.",
                 count) if count else _("No quality flags in this section."), "body"))
    return story


def fit_notes(rep: Report) -> list[str]:
    """The fit's and the data's warnings, each once, in order."""
    seen, out = set(), []
    quality = rep.doc.get("data_quality") or {}
    for message in [*(rep.doc.get("warnings") or []), *(quality.get("warnings") or [])]:
        if message and message not in seen:
            seen.add(message)
            out.append(str(message))
    return out


def data_quality(rep: Report) -> list:
    """What was read and done to the data, answers per question, notes and settings."""
    doc = rep.doc
    data = doc.get("data") or {}
    quality = doc.get("data_quality") or {}
    story = [rep.heading(_("Data quality"))]
    missing = quality.get("missing") or {}
    straight = quality.get("straightliners") or {}
    duplicates = quality.get("duplicate_ids") or {}
    scale = rep.settings.get("scale") or {}
    method = data.get("missing", missing.get("method", "listwise"))
    dropped = data.get("rows_dropped_missing", missing.get("rows_dropped", 0))
    imputed = data.get("cells_imputed") or missing.get("cells_imputed")
    facts = [
        (_("Rows read"), data.get("rows_read", quality.get("rows_read"))),
        (_("Rows used"), data.get("rows_used", quality.get("rows_used", doc.get("n_obs")))),
        (_("Missing answers"), ngettext("{method}: {n} row dropped", "{method}: {n} rows dropped",
                                        dropped or 0, method=_(method))
         + (ngettext(", {n} answer imputed", ", {n} answers imputed", imputed)
            if imputed else "")),
    ]
    if straight.get("computed") is False:  # a survey fitted from partition sums
        facts.append((_("Straight-liners"), _("not computed")))
    elif straight:
        facts.append((_("Straight-liners"), f"{straight.get('count', 0)}"
                      + (_(" (dropped)") if straight.get("dropped") and straight.get("count")
                         else "")))
    elif "rows_dropped_straightliners" in data:
        facts.append((_("Straight-liners dropped"), data["rows_dropped_straightliners"]))
    if duplicates.get("computed") is False:
        facts.append((_("Duplicate respondent IDs"), _("not computed")))
    elif duplicates.get("column"):
        facts.append((_("Duplicate respondent IDs"),
                      _("{n} (column {column})", n=duplicates.get("count", 0),
                        column=duplicates["column"])))
    careless = careless_line(quality)
    if careless:
        facts.append((_("Careless respondents"), careless))
    for key, name in (("constant_items", _("Constant questions")),
                      ("few_distinct_items", _("Questions with few distinct answers"))):
        if quality.get(key):
            facts.append((name, ", ".join(quality[key])))
    facts.append((_("Answer scale"), f"{general(scale.get('min'))}–{general(scale.get('max'))}"
                  + (_(" (observed range: set --scale)") if scale.get("from_data") else "")))
    if data.get("item_scales"):
        facts.append((_("Questions on other scales"), ", ".join(
            f"{k} {general(v[0])}–{general(v[1])}" for k, v in data["item_scales"].items())))
    if data.get("weights"):
        facts.append((_("Survey weights"), _("column {column}", column=data["weights"])))
    reading = [str(data[k]) for k in ("format", "encoding", "layout") if data.get(k)]
    if reading:
        facts.append((_("File read as"), ", ".join(reading)))
    story.append(rep.facts(facts))
    story.append(rep.sub(_("Answers per question")))
    items = [i for i in quality.get("items") or [] if isinstance(i, dict)
             and i.get("indicator")]
    rows_read = data.get("rows_read") or quality.get("rows_read") or doc.get("n_obs") or 0
    if items:
        rows = []
        for item in items:
            pct = num(item.get("missing_pct"))
            name = item["indicator"]
            question = rep.label.question(name)
            rows.append([name + (_(": ") + question if question else ""),
                         str(item.get("missing", 0)), "—" if pct is None else f"{pct:.1f}%",
                         fixed(item.get("mean"), 2), fixed(item.get("sd"), 2),
                         str(item.get("distinct", "—"))])
        story.append(rep.table([_("Question"), _("Missing"), "%", _("Mean"), _("SD"),
                                _("Distinct")], rows,
                               [3.6, 0.8, 0.7, 0.7, 0.6, 0.7], numeric={1, 2, 3, 4, 5}))
    else:
        cells = {k: int(v) for k, v in (data.get("missing_cells") or {}).items()}
        if cells and not any(cells.values()):
            story.append(rep.P(ngettext("No missing answers in the {n} question.",
                                        "No missing answers in any of the {n} questions.",
                                        len(cells))))
        elif cells:
            rows = []
            for name, n in cells.items():
                question = rep.label.question(name)
                rows.append([name + (_(": ") + question if question else ""), str(n),
                             f"{100 * n / rows_read:.1f}%" if rows_read else "—"])
            story.append(rep.table([_("Question"), _("Missing"), "%"],
                                   rows, [4.5, 0.9, 0.8], numeric={1, 2}))
    notes = fit_notes(rep)
    quality_notes = [n for n in quality.get("notes") or [] if n]
    shown = [note_text(n) for n in notes + quality_notes]
    if notes:
        story.append(rep.sub(_("Points to check")))
        story += [rep.P(f"• {n}", "item") for n in shown[:len(notes)]]
    if quality_notes:
        story.append(rep.sub(_("What csi did with the data")))
        story += [rep.P(f"• {n}", "item") for n in shown[len(notes):]]
    # a note no catalog message matches (one written by a newer csi) stays in English
    if not rep.english and any(text == original for text, original
                               in zip(shown, notes + quality_notes)):
        story.append(rep.P(_("The notes above are the analysis' own words, in English."),
                           "small"))
    story.append(rep.sub(_("Settings")))
    story.append(rep.facts(settings_facts(rep)))
    return story


def settings_facts(rep: Report) -> list[tuple[str, object]]:
    """The estimation settings as labelled facts."""
    s, doc = rep.settings, rep.doc
    priority = doc.get("priority_settings") or {}
    converged = doc.get("converged")
    facts = [
        (_("Estimator"), estimator_name(s.get("estimator"))),
        (_("Weighting scheme"), _(s.get("scheme")) if s.get("scheme") else None),
        (_("Indicators"), _("standardized") if s.get("standardized", True)
         else _("unstandardized (centred)")),
        (_("Convergence tolerance"), s.get("tol")),
        (_("Iteration limit"), s.get("max_iter")),
        (_("Converged"), (_("yes, in {n} iterations", n=doc.get("iterations", "—")) if converged
                          else _("NO, in {n} iterations", n=doc.get("iterations", "—")))
         if converged is not None else None),
    ]
    if priority:
        facts.append((_("Target of the priorities"), f"{rep.label(priority.get('target'))} "
                      f"({words.target_reason(priority.get('target_reason'))})"))
    facts.append((_("Bootstrap"), bootstrap_text(rep)))
    return facts


def methods(rep: Report) -> list:
    """Estimation, index, drivers, thresholds, bootstrap, software and references."""
    doc = rep.doc
    s = rep.settings
    story = [rep.heading(_("Methods"))]
    modes = {c.get("mode", "A") for c in doc["model"]["constructs"]}
    mode_text = {"A": _("reflective (Mode A)"), "B": _("formative (Mode B)")}
    converged = doc.get("converged")
    story.append(rep.sub(_("Estimation")))
    story.append(rep.P(_(
        "Estimator: {estimator} (Lohmöller 1989; Tenenhaus et al. 2005). Measurement: "
        "{modes}. Convergence: largest change of any outer weight below {tol}, within "
        "{max_iter} iterations.", estimator=estimator_text(rep),
        modes=_(", ").join(mode_text.get(m, m) for m in sorted(modes)),
        tol=s.get("tol", "—"), max_iter=s.get("max_iter", "—"))
        + " " + (_("The estimation converged in {n} iterations.", n=doc.get("iterations", "—"))
                 if converged else _("The estimation did NOT converge in {n} iterations.",
                                     n=doc.get("iterations", "—")))
        + " " + _("Variant: {variant}.", variant=variant_text(rep))))
    story.append(rep.P(_(
        "Index: the indicator weights are unstandardized (weight / standard deviation), "
        "normalized to sum to 1 within each construct and applied to the questions' mean "
        "answers rescaled to 0–100 by the answer scale (Fornell et al. 1996).")))
    story.append(rep.P(_(
        "Drivers: importance–performance map analysis (Ringle & Sarstedt 2016; Martilla & "
        "James 1977). Importance is the unstandardized total effect on the target's 0–100 "
        "score; impact is the target's change from a 5-point gain in the driver; the "
        "priority score is importance × (100 − performance).")))
    story.append(rep.P(_(
        "Quality thresholds: loadings ≥ {loading}, rho_C ≥ {rho_c}, AVE ≥ {ave} (Fornell & "
        "Larcker 1981; Hair et al. 2017), HTMT ≤ {htmt} (Henseler et al. 2015), structural "
        "VIF ≤ {vif}.", loading=LOADING_MIN, rho_c=RHO_C_MIN, ave=AVE_MIN, htmt=HTMT_MAX,
        vif=format(VIF_MAX, "g"))))
    story.append(rep.sub(_("Bootstrap")))
    b = rep.boot
    if b:
        story.append(rep.facts([
            (_("Resamples requested"), b.get("n_requested")),
            (_("Resamples used"), b.get("n_used")),
            (_("Failed resamples"), b.get("n_failed")),
            (_("Failed resamples were"), _(b["on_failure"]) if b.get("on_failure") else None),
            (_("Seed"), b.get("seed")),
            (_("Interval method"), _(b["ci_method"]) if b.get("ci_method") else None),
            (_("Confidence level"), rep.level_text or None),
            (_("Sign changes"), _(str(b["sign_change"])) if b.get("sign_change") else None),
        ]))
        story.append(rep.P(_("Efron & Tibshirani (1993). The same seed reproduces every "
                             "interval and rank probability."), "small"))
    else:
        story.append(rep.P(_("No bootstrap was run: the report shows point estimates only. "
                             "Run csi fit with --bootstrap N for intervals, significance and "
                             "the stability of the priority ranking.")))
    story.append(rep.sub(_("Software and data")))
    rows = [[_("csi version"), doc.get("csi_version")], [_("Result schema"), doc.get("schema")],
            [_("Survey file"), doc.get("source")], [_("Model"), doc["model"].get("name")],
            [_("Report date"), rep.today.isoformat()]]
    story.append(rep.facts(rows))
    story.append(rep.sub(_("References")))
    story += [rep.P(ref, "ref") for ref in REFERENCES]
    return story


def hidden_segments(rep: Report) -> list:
    """The latent classes of a saved `csi latent` result (csi.report.pdf.hidden_segments)."""
    from csi.report.pdf.hidden_segments import hidden_segments as section

    return section(rep) if rep.latent else []


def scenarios(rep: Report) -> list:
    """Saved simulations and plans (csi.report.pdf.scenarios)."""
    from csi.report.pdf.scenarios import scenarios as section

    return section(rep) if rep.scenarios else []


SECTIONS = (summary, structural, drivers, nonlinear, hidden_segments, scenarios, measurement,
            data_quality, methods)
