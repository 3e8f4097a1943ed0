"""Output paths (joined properly under ``io.home``) and periodic autosave of ``.ptyr`` dumps."""
from __future__ import annotations

import os
import sys

from ..core.log import get_logger
from ..errors import ParameterError

__all__ = ["Paths", "Autosave", "run_name"]

log = get_logger("ptycho.io")

#: script names that say nothing about the run (interactive, ``-c``, test runners): 'beamkit' instead
_ANONYMOUS = ("", "-c", "-m", "pytest", "__main__", "ipykernel_launcher")


def run_name(run=None, argv0=None) -> str:
    """The run name as ptypy's ``Paths.run``: ``run`` if given, else the script's file name up to
    its first dot (``my.run.py`` -> ``my``). Where that says nothing (interactive sessions, ``-c``,
    test runners, an empty name) beamkit uses 'beamkit' (ptypy would use the empty string or '-c')."""
    if run:
        return str(run)
    argv0 = sys.argv[0] if argv0 is None else argv0
    name = os.path.split(str(argv0 or ""))[1].split(".")[0]
    return "beamkit" if name in _ANONYMOUS else name


class Paths:
    """Format ptypy's path templates (``%(run)s``, ``%(engine)s``, ``%(iterations)04d``) under ``home``.

    Paths are joined with :func:`os.path.join`, so ``home`` works with or without a trailing
    separator (ptypy concatenated strings; see notes §4.7 bug 3).

    ptypy's interface: ``recon_file``/``auto_file``/``plot_file(runtime=None)`` (None: the
    ``runtime`` given here, a Ptycho's own run record, else ptypy's default record of run name,
    engine 'None' and iteration 0), ``run(run)``, ``get_path(path, runtime=None)`` and the
    templates under home ``recon``, ``autosave``, ``autoplot``.
    """

    FIELDS = dict(run="beamkit", engine="None", iterations=0, iteration=0, numiter=0, duration=0.0)
    #: fields that come from the last iteration record only (ptypy's ``Paths.get_path``)
    RECORD = ("engine", "iterations", "iteration", "numiter", "duration")

    def __init__(self, io=None, runtime=None):
        self.io = io or {}
        self.home = os.path.expanduser(str(self.io.get("home") or "./"))
        self.runtime = runtime if runtime is not None else dict(run=run_name(None), engine="None", iteration=0,
                                                                 iterations=0)
        for key, template in self._templates().items():        # a bad template fails now, not after the run
            self._fmt(template, {}, key=key)
        t = self._templates()
        self.recon = os.path.join(self.home, t["io.rfile"])
        self.autosave = os.path.join(self.home, t["io.autosave.rfile"])
        self.autoplot = os.path.join(self.home, t["io.autoplot.imfile"])

    def _templates(self):
        a, pl = self.io.get("autosave") or {}, self.io.get("autoplot") or {}
        return {"io.rfile": self.io.get("rfile") or "recons/%(run)s/%(run)s_%(engine)s_%(iterations)04d.ptyr",
                "io.autosave.rfile": a.get("rfile") or "dumps/%(run)s/%(run)s_%(engine)s_%(iterations)04d.ptyr",
                "io.autoplot.imfile": pl.get("imfile") or "plots/%(run)s/%(run)s_%(engine)s_%(iterations)04d.png"}

    def _fmt(self, template, runtime, key="io path template"):
        """``template`` formatted (see :meth:`_format`) and joined under ``home``."""
        return os.path.join(self.home, self._format(template, runtime, key))

    def _format(self, template, runtime, key="io path template"):
        """``template % fields``; fields as ptypy's ``Paths.get_path``: the last
        iteration record (engine, iterations, iteration, numiter, duration, ...) plus ``run``; before
        any iteration engine 'None' and iteration(s) 0, whatever engine is about to start. Other
        scalars of the runtime (start, last_save, ...) are available as well (a beamkit extra)."""
        d = dict(self.FIELDS)
        rt = dict(runtime) if hasattr(runtime, "items") else {}
        d.update({k: v for k, v in rt.items() if isinstance(v, (str, int, float)) and k not in self.RECORD})
        info = (rt.get("iter_info") or [None])[-1]
        if info:
            d.update({k: v for k, v in dict(info).items() if isinstance(v, (str, int, float))})
        if rt.get("run"):
            d["run"] = rt["run"]
        try:
            return str(template) % d
        except (KeyError, ValueError, TypeError) as exc:
            raise ParameterError(key, "a path template with fields " + ", ".join(f"%({k})" for k in self.FIELDS),
                                 template, message=f"{key}: cannot format {template!r}: {exc!r}") from None

    def _rt(self, runtime):
        return self.runtime if runtime is None else runtime

    def run(self, run):
        """The run name: ``run`` if not None, else this run's (ptypy's ``Paths.run``)."""
        return (self.runtime.get("run") or run_name(None)) if run is None else run

    def recon_file(self, runtime=None):
        """File path of the reconstruction file (io.rfile)."""
        return self._fmt(self._templates()["io.rfile"], self._rt(runtime), "io.rfile")

    def auto_file(self, runtime=None):
        """File path of the autosave file (io.autosave.rfile)."""
        return self._fmt(self._templates()["io.autosave.rfile"], self._rt(runtime), "io.autosave.rfile")

    autosave_file = auto_file       # beamkit's earlier name

    def plot_file(self, runtime=None):
        """File path of the plot file (io.autoplot.imfile)."""
        return self._fmt(self._templates()["io.autoplot.imfile"], self._rt(runtime), "io.autoplot.imfile")

    def get_path(self, path, runtime=None):
        """``path`` (a template such as :attr:`recon`) formatted with ``runtime``'s fields, as an
        absolute path (ptypy's ``Paths.get_path``); a relative ``path`` is relative to the
        working directory, as in ptypy, not to home."""
        return os.path.abspath(os.path.expanduser(self._format(str(path), self._rt(runtime), "path")))

    def benchmark_file(self):
        return os.path.join(self.home, "benchmark.json")


class Autosave:
    """Autosave as ptypy's ``Ptycho.run``: before each block of iterations of an engine whose own
    iteration counter ``curiter`` (restarting at 0 for every engine) is a multiple of
    ``io.autosave.interval``, a 'dump' .ptyr is written, named from the last iteration record (so the
    first file is ``<run>_None_0000``, and the one written as the next engine starts carries the
    previous engine's name and count). No file is written after an engine's last block."""

    def __init__(self, ptycho):
        self.P = ptycho
        a = (ptycho.p.get("io") or {}).get("autosave") or {}
        self.active = bool(a.get("active", False))
        self.interval = int(a.get("interval") if a.get("interval") is not None else 10)   # <= 0: off (ptypy)
        self.files: list[str] = []

    def maybe_save(self, curiter: int):
        """Called before an engine's next block of iterations, with the engine's ``curiter``."""
        if not self.active or self.interval < 1 or int(curiter) % self.interval != 0:
            return None
        path = self.P.paths.auto_file(self.P.runtime)
        try:
            self.P.save_run(path, kind="dump")
        except OSError as exc:  # a full disk must not end the reconstruction
            log.warning("autosave to %s failed: %s", path, exc)
            return None
        self.P.runtime["last_save"] = int(curiter)
        self.files.append(path)
        return path
