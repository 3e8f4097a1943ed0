"""Ptychographic reconstruction with ptypy's names (``Ptycho``, ``utils.Param``).

``from beamkit.ptycho import Ptycho, utils as u`` then ``Ptycho(p, level=5)``.
"""
from . import utils
from .utils import Param

__all__ = ["Ptycho", "utils", "Param", "load_run", "plot", "io"]


def __getattr__(name):  # lazy: importing the face stays cheap
    if name == "Ptycho":
        from .ptycho import Ptycho
        return Ptycho
    if name == "load_run":
        from .ptycho import Ptycho
        return Ptycho.load_run
    if name == "io":
        import importlib
        return importlib.import_module(".io", __name__)
    if name == "plot":
        from .plot import plot
        return plot
    raise AttributeError(name)
