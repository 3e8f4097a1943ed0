"""ptypy-style utilities (``from beamkit.ptycho import utils as u``)."""
from __future__ import annotations

try:
    from ..core.params import Param
except ImportError:  # pragma: no cover - until core.params lands
    from ..core.params_value import Param

__all__ = ["Param"]
