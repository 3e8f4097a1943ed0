"""``flex``: DIALS/cctbx array names (``flex.int``, ``flex.double``, ``flex.histogram``,
``flex.reflection_table``, ``flex.shoebox`` ...) over numpy."""
from __future__ import annotations

from .flex_arrays import (FlexArray, bool, double, float, grid, histogram, int, int6,  # noqa: A004
                          mat3_double, miller_index, size_t, std_string, uint8, vec2_double, vec3_double, wrap)
from .reflection_table import ReflectionTable as reflection_table
from .shoebox import Shoebox, ShoeboxColumn as shoebox

__all__ = ["FlexArray", "bool", "double", "float", "grid", "histogram", "int", "int6", "mat3_double",
           "miller_index", "size_t", "std_string", "uint8", "vec2_double", "vec3_double", "wrap",
           "reflection_table", "shoebox", "Shoebox"]
