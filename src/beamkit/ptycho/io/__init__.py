"""Input/output with ptypy's names (``ptypy.io``): ``from beamkit.ptycho.io import h5read, interaction``.

``h5write``, ``h5append``, ``h5read``, ``h5info`` and ``h5options`` read and write ptypy's typed
HDF5 layout (the ``.ptyr`` writer of :mod:`beamkit.ptycho.io_ptyr`); ``interaction`` is the
interaction server and client (:mod:`beamkit.ptycho.interaction`).
"""
from . import interaction
from .h5rw import h5append, h5info, h5options, h5read, h5write

__all__ = ["h5write", "h5append", "h5read", "h5info", "h5options", "interaction"]
