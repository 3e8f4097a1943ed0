"""Settings of the microscope face on the parameter tree: the simulated sample and the server.

The ``Simulator`` section of the simulated Imspector's hardware tree is made
from ``TREE["simulator"]`` defaults, and every change to it is validated
here (types and ranges), so ``im.set_parameters("Simulator/time_scale", -1)``
fails with the allowed range in the message.
"""
from __future__ import annotations

from ..core.params import DescriptorTree
from ..errors import ParameterError

__all__ = ["TREE", "simulator_defaults", "check_simulator"]

TREE = DescriptorTree("microscope")
TREE.declare("simulator", help="The simulated sample and scanner behind Imspector()")
TREE.declare("simulator.seed", type="int", default=7, help="Random seed of the sample and the shot noise")
TREE.declare("simulator.n_beads", type="int", default=400, lowlim=0, uplim=100000,
             help="Fluorescent beads in the sample (red dye, excited at 640 nm)")
TREE.declare("simulator.n_filaments", type="int", default=40, lowlim=0, uplim=10000,
             help="Filaments in the sample (orange dye, excited at 561 nm)",
             doc="Each filament is a smooth random curve as long as the field, sampled every 20 nm.")
TREE.declare("simulator.field", type="float", default=4e-5, lowlim=1e-7, uplim=1e-2,
             help="Edge of the square sample area centred on 0 (m)")
TREE.declare("simulator.brightness", type="float", default=1e8, lowlim=0.0,
             help="Peak photon rate of a bead at 100 % excitation (photons/s)")
TREE.declare("simulator.background", type="float", default=2e4, lowlim=0.0,
             help="Uniform background rate (photons/s per pixel)")
TREE.declare("simulator.sted_saturation", type="float", default=2.0, lowlim=1e-6,
             help="STED power (% of maximum) that halves the fluorescence, sets the resolution gain",
             doc="The lateral PSF width shrinks by sqrt(1 + P/P_sat).")
TREE.declare("simulator.time_scale", type="float", default=1.0, lowlim=0.0, uplim=1000.0,
             help="Real time spent per scanned line, as a multiple of dwell time x pixels",
             doc="0 scans as fast as the computer allows; 1 takes the time a real scan would.")
TREE.declare("server", help="The SpecPy wire-protocol server (beamkit microscope serve)")
TREE.declare("server.host", type="str", default="127.0.0.1", help="Interface to bind; loopback by default")
TREE.declare("server.port", type="int", default=12345, lowlim=0, uplim=65535,
             help="TCP port (0 = any free port); SPEC_SERVER_PORT overrides the default")


def simulator_defaults() -> dict:
    """The default ``Simulator`` settings as a plain dict."""
    return dict(TREE.make_default("simulator"))


def check_simulator(values: dict) -> None:
    """Raise RuntimeError (SpecPy style) listing every bad simulator setting."""
    try:
        TREE.validate(values, root="simulator")
    except ParameterError as exc:
        raise RuntimeError(f"Invalid argument for parameter 'Simulator': {exc}") from None
