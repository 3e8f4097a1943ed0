"""Microscope control and OBF/MSR files with Imspector SpecPy's names.

``from beamkit.microscope import *`` gives ``File``, ``Stack`` and the type
constants; the simulated microscope (``Imspector``) is added by the modules
that implement it.
"""
from .file import File
from .stack import Stack

UInt8, Int8, UInt16, Int16, UInt32, Int32 = 1, 2, 4, 8, 16, 32
Float32, Float64, Complex32, Complex64 = 64, 128, 0x40000040, 0x40000080

__all__ = ["File", "Stack", "UInt8", "Int8", "UInt16", "Int16", "UInt32", "Int32",
           "Float32", "Float64", "Complex32", "Complex64"]
