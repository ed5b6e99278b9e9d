"""Errors a user can cause and fix: the CLI prints them as one line and exits non-zero.

Anything else that escapes is a bug in nasbench and keeps its traceback.
"""


class NasbenchError(Exception):
    """Base class for problems with the user's input, data or files."""


class InvalidArchitecture(NasbenchError, ValueError):
    """An architecture string or value that does not belong to its search space."""


class UnknownName(NasbenchError, ValueError):
    """A space, strategy or other registered name that is not registered."""


class InvalidOption(NasbenchError, ValueError):
    """An option outside its allowed range, or one the chosen component does not take."""


class DataError(NasbenchError):
    """A dataset or benchmark table that is missing or malformed."""


class ResultsError(NasbenchError):
    """A results folder that is missing, incomplete or corrupt."""


class StorageError(NasbenchError):
    """A file or folder that cannot be read or written: permissions, a full or read-only disk, an
    immutable or read-only file. The message names the path and the cause."""


class CandidateFailed(Exception):
    """Raised by an evaluator when a candidate cannot be trained (e.g. its loss diverged).

    The search records the trial as failed with this message and goes on.
    """
