"""Reconstruction engines with ptypy's names: DM, RAAR, EPIE, SDR, ML.

Where beamkit differs from ptypy 0.9 on purpose:

* ePIE's ``alpha`` is the object step and ``beta`` the probe step, as the parameter docs say
  (ptypy's code swaps them; identical when alpha = beta).
* ``subpix``/``subpix_start`` have no effect (as in ptypy): views sit on whole pixels, rounded
  with ptypy's rule round(pos/psize + 1e-5) in the positions' own frame, in a storage sized as
  ptypy sizes it (``models.scanmodel.object_geometry``).
* The DM/RAAR object inertia is ``object_inertia`` × the mean frame power (Σ I per frame), where
  ptypy multiplies by the mean power per detector pixel (N² times less).  The stronger inertia
  keeps barely illuminated object pixels from blowing up: on ptypy's MoonFlower data DM scores
  0.1570-0.1579 and RAAR 0.1608-0.1613 over five starts differing by 1e-7 in the probe, against
  0.175-0.187 (DM) and 0.207-0.210 (RAAR) with ptypy's factor (ptypy: 0.1761 / 0.2098).  With
  ptypy's factor beamkit's DM is ptypy's: pbound, inertias, support, the inner overlap loops and
  the first errors agree with an independent transcription of ptypy's code, and the runs part
  only through float32 FFT rounding, which the modulus step amplifies at pixels where the model
  amplitude is below the FFT's noise floor (the transcription itself spreads 0.175-0.183).
* ML's line-search polynomial is evaluated in float64 (its step rule is ptypy's).
* ``record_local_error`` stores the per-view error triples in each ``iter_info`` entry.
* ePIE and SDR draw their view order from ``numpy.random.default_rng(seed)``; ``seed`` is an
  engine parameter outside ptypy's tree with default 0, so runs repeat exactly (``None``: fresh
  entropy, as ptypy).
* ML's ``smooth_gradient`` filter is ptypy's (scipy's reflecting Gaussian, truncated at 4σ),
  evaluated by FFT on the mirrored array.

Far-field propagation as ptypy's: its propagator multiplies the exit wave by the sample-plane
phase exp(iπ(x² + y²)/(λz)) before the FFT (x, y from pixel N//2). beamkit's far-field propagator
is the plain unitary FFT, so the engines carry P·curve internally (no cost per iteration) and the
probe storages keep ptypy's P (``base.farfield_curve``). Started from ptypy's initial probe on its
MoonFlower data this takes SDR from 0.2924 to 0.2873 (ptypy 0.2876-0.289).

Kept as ptypy does it, although the parameter docs suggest otherwise: ePIE and SDR do not apply
``probe_support``/``probe_fourier_support`` (ptypy's stochastic engines never call the support
constraint, and ptypy's ePIE/SDR results on its MoonFlower data are for an unconstrained probe).
"""
from .base import BaseEngine
from .projectional import DM, RAAR
from .stochastic import EPIE, SDR

from .ml import ML
from .opr import DMOPR, MLOPR

ENGINES = {c.__name__: c for c in (DM, RAAR, EPIE, SDR, ML, DMOPR, MLOPR)}


def make_engine(name, ptycho_or_blocks, pars=None, **kw):
    """Engine by ptypy name; an unknown name lists the known ones."""
    from ...errors import ParameterError
    if name not in ENGINES:
        raise ParameterError("engines.*.name", "one of " + ", ".join(ENGINES), name,
                             message=f"engine {name!r} is not known; known engines: " + ", ".join(ENGINES))
    return ENGINES[name](ptycho_or_blocks, pars, **kw)


__all__ = ["BaseEngine", "ENGINES", "make_engine"] + list(ENGINES)
