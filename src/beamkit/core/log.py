"""One logger for beamkit, a print level GSAS-II's ``SetPrintLevel`` maps to, and tqdm progress."""
from __future__ import annotations

import logging
import os
import sys

from ..errors import ParameterError

__all__ = ["logger", "get_logger", "set_print_level", "get_print_level", "progress"]

logger = logging.getLogger("beamkit")
if not logger.handlers:
    _h = logging.StreamHandler(sys.stderr)
    _h.setFormatter(logging.Formatter("%(levelname)s beamkit: %(message)s"))
    logger.addHandler(_h)
    logger.setLevel(logging.WARNING)
    logger.propagate = False

_LEVELS = {
    "none": logging.CRITICAL + 10,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "all": logging.DEBUG,
    "debug": logging.DEBUG,
}


def get_logger(name: str | None = None) -> logging.Logger:
    """Child logger ``beamkit.<name>`` (or the root beamkit logger)."""
    return logger if not name else logger.getChild(name)


def set_print_level(level: str = "info") -> None:
    """Set how much beamkit prints: 'none', 'error', 'warn', 'info' or 'debug'."""
    key = str(level).lower()
    if key not in _LEVELS:
        raise ParameterError("print level", "one of " + ", ".join(sorted(set(_LEVELS))), level)
    logger.setLevel(_LEVELS[key])


def get_print_level() -> str:
    """The current print level name."""
    lvl = logger.level
    for name in ("none", "error", "warn", "info", "debug"):
        if _LEVELS[name] == lvl:
            return name
    return "info"


def _quiet() -> bool:
    if os.environ.get("BEAMKIT_PROGRESS", "").lower() in ("1", "true", "yes"):
        return False
    if logger.level > logging.WARNING:
        return True
    try:
        return not sys.stderr.isatty()
    except (AttributeError, ValueError):
        return True


def progress(iterable=None, *, total=None, desc=None, disable=None, **kw):
    """A tqdm progress bar that is silent when stderr is not a terminal or printing is off."""
    from tqdm.auto import tqdm

    if disable is None:
        disable = _quiet()
    return tqdm(iterable, total=total, desc=desc, disable=disable, **kw)
