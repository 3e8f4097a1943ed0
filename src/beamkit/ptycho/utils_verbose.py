"""``u.verbose``: ptypy's verbosity module on beamkit's logger.

``set_level(n | name)``, ``get_level('num' | 'str')``, ``log(level, msg, parallel=False)``,
``report(thing, depth=4, noheader=False)`` and ``logger``.  ptypy's levels: 0 critical,
1 error, 2 warning, 3 info, 4 inspect, 5 debug.
"""
from __future__ import annotations

import logging
import numbers
import time
from collections.abc import Mapping

import numpy as np

from ..core.log import get_logger, logger as _root, set_print_level
from ..errors import ParameterError

__all__ = ["logger", "set_level", "get_level", "log", "report", "INSPECT", "LINEMAX"]

INSPECT = 15
LINEMAX = 80
logger = get_logger("ptycho")

_BY_NUMBER = {0: logging.CRITICAL, 1: "error", 2: "warn", 3: "info", 4: "info", 5: "debug"}
# ptypy's named levels; 'interactive' (35: errors and interactive lines) and 'citation' (45:
# critical messages and citation reports) sit between the standard ones, as in ptypy
_BY_NAME = {"critical": logging.CRITICAL, "none": "none", "error": "error", "warning": "warn", "warn": "warn",
            "info": "info", "inspect": "info", "interactive": 35, "citation": 45, "detail": "debug",
            "debug": "debug"}
_LOGGING_FROM_VERBOSITY = {0: logging.CRITICAL, 1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO,
                           4: INSPECT, 5: logging.DEBUG}
_NAME_FROM_VERBOSITY = {0: "CRITICAL", 1: "ERROR", 2: "WARNING", 3: "INFO", 4: "INSPECT", 5: "DEBUG"}


def set_level(level):
    """Print level from ptypy's numbers (0 critical .. 5 debug) or names ('info', 'warning',
    'interactive', 'citation', ...)."""
    if isinstance(level, numbers.Integral) and not isinstance(level, bool):
        key = _BY_NUMBER.get(int(min(max(level, 0), 5)))
    else:
        key = _BY_NAME.get(str(level).lower())
    if key is None:
        raise ParameterError("verbose_level", "0-5 or one of " + ", ".join(sorted(_BY_NAME)), level)
    if isinstance(key, int):
        _root.setLevel(key)
    else:
        set_print_level(key)


def get_level(num_or_string="num"):
    """The print level as ptypy's number 0-5 (``'num'``) or name ('CRITICAL' .. 'DEBUG').

    beamkit has no separate 'inspect' level: after ``set_level(4)`` this gives 3 ('INFO').
    """
    lvl = _root.level
    if lvl > logging.ERROR:
        n = 0
    elif lvl > logging.WARNING:
        n = 1
    elif lvl > logging.INFO:
        n = 2
    elif lvl > INSPECT:
        n = 3
    elif lvl > logging.DEBUG:
        n = 4
    else:
        n = 5
    return n if num_or_string == "num" else _NAME_FROM_VERBOSITY[n]


def log(level, msg, parallel=False):
    """Log ``msg`` at ptypy verbosity ``level`` (0-5); ``parallel`` is accepted (one process)."""
    if isinstance(level, bool) or not isinstance(level, numbers.Integral) or int(level) not in _LOGGING_FROM_VERBOSITY:
        raise ParameterError("level", "a verbosity level 0-5", level)
    logger.log(_LOGGING_FROM_VERBOSITY[int(level)], msg)


def report(thing, depth=4, noheader=False):
    """A text report of ``thing`` (Param/dict, list, array, scalar) down to ``depth`` levels, as
    ptypy's ``verbose.report``: one line per entry, arrays as shape and dtype."""
    indent, maxchar, hn, star = report.indent, report.maxchar, report.headernewline, report.asterisk
    header = "\n---- Process #0 ---- " + time.asctime() + " -----\n"

    def _(label, level, obj):
        pre = " " * indent * level + star + " "
        extra = type(obj).__name__
        pre += str(label) if label is not None else "id" + np.base_repr(id(obj), base=32)
        if len(pre) >= 25:
            pre = pre[:21] + "... "
        return "%-25s:" % pre, extra

    def _format_dict(label, level, obj):
        head, extra = _(label, level, obj)
        head += " %s(%d)" % (extra, len(obj)) + hn
        if level <= depth:
            for k, v in list(obj.items()):
                head += _format(k, level + 1, v)
        return head

    def _format_iterable(label, level, lst):
        head, extra = _(label, level, lst)
        head += " %s(%d)" % (extra, len(lst))
        string = str(lst)
        if len(string) <= maxchar - 25 or level >= depth:
            return head + "= " + string + hn
        head += hn
        for v in list(lst)[:5]:
            head += _format(None, level + 1, v)
        return head + _("...", level + 1, " ")[0] + " ....\n"

    def _format_other(label, level, obj):
        head, extra = _(label, level, obj)
        head += (" " + str(obj)) if np.isscalar(obj) else (" " + extra + " = " + str(obj))
        return head[:maxchar] + "\n"

    def _format_numpy(label, level, a):
        head, _extra = _(label, level, a)
        if a.ndim == 1 and len(a) < 5:
            return head + " [array = " + str(a.ravel()) + "]\n"
        return head + " [" + "x".join(str(s) for s in a.shape) + " " + str(a.dtype) + " array]\n"

    def _format(label, level, obj):
        if isinstance(obj, Mapping):
            return _format_dict(label, level, obj)
        if isinstance(obj, np.ndarray):
            return _format_numpy(label, level, obj)
        if isinstance(obj, str):
            return _format_other(label, level, obj)
        if obj is None:
            return _(label, level, obj)[0] + " None\n"
        if np.iterable(obj) and hasattr(obj, "__len__"):
            return _format_iterable(label, level, obj)
        return _format_other(label, level, obj)

    body = _format(None, 0, thing)
    return body if noheader else header + body


report.indent = 2
report.level = 0
report.maxchar = LINEMAX
report.headernewline = "\n"
report.asterisk = "*"
