"""Engine base class: parameters, per-scan device state, supports, errors and the iteration loop.

Engines follow ptypy's life cycle ``initialize() -> prepare() -> iterate(n) ... -> finalize()``
and record ``{iteration, iterations, numiter, engine, duration, error}`` per iteration,
where ``error`` is the mean (Fourier, Photons, Exit) triple over views.
"""
from __future__ import annotations

import copy
import time

import numpy as np

from ...core.log import get_logger
from ...errors import ParameterError
from ..models.propagation import farfield_curve, get_backend
from .kernels import RowBlockCSR, gather, shift_frames, support_mask

__all__ = ["BaseEngine", "EngineState", "BASE_DEFAULTS", "POSREF_DEFAULTS", "merge", "farfield_curve", "posref_conf"]

log = get_logger("ptycho.engines")

POSREF_DEFAULTS = dict(method="Annealing", start=None, stop=None, interval=1, nshifts=4, amplitude=1e-6,
                       amplitude_decay=True, max_shift=2e-6, metric="fourier", record=False)

BASE_DEFAULTS = dict(name="BaseEngine", numiter=20, numiter_contiguous=1, probe_support=0.7,
                     probe_fourier_support=None, record_local_error=False)


def merge(base: dict, user) -> dict:
    """Deep merge of ``user`` over ``base`` (one rule everywhere); returns a new dict."""
    out = copy.deepcopy(dict(base))
    for k, v in dict(user or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def posref_conf(user, tree=None):
    """Position-refinement settings from the user's ``position_refinement`` entry, or None if off.

    ptypy's rule: True switches it on from iteration 0; a Param switches it on only with ``start`` or
    ``stop`` set (``start`` then defaults to 0). A Param that changes settings but has neither is off,
    as in ptypy, and says so in the log. ``tree`` is the engine's resolved entry (defaults filled).
    """
    if user is None or user is False or (isinstance(user, dict) and not user):
        return None
    conf = merge(merge(POSREF_DEFAULTS, tree if isinstance(tree, dict) else {}), {} if user is True else user)
    if user is not True and conf.get("start") is None and conf.get("stop") is None:
        if any(POSREF_DEFAULTS.get(k, object()) != v for k, v in dict(user).items()):
            log.warning("position_refinement is given without start or stop, so it is off (as in ptypy); "
                        "set start=0 to refine positions")
        return None
    if conf.get("start") is None:
        conf["start"] = 0
    return conf


def _plain(d):
    return {k: (_plain(v) if isinstance(v, dict) else v) for k, v in dict(d).items()}


def _tree_defaults(name):
    """Defaults for engine ``name`` from the face's parameter tree (empty if it is not declared there)."""
    try:
        from ..params import defaults
        return _plain(defaults(f"engine.{name}"))
    except Exception:
        return {}


class EngineState:
    """Device arrays of one scan block for one engine."""

    def __init__(self, blk, be, real_dtype, cplx_dtype):
        xp = be.xp
        self.blk = blk
        self.diff = xp.asarray(blk.diff, real_dtype)
        self.mask = xp.asarray(blk.mask, real_dtype)
        self.fmag = xp.sqrt(xp.abs(self.diff))         # ptypy: sqrt(|I|)
        c = farfield_curve(blk, cplx_dtype)
        self.curve = None if c is None else xp.asarray(c)
        self.P = xp.asarray(blk.probe_array(), cplx_dtype)
        if self.curve is not None:          # the probe as the plain-FFT propagator sees it
            self.P = self.P * self.curve
        self.O = xp.asarray(blk.obj.data, cplx_dtype)
        self.flat = xp.asarray(blk.views.flat)
        self.corners = np.asarray(blk.views.corners)
        self.A = RowBlockCSR(blk.views.scatter_matrix()) if be.name == "numpy" else None
        self.pidx = xp.asarray(blk.pods.probe_index)
        self.pm = blk.pods.probe_modes
        self.om = blk.pods.object_modes
        self.K = blk.pods.K
        self.n = blk.n
        self.ex = None
        self.csum = None          # CornerSum of the view layout (DM/RAAR), rebuilt when views move
        self.err = np.zeros((blk.n, 3))

    def refresh_views(self, be):
        self.flat = be.xp.asarray(self.blk.views.flat)
        self.corners = np.asarray(self.blk.views.corners)
        self.A = RowBlockCSR(self.blk.views.scatter_matrix()) if be.name == "numpy" else None
        self.csum = None

    def obj_views(self):
        return gather(self.O, self.flat, self.corners)


class BaseEngine:
    """Common machinery; subclasses implement ``engine_prepare/engine_iterate/engine_finalize``."""

    DEFAULTS = BASE_DEFAULTS
    SUPPORTED_MODELS = ("Full", "Vanilla", "BlockFull", "BlockVanilla", "OPRModel", "BlockOPRModel")
    posref_per_view = False      # True: the engine refines positions itself, view by view (stochastic)

    def __init__(self, ptycho_or_blocks, pars=None, backend="numpy", precision="single", user_pars=None):
        name = type(self).__name__
        defaults = merge(merge(BASE_DEFAULTS, self.DEFAULTS), _tree_defaults(name))
        defaults["name"] = name
        self._user_pars = dict(pars or {}) if user_pars is None else dict(user_pars)
        self.p = merge(defaults, dict(pars or {}))
        self.p["name"] = name
        self._check_pars()
        if hasattr(ptycho_or_blocks, "blocks"):
            self.ptycho = ptycho_or_blocks
            self.blocks = list(ptycho_or_blocks.blocks)
        else:
            self.ptycho = None
            self.blocks = list(ptycho_or_blocks)
        self.be = get_backend(backend)
        self.xp = self.be.xp
        self.rdt = np.float32 if precision == "single" else np.float64
        self.cdt = np.complex64 if precision == "single" else np.complex128
        self.curiter = 0
        self.alliter = 0           # continues the Ptycho's count in initialize(), as ptypy's
        self.numiter = int(self.p["numiter"])
        self.iter_info: list = []
        self.states: list[EngineState] = []
        self.posref = None
        self.benchmark = dict(engine_init=0.0, engine_prepare=0.0, engine_iterate=0.0, engine_finalize=0.0)

    def _check_pars(self):
        p = self.p
        if int(p["numiter"]) < 0:
            raise ParameterError(f"engine.{p['name']}.numiter", "integer >= 0", p["numiter"])
        if int(p["numiter_contiguous"]) < 1:
            raise ParameterError(f"engine.{p['name']}.numiter_contiguous", "integer >= 1", p["numiter_contiguous"])
        clip = p.get("clip_object")
        if clip is not None:
            try:
                lo, hi = (float(v) for v in clip)
            except (TypeError, ValueError):
                raise ParameterError(f"engine.{p['name']}.clip_object", "(min, max) amplitudes", clip) from None
            if not 0 <= lo <= hi:
                raise ParameterError(f"engine.{p['name']}.clip_object", "0 <= min <= max", clip)

    # life cycle ------------------------------------------------------------
    def initialize(self):
        t0 = time.perf_counter()
        self.curiter = 0                       # as ptypy: every initialize starts the count anew
        if self.ptycho is not None:
            info = self.ptycho.runtime.get("iter_info") or []
            self.alliter = int(info[-1]["iterations"]) if info else 0
        for blk in self.blocks:
            model = getattr(blk, "model_name", None)
            if model is not None and model not in self.SUPPORTED_MODELS:
                raise ParameterError(f"scans.{blk.label}.name",
                                     f"a model supported by {type(self).__name__}: " + ", ".join(self.SUPPORTED_MODELS), model)
        self.states = [EngineState(b, self.be, self.rdt, self.cdt) for b in self.blocks]
        self._supports()
        self._setup_posref()
        self.benchmark["engine_init"] += time.perf_counter() - t0

    def prepare(self):
        t0 = time.perf_counter()
        for st in self.states:  # new data may have arrived
            if st.n != st.blk.n:
                st.__init__(st.blk, self.be, self.rdt, self.cdt)
        self.engine_prepare()
        self.benchmark["engine_prepare"] += time.perf_counter() - t0

    def refresh(self):
        """Rebuild device state after the blocks changed (new frames); takes P and O from the storages
        (call ``_sync_to_storages`` before changing the blocks)."""
        self.states = [EngineState(b, self.be, self.rdt, self.cdt) for b in self.blocks]
        self._supports()
        self.engine_prepare()

    @property
    def finished(self) -> bool:
        return self.curiter >= self.numiter

    def iterate(self, num=None):
        """Run one block of ``num`` iterations (default ``numiter_contiguous``) and record it, as
        ptypy's ``BaseEngine.iterate``: one ``iter_info`` entry per block (its duration, the last
        iteration's errors), not clipped at ``numiter`` (5 iterations in blocks of 2 end at 6).
        Returns the last error triple; nothing once the engine has finished."""
        if self.finished:
            return None
        num = max(int(num or self.p["numiter_contiguous"]), 1)
        t0 = time.perf_counter()
        err = None
        for _ in range(num):
            err = self.engine_iterate(1)
            if self.posref is not None and not self.posref_per_view:
                self.posref.maybe_update(self, self.curiter)
            self.curiter += 1
            self.alliter += 1
        dt = time.perf_counter() - t0
        self.benchmark["engine_iterate"] += dt
        info = dict(iteration=self.curiter, iterations=self.alliter, numiter=self.numiter,
                    engine=type(self).__name__, duration=dt, error=np.asarray(err, float))
        self.iter_info.append(info)
        if self.p.get("record_local_error"):
            info["local_error"] = {st.blk.label: np.asarray(st.err, float).copy() for st in self.states}
        if self.ptycho is not None:
            self.ptycho.runtime.setdefault("iter_info", []).append(info)
            self.ptycho.runtime["iterations"] = self.ptycho.runtime.get("iterations", 0) + num
        log.info("%s iteration %d/%d  Errors :: Fourier %.2e, Photons %.2e, Exit %.2e",
                 type(self).__name__, self.curiter, self.numiter, *np.asarray(err, float))
        self._sync_to_storages()
        return err

    def finalize(self):
        t0 = time.perf_counter()
        self.engine_finalize()
        self._sync_to_storages()
        if self.posref is not None and self.ptycho is not None and self.posref.record:
            self.ptycho.runtime["positions"] = {st.blk.obj.ID: st.blk.views.coords.copy() for st in self.states}
        self.benchmark["engine_finalize"] += time.perf_counter() - t0

    def run(self, progress=False):
        """initialize, prepare, iterate to numiter, finalize; returns the iter_info list."""
        from ...core.log import progress as _progress
        self.initialize()
        self.prepare()
        steps = range(0, self.numiter, int(self.p["numiter_contiguous"]))
        for _ in (_progress(steps, desc=type(self).__name__) if progress else steps):
            self.iterate()
        self.finalize()
        return self.iter_info

    # to override -------------------------------------------------------------
    def engine_prepare(self):
        pass

    def engine_iterate(self, num):  # pragma: no cover - abstract
        raise NotImplementedError

    def engine_finalize(self):
        pass

    # shared helpers ------------------------------------------------------------
    def _sync_to_storages(self):
        for st in self.states:
            P = self.be.to_numpy(st.P if st.curve is None else st.P * st.curve.conj())
            st.blk.probe.data[...] = P.reshape(st.blk.probe.data.shape)
            st.blk.obj.data[...] = self.be.to_numpy(st.O)

    def _supports(self):
        xp = self.xp
        self.support = []
        for st in self.states:
            sh = st.P.shape[-2:]
            s = self.p.get("probe_support")
            fs = self.p.get("probe_fourier_support")
            self.support.append((support_mask(sh, float(s), False, xp) if s is not None else None,
                                 support_mask(sh, float(fs), True, xp) if fs is not None else None))

    def apply_probe_support(self, i, P):
        real, four = self.support[i]
        if four is not None:       # on the probe in ptypy's convention (the curve does not commute)
            c = self.states[i].curve if i < len(self.states) else None
            if c is None:
                P = self.be.ifft2(self.be.fft2(P) * four)
            else:
                P = self.be.ifft2(self.be.fft2(P * c.conj()) * four) * c
        if real is not None:
            P = P * real
        return P

    def clip_object(self, O):
        clip = self.p.get("clip_object")
        if clip is None:
            return O
        xp = self.xp
        lo, hi = (float(v) for v in clip)          # checked in _check_pars
        a = xp.abs(O)
        phase = xp.where(a > 0, O / xp.maximum(a, 1e-30), 1.0)       # exp(i·angle(O)); angle(0) = 0 (ptypy)
        return xp.where(a > hi, hi * phase, xp.where(a < lo, lo * phase, O)).astype(O.dtype)

    def pbound(self, st):
        fpb = self.p.get("fourier_power_bound")
        if fpb is not None:
            return float(fpb)
        frf = self.p.get("fourier_relax_factor")
        if frf is None:
            return None
        npix = st.diff.shape[-1] * st.diff.shape[-2]
        return 0.25 * float(frf) ** 2 * float(st.blk.max_power()) / npix

    def center_probe(self, st):
        """Move the probe's intensity centre to the frame centre N//2 when it is ``probe_center_tol`` px
        or more away, shifting probe, object and exit waves alike (ptypy's center_probe: a cubic-spline
        shift with zero fill, in ptypy's probe convention)."""
        tol = self.p.get("probe_center_tol")
        if tol is None:
            return
        xp = self.xp
        from ..utils import mass_center
        I = self.be.to_numpy((xp.abs(st.P) ** 2).sum(axis=(0, 1))).astype(float)
        d = np.asarray(I.shape) // 2 - mass_center(I)
        if np.hypot(*d) < float(tol):
            return
        c = st.curve
        st.P = shift_frames(st.P if c is None else st.P * c.conj(), d)
        st.P = st.P if c is None else st.P * c
        st.O = shift_frames(st.O, d)
        for name in ("ex", "exbuf"):           # the stored exit waves follow (ptypy shifts pod.exit)
            ex = getattr(st, name, None)
            if ex is None:
                continue
            detector = name == "ex" and getattr(self, "exits_in_detector_space", False)
            psi = st.blk.prop.bw(ex, 1) if detector else ex
            psi = shift_frames(psi if c is None else psi * c.conj(), d)
            psi = psi if c is None else psi * c
            setattr(st, name, (st.blk.prop.fw(psi, 1) if detector else psi).astype(ex.dtype))
        log.info("probe re-centred by (%.2f, %.2f) px", d[0], d[1])

    def _setup_posref(self):
        conf = posref_conf(self._user_pars.get("position_refinement"), self.p.get("position_refinement"))
        if conf is None:
            return
        from .posref import PositionRefinement
        # reproducible like the engines' view order: its own stream of the engine's seed (None: fresh)
        conf = dict(conf, seed=self.p.get("seed", 0))
        self.posref = PositionRefinement(conf, self.numiter)
        if not self.posref.active(self.states):
            self.posref = None

    def model_errors(self, st):
        """(Fourier, Photons) error per view of the current P, O (used by position refinement)."""
        from .kernels import exit_waves
        Ov = st.obj_views()
        F = st.blk.prop.fw(exit_waves(st.P, Ov, st.pidx, st.pm, st.om))
        return F
