"""Reconstruction engines with ptypy's names: DM, RAAR, EPIE, SDR, ML."""
from .base import BaseEngine
from .projectional import DM, RAAR
from .stochastic import EPIE, SDR

ENGINES = {c.__name__: c for c in (DM, RAAR, EPIE, SDR)}
try:
    from .ml import ML
    ENGINES["ML"] = ML
except ImportError:  # pragma: no cover - during development
    pass


def make_engine(name, ptycho_or_blocks, pars=None, **kw):
    """Engine by ptypy name; an unknown name lists the known ones."""
    from ...errors import ParameterError
    if name not in ENGINES:
        raise ParameterError("engines.*.name", "one of " + ", ".join(ENGINES), name,
                             message=f"engine {name!r} is not known; known engines: " + ", ".join(ENGINES))
    return ENGINES[name](ptycho_or_blocks, pars, **kw)


__all__ = ["BaseEngine", "ENGINES", "make_engine"] + list(ENGINES)
