"""Settings of the powder face on the parameter tree: GSAS-II's refinement Controls.

The keys under ``Controls`` are spelled exactly as GSAS-II stores them in the project's
``Controls`` entry (``'max cyc'``, ``'min dM/M'``, ``'shift factor'``, ``'SVDtol'`` …); the
limits follow the ranges GSAS-II's own controls window accepts.  ``G2Project.set_Controls``
validates through :data:`TREE`, so a bad value raises a ParameterError naming the control and
the allowed range.  ``SCRIPT_NAMES`` maps the scripting names (``'cycles'``, ``'seqCopy'`` …)
to the stored keys.
"""
from __future__ import annotations

from ..core.params import DescriptorTree, Param

__all__ = ["TREE", "SCRIPT_NAMES", "check_control", "control_default"]

TREE = DescriptorTree("powder")
TREE.declare("Controls", help="Refinement controls of a project (GSAS-II's 'Controls' entry)")
_C = "Controls."
TREE.declare(_C + "max cyc", type="int", default=3, lowlim=0, uplim=10000,
             help="Maximum least-squares cycles per refinement (0: compute only)")
TREE.declare(_C + "min dM/M", type="float", default=0.001, lowlim=1e-9, uplim=1.0,
             help="Convergence: stop when the relative change of chi-squared falls below this")
TREE.declare(_C + "shift factor", type="float", default=1.0, lowlim=1e-5, uplim=100.0,
             help="Multiplier applied to every computed parameter shift")
TREE.declare(_C + "SVDtol", type="float", default=1e-6, lowlim=1e-9, uplim=0.01,
             help="Relative singular-value cut-off of the pseudo-inverse of the normal matrix")
TREE.declare(_C + "deriv type", type="str", default="analytic Hessian",
             choices=["analytic Hessian", "analytic Jacobian", "Hessian SVD", "numeric"],
             help="Minimiser variant (all run the Levenberg-Marquardt normal equations here)")
TREE.declare(_C + "Marquardt", type="int", default=-3, choices=[-6, -5, -4, -3, -2, -1],
             help="log10 of the Marquardt lambda tried first when a cycle raises chi-squared")
TREE.declare(_C + "ShowCell", type="bool", default=False,
             help="Sequential results table: show the cell of each histogram")
TREE.declare(_C + "F**2", type="bool", default=False, help="Single-crystal refinement on F² (unused for powders)")
TREE.declare(_C + "Copy2Next", type="bool", default=False,
             help="Sequential refinement: start each histogram from the previous one's result")
TREE.declare(_C + "Reverse Seq", type="bool", default=False,
             help="Sequential refinement: process the histograms in reverse order")
TREE.declare(_C + "Seq Data", type="list", default=[],
             help="Sequential refinement: names of the histograms to refine, in order")
TREE.declare(_C + "newLeBail", type="bool", default=False,
             help="Extract LeBail intensities afresh before the first cycle")
TREE.declare(_C + "Author", type="str", default="no name", help="Author recorded in the project")
TREE.declare(_C + "max Hprocess", type="int", default=1, lowlim=1, uplim=256,
             help="Processes for histogram computations")
TREE.declare(_C + "max Rprocess", type="int", default=1, lowlim=1, uplim=256,
             help="Processes for reflection computations")
TREE.declare(_C + "parmMinDict", type="dict", default={},
             help="Lower bounds of variables ({'p:h:name': value})")
TREE.declare(_C + "parmMaxDict", type="dict", default={},
             help="Upper bounds of variables ({'p:h:name': value})")
TREE.declare(_C + "parmFrozen", type="dict", default={},
             help="Variables frozen at a bound during a refinement (written by the refinement)")
TREE.declare(_C + "seq scheduler", type=["str", "None"], default=None,
             help="Dask scheduler address for independent sequential fits (None: local processes)")

#: scripting name (``set_Controls``/``get_Controls``) -> key in the Controls entry
SCRIPT_NAMES = {"cycles": "max cyc", "sequential": "Seq Data", "seqCopy": "Copy2Next",
                "Reverse Seq": "Reverse Seq", "scheduler": "seq scheduler"}


def check_control(key: str, value) -> None:
    """Validate one Controls value (stored key, e.g. 'max cyc'); raises ParameterError naming it."""
    TREE.validate(Param({"Controls": {key: value}}))


def control_default(key: str):
    """The declared default of a Controls key."""
    return TREE["Controls." + key].default
