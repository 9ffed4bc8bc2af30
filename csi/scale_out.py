"""Where independent pieces of work run: here (in-process threads) or on a Dask cluster.

csi's parallel work comes in independent, seeded pieces: a segment's fit, a chunk of
bootstrap resamples, a chunk of permutations. Each piece's numbers depend only on its inputs
and its own seed, never on where or alongside what it runs, so the same seed gives the same
bytes in-process and on a cluster with any number of workers. An executor only decides where
the pieces run:

    LocalExecutor(workers)   threads of this process (the default; 1 = run them in turn)
    DaskExecutor(address)    the workers of an existing Dask distributed cluster

Both have `map(fn, jobs, shared=None, on_done=None) -> list`: fn(shared, job) for each job
(fn(job) without `shared`), results in the order of `jobs`; `shared` (e.g. the data) is sent
to a cluster once rather than with every job; `on_done(i)` is called here, in the caller's
thread, as job i finishes (for progress bars). `executor_for(scheduler, workers)` picks one:
Dask when a scheduler address is given or DASK_SCHEDULER_ADDRESS is set, else local.

Same bytes also needs the same arithmetic: a multi-threaded BLAS (OpenBLAS, MKL) may sum a
matrix product in a different order with a different number of threads, changing the last
digits. Dask's nanny starts every worker with one BLAS thread (OMP_NUM_THREADS=1 and the
like), so both executors run their jobs with this process's BLAS limited to one thread too
(via threadpoolctl): the parallelism is across jobs, never inside a matrix product. A
cluster whose workers use more BLAS threads is reported in the executor's `notes`.

Work that returns to the same data several times (EM over a survey in partitions,
csi.partition_sums) keeps each job's result where it was computed: `keep(fn, jobs, shared)`
returns handles (on a cluster, futures whose results stay in the workers' memory; here, the
results), `map_kept(fn, kept, shared)` runs fn(shared, result) where each result lives and
brings back only what fn returns, and `forget(kept)` frees them.

Dask is an optional extra (`pip install csi[dask]`), imported only when a scheduler is used.
Library code that cannot pass an executor down explicitly can run under `use(executor)`:
csi.bootstrap.draw() then sends its chunks there (the contextvar is not inherited by threads
or cluster workers, so work already running in parallel never fans out again).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Protocol

from csi._version import __version__
from csi.errors import CsiError, ExitCode

ENVIRONMENT = "DASK_SCHEDULER_ADDRESS"
INSTALL_HINT = "pip install csi[dask]"
CONNECT_TIMEOUT = "20s"


class ScaleOutError(CsiError):
    """The requested cluster cannot be used (Dask not installed, scheduler unreachable, or
    workers without a matching csi)."""

    exit_code = ExitCode.USAGE


class Executor(Protocol):
    """Runs independent jobs and returns their results in job order."""

    workers: int
    description: str
    notes: tuple[str, ...]  # what the user should know about where the work ran

    def map(self, fn: Callable, jobs: Sequence, shared: Any = None,
            on_done: Callable[[int], None] | None = None) -> list: ...

    def close(self) -> None: ...


def _threadpools():
    """A fresh view of the thread pools of the libraries loaded now (numpy's BLAS first):
    made when needed rather than once, so a BLAS loaded later is not missed."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - a dependency of scikit-learn, which semopy needs
        return None
    import numpy  # noqa: F401 - loads the BLAS that csi's matrix products use

    return ThreadpoolController()


_BLAS_LOCK = threading.Lock()
_BLAS_HOLDERS = [0, None]  # contexts inside one_blas_thread(), and the limiter they share


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """A context in which this process's BLAS libraries use a single thread (see the module
    doc); a no-op without threadpoolctl. The limit is process-wide, so it is reference-
    counted: nested and concurrent contexts (a segment's bootstrap inside a segment run on
    threads) share it, and the original setting returns when the last one leaves."""
    with _BLAS_LOCK:
        if _BLAS_HOLDERS[0] == 0:
            controller = _threadpools()
            _BLAS_HOLDERS[1] = (None if controller is None else
                                controller.limit(limits=1, user_api="blas"))
        _BLAS_HOLDERS[0] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_HOLDERS[0] -= 1
            if _BLAS_HOLDERS[0] == 0 and _BLAS_HOLDERS[1] is not None:
                _BLAS_HOLDERS[1].restore_original_limits()
                _BLAS_HOLDERS[1] = None


def blas_threads() -> int:
    """The most threads any BLAS library of this process uses (1 if unknown)."""
    controller = _threadpools()
    if controller is None:  # pragma: no cover
        return 1
    counts = [pool.num_threads for pool in controller.lib_controllers
              if pool.user_api == "blas"]
    return max(counts, default=1)


def _call(fn: Callable, shared: Any, job: Any, has_shared: bool):
    return fn(shared, job) if has_shared else fn(job)


class LocalExecutor:
    """Jobs on `workers` threads of this process (in turn when workers is 1).

    numpy releases the GIL inside its array kernels, so threads overlap the heavy part of
    the work; nothing is copied or pickled.
    """

    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))
        self.description = (f"in-process, {self.workers} thread"
                            f"{'s' if self.workers > 1 else ''}")
        self.notes: tuple[str, ...] = ()

    def map(self, fn: Callable, jobs: Sequence, shared: Any = None,
            on_done: Callable[[int], None] | None = None) -> list:
        with one_blas_thread():
            return self._map(fn, list(jobs), shared, on_done)

    def _map(self, fn: Callable, jobs: list, shared: Any,
             on_done: Callable[[int], None] | None) -> list:
        has_shared = shared is not None
        if self.workers == 1 or len(jobs) <= 1:
            results = []
            for position, job in enumerate(jobs):
                results.append(_call(fn, shared, job, has_shared))
                if on_done is not None:
                    on_done(position)
            return results
        results: list = [None] * len(jobs)
        with ThreadPoolExecutor(max_workers=min(self.workers, len(jobs))) as pool:
            futures = {pool.submit(_call, fn, shared, job, has_shared): position
                       for position, job in enumerate(jobs)}
            try:
                for future in as_completed(futures):
                    position = futures[future]
                    results[position] = future.result()
                    if on_done is not None:
                        on_done(position)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return results

    def keep(self, fn: Callable, jobs: Sequence, shared: Any = None) -> list:
        """fn's results, kept here (see the module doc)."""
        return self.map(fn, jobs, shared)

    def map_kept(self, fn: Callable, kept: Sequence, shared: Any = None) -> list:
        """fn(shared, result) for each kept result (fn(result) without `shared`)."""
        return self.map(fn, kept, shared)

    def forget(self, kept: Sequence) -> None:
        """Nothing to free: the results are ordinary objects of this process."""

    def close(self) -> None:
        pass


class DaskExecutor:
    """Jobs on the workers of a running Dask distributed scheduler at `address`.

    The workers need the same csi as this machine (checked on connecting): a different
    version could compute different numbers.
    """

    def __init__(self, address: str):
        distributed = _import_distributed()
        self.address = address
        try:
            self.client = distributed.Client(address, timeout=CONNECT_TIMEOUT,
                                             set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ScaleOutError(
                f"cannot reach the Dask scheduler at {address} ({_reason(exc)}); check the "
                f"address (e.g. tcp://host:8786) and that the scheduler is running, or unset "
                f"{ENVIRONMENT} to run in-process"
            ) from None
        self._distributed = distributed
        try:
            self._check_workers()
        except BaseException:
            self.client.close()
            raise
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.description = f"Dask scheduler {address}, {self.workers} worker thread" + (
            "s" if self.workers > 1 else "")

    def _check_workers(self) -> None:
        try:
            states = self.client.run(_worker_state)
        except Exception as exc:  # noqa: BLE001 - any failure here means unusable workers
            raise ScaleOutError(
                f"the Dask workers at {self.address} cannot run csi ({_reason(exc)}); install "
                f"csi {__version__} on every worker (pip install csi[dask])"
            ) from None
        versions = {worker: state[0] for worker, state in states.items()}
        threads = max((state[1] for state in states.values()), default=1)
        self.notes = () if threads <= 1 else (
            f"the Dask workers use up to {threads} BLAS threads each; results can differ "
            "from an in-process run in the last digits (start the workers with "
            "OMP_NUM_THREADS=1, as Dask's nanny does by default)",)
        if not versions:
            raise ScaleOutError(
                f"the Dask scheduler at {self.address} has no workers; start some "
                "(dask worker ADDRESS) and try again"
            )
        wrong = {worker: version for worker, version in versions.items()
                 if version != __version__}
        if wrong:
            worker, version = sorted(wrong.items())[0]
            raise ScaleOutError(
                f"Dask worker {worker} has csi {version}, this machine csi {__version__}; "
                "install the same csi version on every worker so results match"
            )

    def map(self, fn: Callable, jobs: Sequence, shared: Any = None,
            on_done: Callable[[int], None] | None = None) -> list:
        jobs = list(jobs)
        if not jobs:
            return []
        with one_blas_thread():  # for workers that share this process (processes=False)
            return self._map(fn, jobs, shared, on_done)

    def _submit(self, fn: Callable, jobs: list, shared: Any) -> tuple[list, list, Any]:
        """fn(shared, job) for each job on the workers: (futures, the jobs' references, the
        reference to `shared`).
        The data go to the workers directly, not inside the task graph: `shared` once to
        every worker, each job to one (the scheduler then runs it there, or moves it); jobs
        that are futures kept on the workers stay where they are."""
        has_shared = shared is not None
        shared_ref = (self.client.scatter(shared, broadcast=True, hash=False) if has_shared
                      else None)
        kept_before = all(isinstance(job, self._distributed.Future) for job in jobs)
        refs = jobs if kept_before else self.client.scatter(jobs, hash=False)
        futures = self.client.map(_call, [fn] * len(jobs), [shared_ref] * len(jobs), refs,
                                  [has_shared] * len(jobs), pure=False)
        return futures, refs, shared_ref

    def _map(self, fn: Callable, jobs: list, shared: Any,
             on_done: Callable[[int], None] | None) -> list:
        futures, job_refs, shared_ref = self._submit(fn, jobs, shared)
        position = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in self._distributed.as_completed(futures, loop=self.client.loop):
                if future.status == "error":
                    future.result()  # raises the job's exception here
                if on_done is not None:
                    on_done(position[future.key])
            return self.client.gather(futures)
        except BaseException:
            self.client.cancel(futures)
            raise
        finally:
            self.client.cancel(job_refs + ([shared_ref] if shared_ref is not None else []))

    def keep(self, fn: Callable, jobs: Sequence, shared: Any = None) -> list:
        """fn's results as futures kept in the workers' memory (see the module doc); `jobs`
        may be futures kept before. Raises the first failed job's exception (in job order)."""
        jobs = list(jobs)
        if not jobs:
            return []
        with one_blas_thread():
            futures, _, _ = self._submit(fn, jobs, shared)
            try:
                for _ in self._distributed.as_completed(futures, loop=self.client.loop):
                    pass
                for future in futures:
                    if future.status == "error":
                        future.result()  # raises the first failed job's exception here
            except BaseException:
                self.client.cancel(futures)
                raise
        # the inputs are released when their references go (cancelling them would cancel
        # the futures computed from them too)
        return futures

    def map_kept(self, fn: Callable, kept: Sequence, shared: Any = None) -> list:
        """fn(shared, result) run where each kept result lives; only fn's values come back."""
        kept = list(kept)
        if not kept:
            return []
        with one_blas_thread():
            futures, _, shared_ref = self._submit(fn, kept, shared)
            try:
                return self.client.gather(futures)
            finally:
                self.client.cancel(futures + ([shared_ref] if shared_ref is not None else []))

    def forget(self, kept: Sequence) -> None:
        """Free the workers' memory of kept results (and of results kept from them)."""
        if kept:
            self.client.cancel(list(kept))

    def close(self) -> None:
        self.client.close()


def _worker_state() -> tuple[str, int]:
    """(csi version, BLAS threads) of a worker process."""
    from csi import _version, scale_out  # imported on the worker, by name

    return _version.__version__, scale_out.blas_threads()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ScaleOutError(
            f"--scheduler needs Dask, which is not installed; install it with "
            f"`{INSTALL_HINT}` (or unset {ENVIRONMENT} to run in-process)"
        ) from None
    return distributed


def scheduler_address(scheduler: str | None) -> str | None:
    """The scheduler to use: --scheduler, else DASK_SCHEDULER_ADDRESS, else None (local)."""
    address = scheduler if scheduler else os.environ.get(ENVIRONMENT, "")
    return address.strip() or None


@contextlib.contextmanager
def executor_for(scheduler: str | None = None, workers: int = 1) -> Iterator[Executor]:
    """The executor for a run, closed afterwards: Dask at `scheduler` (or the address in
    DASK_SCHEDULER_ADDRESS) when there is one, else `workers` local threads."""
    address = scheduler_address(scheduler)
    executor: Executor = DaskExecutor(address) if address else LocalExecutor(workers)
    try:
        yield executor
    finally:
        executor.close()


@contextlib.contextmanager
def scheduled(scheduler: str | None = None) -> Iterator[Executor | None]:
    """Send the enclosed library calls' bootstrap chunks to the Dask scheduler at `scheduler`
    (or DASK_SCHEDULER_ADDRESS) when there is one; otherwise change nothing."""
    if scheduler_address(scheduler) is None:
        yield None
        return
    with executor_for(scheduler) as executor, use(executor):
        yield executor


MAP_ABOVE = 1 << 20  # arrays from this size get their own memory mapping (big surveys)
_MAPPED = [False]


def map_large_arrays() -> None:
    """Give every allocation from MAP_ABOVE bytes its own memory mapping, for the rest of
    the process (glibc only; elsewhere nothing changes).

    glibc raises its mmap threshold each time a mapped block is freed (up to 32 MiB), after
    which the column- and block-sized temporaries of a big survey come from the heap, and
    freed heap memory mostly stays with the process: its resident size then grows with the
    temporaries, not with the data it holds. A fixed threshold returns each freed array to
    the system at once (mallopt M_MMAP_THRESHOLD)."""
    if _MAPPED[0]:
        return
    _MAPPED[0] = True
    libc = _libc()
    if libc is not None:
        libc.mallopt(-3, MAP_ABOVE)  # M_MMAP_THRESHOLD (malloc.h)


def release_memory() -> None:
    """Return memory freed by this process to the system: Arrow's pool (which keeps what a
    file read used) and glibc's heap (malloc_trim)."""
    import sys

    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _libc():
    """glibc, when this process runs on it (None elsewhere)."""
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # pragma: no cover
        return None


_ACTIVE: contextvars.ContextVar[Executor | None] = contextvars.ContextVar("csi_executor",
                                                                         default=None)


@contextlib.contextmanager
def use(executor: Executor | None) -> Iterator[Executor | None]:
    """Run the enclosed library calls' bootstrap chunks on `executor` (see module doc)."""
    token = _ACTIVE.set(executor)
    try:
        yield executor
    finally:
        _ACTIVE.reset(token)


def active() -> Executor | None:
    """The executor set by `use()` in this context, if any."""
    return _ACTIVE.get()


__all__ = ["DaskExecutor", "Executor", "LocalExecutor", "ScaleOutError", "active",
           "blas_threads", "executor_for", "map_large_arrays", "one_blas_thread",
           "release_memory", "scheduled", "scheduler_address", "use"]
