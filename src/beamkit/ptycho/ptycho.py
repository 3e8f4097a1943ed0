"""``Ptycho``: ptypy's reconstruction manager (levels 1–5), on beamkit's batched models and engines.

level 1: parameters resolved and validated, containers; 2: data loaded, scan models built;
3: interaction server; 4: engines created; 5: engines run, results saved.
``P.obj``/``P.probe`` are containers of storages (``P.obj.S['SMFG00'].data``), ``P.result``
gives named accessors, ``P.runtime`` the run record (``iter_info``), ``P.benchmark`` timings (s).
ptypy's names: ``P.model`` (scans, geometries), ``P.containers``, ``P.citations``,
``P.print_stats()``, ``P.plot_overview()``, ``P.data_type``/``CType``/``FType``, ``P.new_data``.
"""
from __future__ import annotations

import copy
import json
import logging
import os
import sys
import time
import types

import numpy as np

from ..core.files import atomic_write
from ..core.log import get_logger, progress
from ..errors import ParameterError
from .autosave import Autosave, Paths, run_name
from .core.storage import Container, Storage
from .utils import Param

__all__ = ["Ptycho"]

log = get_logger("ptycho")
CITATION = 60                        # ptypy's citation report: above every level, so always shown
logging.addLevelName(CITATION, "CITATION")

#: io.rformat values (ptypy's: the result file written after each engine)
RFORMATS = ("minimal", "dls", "used_params", "fullflat")
#: save_run kinds: the io.rformat values and autosave's 'dump'
KINDS = RFORMATS + ("dump",)


def _plain(v):
    """Param/dict tree -> plain nested dicts (for saving; arrays kept)."""
    if isinstance(v, dict):
        return Param({k: _plain(x) for k, x in v.items()})
    return v


class Ptycho:
    """Reconstruction manager: ``Ptycho(p, level=5)`` runs everything, as in ptypy.

    Keyword arguments update the top level of ``p`` (ptypy's behaviour), except ``backend``
    ('numpy' default, 'cupy' or 'auto'; also env ``BEAMKIT_PTYCHO_BACKEND``).
    """

    def __init__(self, pars=None, level: int = 2, **kwargs):
        from .params import TREE
        backend = kwargs.pop("backend", None)
        user = Param() if pars is None else Param(copy.deepcopy(dict(pars)))
        for k, v in kwargs.items():
            user[k] = v
        self.p_user = user
        _declare_user_scans(user)
        io = user.get("io")
        no_rfile = isinstance(io, dict) and "rfile" in io and io["rfile"] is None
        if no_rfile:          # ptypy accepts io.rfile = None: no result file at the end
            user = Param(copy.deepcopy(dict(user)))
            del user["io"]["rfile"]
        self.p = TREE.resolve(user, root="ptycho")          # never mutates the user's tree
        if no_rfile:
            self.p["io"]["rfile"] = None
        self._set_verbosity()
        run = run_name(self.p.get("run"), sys.argv[0] if sys.argv else "")
        now = time.asctime()
        self.runtime = Param(run=run, engine="None", iterations=0, start=now, allstart=now, allstop=None,
                             last_save=0, last_plot=0, iter_info=[])
        self.paths = Paths(self.p.get("io") or {}, runtime=self.runtime)
        rformat = (self.p.get("io") or {}).get("rformat") or "minimal"
        if rformat not in RFORMATS:          # fail now, not after the first engine
            raise ParameterError("io.rformat", " or ".join(repr(k) for k in RFORMATS), rformat)
        self.result_file = None              # the last result .ptyr written (None: none, e.g. io.rfile None)
        self.benchmark = dict(data_load=0.0, engine_init=0.0, engine_prepare=0.0, engine_iterate=0.0,
                              engine_finalize=0.0)
        self.precision = "double" if str(self.p.get("data_type", "single")) == "double" else "single"
        self.data_type = self.precision                  # ptypy's names for the precision
        self.FType = np.float64 if self.precision == "double" else np.float32
        self.CType = np.complex128 if self.precision == "double" else np.complex64
        self.frames_per_block = int(self.p.get("frames_per_block") or 100000)
        self.new_data: list = []         # ptypy's: (label, diff storage) of the scans that got frames last poll
        self._record_positions = False
        from .manager import PTYPY_ARTICLE, Bibliography, ModelManager
        self.citations = Bibliography()
        self.citations.add_article(**PTYPY_ARTICLE)
        self.model = ModelManager(self)
        self.backend = str(backend or os.environ.get("BEAMKIT_PTYCHO_BACKEND", "numpy"))
        if self.backend == "auto":           # settle it once: models, engines and memory reports agree
            from .models.propagation import get_backend
            self.backend = get_backend("auto").name
        self.obj = Container("Cobj", "complex")
        self.probe = Container("Cprobe", "complex")
        self.diff = Container("Cdiff", "real")
        self.mask = Container("Cmask", "bool")           # bool, as ptypy's (the engines keep float copies)
        from .core.pods import attach
        attach(self)                                     # containers list the pods' views (built lazily)
        self.blocks: list = []
        self.scans: dict = {}
        self.models: dict = {}
        self._chunks: dict = {}
        self._eos: dict = {}
        self.engines: dict = {}
        self.interactor = None
        self.plotter = None                              # ptypy's plot client process; beamkit has none
        self.autosave = None
        self.autoplot = None
        self.level = 0
        if level >= 1:
            self.init_structures()
        if level >= 2:
            self.init_data()
        if level >= 3:
            self.init_communication()
        if level >= 4:
            self.init_engine()
        if level >= 5:
            self.run()
            self.finalize()

    # ------------------------------------------------------------------ levels
    def _set_verbosity(self):
        lvl = self.p.get("verbose_level")
        if lvl is not None:
            from .utils import verbose
            verbose.set_level(lvl)

    def init_structures(self):
        self.level = max(self.level, 1)

    def _pad_px(self, resolution):
        """Object padding (px) for the largest max_shift of the engines that refine positions (as ptypy)."""
        from .engines.base import posref_conf
        pad = 0
        for lab, ep in (self.p.get("engines") or {}).items():
            user = ((self.p_user.get("engines") or {}).get(lab) or {}).get("position_refinement")
            conf = posref_conf(user, (ep or {}).get("position_refinement"))
            # ptypy: no refinement (and no padding) when the search amplitude is below the pixel
            if conf is not None and float(conf["amplitude"]) >= float(np.ravel(resolution)[0]):
                pad = max(pad, int(float(conf["max_shift"]) // float(np.max(resolution))))
        return pad

    def init_data(self, print_stats=True):
        """Load every scan's data and build models: all frames available now (in blocks of
        ``frames_per_block``); live data that signals WAIT is awaited until ``min_frames_for_recon``
        frames are in, the rest arrives between iterations. Logs :meth:`print_stats` (as ptypy)."""
        from .data import EOS, WAIT, make_scan
        from .models import make_model
        t0 = time.perf_counter()
        fpb = self.frames_per_block
        need = int(self.p.get("min_frames_for_recon") or 1)
        self.new_data = []
        for label, sp in (self.p.get("scans") or {}).items():
            _warn_unsupported(label, sp)
            dpars = sp.get("data")
            if hasattr(dpars, "get") and dpars.get("label") is None:   # errors then name scans.<label>.data
                dpars = Param(dpars)
                dpars["label"] = label
            scan = make_scan(dpars)
            scan.initialize()
            chunks, n, deadline = [], 0, time.monotonic() + 600
            self._eos[label] = False
            while True:
                msg = scan.auto(fpb)
                if isinstance(msg, str) and msg == EOS:
                    self._eos[label] = True
                    break
                if isinstance(msg, str) and msg == WAIT:
                    if n >= need or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                    continue
                chunks.append(msg)      # all that is available now, as ptypy's new_data (blocks of
                n += len(msg.get("iterable") or msg.get("data") or [])      # frames_per_block)
            if not chunks:
                raise ParameterError(f"scans.{label}.data", "a scan with at least one frame", 0)
            self.scans[label] = scan
            self._chunks[label] = chunks
            model = make_model(str(sp.get("name") or "Full"), sp, label, self.backend,
                               np.complex128 if self.precision == "double" else np.complex64)
            res = sp.get("resolution") if sp.get("resolution") is not None else chunks[0]["common"].get("resolution")
            if res is None:
                from .models import wavelength_from_energy
                cm = chunks[0]["common"]
                res = wavelength_from_energy(cm["energy"]) * cm["distance"] / (np.asarray(cm["shape"]) * np.asarray(cm["psize"]))
            blk = model.build_from_chunks(chunks, self._pad_px(res))
            blk.model_name = model.name
            self.models[label] = model
            self.blocks.append(blk)
            self._register_block(blk)
            self.new_data.append((label, self.diff.S[blk.obj.ID]))
            self._memory_report(blk, model.name)
        self.benchmark["data_load"] += time.perf_counter() - t0
        self.level = max(self.level, 2)
        if print_stats:
            self.print_stats()

    def _memory_report(self, blk, model_name):
        """Log the memory the engines will need and how many frames fit per block (ptypy's users had to guess)."""
        from .engines.chunks import available_memory, engine_memory, frames_per_block
        cb = 16 if self.precision == "double" else 8
        gpu = self.backend != "numpy"
        mem = engine_memory(blk.n, blk.pods.K, blk.shape, int(np.prod(blk.obj.shape)), cb)
        fpb = frames_per_block(blk.n, blk.pods.K, blk.shape, int(np.prod(blk.obj.shape)), cb, gpu)
        self.runtime.setdefault("memory", {})[blk.label] = dict(bytes_needed=int(mem["total"]),
                                                                bytes_free=int(available_memory(gpu)),
                                                                frames_per_block=int(fpb))
        msg = (f"scan {blk.label}: {blk.n} frames of {tuple(blk.shape)}, object {blk.obj.shape}, model {model_name}; "
               f"engines need about {mem['total'] / 2**20:.0f} MiB, {fpb} frames fit per block")
        if fpb < blk.n:
            log.warning(msg + " (fewer than the scan: expect swapping or reduce the data)")
        else:
            log.info(msg)

    def _register_block(self, blk):
        self.obj.storages[blk.obj.ID] = blk.obj
        self.probe.storages[blk.probe.ID] = blk.probe
        prop = blk.prop
        self.diff.storages[blk.obj.ID] = Storage(blk.obj.ID, prop.to_detector(blk.diff), psize=blk.meta.get("psize", 1.0))
        self.mask.storages[blk.obj.ID] = Storage(blk.obj.ID, np.asarray(prop.to_detector(blk.mask)) != 0,
                                                 psize=blk.meta.get("psize", 1.0))

    def _poll_data(self, engine=None) -> bool:
        """Take newly arrived frames of live scans (between iterations); True if any arrived."""
        from .data import EOS
        got = False
        self.new_data = []
        if engine is not None and engine.states:
            engine._sync_to_storages()
        for label, scan in self.scans.items():
            arrived = False
            while not self._eos.get(label):             # every block available now
                msg = scan.auto(self.frames_per_block)
                if isinstance(msg, str):
                    self._eos[label] = msg == EOS
                    break
                self._chunks[label].append(msg)
                arrived = True
            if not arrived:
                continue
            i = [b.label for b in self.blocks].index(label)
            old = self.blocks[i]
            new = self.models[label].build_from_chunks(self._chunks[label], old.obj.padding)
            new.probe.data[...] = old.probe.data if old.probe.data.shape == new.probe.data.shape else new.probe.data
            _paste_object(old.obj, new.obj)
            old.__dict__.update(new.__dict__)           # engines keep their reference to the block
            self._register_block(old)
            self.new_data.append((label, self.diff.S[old.obj.ID]))
            got = True
        if got and engine is not None:
            engine.refresh()
        return got

    def init_communication(self):
        """Level 3: the interaction server (``io.interaction``) and the file outputs."""
        io = self.p.get("io") or {}
        inter = io.get("interaction") or {}
        srv = inter.get("server") or {}
        if inter.get("active", False) and srv.get("active", True):
            from .interaction import InteractionServer
            self.interactor = InteractionServer(srv)
            self.interactor.register(self, "Ptycho")
            if self.interactor.activate() is None:     # no free port (logged): run without a server
                self.interactor = None
        self._init_outputs()
        self.level = max(self.level, 3)

    def _init_outputs(self):
        """Autosave and autoplot (also when ``run`` starts below level 3, as ptypy's run does without
        ever starting the interaction server)."""
        io = self.p.get("io") or {}
        self.autosave = Autosave(self)
        ap = io.get("autoplot") or {}
        from .plot import autoplot_interval
        if ap.get("active", False) and autoplot_interval(ap) > 0:
            if ap.get("dump", False):
                from .plot import AutoPlot
                self.autoplot = AutoPlot(self, ap)
            else:    # ptypy would open its live plot client here; beamkit has none
                log.info("io.autoplot: no live plot window in beamkit; set io.autoplot.dump=True for PNG files, "
                         "or call P.plot()")

    def init_engine(self, label=None, epars=None):
        """Create the engines, as ptypy: all of ``p.engines`` in sorted label order; the one named
        ``label``; or, with ``epars``, a new one (label ``label`` or 'auto<NN>', added to ``p.engines``)."""
        from .engines import make_engine
        engines = self.p.get("engines") or {}
        if epars is not None:
            label = label or "auto%02d" % len(self.engines)
            self.p.setdefault("engines", Param())[label] = epars
            items = [(label, epars)]
        elif label is not None:
            if label not in engines:
                raise ParameterError("label", "one of the engines' labels: " + ", ".join(sorted(engines)), label)
            items = [(label, engines[label])]
        else:
            items = [(k, engines[k]) for k in sorted(engines)]
        from .manager import ENGINE_ARTICLES
        for lab, ep in items:
            user = (self.p_user.get("engines") or {}).get(lab, ep)
            eng = make_engine(str(ep.get("name")), self, _plain(ep), user_pars=user,
                              backend=self.backend, precision=self.precision)
            eng.label = lab
            self.engines[lab] = eng
            for art in ENGINE_ARTICLES.get(str(ep.get("name")), []):      # as ptypy's engines do
                self.citations.add_article(**art)
        self.level = max(self.level, 4)

    # ------------------------------------------------------------------ running
    def run(self, label=None, epars=None, engine=None):
        """Run engines as ptypy's ``Ptycho.run``: ``engine`` (an engine object), or the engine
        ``label`` (created if needed), or a new one from ``epars``, or all engines in sorted label
        order. Each run re-initialises its engines: ``numiter`` more iterations from the current
        object and probe (iteration counts continue). Autosave before, interaction requests before
        and autoplot after each block of ``numiter_contiguous`` iterations."""
        if self.level < 2:
            self.init_data()
        if self.autosave is None:
            self._init_outputs()
        if engine is not None:
            todo = [(getattr(engine, "label", "engine"), engine)]
        elif epars is not None:
            self.init_engine(label, epars)
            lab = label or "auto%02d" % (len(self.engines) - 1)
            todo = [(lab, self.engines[lab])]
        elif label is not None:
            if label not in self.engines:
                self.init_engine(label)
            todo = [(label, self.engines[label])]
        else:
            if not self.engines:
                self.init_engine()
            self.runtime["allstart"], self.runtime["allstop"] = time.asctime(), None
            todo = [(k, self.engines[k]) for k in sorted(self.engines)]
        for lab, eng in todo:
            self._run_engine(lab, eng)
        self._write_benchmark()
        return self

    def _run_engine(self, lab, eng):
        self.runtime["engine"] = type(eng).__name__
        eng.initialize()                               # as ptypy: every run starts the engine anew
        if eng.posref is not None:
            from .manager import ENGINE_ARTICLES
            for art in ENGINE_ARTICLES["position_refinement"]:
                self.citations.add_article(**art)
        eng.prepare()
        nc = int(eng.p["numiter_contiguous"])
        steps = range(eng.curiter, eng.numiter, nc)
        if not steps and eng.numiter == 0:             # ptypy's loop runs once for numiter 0
            if self.autosave is not None:
                self.autosave.maybe_save(eng.curiter)
            if self.interactor is not None:
                self.interactor.process_requests()
        for _ in progress(steps, total=len(steps), desc=f"{type(eng).__name__} ({lab})"):
            if not all(self._eos.get(b.label, True) for b in self.blocks):
                self._poll_data(eng)
            else:
                self.new_data = []                     # as ptypy's poll: nothing new
            if self.autosave is not None:              # as ptypy: before the block, on the engine's count
                self.autosave.maybe_save(eng.curiter)
            if self.interactor is not None:            # as ptypy: requests before each block
                self.interactor.process_requests()
            eng.iterate(nc)
            if self.autoplot is not None:
                self.autoplot.maybe_plot()
            if self.runtime.get("stop_requested"):
                log.warning("stop requested by a client; ending %s at iteration %d", lab, eng.curiter)
                break
        eng.finalize()
        for k, v in eng.benchmark.items():
            self.benchmark[k] += v
            eng.benchmark[k] = 0.0
        if eng.posref is not None and eng.posref.record:
            self.runtime["positions"] = {b.obj.ID: b.views.coords.copy() for b in self.blocks}
            self._record_positions = True
        rfile = (self.p.get("io") or {}).get("rfile")
        if rfile:
            self.result_file = self.save_run(self.paths.recon_file(self.runtime),
                                             kind=(self.p.get("io") or {}).get("rformat") or "minimal")
        self.runtime["stop"] = time.asctime()          # as ptypy, after each engine (and its file)

    def finalize(self):
        """Serve the last interaction requests, stop the server and the plot thread, and log the
        articles to cite (as ptypy)."""
        if self.interactor is not None:
            self.interactor.process_requests()
            self.interactor.stop()
            self.interactor = None
        if len(self.citations):
            log.log(CITATION, "\nThis reconstruction relied on the following work:\n%s", self.citations)
        if self.autoplot is not None:
            self.autoplot.close()
        if self.runtime.get("allstop") is None:
            self.runtime["allstop"] = time.asctime()

    def _write_benchmark(self):
        if (self.p.get("io") or {}).get("benchmark") == "all":
            path = self.paths.benchmark_file()
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with atomic_write(path, "w") as f:
                json.dump(self.benchmark, f, indent=1)

    # ------------------------------------------------------------------ ptypy's structure
    @property
    def pods(self):
        """ptypy's dict of pods (name -> pod), built on demand from the blocks."""
        from .core.pods import pods_of
        return pods_of(self)

    @property
    def exit(self):
        """ptypy's exit-wave container ``Cexit``."""
        from .core.pods import exit_container
        return exit_container(self)

    @property
    def containers(self) -> dict:
        """ptypy's dict of containers by ID (Cprobe, Cobj, Cexit when available, Cdiff, Cmask)."""
        out = {"Cprobe": self.probe, "Cobj": self.obj}
        try:
            out["Cexit"] = self.exit
        except ImportError:             # no exit-wave container in this build
            pass
        out.update(Cdiff=self.diff, Cmask=self.mask)
        return out

    @property
    def record_positions(self) -> bool:
        """True once an engine with ``position_refinement.record`` has recorded positions (ptypy's flag)."""
        return bool(self._record_positions or self.runtime.get("positions") is not None)

    @record_positions.setter
    def record_positions(self, value):
        self._record_positions = bool(value)

    def print_stats(self, table_format=None, detail="summary"):
        """Log (info) ptypy's table of containers: per storage its memory (MB), shape, pixel size
        and views; ``detail`` other than 'summary' adds per-container totals. Returns the text
        (a beamkit extra)."""
        npods = sum(int(b.n) * int(b.pods.K) for b in self.blocks)
        lines = ["", f"Process #0 ---- Total Pods {npods} ({npods} active) ----", "-" * 80,
                 "(C)ontnr : Memory : Shape            : Pixel size          : Dimensions          : Views",
                 "(S)torgs : (MB)   : (Pixel)          : (meters)            : (meters)            : act. ",
                 "-" * 80]
        nviews = {b.obj.ID: int(b.n) for b in self.blocks}
        totals = []
        from .core.pods import built_exit
        conts = {"Cprobe": self.probe, "Cobj": self.obj}
        ex = built_exit(self)
        if ex is not None:
            conts["Cexit"] = ex
        else:                 # not allocated just to report it: n·K frames per scan
            mb = sum(b.n * b.pods.K * int(np.prod(b.shape)) * np.dtype(self.CType).itemsize for b in self.blocks) / 1e6
            lines.append(f"{'Cexit':<8} : {mb:6.1f} : {'complex':<16} : (allocated on first use of P.exit)")
        conts.update(Cdiff=self.diff, Cmask=self.mask)
        for cid, cont in conts.items():
            storages = list(cont.S.values())
            mem = sum(s.data.nbytes for s in storages) / 1e6
            totals.append((cid, mem, len(storages)))
            lines.append(f"{cid:<8} : {mem:6.1f} : {cont.data_type:<16} : {'':<19} : {'':<19} : {'':>5}")
            for sid, st in cont.S.items():
                shp = " * ".join(str(int(v)) for v in st.shape)
                ps = " * ".join(f"{v:.2e}" for v in np.asarray(st.psize)[:2])
                dims = " * ".join(f"{v:.2e}" for v in np.asarray(st.psize)[:2] * np.asarray(st.shape[-2:]))
                lines.append(f"{sid:<8} : {st.data.nbytes / 1e6:6.1f} : {shp:<16} : {ps:<19} : {dims:<19} : "
                             f"{nviews.get(sid, 0):>5}")
        if str(detail) != "summary":
            lines.append("-" * 80)
            lines += [f"{cid}: {n} storages, {mem:.1f} MB" for cid, mem, n in totals]
        text = "\n".join(lines) + "\n"
        log.info(text)
        return text

    def plot_overview(self, fignum=100, path=None):
        """ptypy's overview: one figure per storage (first 4 layers of objects, probes and data, the
        first mask layer) through :func:`utils.plot_storage`; returns the figures (ptypy: None). With
        ``path`` (a beamkit extra) each figure is also written as ``<path>_<fignum>.png``."""
        from .plot import plot_storage
        four = (slice(0, 4), slice(None), slice(None))
        todo = ([(s, "linear", four, {}) for s in self.obj.S.values()]
                + [(s, "linear", four, {}) for s in self.probe.S.values()]
                + [(s, "log", four, dict(cmap="CMRmap")) for s in self.diff.S.values()]
                + [(s, "log", (slice(0, 1), slice(None), slice(None)), dict(cmap="gray")) for s in self.mask.S.values()])
        figs = []
        for i, (st, mod, slc, kw) in enumerate(todo):
            fig = plot_storage(st, fignum + i, mod, slc, **kw)
            if path is not None:
                from .plot import save_figure
                save_figure(fig, f"{os.path.splitext(str(path))[0]}_{fignum + i}.png")
            figs.append(fig)
        return figs

    # ------------------------------------------------------------------ results
    @property
    def result(self):
        """Named results: ``object``, ``probe`` (first storages' arrays), ``objects``/``probes`` (dicts),
        ``positions`` (view coordinates, m), ``errors`` (iterations × 3)."""
        objs = {k: s.data for k, s in self.obj.S.items()}
        prbs = {k: s.data for k, s in self.probe.S.items()}
        errs = np.array([np.asarray(i["error"], float) for i in self.runtime.get("iter_info", [])]).reshape(-1, 3)
        pos = {b.obj.ID: b.views.coords.copy() for b in self.blocks}
        return types.SimpleNamespace(object=next(iter(objs.values()), None), probe=next(iter(prbs.values()), None),
                                     objects=objs, probes=prbs, positions=pos, errors=errs,
                                     iterations=int(self.runtime.get("iterations", 0)))

    def save_run(self, alt_file=None, kind: str = "minimal", force_overwrite: bool = True):
        """Write a .ptyr ('minimal', 'dump', 'dls', 'used_params' or 'fullflat'); returns its path.

        'fullflat' (ptypy's whole object graph as a flat pool of labelled records, see
        :func:`io_ptyr.fullflat_pool`) is written without dismantling this Ptycho (ptypy stops its
        interaction server and deletes its engines and paths to write one)."""
        from .io_ptyr import _write_file, fullflat_pool, write_ptyr
        if kind not in KINDS:
            raise ParameterError("kind", " or ".join(repr(k) for k in KINDS), kind,
                                 message=f"save_run: unknown kind {kind!r}; kind must be one of "
                                         + ", ".join(repr(k) for k in KINDS))
        path = alt_file or self.paths.recon_file(self.runtime)
        if os.path.exists(path) and not force_overwrite:
            raise ParameterError("save_run", "a new file (force_overwrite=False)", path)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        rt = Param({k: v for k, v in self.runtime.items() if k not in ("positions",)})
        info = [dict(i) for i in self.runtime.get("iter_info", [])]
        rt["iter_info"] = info[-1:] if kind == "dump" else info
        if kind == "fullflat":      # the whole runtime, recorded positions included
            rt["positions"] = self.runtime.get("positions")
            if rt["positions"] is None:
                del rt["positions"]
            _write_file(path, kind, fullflat_pool(self, _plain(self.p), rt))
            return path
        positions = self.runtime.get("positions")
        write_ptyr(path, list(self.obj.S.values()), list(self.probe.S.values()), _plain(self.p), rt, kind, positions)
        return path

    @classmethod
    def load_run(cls, runfile, load_data: bool = True):
        """Rebuild a Ptycho from a .ptyr (any kind, 'fullflat' included); storages and runtime restored.

        With ``load_data`` the scans are loaded again from their parameters and the saved
        storages replace the freshly initialised ones.

        Deliberate difference from ptypy: a file name not ending in ``.ptyr`` or ``.pty`` raises
        :class:`~beamkit.errors.ParameterError` naming the file (ptypy logs a warning and
        returns None).
        """
        from .io_ptyr import fullflat_content, read_ptyr, storage_from_record
        name = os.fspath(runfile) if isinstance(runfile, (str, os.PathLike)) else runfile
        if not isinstance(name, str) or not name.endswith((".ptyr", ".pty")):
            raise ParameterError("runfile", "a ptypy run file name ending in .ptyr or .pty", name)
        tree = read_ptyr(runfile)
        c = tree["content"]
        flat = (tree.get("header") or {}).get("kind") == "fullflat"
        if flat:
            c = fullflat_content(c)
        pars = c.get("pars") or {}
        P = cls(pars, level=2 if load_data else 1)
        conts = [(P.obj, "obj"), (P.probe, "probe")]
        if flat and not load_data:          # with load_data the data are loaded afresh (as ptypy)
            conts += [(P.diff, "diff"), (P.mask, "mask")]
        for cont, key in conts:
            for ID, rec in (c.get(key) or {}).items():
                s = storage_from_record(rec)
                if ID in cont.S and cont.S[ID].data.shape == s.data.shape:
                    cont.S[ID].data[...] = s.data
                elif ID in cont.S and key == "obj" and cont.S[ID].shape[0] == s.shape[0] and \
                        np.allclose(cont.S[ID].psize, s.psize):     # another extent: paste by position
                    _paste_object(s, cont.S[ID])
                else:
                    cont.S[ID] = s
        rt = c.get("runtime") or {}
        P.runtime.update(rt)
        il = P.runtime.get("iter_info")
        if isinstance(il, dict):
            P.runtime["iter_info"] = [il[k] for k in sorted(il)]
        if c.get("positions"):
            P.runtime["positions"] = dict(c["positions"])
        P.header = tree.get("header")
        return P

    def plot(self, path=None):
        """Write the reconstruction figure (object, probe, errors) as PNG; returns its path."""
        from .plot import plot_ptycho
        return plot_ptycho(self, path or self.paths.plot_file(self.runtime))


def _warn_unsupported(label, sp):
    """Log the scan-model entries beamkit accepts (ptypy's tree) but does not act on."""
    coh = sp.get("coherence") or {}
    v = coh.get("spectrum")
    if v is not None and list(np.atleast_1d(v)) != [1.0]:
        log.warning("scans.%s.coherence.spectrum = %r has no effect: in ptypy's (achromatic) multispectral model "
                    "every energy shares the probe", label, v)


def _paste_object(old: Storage, new: Storage):
    """Copy the overlap of ``old`` into ``new`` by physical position (same pixel size)."""
    off = np.round((old.origin - new.origin) / new.psize).astype(int)
    oy, ox = old.shape[-2:]
    ny, nx = new.shape[-2:]
    y0, x0 = max(off[0], 0), max(off[1], 0)
    y1, x1 = min(off[0] + oy, ny), min(off[1] + ox, nx)
    if y1 <= y0 or x1 <= x0 or old.shape[0] != new.shape[0]:
        return
    new.data[:, y0:y1, x0:x1] = old.data[:, y0 - off[0]:y1 - off[0], x0 - off[1]:x1 - off[1]]


def _declare_user_scans(user):
    """Declare on the tree the user loaders (PtyScan subclasses) that ``scans.*.data.name`` names
    and that are not declared yet, so that validation accepts them and their own keys."""
    from .data import ptyscan
    from .params import TREE
    scans = user.get("scans") if hasattr(user, "get") else None
    if not isinstance(scans, dict):
        return
    for sp in scans.values():
        data = sp.get("data") if isinstance(sp, dict) else None
        name = data.get("name") if isinstance(data, dict) else None
        if isinstance(name, str) and name in ptyscan.SCANS and TREE.get("scandata." + name) is None:
            ptyscan.declare_scan(ptyscan.SCANS[name])
