"""Orthogonal probe relaxation (OPR): ptypy's custom engines DMOPR and MLOPR, on OPRModel scans.

An OPRModel scan has one probe per position (frames × probe modes layers). After each probe
update (DMOPR, inside the overlap loop) or each iteration (MLOPR) the whole probe ensemble is
projected onto its ``subspace_dim`` principal components (1 before ``subspace_start``), and
the modes, coefficients and probes are left in ``Ptycho.runtime['OPR_modes' | 'OPR_coeffs' |
'OPR_allprobes']`` at the end, keyed by probe storage, as ptypy's engines do.

DMOPR's per-position probe step is ptypy's augmented-space update, pod by pod:
P ← (P + IP·O*·ψ) / (|O|² + IP) with IP = ``IP_metric``; then the projection, then the probe
support.

One deliberate difference: ptypy's ``reduce_dimension`` asks scipy's ``eigsh`` for the
``dim + 2`` largest eigenvectors of the ensemble's Gram matrix and keeps the first ``dim``
columns, which eigsh returns in ascending order, so it projects onto the ``dim`` *smallest* of
them (for a nearly identical start ensemble: onto noise). beamkit keeps the ``dim`` leading
components, which is what the method (Odstrčil et al., Opt. Express 24 (2016) 8360) and the
parameter doc describe.
"""
from __future__ import annotations

import numpy as np

from .kernels import gather, pods_object
from .ml import ML
from .projectional import DM

__all__ = ["DMOPR", "MLOPR", "reduce_dimension"]

OPR_MODELS = ("OPRModel", "BlockOPRModel")


def reduce_dimension(P, dim: int, xp=np):
    """Project the probe ensemble ``P`` (n, Mp, Ny, Nx) onto its ``dim`` leading components.

    The layers (frame-major, probe mode minor, as ptypy's layer index frame·Mp + mode) are the
    rows of A; with the Gram matrix G = conj(A)·Aᵀ and its leading eigenvectors V (L, dim),
    modes = Vᵀ·A and the projection is conj(V)·modes. Returns (projected P, modes (dim, Ny, Nx),
    coefficients conj(V) (L, dim)).
    """
    n, Mp = P.shape[:2]
    A = P.reshape(n * Mp, -1)
    dim = int(max(1, min(dim, A.shape[0])))
    A2 = A.astype(np.complex128)
    G = A2.conj() @ A2.T
    w, V = xp.linalg.eigh(G)                       # ascending
    V = V[:, ::-1][:, :dim].astype(A.dtype)
    modes = V.T @ A
    coeffs = V.conj()
    return (coeffs @ modes).reshape(P.shape), modes.reshape((dim,) + P.shape[2:]), coeffs


class _OPRMixin:
    SUPPORTED_MODELS = OPR_MODELS

    def _subspace(self, i, P):
        """The OPR projection of the probes of state ``i`` (records modes and coefficients)."""
        dim = 1 if self.curiter < int(self.p["subspace_start"]) else int(self.p["subspace_dim"])
        newP, modes, coeffs = reduce_dimension(P, dim, self.xp)
        name = self.states[i].blk.probe.ID
        self.opr_modes[name], self.opr_coeffs[name] = modes, coeffs
        return newP

    def _opr_start(self):
        self.opr_modes, self.opr_coeffs = {}, {}
        if self.ptycho is not None:
            self.ptycho.runtime["OPR_allprobes"] = None

    def _opr_finish(self):
        if self.ptycho is None:
            return
        to = self.be.to_numpy
        allp = {st.blk.probe.ID: to(st.P).reshape((-1,) + tuple(st.P.shape[-2:])) for st in self.states}
        self.ptycho.runtime["OPR_modes"] = {k: to(v) for k, v in self.opr_modes.items()}
        self.ptycho.runtime["OPR_coeffs"] = {k: to(v) for k, v in self.opr_coeffs.items()}
        self.ptycho.runtime["OPR_allprobes"] = allp


class DMOPR(_OPRMixin, DM):
    """Difference map with one probe per position and the OPR subspace constraint (``IP_metric``,
    ``subspace_dim``, ``subspace_start``)."""

    DEFAULTS = dict(DM.DEFAULTS, IP_metric=1.0, subspace_dim=1, subspace_start=0)

    def engine_prepare(self):
        super().engine_prepare()
        if not hasattr(self, "opr_modes"):
            self._opr_start()

    def probe_update(self, i, st):
        st.num_ready = False
        ip = float(self.p["IP_metric"])
        P = st.P.copy()

        def part(s, e):                                                       # frames s..e, pod by pod, as ptypy
            Ok = pods_object(gather(st.O, st.flat[s:e], st.corners[s:e]), st.om)     # (e - s, K, Ny, Nx)
            for k in range(st.K):
                m, O = int(st.pm[k]), Ok[:, k]
                P[s:e, m] = (P[s:e, m] + ip * O.conj() * st.psi[s:e, k]) / (O.real ** 2 + O.imag ** 2 + ip)
        st.runner.map(part)
        P = self._subspace(i, P)
        return self.accept_probe(st, self.apply_probe_support(i, P.astype(self.cdt)))

    def engine_finalize(self):
        super().engine_finalize()
        self._opr_finish()


class MLOPR(_OPRMixin, ML):
    """Maximum likelihood with one probe per position and the OPR subspace projection after each
    iteration (``subspace_dim``, ``subspace_start``)."""

    DEFAULTS = dict(ML.DEFAULTS, subspace_dim=1, subspace_start=0)

    def engine_prepare(self):
        super().engine_prepare()
        if not hasattr(self, "opr_modes"):
            self._opr_start()

    def engine_iterate(self, num=1):
        err = super().engine_iterate(num)
        for i, st in enumerate(self.states):                 # ptypy's _post_iterate_update
            st.P = self._subspace(i, st.P).astype(self.cdt)
        return err

    def engine_finalize(self):
        super().engine_finalize()
        self._opr_finish()
