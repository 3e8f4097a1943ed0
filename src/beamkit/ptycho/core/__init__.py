"""Reconstruction storage: Storage, Container, batched Views and PodTable (the engines' layout),
and ptypy's per-view objects View and POD (:mod:`.pods`, built from the batched layout).

``View`` here is ptypy's facade view (as ``from ptypy.core import View``); the engines' one-row
view of a :class:`Views` table is ``BatchView`` (``core.storage.View``).
"""
from .storage import Storage, Container, Views, PodTable, View as BatchView
from .pods import Base, View, POD, DEFAULT_ACCESSRULE, pods_of, exit_container, attach

__all__ = ["Storage", "Container", "Views", "View", "BatchView", "PodTable", "Base", "POD", "DEFAULT_ACCESSRULE",
           "pods_of", "exit_container", "attach"]
