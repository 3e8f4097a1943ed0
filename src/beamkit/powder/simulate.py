"""Simulated powder histograms (GSAS-II's add_simulated_powder_histogram)."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from . import model

__all__ = ["add_simulated", "simulation_grid"]


def simulation_grid(tof: bool, Tmin: float, Tmax: float, Tstep=None, Npoints=None) -> np.ndarray:
    """x grid of a simulated histogram: 2θ (degrees, linear) or TOF (µs from ms, log-spaced, bin centres).

    CW: ``Npoints`` points from Tmin to Tmax, or a step ``Tstep`` (default 2500 points).
    TOF: N points Tmin·exp(i·ln(Tmax/Tmin)/N) moved to bin centres (N − 1 points remain).
    """
    if not (np.isfinite(Tmin) and np.isfinite(Tmax)) or Tmax <= Tmin:
        raise ParameterError("Tmin/Tmax", "Tmin < Tmax", (Tmin, Tmax))
    if tof:
        if Tmin <= 0:
            raise ParameterError("Tmin", "a positive TOF in ms", Tmin)
        t0, t1 = 1000.0 * Tmin, 1000.0 * Tmax
        if Tstep is not None:
            n = int(np.log(t1 / t0) / float(Tstep)) if Tstep < 1 else int(np.log(t1 / t0) / np.log1p(Tstep / t0))
        else:
            n = int(Npoints or 2500)
        if n < 3:
            raise ParameterError("Npoints", "at least 3 points", n)
        s = np.log(t1 / t0) / n
        x = t0 * np.exp(s * np.arange(n))
        return x[:-1] + np.diff(x) / 2.0
    if Tmin <= 0 or Tmax >= 180:
        raise ParameterError("Tmin/Tmax", "2θ limits between 0 and 180 degrees", (Tmin, Tmax))
    if Tstep is not None:
        if Tstep <= 0:
            raise ParameterError("Tstep", "a positive step in degrees", Tstep)
        n = int(round((Tmax - Tmin) / Tstep)) + 1
        return Tmin + Tstep * np.arange(n)
    n = int(Npoints or 2500)
    if n < 2:
        raise ParameterError("Npoints", "at least 2 points", n)
    return np.linspace(Tmin, Tmax, n)


def add_simulated(project, histname, iparams, Tmin, Tmax, Tstep=None, wavelength=None, scale=None,
                  phases=None, ibank=None, Npoints=None, noise_seed=None):
    """Add a dummy histogram for simulation; y_obs is filled at the first calculation.

    Like GSAS-II, sets the project's ``max cyc`` to 0 so that ``do_refinements()`` computes only.

    ``noise_seed``: None (default) fills y_obs with GSAS-II-style Poisson noise from seed 0;
    an int picks the seed; False leaves y_obs = y_calc (no noise).
    """
    from .readers import read_instrument
    if isinstance(iparams, dict):
        rd = {"inst": dict(iparams), "sample": {}}
    else:
        rd = read_instrument(iparams, bank=ibank)
    inst = model.make_inst_dict(rd["inst"])
    if wavelength is not None:
        key = "Lam" if "Lam" in inst else "Lam1"
        if key not in inst:
            raise ParameterError("wavelength", "a CW instrument", wavelength)
        inst[key] = [float(wavelength), float(wavelength), False]
    tof = inst["Type"][1][2] == "T"
    x = simulation_grid(tof, float(Tmin), float(Tmax), Tstep, Npoints)
    sample = model.default_sample_parameters("Debye-Scherrer", 100000.0 if scale is None else float(scale))
    for k, v in rd["sample"].items():
        if k != "Type":
            sample[k] = v
    h = project._add_pwdr_arrays(histname, x, np.zeros(x.size), np.ones(x.size), inst=inst, sample=sample,
                                 phases=phases if phases is not None else [], dummy=True)
    project.data["Controls"]["data"]["max cyc"] = 0     # as GSAS-II: a refinement just computes the pattern
    info = h.data["data"][0]
    info["noise_seed"] = None if noise_seed is False else (0 if noise_seed is None else int(noise_seed))
    return h
