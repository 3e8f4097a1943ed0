"""Powder diffraction with GSAS-II's scripting names (``import beamkit.powder as G2sc``)."""
from __future__ import annotations

import platform
import sys

from ..core.log import set_print_level as _set_print_level
from .histogram import G2PwdrData
from .phase import G2AtomRecord, G2Phase
from .project import G2Project

__all__ = ["G2Project", "G2PwdrData", "G2Phase", "G2AtomRecord", "GenerateReflections",
           "SetPrintLevel", "ShowVersions", "LoadDictFromProjFile", "SaveDictToProjFile",
           "G2ScriptException", "G2Image", "G2SeqRefRes"]

from ..errors import BeamkitError as _BeamkitError


class G2ScriptException(_BeamkitError):
    """Raised for scripting errors that GSAS-II reports as G2ScriptException."""


def SetPrintLevel(level: str = "all") -> None:
    """'all', 'warn', 'error' or 'none' (GSAS-II's levels) mapped onto beamkit's logger."""
    mapping = {"all": "info", "warn": "warn", "warnings": "warn", "error": "error", "none": "none"}
    lvl = mapping.get(str(level).lower(), str(level).lower())
    _set_print_level(lvl)


def ShowVersions() -> str:
    """Versions of Python, numpy, scipy, gemmi, h5py and beamkit, as text."""
    import numpy
    import scipy
    lines = [f"  Python      {platform.python_version()}:  from {sys.executable}",
             f"  numpy       {numpy.__version__}", f"  scipy       {scipy.__version__}"]
    for mod in ("gemmi", "h5py"):
        try:
            m = __import__(mod)
            lines.append(f"  {mod:<11} {getattr(m, '__version__', '?')}")
        except ImportError:  # pragma: no cover
            lines.append(f"  {mod:<11} not installed")
    try:
        from importlib.metadata import version
        lines.append(f"  beamkit     {version('beamkit')}")
    except Exception:  # pragma: no cover
        pass
    return "\n".join(lines)


def GenerateReflections(spcGrp, cell, Qmax=None, dmin=None, TTmax=None, wave=None):
    """Unique powder reflections [[h, k, l, d], …] (d in Å) for a space-group symbol and cell.

    The limit is ``dmin`` (Å), ``Qmax`` (Å⁻¹, Q = 2π/d) or ``TTmax`` (2θ, °) with ``wave`` (Å).
    """
    from .reflections import generate_reflection_list
    return generate_reflection_list(spcGrp, cell, Qmax=Qmax, dmin=dmin, TTmax=TTmax, wave=wave)


def LoadDictFromProjFile(ProjFile):
    """(data dict, names) of a project file, as GSAS-II's function returns them."""
    from .io_project import load_project
    data = load_project(ProjFile)
    names = [[k] + ([s for s in data[k] if s != "data"] if isinstance(data[k], dict) else [])
             for k in data]
    return data, names


def SaveDictToProjFile(Project, nameList, ProjFile):
    """Write a project dict (as from LoadDictFromProjFile) to an HDF5 project file."""
    from .io_project import save_project
    save_project(Project, ProjFile)


def __getattr__(name):
    """Names that live in other parts, imported on first use (no import cycles)."""
    if name == "G2Image":
        from ..image.g2image import G2Image
        return G2Image
    if name == "G2SeqRefRes":
        from .sequential import G2SeqRefRes
        return G2SeqRefRes
    raise AttributeError(f"module 'beamkit.powder' has no attribute {name!r}")
