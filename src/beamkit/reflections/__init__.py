"""Reflection tables with DIALS' names (``flex``, ``reflection_table``, ``MaskCode``).

``from beamkit.reflections import flex, MaskCode`` replaces DIALS' imports in scripts.
"""
from __future__ import annotations

from . import flex
from .flags import Flags, MaskCode
from .reflection_table import ReflectionTable
from .shoebox import Shoebox, ShoeboxColumn

__all__ = ["flex", "MaskCode", "Flags", "ReflectionTable", "Shoebox", "ShoeboxColumn"]
