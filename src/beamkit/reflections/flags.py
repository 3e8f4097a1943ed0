"""DIALS reflection flags (bit values of the uint64 ``flags`` column) and shoebox mask codes."""
from __future__ import annotations

import enum

__all__ = ["Flags", "MaskCode"]


class Flags(enum.IntFlag):
    """``flex.reflection_table.flags``: DIALS' bit values (bit 4 unused)."""

    predicted = 1
    observed = 2
    indexed = 4
    used_in_refinement = 8
    strong = 32
    reference_spot = 64
    dont_integrate = 128
    integrated_sum = 256
    integrated_prf = 512
    integrated = 768
    overloaded = 1024
    overlapped_bg = 2048
    overlapped_fg = 4096
    in_powder_ring = 8192
    foreground_includes_bad_pixels = 16384
    background_includes_bad_pixels = 32768
    includes_bad_pixels = 49152
    bad_shoebox = 64512
    bad_spot = 64512
    used_in_modelling = 65536
    centroid_outlier = 131072
    failed_during_background_modelling = 262144
    failed_during_summation = 524288
    failed_during_profile_fitting = 1048576
    bad_reference = 2097152
    user_excluded_in_scaling = 4194304
    outlier_in_scaling = 8388608
    excluded_for_scaling = 16777216
    bad_for_scaling = 29360128
    excluded_for_refinement = 33554432
    scaled = 67108864
    not_suitable_for_refinement = 134217728
    bad_for_refinement = 167903232


class MaskCode(enum.IntFlag):
    """Shoebox pixel mask bits (``dials.algorithms.shoebox.MaskCode``)."""

    Valid = 1
    Background = 2
    Foreground = 4
    Strong = 8
    BackgroundUsed = 16
    Overlapped = 32


#: Single-bit flag names in bit order (for summaries).
SINGLE_FLAGS = [f for f in Flags if f.value and (f.value & (f.value - 1)) == 0]
