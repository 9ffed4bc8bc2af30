"""Sentences the analysis stored in English, written in the report's language.

The analysis layers keep their English sentences in the result (`message`, `verdict`,
priorities' sentences); in English the renderers show those unchanged. In any other language
they are rendered here from the structured fields beside them (a diagnostic's `code` and
`subject`, the priorities' numbers) with catalog messages, so the JSON stays English and the
report reads in one language. Nothing is decided here.
"""

from __future__ import annotations

import re

from csi.report.i18n import _, decimal, is_english, percent

# One catalog message per diagnostic code (csi.diagnostics); {subject} is what it is about.
DIAGNOSTICS = {
    "inadmissible": lambda: _("The solution is inadmissible ({subject}): an estimate lies "
                              "outside its possible range."),
    "few_resamples": lambda: _("Too few bootstrap resamples for stable intervals and rank "
                               "probabilities; use at least 1,000."),
    "resample_failures": lambda: _("More than 5% of the bootstrap resamples failed or were "
                                   "inadmissible."),
    "scale_unused": lambda: _("The answers use little of the declared answer scale: check "
                              "--scale ({subject})."),
    "listwise_loss": lambda: _("Listwise deletion dropped more than 10% of the respondents."),
    "small_sample": lambda: _("The sample is small for this model ({subject})."),
    "quality_checks_not_run": lambda: _("Straight-liners, duplicate IDs, the careless "
                                        "screen and completion times were not computed for "
                                        "a survey in partitions on a cluster."),
    "discriminant_validity": lambda: _("HTMT above 0.90 ({subject}): the two constructs may "
                                       "measure the same thing, and the driver's effect is "
                                       "doubtful."),
}


def diagnostic(item: dict, label=lambda name: name) -> str:
    """A diagnostic's sentence: its English `message`, or the catalog's for its code."""
    if is_english():
        return item["message"]
    subject = item.get("subject") or ""
    subject = re.sub(r"[A-Za-z_][\w.]*", lambda m: label(m.group(0)), subject)
    make = DIAGNOSTICS.get(item.get("code"))
    text = make() if make else _("A finding with code {code}.")
    return text.format(subject=subject or "—", code=item.get("code"))


def advice(doc: dict) -> str | None:
    """Why the priorities are withheld or not applicable, or None when advice stands."""
    block = doc.get("advice") or {}
    status = block.get("status")
    if status not in ("withheld", "not_applicable"):
        return None
    if is_english():
        return block.get("message")
    if status == "not_applicable":
        return _("The model has no structural paths (a measurement model): there are no "
                 "drivers to rank.")
    return _("Priorities are withheld: the solution is inadmissible (see the diagnostics), so "
             "its effects and importances are not trustworthy. PLS (--estimator pls) "
             "estimates composites and is always admissible.")


def target_reason(reason: str | None) -> str:
    """Why this construct is the target, in words (never the model syntax '@target')."""
    reason = reason or ""
    if reason.startswith("the model's"):
        return _("the model's target")
    if reason.startswith("set with"):
        return _("set with --target")
    found = re.search(r"\((\d+)\)", reason)
    if reason.startswith("the construct with the most predecessors") and found:
        return _("the construct with the most predecessors ({n})", n=found.group(1))
    return _(reason) if reason else _("the target")


def share(value: float) -> str:
    """A probability as csi.drivers.priorities.share writes it, in the current locale."""
    if 0.995 <= value < 1:
        return ">" + percent(0.99)
    if 0 < value < 0.005:
        return "<" + percent(0.01)
    return percent(value)


def priority_sentences(priorities, label, level_text: str) -> list[str]:
    """The top priorities in plain language: csi.drivers.priorities.sentences in English,
    the same facts from the catalog otherwise."""
    from csi.drivers.priorities import sentences

    if is_english():
        return sentences(priorities, label)
    out = []
    importance = priorities.importance.set_index("driver")
    items = priorities.indicator_importance
    target = label(priorities.target)
    for row in priorities.ranking.head(3).to_dict("records"):
        driver = row["driver"]
        info = importance.loc[driver]
        if row["negative"]:
            out.append(_("{driver} has a negative effect on {target} ({impact} points per "
                         "+5): it is not recommended as a priority; check the model and the "
                         "items' wording.", driver=label(driver), target=target,
                         impact=("+" if info["impact_5pt"] >= 0 else "")
                         + decimal(info["impact_5pt"], 1)))
            continue
        text = _("Raise {driver}: +5 points would lift {target} by {impact} points",
                 driver=label(driver), target=target, impact=decimal(info["impact_5pt"], 1))
        if level_text and "impact_5pt_ci_low" in info:
            text += _(" ({level} CI {low}–{high})", level=level_text,
                      low=decimal(info["impact_5pt_ci_low"], 1),
                      high=decimal(info["impact_5pt_ci_high"], 1))
        top1 = row.get("p_top1")
        if top1 is not None and top1 == top1:
            if len(priorities.ranking) > 3:  # with three drivers or fewer it always is
                text += _("; it is the top priority in {top1} of resamples and in the top "
                          "three in {top3}", top1=share(top1), top3=share(row["p_top3"]))
            else:
                text += _("; it is the top priority in {top1} of resamples", top1=share(top1))
        text += _(".")
        if row["quadrant"] == "Keep up the good work":
            text += (_(" It already performs well ({performance}, '{quadrant}'), but it matters "
                       "most for {target}: raising it still pays.",
                       performance=decimal(info["performance"], 1),
                       quadrant=_(row["quadrant"]), target=target) if row["rank"] == 1 else
                     _(" It already performs well ({performance}, '{quadrant}'), but it matters "
                       "more than the average driver for {target}: raising it still pays.",
                       performance=decimal(info["performance"], 1),
                       quadrant=_(row["quadrant"]), target=target))
        if row.get("significant") is False:
            text += _(" Caution: its effect is not statistically significant (the {level} CI "
                      "of its impact includes zero), so treat this as tentative.",
                      level=level_text)
        questions = items[items["construct"] == driver].nsmallest(3, "performance")
        if len(questions) > 1:
            listed = _(", ").join(f"{label(q['indicator'])} ({decimal(q['performance'], 1)})"
                                  for q in questions.to_dict("records"))
            text += _(" Weakest questions: {listed}.", listed=listed)
        out.append(text)
    return out


def verdict(comparison: dict, target: str) -> str | None:
    """The linear/non-linear verdict: the stored English sentence, or the catalog's."""
    if is_english() or not comparison.get("preferred"):
        return comparison.get("verdict")
    if comparison["preferred"] == "nonlinear":
        return _("The non-linear model predicts {target} better out of sample; its shapes are "
                 "worth acting on.", target=target)
    return _("The non-linear model does not predict {target} reliably better out of sample; "
             "prefer the linear model and read the shapes as descriptive.", target=target)


def N_(message: str) -> str:
    """Marks a word for the catalog that is translated later, when it is shown (`term`)."""
    return message


# Words the analysis stores in English and the renderers show through `term` / `_`: quadrants
# (csi.drivers.priorities.QUADRANTS), Kano classes, model variants, knots, weighting schemes,
# interval methods, resampling rules, missing-data methods and careless-respondent reasons.
VOCABULARY = (
    N_("Concentrate here"), N_("Keep up the good work"), N_("Low priority"),
    N_("Possible overkill"), N_("basic"), N_("performance"), N_("excitement"),
    N_("linear"), N_("nonlinear"), N_("midpoint"), N_("mean"), N_("median"), N_("path"),
    N_("centroid"), N_("factorial"), N_("percentile"), N_("bca"), N_("none"), N_("construct"), N_("drop"),
    N_("redraw"), N_("listwise"), N_("em"), N_("longstring"), N_("random"), N_("speeder"),
    N_("the target"),
)
