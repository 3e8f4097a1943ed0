"""Reflection tables with DIALS' names (``flex``, ``reflection_table``, ``MaskCode``).

``from beamkit.reflections import flex, MaskCode`` replaces DIALS' imports in scripts.
"""
from __future__ import annotations

from . import flex
from .flags import Flags, MaskCode
from .io_expt import ExperimentListFactory, read_expt, write_expt
from .models import Experiment, ExperimentList
from .reflection_table import ReflectionTable
from .shoebox import Shoebox, ShoeboxColumn

__all__ = ["flex", "MaskCode", "Flags", "ReflectionTable", "Shoebox", "ShoeboxColumn", "Experiment",
           "ExperimentList", "ExperimentListFactory", "read_expt", "write_expt"]
