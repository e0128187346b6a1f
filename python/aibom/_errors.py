"""The exceptions of the aibom API: each is a reason the ``aibom`` command exits 2."""

from __future__ import annotations

from typing import Any, Dict, Optional


class AibomError(Exception):
    """aibom could not do its job (the command line exits 2).

    ``str(error)`` is the message the command line prints after ``aibom: error:``.
    """


class UsageError(AibomError, ValueError):
    """An option value the command line refuses (a bad severity, glob or shard, options that
    exclude each other), before any file is read."""


class InputError(AibomError, OSError):
    """A path is missing, is not what it should be (a directory, a regular file) or cannot
    be read."""


class UnreadableFilesError(AibomError):
    """The run finished, but some files could not be read, so the result is incomplete (the
    command line prints it and exits 2).

    ``result`` is what the command line printed, as a dict; ``result["summary"]["unreadable"]``
    counts the files (``scan``)."""

    def __init__(self, message: str, result: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.result = result
