"""Reflection tables with DIALS' names (``flex``, ``reflection_table``, ``MaskCode``)."""
