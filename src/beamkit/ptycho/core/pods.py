"""ptypy's per-view objects on beamkit's batched blocks: facade :class:`View` and :class:`POD`.

ptypy keeps one ``View`` per frame window and one ``POD`` per (view, probe mode, object mode);
its tutorials loop over them (``for name, pod in P.pods.items(): pod.object ...``). beamkit's
engines keep the same information as arrays (``ScanBlock.views``, ``PodTable``); this module
builds the ptypy objects from them, lazily, and rebuilds them when a block changes (new frames):

* :func:`pods_of` (``P.pods``): ID -> :class:`POD`, ordered as ptypy's (per frame, per probe
  mode × object mode, energies outermost within a frame), IDs ``P0000``, ``P0001``, ...;
* :func:`exit_container` (``P.exit``): ptypy's ``Cexit``, one storage per scan (and energy),
  ``S<label>G00G00``, one layer per pod;
* :func:`attach`: gives ``P.obj``/``P.probe``/``P.diff``/``P.mask`` their owner so that their
  ``V``/``views`` list the pods' views (``V0000``, ... per container).

A view's ``data`` is a numpy view into its storage (writes go through). The object views follow
the engines' view table (position refinement moves them). ``P.diff``/``P.mask`` are the
centred copies ``Ptycho`` registers: writing there does not change the engines' data.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict

import numpy as np

from ..models.propagation import frame_propagator
from .storage import Container, Storage, _new_id, vec2

__all__ = ["Base", "View", "POD", "DEFAULT_ACCESSRULE", "pods_of", "exit_container", "attach"]


def _accessrule():
    from ..utils import Param
    return Param(storageID=None, shape=None, coord=None, psize=1.0, layer=0, active=True)


#: ptypy's view access rule: storage ID, shape (px), coord (m, the view's centre), psize (m), layer, active
DEFAULT_ACCESSRULE = _accessrule()


class Base:
    """ptypy's base of its named objects: ``owner`` and ``ID`` (kept for imports and subclassing)."""

    def __init__(self, owner=None, ID=None, BeOwner=True):
        self.owner = owner
        self.ID = ID
        self.numID = None

    def _to_dict(self) -> dict:
        return OrderedDict(self.__dict__)


class View:
    """A 2-d window on one storage of a container (ptypy's View).

    ``View(container, ID=None, accessrule=None, **kw)`` with ptypy's access rule (``storageID``;
    ``shape`` px; ``coord`` m, the window's centre; ``psize``; ``layer``; ``active``); a missing
    storage is created (shape (1,) + shape). Data access: ``dlow``/``dhigh`` (px, the window),
    ``dcoord`` (px, the rounded centre: round(pcoord + 1e-5)), ``pcoord`` (px, fractional
    centre), ``sp`` (px, pcoord - dcoord), ``dlayer`` (buffer layer of label ``layer``); all are
    derived on access from ``coord`` and the storage's geometry (ptypy caches them until
    ``update_views``). ``data`` reads/writes the storage; ``pod``/``pods`` the pods using it.
    """

    _ptypy_view = True
    DEFAULT_ACCESSRULE = DEFAULT_ACCESSRULE

    def __init__(self, container, ID=None, accessrule=None, **kwargs):
        rule = dict(DEFAULT_ACCESSRULE)
        rule.update(dict(accessrule or {}))
        rule.update(kwargs)
        self.owner = container
        self._src = None             # batched Views table and row this view follows (pods' object views)
        self._index = None
        self._dlayer = None          # explicit buffer layer (pods' views); None: from the layermap
        self._pod = None
        self._pods = None
        self.error = None
        self.active = bool(rule.get("active", True))
        sid = rule.get("storageID")
        shape = rule.get("shape")
        s = container.storages.get(sid) if sid is not None else None
        if s is None:
            sh = None if shape is None else (1,) + tuple(int(x) for x in vec2(shape, int))
            ps = rule.get("psize")
            s = container.new_storage(ID=sid, shape=sh, psize=1.0 if ps is None else ps)
        self.storage = s
        self.storageID = s.ID
        self.layer = int(rule.get("layer") or 0)
        if shape is None:                       # full frame
            self.shape = np.asarray(s.shape[1:], int)
            self._coord = s._to_phys(self.shape / 2.0)
        else:
            self.shape = vec2(shape, int)
            self._coord = vec2(0.0 if rule.get("coord") is None else rule.get("coord"))
        self.ID = _register(container, self, ID)

    @classmethod
    def _fast(cls, container, ID, storage, shape, layer, dlayer, coord=None, src=None, index=None):
        """A pod's view without the access-rule machinery (``shape`` an int array of 2)."""
        v = cls.__new__(cls)
        v.owner, v.ID, v.storage, v.storageID = container, ID, storage, storage.ID
        v.shape, v.layer, v._dlayer, v.active = shape, int(layer), int(dlayer), True
        v._coord = np.zeros(2) if coord is None else coord
        v._src, v._index, v._pod, v._pods, v.error = src, index, None, None, None
        container._views[ID] = v
        return v

    ndim = 2

    @property
    def psize(self) -> np.ndarray:
        """Pixel size (m, 2): the storage's."""
        return self.storage.psize

    @property
    def coord(self) -> np.ndarray:
        """Physical position (m, 2) of the view's centre."""
        if self._src is not None:
            return self._src.coords[self._index].copy()
        return self._coord

    @coord.setter
    def coord(self, v):
        if self._src is not None:                      # the engines' table moves with it
            self._src.move([self._index], vec2(v))
        else:
            self._coord = vec2(v)

    @property
    def pcoord(self) -> np.ndarray:
        """Fractional pixel position of the centre in the storage."""
        if self._src is not None:
            return self.dcoord + self._src.subpix[self._index]
        return self.storage._to_pix(self._coord)

    @property
    def dcoord(self) -> np.ndarray:
        """Rounded pixel position of the centre: round(pcoord + 1e-5)."""
        if self._src is not None:
            return self._src.corners[self._index] + self.shape // 2
        return np.round(self.pcoord + 1e-5).astype(int)

    @property
    def sp(self) -> np.ndarray:
        """Sub-pixel remainder pcoord - dcoord (px)."""
        if self._src is not None:
            return self._src.subpix[self._index].copy()
        return self.pcoord - self.dcoord

    @property
    def dlow(self) -> np.ndarray:
        """First pixel (row, col) of the window in the storage."""
        if self._src is not None:
            return np.asarray(self._src.corners[self._index], int)
        return self.dcoord - self.shape // 2

    @property
    def dhigh(self) -> np.ndarray:
        """One past the last pixel (row, col) of the window."""
        return self.dlow + self.shape

    @property
    def dlayer(self) -> int:
        """Buffer layer (index into the storage's first axis) of label ``layer``."""
        if self._dlayer is not None:
            return self._dlayer
        lm = self.storage.layermap
        return lm.index(self.layer) if self.layer in lm else 0

    @dlayer.setter
    def dlayer(self, v):
        self._dlayer = int(v)

    @property
    def slice(self) -> tuple:
        """(layer, rows, cols) index of the window in the storage's buffer."""
        lo, hi = self.dlow, self.dhigh
        return (self.dlayer, slice(lo[0], hi[0]), slice(lo[1], hi[1]))

    @property
    def data(self) -> np.ndarray:
        """The window's 2-d content (a numpy view of the storage; in-place changes write through)."""
        return self.storage[self]

    @data.setter
    def data(self, v):
        self.storage[self] = v

    @property
    def pod(self):
        """The first pod using this view (None if none)."""
        return self._pod

    @property
    def pods(self) -> dict:
        """ID -> every pod using this view (the frame's pods for a diffraction view)."""
        if self._pods is not None:
            return self._pods
        return {} if self._pod is None else {self._pod.ID: self._pod}

    def _add_pod(self, pod):
        if self._pod is None:
            self._pod = pod
        else:
            if self._pods is None:
                self._pods = OrderedDict([(self._pod.ID, self._pod)])
            self._pods[pod.ID] = pod

    def _to_dict(self) -> dict:
        return OrderedDict(ID=self.ID, storageID=self.storageID, shape=self.shape.copy(), coord=self.coord.copy(),
                           psize=self.psize.copy(), layer=self.layer, dlayer=self.dlayer, active=self.active,
                           dlow=self.dlow, dhigh=self.dhigh, sp=self.sp)

    def __str__(self):
        first = (f"{getattr(self.owner, 'ID', None)} -> {self.storage.ID}[{self.ID}] : shape = {self.shape} "
                 f"layer = {self.layer} coord = {self.coord}")
        return first + ("\n ACTIVE : slice = %s" % str(self.slice) if self.active else "\n INACTIVE : slice = ...  ")

    def __repr__(self):
        return f"View({self.ID!r}, storage={self.storageID!r}, layer={self.layer}, dlow={self.dlow.tolist()})"


def _register(container, view, ID=None) -> str:
    """Put ``view`` in ``container``'s view pool under ptypy's ID ('V0000', ...); returns the ID."""
    pool = container._views
    ID = _new_id(pool, "V", ID)
    pool[ID] = view
    return ID


class POD:
    """ptypy's POD: one (frame, probe mode, object mode) with its views and propagation.

    ``probe``/``object``/``exit``/``diff``/``mask``: the 2-d frames of its views (setters write
    back); ``pr_view``/``ob_view``/``ex_view``/``di_view``/``ma_view``; ``V`` (the five by
    ptypy's keys); ``fw``/``bw``: propagation of one frame in ptypy's convention (sample-plane
    frame -> centred detector frame and back, ptypy's far-field phase factor included);
    ``geometry``: the scan's ``Geo`` where ``P.model`` provides one (else None);
    ``probe_weight``/``object_weight`` 1; ``active`` is the diffraction view's.
    """

    DEFAULT_VIEWS = {"probe": None, "obj": None, "exit": None, "diff": None, "mask": None}

    def __init__(self, ptycho=None, model=None, ID=None, views=None, geometry=None, propagation=None, **kwargs):
        self.owner = ptycho
        self.ID = ID
        self.model = model
        self.is_empty = False
        self.probe_weight = 1.0
        self.object_weight = 1.0
        self.V = dict(self.DEFAULT_VIEWS)
        self.V.update(views or {})
        for v in self.V.values():
            if v is not None:
                v._add_pod(self)
        self.geometry = geometry
        self._propagation = propagation      # models.propagation.FramePropagator of the pod's energy
        self.pr_view, self.ob_view = self.V["probe"], self.V["obj"]
        self.ex_view, self.di_view, self.ma_view = self.V["exit"], self.V["diff"], self.V["mask"]
        self.use_exit_container = self.ex_view is not None
        self._exit = None if self.use_exit_container else np.zeros(self.pr_view.shape, complex)

    @property
    def active(self) -> bool:
        return self.di_view.active

    # frames -------------------------------------------------------------------
    @property
    def object(self) -> np.ndarray:
        return np.ones(self.pr_view.shape, self.pr_view.storage.dtype) if self.is_empty else self.ob_view.data

    @object.setter
    def object(self, v):
        if not self.is_empty:
            self.ob_view.data = v

    @property
    def probe(self) -> np.ndarray:
        return self.pr_view.data

    @probe.setter
    def probe(self, v):
        self.pr_view.data = v

    @property
    def exit(self) -> np.ndarray:
        return self.ex_view.data if self.use_exit_container else self._exit

    @exit.setter
    def exit(self, v):
        if self.use_exit_container:
            self.ex_view.data = v
        else:
            self._exit = v

    @property
    def diff(self) -> np.ndarray:
        return self.di_view.data

    @diff.setter
    def diff(self, v):
        self.di_view.data = v

    @property
    def mask(self) -> np.ndarray:
        return self.ma_view.data

    @mask.setter
    def mask(self, v):
        self.ma_view.data = v

    # propagation ------------------------------------------------------------------
    def fw(self, x) -> np.ndarray:
        """Sample-plane frame ``x`` (Ny, Nx) -> centred detector frame (unitary; far field:
        ``x`` times ptypy's phase factor exp(iπ(x² + y²)/(λz)) before the FFT)."""
        return self._propagation.fw(x)

    def bw(self, y) -> np.ndarray:
        """Centred detector frame ``y`` -> sample-plane frame (the inverse of :meth:`fw`)."""
        return self._propagation.bw(y)

    def __repr__(self):
        return f"POD({self.ID!r}, probe={self.pr_view.ID}, obj={self.ob_view.ID}, diff={self.di_view.ID})"


# ------------------------------------------------------------------------------- building
class _Facade:
    """The pods, views and exit container of one Ptycho, for one state of its blocks."""

    def __init__(self):
        self.key = None
        self.pods: dict = OrderedDict()
        self.views: list = []           # (container, view) made here, removed on rebuild
        self.exit = None
        self.blocks: list = []          # (block, its pods in order: frame-major, K per frame)
        self.stamp = None               # iteration count the exit waves were taken at


_FACADES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def attach(ptycho) -> None:
    """Make ``ptycho``'s containers (obj, probe, diff, mask) know their owner, so that their
    ``V``/``views`` and their storages' ``views`` list the pods' views."""
    for name in ("obj", "probe", "diff", "mask"):
        c = getattr(ptycho, name, None)
        if isinstance(c, Container) and c.owner is None:
            c.owner = ptycho


def _block_key(P, blk) -> tuple:
    ID = blk.obj.ID
    return (blk, blk.obj, blk.probe, blk.views, blk.pods, blk.prop, blk.n, P.obj.S.get(ID), P.probe.S.get(blk.probe.ID),
            P.diff.S.get(ID), P.mask.S.get(ID))


def _same(a, b) -> bool:
    return a is not None and len(a) == len(b) and all(x is y or (isinstance(x, int) and x == y) for x, y in zip(a, b))


def _iterations(P) -> int:
    return len((getattr(P, "runtime", None) or {}).get("iter_info") or [])


def _geometry(P, label, e):
    try:
        return P.model.scans[label].geometries[e]
    except Exception:
        return None


def _scan_model(P, label):
    try:
        return P.model.scans[label]
    except Exception:
        return None


def _exit_ids(blk, nen):
    """ptypy's exit storage IDs: the diffraction storage's ID + 'G<energy>' (manager.py
    ``dv.storageID + 'G%02d'``); beamkit's diffraction storage of a scan has the object's ID."""
    return [f"{blk.obj.ID}G{e:02d}" for e in range(nen)]


def _build(P, fac: _Facade) -> None:
    for cont, v in fac.views:                       # drop the previous pods' views
        if cont._views.get(v.ID) is v:
            del cont._views[v.ID]
    fac.views, fac.pods, fac.blocks = [], OrderedDict(), []
    ex = Container("Cexit", "complex", owner=P)
    fac.exit = ex
    track = fac.views.append
    npod = 0
    for blk in P.blocks:
        ID = blk.obj.ID
        oS, pS = P.obj.S.get(ID, blk.obj), P.probe.S.get(blk.probe.ID, blk.probe)
        dS, mS = P.diff.S.get(ID), P.mask.S.get(ID)
        n, K, npm = blk.n, blk.pods.K, int(getattr(blk, "nprobe_modes", 1))
        subs = getattr(blk.prop, "props", None)
        nen = len(subs) if subs is not None else 1
        kpe = max(K // nen, 1)
        idx = [int(i) for i in blk.indices] if len(blk.indices) == n else list(range(n))
        for S in (dS, mS):
            if S is not None and S.nlayers == n:
                S.layermap = idx
        sh = np.asarray(blk.shape, int)
        pm_, om_ = np.asarray(blk.pods.probe_modes), np.asarray(blk.pods.object_modes)
        labels = [i * 10000 + int(pm_[k]) * 100 + int(om_[k]) for i in idx for k in range(kpe)]
        exS = []
        for e, eid in enumerate(_exit_ids(blk, nen)):
            s = Storage(eid, np.zeros((n * kpe,) + tuple(sh), pS.dtype), psize=oS.psize, center=sh // 2,
                        layermap=labels, owner=ex)
            ex.storages[eid] = s
            exS.append(s)
        props = [frame_propagator(blk, e, _cdtype(blk)) for e in range(nen)]
        geos = [_geometry(P, blk.label, e) for e in range(nen)]
        model = _scan_model(P, blk.label)
        src = blk.views if oS is blk.obj else None
        coords = blk.views.coords
        pidx = np.asarray(blk.pods.probe_index)
        mine = []
        fac.blocks.append((blk, mine))
        for i in range(n):
            dv = mv = None
            if dS is not None:
                dv = View._fast(P.diff, _new_id(P.diff._views, "V"), dS, np.asarray(dS.shape[1:], int), idx[i], i)
                track((P.diff, dv))
            if mS is not None:
                mv = View._fast(P.mask, _new_id(P.mask._views, "V"), mS, np.asarray(mS.shape[1:], int), idx[i], i)
                track((P.mask, mv))
            for k in range(K):
                e, kk = divmod(k, kpe)
                pl = int(pidx[i]) * npm + int(blk.pods.probe_modes[k])
                pv = View._fast(P.probe, _new_id(P.probe._views, "V"), pS, sh, pl, pl)
                om = int(blk.pods.object_modes[k])
                ov = View._fast(P.obj, _new_id(P.obj._views, "V"), oS, sh, om, om,
                                coord=None if src is not None else coords[i].copy(), src=src, index=i)
                ev = View._fast(ex, _new_id(ex._views, "V"), exS[e], sh, labels[i * kpe + kk], i * kpe + kk)
                track((P.probe, pv)), track((P.obj, ov)), track((ex, ev))
                pid = f"P{npod:04d}"
                npod += 1
                pod = POD(P, model, pid, dict(probe=pv, obj=ov, exit=ev, diff=dv, mask=mv), geos[e], props[e])
                fac.pods[pid] = pod
                mine.append(pod)
    _fill_exits(P, fac)


def _engine_exits(P, blk):
    """The exit waves (n, K, Ny, Nx) in ptypy's convention held by the last engine that keeps
    them for ``blk`` (DM/RAAR's, in detector space, are propagated back), or None."""
    for eng in reversed(list((getattr(P, "engines", None) or {}).values())):
        for st in getattr(eng, "states", None) or []:
            ex = getattr(st, "ex", None)
            if st.blk is not blk or ex is None or tuple(ex.shape[:2]) != (blk.n, blk.pods.K):
                continue
            if getattr(eng, "exits_in_detector_space", False):
                ex = blk.prop.bw(ex)
            ex = np.asarray(eng.be.to_numpy(ex))
            c = getattr(st, "curve", None)
            return ex if c is None else ex * np.asarray(eng.be.to_numpy(c)).conj()
    return None


def _fill_exits(P, fac: _Facade) -> None:
    """Fill the exit storages: the engine's exit waves where one keeps them, else probe × object."""
    fac.stamp = _iterations(P)
    for blk, pods in fac.blocks:
        ex = _engine_exits(P, blk)
        for j, pod in enumerate(pods):
            i, k = divmod(j, blk.pods.K)
            pod.exit = ex[i, k] if ex is not None else pod.probe * pod.object


def _facade(P) -> _Facade:
    attach(P)
    fac = _FACADES.get(P)
    if fac is None:
        fac = _FACADES[P] = _Facade()
    key = tuple(_block_key(P, b) for b in P.blocks)
    if fac.key is None or len(fac.key) != len(key) or not all(_same(a, b) for a, b in zip(fac.key, key)):
        _build(P, fac)
        fac.key = key
    elif fac.stamp != _iterations(P):             # an engine ran since: take its state
        _fill_exits(P, fac)
    return fac


def pods_of(ptycho) -> dict:
    """ptypy's ``P.pods``: ID ('P0000', ...) -> :class:`POD`, per frame (scans in order), per
    pod of the frame (energy, probe mode, object mode; ptypy's order). Built on first use and
    again when a block changes (new frames: exit waves then restart from the current state)."""
    return _facade(ptycho).pods


def built_exit(ptycho):
    """``P.exit`` if it has been built already, else None (building it allocates n·K frames)."""
    fac = _FACADES.get(ptycho)
    return None if fac is None else getattr(fac, "exit", None)


def exit_container(ptycho) -> Container:
    """ptypy's ``P.exit`` ('Cexit'): per scan (and energy) one storage ``S<label>G00G00`` with
    one layer per pod (labels frame·10000 + probe mode·100 + object mode). It holds the exit waves
    of the last engine that keeps them (DM, RAAR, ePIE-like with exit buffers; ptypy's convention,
    probe × object in the sample plane) or, without one, probe × object; it is refilled from that
    state when iterations ran since, and otherwise keeps what was written to it."""
    return _facade(ptycho).exit


def _cdtype(blk):
    return np.dtype(blk.probe.dtype) if np.iscomplexobj(blk.probe.data) else np.complex64
