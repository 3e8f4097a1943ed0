"""The beamkit exception hierarchy.

Every error a user can provoke with bad input is one of these, and its
message names the file, line, key or parameter involved and what was expected.
"""
from __future__ import annotations

__all__ = [
    "BeamkitError", "FormatError", "ParameterError", "ParameterIssue",
    "RemoteError", "AccessDenied", "BatchError", "RefinementError",
]


class BeamkitError(Exception):
    """Base class of every beamkit error."""


class FormatError(BeamkitError, ValueError):
    """A file does not follow its format.

    path: the file; line: 1-based line number (text files) or None;
    offset: byte offset (binary files) or None; key: the node or record inside
    the file (HDF5 path, ...) or None; expected: what the reader wanted to see;
    got: what it found.
    """

    def __init__(self, message: str = "", *, path=None, line=None, offset=None,
                 expected=None, got=None, key=None):
        self.path = None if path is None else str(path)
        self.line = line
        self.offset = offset
        self.key = key
        self.expected = expected
        self.got = got
        where = []
        if self.path is not None:
            where.append(self.path)
        if line is not None:
            where.append(f"line {line}")
        if offset is not None:
            where.append(f"byte {offset}")
        if key is not None:
            where.append(f"key {key}")
        parts = [", ".join(where) + ":" if where else "", message]
        if expected is not None:
            parts.append(f"expected {expected}")
        if got is not None:
            parts.append(f"got {got!r}")
        super().__init__(" ".join(p for p in parts if p).strip())


class ParameterIssue:
    """One bad entry in a parameter tree: dotted path, what was expected, what was given."""

    __slots__ = ("path", "expected", "got", "message")

    def __init__(self, path: str, expected: str = "", got=None, message: str = ""):
        self.path, self.expected, self.got, self.message = path, expected, got, message

    def __str__(self):
        s = f"{self.path}: "
        if self.message:
            s += self.message
            if self.expected:
                s += f"; expected {self.expected}"
        else:
            s += f"expected {self.expected}"
        if self.got is not None or not self.message:
            s += f", got {self.got!r}"
        return s

    def __repr__(self):
        return f"ParameterIssue({str(self)!r})"


class ParameterError(BeamkitError, ValueError, KeyError):
    """One or more parameters are wrong.

    ``issues`` lists every bad entry (a :class:`ParameterIssue` each) so a
    user sees all problems at once.  For a single issue the attributes
    ``path``, ``expected`` and ``got`` are set directly too.
    """

    def __init__(self, path_or_issues="", expected: str = "", got=None, message: str = ""):
        if isinstance(path_or_issues, (list, tuple)):
            self.issues = list(path_or_issues)
        else:
            self.issues = [ParameterIssue(str(path_or_issues), expected, got, message)]
        first = self.issues[0] if self.issues else ParameterIssue("", "")
        self.path, self.expected, self.got = first.path, first.expected, first.got
        if len(self.issues) == 1:
            text = str(first)
        else:
            text = f"{len(self.issues)} bad parameters:\n" + "\n".join(f"  {i}" for i in self.issues)
        Exception.__init__(self, text)

    def __str__(self):  # KeyError would otherwise quote the message
        return self.args[0] if self.args else ""


class RemoteError(BeamkitError, RuntimeError):
    """A remote call failed on the server; carries the server's error type and message."""

    def __init__(self, message: str, remote_type: str = "RuntimeError"):
        self.remote_type = remote_type
        super().__init__(f"{remote_type}: {message}")


class AccessDenied(RemoteError):
    """A remote call named something the server does not expose, or the token was wrong."""

    def __init__(self, message: str):
        super().__init__(message, "AccessDenied")


class BatchError(BeamkitError, RuntimeError):
    """A task of a parallel batch failed; names the input (index and repr) that failed."""

    def __init__(self, index: int, item, cause: BaseException):
        self.index, self.item, self.cause = index, item, cause
        r = repr(item)
        if len(r) > 200:
            r = r[:197] + "..."
        super().__init__(f"input #{index} ({r}) failed: {type(cause).__name__}: {cause}")


class RefinementError(BeamkitError, RuntimeError):
    """A least-squares refinement diverged or produced NaN."""
