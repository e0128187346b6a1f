"""The ``aibom`` console script: the same command line as the cargo-built binary, run
in-process."""

from __future__ import annotations

import signal
import sys
from typing import NoReturn

from . import _native


def main() -> NoReturn:
    """Runs ``aibom`` with ``sys.argv`` and exits with its exit code."""
    # Ctrl-C ends the run as it ends the binary: Python's own handler would only be called
    # once the native code returns.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(_native.main(["aibom", *sys.argv[1:]]))
