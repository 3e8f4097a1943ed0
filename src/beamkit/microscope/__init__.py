"""Microscope control and OBF/MSR files with Imspector SpecPy's names.

``from beamkit.microscope import *`` gives ``Imspector`` (a simulated
microscope, or a proxy to a server), ``File``, ``Stack``, the value-tree and
signal enums and the OBF type constants, so SpecPy scripts run unchanged.
"""
from .acquisition import Future
from .file import File
from .imspector import (VERSION, Imspector, MeasurementResult, MeasurementSignal, MeasurementStartFlags,
                        Value, ValueTree, get_application, get_imspector)
from .measurement import Configuration, Measurement
from .stack import Stack

UInt8, Int8, UInt16, Int16, UInt32, Int32 = 1, 2, 4, 8, 16, 32
Float32, Float64, Complex32, Complex64 = 64, 128, 0x40000040, 0x40000080
__version__ = VERSION

__all__ = ["Imspector", "get_application", "get_imspector", "File", "Stack", "Measurement", "Configuration",
           "Value", "ValueTree", "Future", "MeasurementSignal", "MeasurementStartFlags", "MeasurementResult",
           "UInt8", "Int8", "UInt16", "Int16", "UInt32", "Int32", "Float32", "Float64", "Complex32", "Complex64"]
