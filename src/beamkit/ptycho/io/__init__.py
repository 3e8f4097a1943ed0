"""Input/output with ptypy's names (``ptypy.io``): ``from beamkit.ptycho.io import h5read, interaction``.

``h5write``, ``h5append``, ``h5read``, ``h5info`` and ``h5options`` read and write ptypy's typed
HDF5 layout (the ``.ptyr`` writer of :mod:`beamkit.ptycho.io_ptyr`); ``jwrite``/``jread`` the
same variables as JSON (:mod:`.json_rw`); ``image_read`` loads an image of any supported file
(:mod:`.image_read`: EDF via ``edfread`` (:mod:`.edfIO`), FLI ``.raw`` via ``rawread``
(:mod:`.rawIO`), ``.h5``, and PNG/TIFF/... via ``imread`` (:mod:`.imageIO`));
``interaction`` is the interaction server and client (:mod:`beamkit.ptycho.interaction`).
"""
from . import edfIO, imageIO, interaction, json_rw, rawIO  # noqa: F401  (ptypy.io.<module> names)
from .edfIO import edfread
from .h5rw import h5append, h5info, h5options, h5read, h5write
from .image_read import image_read
from .json_rw import jread, jwrite

__all__ = ["h5write", "h5append", "h5read", "h5info", "h5options", "jwrite", "jread", "image_read", "edfread",
           "interaction"]
