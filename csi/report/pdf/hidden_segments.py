"""The "Hidden segments" section: the latent classes of a saved `csi latent` result
(`csi.latent/1`, csi.multi.latent), read from its JSON. The verdict comes first (actionable
segments, or none), then the number of classes and the rule that chose it, the criteria per
K; for more than one class each class's size, paths and index side by side, its priorities,
and the --explain cross-tabs. In English the verdict and rule are the document's own; in
another language they are written from the same fields with catalog messages."""

from __future__ import annotations

from csi.report.i18n import _, decimal, is_english, ngettext, percent, term
from csi.report.pdf.fonts import markup
from csi.report.pdf.layout import Report, fixed, num, pvalue
from csi.report.scenario_charts import class_chart

REFERENCES = (
    "Hahn, C., Johnson, M. D., Herrmann, A., & Huber, F. (2002). Capturing customer "
    "heterogeneity using a finite mixture PLS approach. Schmalenbach Business Review, 54, "
    "243–269.",
    "McLachlan, G. J. (1987). On bootstrapping the likelihood ratio test statistic for the "
    "number of components in a normal mixture. Applied Statistics, 36(3), 318–324.",
    "Sarstedt, M., Becker, J.-M., Ringle, C. M., & Schwaiger, M. (2011). Uncovering and "
    "treating unobserved heterogeneity with FIMIX-PLS. Schmalenbach Business Review, 63, "
    "34–62.",
)


def hidden_segments(rep: Report) -> list:
    _name, doc = rep.latent
    chosen = int(doc.get("chosen_k") or 1)
    story = [rep.heading(_("Hidden segments"))]
    story.append(rep.P(verdict(doc), "h2"))
    story.append(rep.P(ngettext("Chosen: {n} class, by the {rule}.",
                                "Chosen: {n} classes, by the {rule}.", chosen,
                                rule=rule(doc))))
    picks = _(", ").join(f"{name} {k}" for name, k in (doc.get("criteria_choice") or {}).items()
                         if name != "AIC3_CAIC_else_BIC")
    if picks:
        story.append(rep.P(_("Information criteria alone would choose: {picks}. They do not "
                             "choose here: on skewed, discrete answers they find classes "
                             "that are not there.", picks=picks), "small"))
    for entry in doc.get("excluded") or []:
        story.append(rep.P("• " + (entry["reason"] if is_english() else _(
            "{construct} is a single yes/no item: it takes part as a predictor only, and its "
            "equation is left out of the mixture likelihood.",
            construct=rep.label(entry["construct"]))), "item"))
    story += criteria(rep, doc, chosen)
    if chosen > 1:
        story += classes(rep, doc)
        story += priorities(rep, doc)
    story += explain(rep, doc)
    story.append(rep.P(_(
        "FIMIX-PLS (Hahn et al. 2002; Sarstedt et al. 2011): a finite mixture of the "
        "structural regressions on the PLS construct scores, fitted by EM from {starts} "
        "seeded starts per K. The number of classes is chosen by a bootstrap likelihood-ratio "
        "test of K−1 against K classes (McLachlan 1987); each chosen class is re-estimated on "
        "its respondents as a segment.", starts=(doc.get("settings") or {}).get("starts", "—")),
        "small"))
    story += [rep.P(ref, "ref") for ref in REFERENCES]
    return story


def verdict(doc: dict) -> str:
    """The analysis' verdict: its own words in English, else the catalog's."""
    block = doc.get("actionable") or {}
    if is_english():
        text = str(block.get("verdict") or "")
        return (text[:1].upper() + text[1:] + ".") if text else ""
    if int(doc.get("chosen_k") or 1) == 1:
        return _("One class: no segments whose drivers differ.")
    if block.get("actionable"):
        return _("The classes' structural paths differ: actionable segments.")
    return _("No actionable segments: the classes do not differ significantly in their "
             "structural paths.")


def rule(doc: dict) -> str:
    """The rule that chose K: the document's own words in English, else the catalog's."""
    if is_english():
        return str(doc.get("rule") or "")
    settings = doc.get("settings") or {}
    head = _("bootstrap likelihood-ratio test (McLachlan 1987; {n} regenerated data sets, "
             "alpha {alpha})", n=settings.get("lrt_bootstrap", "—"),
             alpha=format(num(settings.get("alpha")) or 0.05, "g"))
    tests = doc.get("lrt") or []
    if not tests:
        return _("{head}: only one class could be estimated", head=head)
    listed = _("; ").join(_("{k} vs {null} classes p = {p}", k=t["k"], null=t["null_k"],
                            p=decimal(t["p"], 3)) for t in tests)
    return _("{head}: {tests} → {chosen}", head=head, tests=listed,
             chosen=ngettext("{n} class", "{n} classes", int(doc.get("chosen_k") or 1)))


def criteria(rep: Report, doc: dict, chosen: int) -> list:
    """LL, AIC3, BIC, CAIC, EN, shares and the test's p per K; the chosen K in bold."""
    p_of = {t["k"]: t["p"] for t in doc.get("lrt") or []}
    rows = []
    for row in doc.get("criteria") or []:
        k = row["k"]
        cells = [str(k), fixed(row.get("loglik"), 1), fixed(row.get("AIC3"), 1),
                 fixed(row.get("BIC"), 1), fixed(row.get("CAIC"), 1),
                 "—" if k == 1 else fixed(row.get("EN"), 3),
                 " / ".join(percent(s) for s in row.get("shares") or []),
                 pvalue(p_of[k]) if k in p_of else "—"]
        cells = [markup(c) for c in cells]
        if k == chosen:
            cells = [f"<b>{c}</b>" for c in cells]
        rows.append(cells)
    return [rep.sub(_("Classes by K")),
            rep.table(["K", "lnL", "AIC3", "BIC", "CAIC", "EN", _("Shares"), _("LRT p")], rows,
                      [0.4, 1.0, 1.0, 1.0, 1.0, 0.7, 1.6, 0.7],
                      numeric={0, 1, 2, 3, 4, 5, 7}, markup=True),
            rep.P(_("Lower information criteria are better (AIC, AIC4, HQ and MDL5 are in the "
                    "JSON); EN, the entropy (0–1), near 1 means well-separated classes; LRT p: "
                    "the bootstrap likelihood-ratio test of K−1 against K classes. The chosen "
                    "K in bold."), "small")]


def classes(rep: Report, doc: dict) -> list:
    """Each class's share, size and target index, the slope tests, and the side-by-side
    chart of paths and indices."""
    target = _target(rep, doc)
    story = [rep.sub(_("The classes"))]
    rows = []
    for entry in doc.get("classes") or []:
        index = ((entry.get("fit") or {}).get("index") or {}).get(target) or {}
        score = fixed(index.get("score"), 1)
        if num(index.get("ci_low")) is not None:
            score += f" ({fixed(index['ci_low'], 1)}–{fixed(index['ci_high'], 1)})"
        rows.append([_("Class {n}", n=entry["class"]), percent(entry["share"]),
                     fixed(entry.get("size"), 0), fixed(entry.get("n_modal"), 0),
                     score if entry.get("fit") else _("not re-estimated")])
    story.append(rep.table([_("Class"), _("Share"), _("Expected size"), _("Assigned"),
                            _("{target} index", target=rep.label(target))], rows,
                           [1.0, 0.8, 1.1, 1.0, 2.0], numeric={1, 2, 3, 4}))
    story.append(rep.P(_("Share and expected size from the class probabilities; assigned: "
                         "respondents whose most likely class it is (they are re-estimated "
                         "as the class's segment)."), "small"))
    tests = (doc.get("actionable") or {}).get("tests") or []
    if tests:
        story.append(rep.table(
            [_("Equation of"), _("Wald χ²"), "df", "p", _("Bonferroni p")],
            [[rep.label(t["target"]), fixed(t.get("statistic"), 2), str(t.get("df", "—")),
              pvalue(t.get("p")), pvalue(t.get("p_adjusted"))] for t in tests],
            [2.6, 1.0, 0.6, 0.8, 1.0], numeric={1, 2, 3, 4}))
        story.append(rep.P(_("Do the classes' structural slopes differ? A Wald test per "
                             "equation; classes whose slopes differ in no equation are not "
                             "actionable segments."), "small"))
    constructs = [c["name"] for c in rep.doc["model"]["constructs"]]
    story.extend(rep.chart(class_chart(doc.get("classes") or [], constructs, rep.label), _(
        "Left: each class's structural paths (FIMIX's regressions on the standardized "
        "construct scores). Right: each class's index per construct, re-estimated on its "
        "respondents, with its interval when bootstrapped.")))
    for entry in doc.get("classes") or []:
        if not entry.get("fit"):
            story.append(rep.P(_("Class {n} was not re-estimated: {reason}", n=entry["class"],
                                 reason=entry.get("not_estimated") or "—"), "small"))
    return story


def _target(rep: Report, doc: dict) -> str:
    for entry in doc.get("classes") or []:
        fit = entry.get("fit") or {}
        target = (fit.get("priority_settings") or {}).get("target")
        if target:
            return target
    return rep.target


def priorities(rep: Report, doc: dict) -> list:
    """The classes' driver priorities side by side: rank, driver, quadrant."""
    ranked = [sorted(((entry.get("fit") or {}).get("priorities") or []),
                     key=lambda p: p["rank"]) for entry in doc.get("classes") or []]
    if not any(ranked):
        return []
    depth = min(max(len(r) for r in ranked), 5)
    rows = []
    for rank in range(depth):
        cells = [str(rank + 1)]
        for entry in ranked:
            cells.append(f"{rep.label(entry[rank]['driver'])} · "
                         f"{term(entry[rank].get('quadrant'))}" if rank < len(entry) else "—")
        rows.append(cells)
    names = [_("Class {n}", n=entry["class"]) for entry in doc.get("classes") or []]
    return [rep.sub(_("Priorities per class")),
            rep.table(["#"] + names, rows, [0.3] + [2.0] * len(names)),
            rep.P(_("Drivers of {target} in priority order in each class, with their quadrant "
                    "of the importance–performance map: the classes need different "
                    "treatment where the orders differ.",
                    target=rep.label(_target(rep, doc))), "small")]


def explain(rep: Report, doc: dict) -> list:
    """--explain: each column's values against the classes, with the chi-square test."""
    story = []
    for entry in doc.get("explain") or []:
        table = entry.get("table") or []
        classes = [key for key in (table[0] if table else {}) if key != "value"]
        story.append(rep.sub(_("Who is in which class: {column}", column=entry["column"])))
        story.append(rep.table(
            [entry["column"]] + [_("Class {n}", n=c) for c in classes],
            [[str(row["value"])] + [str(row.get(c, 0)) for c in classes] for row in table],
            [2.0] + [1.0] * len(classes), numeric=set(range(1, len(classes) + 1))))
        if entry.get("p") is None:
            story.append(rep.P(_("No test: the column has one value, or one class."), "small"))
            continue
        p = pvalue(entry.get("p"))
        text = _("Chi-square {statistic}, df {df}, p {p}, Cramér's V {v} (n = {n}).",
                 statistic=fixed(entry.get("statistic"), 2), df=entry.get("df"),
                 p=("< " + p[1:]) if p.startswith("<") else ("= " + p),
                 v=fixed(entry.get("cramers_v"), 2), n=entry.get("n"))
        if entry.get("sparse"):
            text += _(" More than a fifth of the expected counts are below 5: read the test "
                      "with care.")
        story.append(rep.P(text, "small"))
    return story
