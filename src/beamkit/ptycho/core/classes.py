"""ptypy's module name ``ptypy.core.classes``: Base, Container, Storage, View, POD, DEFAULT_ACCESSRULE."""
from .pods import DEFAULT_ACCESSRULE, POD, Base, View
from .storage import Container, Storage

#: ptypy's defaults: pixel size (m) and storage shape
DEFAULT_PSIZE = 1.0
DEFAULT_SHAPE = (1, 1, 1)

__all__ = ["Container", "Storage", "View", "POD", "Base", "DEFAULT_PSIZE", "DEFAULT_SHAPE", "DEFAULT_ACCESSRULE"]
