"""The `csi` console script: catches Ctrl-C even while the command line is still loading."""

import sys


def main() -> None:
    try:
        from csi.cli.main import main as run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    run()
