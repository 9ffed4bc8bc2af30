"""semopy's side of CB-SEM: a ModelSpec as semopy model text, the lock semopy needs while
it builds a model, the filter that keeps semopy's log records out of csi's output, and
single-threaded BLAS for the tiny matrices of a fit."""

from __future__ import annotations

import contextlib
import logging
import threading

from csi.model.spec import ModelSpec

SEMOPY_OBJECTIVES = {"ML": "MLW", "GLS": "GLS", "ULS": "ULS"}
BUILD_LOCK = threading.Lock()  # semopy models share class-level dictionaries while built


class _SemopyRecords(logging.Filter):
    """semopy logs non-convergence and starting-value notes to the root logger; csi checks
    convergence itself and reports in its own words, so those records are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "semopy" not in record.pathname


logging.getLogger().addFilter(_SemopyRecords())

_BLAS_LOCK = threading.Lock()
_BLAS_USERS = [0, None]  # active users, the threadpoolctl limiter that set one thread


@contextlib.contextmanager
def single_threaded_blas():
    """Run BLAS on one thread while CB-SEM fits: its matrices are tiny (p x p, q x q), and a
    multi-threaded BLAS spends far longer synchronising than computing (tenfold slowdowns on a
    busy machine). Reference-counted, so concurrent bootstrap workers restore the setting only
    when the last one leaves."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn (semopy)
        yield
        return
    with _BLAS_LOCK:
        if _BLAS_USERS[0] == 0:
            _BLAS_USERS[1] = threadpool_limits(limits=1, user_api="blas")
        _BLAS_USERS[0] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_USERS[0] -= 1
            if _BLAS_USERS[0] == 0:
                _BLAS_USERS[1].restore_original_limits()
                _BLAS_USERS[1] = None


def semopy_syntax(spec: ModelSpec) -> tuple[str, list[str]]:
    """The semopy model text of a spec, and notes on what csi added: the error variance of a
    single-indicator factor is fixed to 0 (it cannot be identified otherwise) unless the model
    declares one."""

    def term(value: float | None, name: str) -> str:
        return name if value is None else f"{value!r}*{name}"

    lines = [f"{b.construct} =~ " + " + ".join(
        term(spec.fixed_value("=~", b.construct, item), item) for item in b.indicators)
        for b in spec.blocks]
    lines += [f"{target} ~ " + " + ".join(
        term(spec.fixed_value("~", target, source), source)
        for source in spec.predecessors(target)) for target in spec.endogenous]
    lines += [f"{c.left} ~~ {term(c.value, c.right)}" for c in spec.covariances]
    declared = {c.key for c in spec.covariances}
    notes = []
    for block in spec.blocks:
        item = block.indicators[0]
        if len(block.indicators) == 1 and frozenset((item,)) not in declared:
            lines.append(f"{item} ~~ 0*{item}")
            notes.append(
                f"{spec.label(block.construct)} has a single indicator ({item}): its error "
                f"variance is fixed to 0 ('{item} ~~ 0*{item}'), the usual identification; "
                f"declare '{item} ~~ ...' in the model to choose otherwise"
            )
    return "\n".join(lines), notes
