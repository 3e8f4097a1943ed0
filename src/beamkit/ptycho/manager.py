"""ptypy's ``P.model`` (``ModelManager``), its scans and their geometries (``Geo``), as views of
beamkit's batched scan blocks; and ``Bibliography`` (``P.citations``).

``P.model.scans['MF'].geometries[0]`` answers ptypy's questions about a scan's geometry
(``resolution``, ``psize``, ``lam``, ``energy``, ``distance``, ``shape``, ``lz``) and its
``propagator`` propagates one 2-d frame in ptypy's convention: exit wave in the sample plane
(centred frame) to a centred detector frame, ptypy's far-field phase factor included. Nothing
here is copied: the facade reads the blocks the engines work on, so it follows live data.
"""
from __future__ import annotations

import numpy as np

from .models.propagation import FramePropagator, frame_propagator
from .utils import Param
from .utils_misc import Bibliography, JournalArticle

GeoPropagator = FramePropagator          # the name this module used first

__all__ = ["ModelManager", "ScanFacade", "Geo", "GeoPropagator", "Bibliography", "JournalArticle",
           "ENGINE_ARTICLES", "PTYPY_ARTICLE"]

_KEV2M = 1.2398419843320026e-9


# ---------------------------------------------------------------------------- geometry
class Geo:
    """ptypy's ``Geo`` for one energy of a scan (read-only here: beamkit fixes the geometry when
    the data are loaded). Lengths in m, energy in keV; ``resolution``/``psize``/``shape`` are
    2-vectors, as ptypy's."""

    def __init__(self, blk, index: int = 0, factor: float = 1.0, dtype=np.complex64):
        meta = blk.meta
        self._blk = blk
        self.index = int(index)
        r = max(int(getattr(blk, "resample", 1)), 1)
        self._propagator = frame_propagator(blk, self.index, dtype)
        sub = self._propagator.prop
        kind = "nearfield" if sub.kind == "nearfield" else "farfield"
        energy = float(meta.get("energy", 7.2)) * float(factor)
        self.p = Param(energy=energy, lam=_KEV2M / energy, distance=float(meta.get("distance", 7.19)),
                       psize=np.broadcast_to(np.asarray(meta.get("psize", 172e-6), float), (2,)) / r,
                       resolution=np.asarray(blk.obj.psize, float).copy(), shape=np.asarray(blk.shape, int),
                       propagation=kind, resample=r, center="fftshift", origin="fftshift",
                       misfit=np.asarray(getattr(sub, "crop_pad", (0, 0)), float))

    energy = property(lambda self: self.p.energy, doc="photon energy (keV)")
    lam = property(lambda self: self.p.lam, doc="wavelength (m)")
    distance = property(lambda self: self.p.distance, doc="sample-detector distance (m)")
    psize = property(lambda self: self.p.psize, doc="detector pixel (m, 2)")
    resolution = property(lambda self: self.p.resolution, doc="sample-plane pixel (m, 2)")
    shape = property(lambda self: self.p.shape, doc="frame shape (px, 2)")
    propagation = property(lambda self: self.p.propagation, doc="'farfield' or 'nearfield'")
    propagator = property(lambda self: self._propagator, doc="the propagator (fw/bw on frames)")

    @property
    def lz(self) -> float:
        """wavelength × distance (m²)."""
        return self.p.lam * self.p.distance

    def __str__(self):
        return "".join("%25s : %s\n" % (k, self.p[k]) for k in sorted(self.p))

    def __repr__(self):
        return (f"Geo({self.propagation}, E={self.energy:.4g} keV, z={self.distance:.4g} m, "
                f"shape={self.shape.tolist()}, resolution={self.resolution.tolist()})")


# ---------------------------------------------------------------------------- scans
class ScanFacade:
    """ptypy's scan model object for one scan: ``label``, ``p``, ``ptyscan`` (the data loader),
    ``geometries`` (one :class:`Geo` per energy), ``diff``/``mask`` storages, ``positions``;
    ``block`` (beamkit's ScanBlock) and ``model`` (beamkit's scan model) as extras."""

    def __init__(self, ptycho, label):
        self.ptycho = ptycho
        self.label = label
        self._geo_key = None
        self._geos = []

    @property
    def block(self):
        for b in self.ptycho.blocks:
            if b.label == self.label:
                return b
        raise KeyError(self.label)

    @property
    def model(self):
        return self.ptycho.models.get(self.label)

    @property
    def p(self):
        return (self.ptycho.p.get("scans") or {}).get(self.label)

    @property
    def name(self):
        return getattr(self.block, "model_name", None)

    @property
    def ptyscan(self):
        return self.ptycho.scans.get(self.label)

    @property
    def geometries(self) -> list:
        blk = self.block
        key = (id(blk.prop), id(blk.obj), blk.meta.get("energy"))
        if key != self._geo_key:                 # rebuilt only when the block's geometry changes
            subs = getattr(blk.prop, "props", None)
            en = (self.model._energies(blk.resample) if self.model is not None and subs is not None else None) or [1.0]
            ct = getattr(self.ptycho, "CType", np.complex64)
            self._geos = [Geo(blk, i, f, ct) for i, f in enumerate(en)]
            self._geo_key = key
        return self._geos

    @property
    def diff(self):
        return self.ptycho.diff.S.get(self.block.obj.ID)

    @property
    def mask(self):
        return self.ptycho.mask.S.get(self.block.obj.ID)

    Cdiff = property(lambda self: self.ptycho.diff)
    Cmask = property(lambda self: self.ptycho.mask)

    @property
    def shape(self):
        return np.asarray(self.block.shape, int)

    @property
    def psize(self):
        return self.geometries[0].psize

    @property
    def positions(self):
        """View coordinates (n, 2) in m."""
        return self.block.views.coords.copy()

    def __repr__(self):
        return f"ScanFacade({self.label!r}, model={self.name})"


class ModelManager:
    """ptypy's ``P.model``: ``scans`` (label -> scan object, in load order), ``ptycho``, ``p``."""

    def __init__(self, ptycho):
        self.ptycho = ptycho
        self._scans: dict = {}

    @property
    def p(self):
        return self.ptycho.p.get("scans")

    @property
    def scans(self) -> dict:
        labels = [b.label for b in self.ptycho.blocks]
        for lab in labels:
            if lab not in self._scans:
                self._scans[lab] = ScanFacade(self.ptycho, lab)
        return {lab: self._scans[lab] for lab in labels}

    def new_data(self):
        """Load (level < 2) or poll for new frames, as ptypy's; returns ``ptycho.new_data``."""
        P = self.ptycho
        if P.level < 2:
            P.init_data()
        else:
            P._poll_data()
        return P.new_data

    def __repr__(self):
        return f"ModelManager(scans={list(self.scans)})"


# ---------------------------------------------------------------------------- citations
PTYPY_ARTICLE = dict(title="A computational framework for ptychographic reconstructions",
                     author="Enders B. and Thibault P.", journal="Proc. Royal Soc. A", volume=472, year=2016,
                     page=20160640, doi="10.1098/rspa.2016.0640", comment="The Ptypy framework")

_DM = [dict(title="Probe retrieval in ptychographic coherent diffractive imaging",
            author="Thibault P., Dierolf M., Bunk O., Menzel A. and Pfeiffer F.", journal="Ultramicroscopy",
            volume=109, year=2009, page=338, doi="10.1016/j.ultramic.2008.12.011",
            comment="The difference map reconstruction algorithm")]
_ML = [dict(title="Maximum-likelihood refinement for coherent diffractive imaging",
            author="Thibault P. and Guizar-Sicairos M.", journal="New Journal of Physics", volume=14, year=2012,
            page=63004, doi="10.1088/1367-2630/14/6/063004", comment="The maximum likelihood reconstruction algorithm")]
_EPIE = [dict(title="An improved ptychographical phase retrieval algorithm for diffractive imaging",
              author="Maiden A. and Rodenburg J.", journal="Ultramicroscopy", volume=109, year=2009, page=1256,
              doi="10.1016/j.ultramic.2009.05.012", comment="The ePIE reconstruction algorithm")]
_SDR = [dict(title="Semi-implicit relaxed Douglas-Rachford algorithm (sDR) for ptychography",
             author="Pham et al.", journal="Opt. Express", volume=27, year=2019, page=31246,
             doi="10.1364/OE.27.031246", comment="The semi-implicit relaxed Douglas-Rachford reconstruction algorithm")]
_RAAR = [dict(title="Relaxed averaged alternating reflections for diffraction imaging", author="Luke D. R.",
              journal="Inverse Problems", volume=21, year=2005, page=37, doi="10.1088/0266-5611/21/1/004",
              comment="The relaxed averaged alternating reflections reconstruction algorithm")]
_OPR = [dict(title="Ptychographic coherent diffractive imaging with orthogonal probe relaxation",
             author="Odstrcil M. et al.", journal="Opt. Express", volume=24, year=2016, page=8360,
             doi="10.1364/OE.24.008360", comment="Orthogonal probe relaxation")]

_POSREF = [dict(title="An annealing algorithm to correct positioning errors in ptychography",
                author="Maiden A. M. et al.", journal="Ultramicroscopy", volume=120, year=2012, page=64,
                doi="10.1016/j.ultramic.2012.06.001", comment="Position refinement")]

#: articles each engine adds to ``P.citations`` when it is created (ptypy's engines do the same)
ENGINE_ARTICLES = {"DM": _DM, "RAAR": _RAAR, "ML": _ML, "EPIE": _EPIE, "ePIE": _EPIE, "SDR": _SDR, "DMOPR": _DM + _OPR,
                   "MLOPR": _ML + _OPR, "position_refinement": _POSREF}
