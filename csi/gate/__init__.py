"""The CI gate: compare a result with a baseline under a tolerance policy (`csi check`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csi.gate.compare import CheckReport, Finding, MetricCheck, compare
from csi.gate.policy import Policy, PolicyError, load_policy
from csi.jsonio import read_results


def check(current: Any, baseline: Any, policy: Policy | str | Path | None = None) -> CheckReport:
    """Check `current` against `baseline`: each a csi Result, a parsed csi.fit document or a
    path to one; `policy` a Policy or a TOML policy file. The report's `.passed` is the
    verdict, `.exit_code` what `csi check` exits with."""
    if policy is not None and not isinstance(policy, Policy):
        policy = load_policy(policy)
    return compare(_document(baseline), _document(current), policy,
                   baseline_label=_label(baseline, "baseline"),
                   current_label=_label(current, "current"))


def _document(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, (str, Path)):
        return read_results(value)
    if hasattr(value, "to_dict"):
        import json

        return json.loads(value.to_json())  # exactly what a saved file holds
    raise TypeError("expected a csi Result, a csi.fit document or a path to one")


def _label(value: Any, default: str) -> str:
    return Path(value).name if isinstance(value, (str, Path)) else default


__all__ = ["CheckReport", "Finding", "MetricCheck", "Policy", "PolicyError", "check", "compare",
           "load_policy"]
