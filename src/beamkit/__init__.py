"""beamkit: one scripting toolkit for X-ray sources and microscopes.

Faces (each a drop-in for a well-known program's scripting interface):

* :mod:`beamkit.powder`      – GSAS-II's GSASIIscriptable
* :mod:`beamkit.image`       – GSAS-II's image scripting (G2Image)
* :mod:`beamkit.reflections` – DIALS' reflection tables and ``flex``
* :mod:`beamkit.ptycho`      – ptypy
* :mod:`beamkit.microscope`  – Abberior Imspector's SpecPy

All of them are built on :mod:`beamkit.core`.
"""
from .errors import BeamkitError, FormatError, ParameterError  # noqa: F401

__version__ = "0.1.0"
FACES = ("powder", "image", "reflections", "ptycho", "microscope")
