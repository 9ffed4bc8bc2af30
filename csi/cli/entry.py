"""The `csi` console script: catches Ctrl-C even while the command line is still loading."""

import os
import sys

# The variables that set the thread count of the BLAS libraries numpy may be built with.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                         "VECLIB_MAXIMUM_THREADS")


def one_blas_thread(environ=os.environ) -> None:
    """Give numpy's BLAS one thread unless the user chose a count (these or OMP_NUM_THREADS).

    csi runs jobs in parallel, never a matrix product (csi.scale_out); a second BLAS thread
    only spins between csi's small products, which costs CPU time without saving any
    (a 500-respondent fit's process used about 0.3 s more CPU with it). Set before numpy
    loads, as the libraries read the variables once."""
    if not any(name in environ for name in (*BLAS_THREAD_VARIABLES, "OMP_NUM_THREADS")):
        for name in BLAS_THREAD_VARIABLES:
            environ[name] = "1"


def main() -> None:
    one_blas_thread()
    try:
        from csi.cli.main import main as run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    run()
