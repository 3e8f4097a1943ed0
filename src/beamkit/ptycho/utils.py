"""ptypy-style utilities (``from beamkit.ptycho import utils as u``)."""
from __future__ import annotations

from ..core.params import Param

__all__ = ["Param"]
