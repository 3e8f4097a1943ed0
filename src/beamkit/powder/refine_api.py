"""Refinement-related methods of the powder project classes (GSAS-II scripting names).

P2's ``G2Project``, ``G2PwdrData`` and ``G2Phase`` inherit these mixins; the
methods are filled in by the refinement modules (lsq, recipes, peaks, ...).
"""
from __future__ import annotations

__all__ = ["ProjectRefineMixin", "HistogramRefineMixin", "PhaseRefineMixin"]


class ProjectRefineMixin:
    """Refinement methods of a G2Project (refine, do_refinements, ...)."""


class HistogramRefineMixin:
    """Refinement methods of a G2PwdrData histogram (set_refinements, refine_peaks, ...)."""


class PhaseRefineMixin:
    """Refinement methods of a G2Phase (set_refinements, set_HAP_refinements, ...)."""
