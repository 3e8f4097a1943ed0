"""Output paths (joined properly under ``io.home``) and periodic autosave of ``.ptyr`` dumps."""
from __future__ import annotations

import os

from ..core.log import get_logger
from ..errors import ParameterError

__all__ = ["Paths", "Autosave"]

log = get_logger("ptycho.io")


class Paths:
    """Format ptypy's path templates (``%(run)s``, ``%(engine)s``, ``%(iterations)04d``) under ``home``.

    Paths are joined with :func:`os.path.join`, so ``home`` works with or without a trailing
    separator (ptypy concatenated strings; see notes §4.7 bug 3).
    """

    FIELDS = dict(run="beamkit", engine="None", iterations=0, iteration=0, numiter=0, duration=0.0)

    def __init__(self, io):
        self.io = io or {}
        self.home = os.path.expanduser(str(self.io.get("home") or "./"))
        for key, template in self._templates().items():        # a bad template fails now, not after the run
            self._fmt(template, {}, key=key)

    def _templates(self):
        a, pl = self.io.get("autosave") or {}, self.io.get("autoplot") or {}
        return {"io.rfile": self.io.get("rfile") or "recons/%(run)s/%(run)s_%(engine)s_%(iterations)04d.ptyr",
                "io.autosave.rfile": a.get("rfile") or "dumps/%(run)s/%(run)s_%(engine)s_%(iterations)04d.ptyr",
                "io.autoplot.imfile": pl.get("imfile") or "plots/%(run)s/%(run)s_%(engine)s_%(iterations)04d.png"}

    def _fmt(self, template, runtime, key="io path template"):
        """``template % fields`` under ``home``; fields as ptypy's: the runtime's scalars and the last
        iteration record (run, engine, iterations, iteration, numiter, duration, ...)."""
        d = dict(self.FIELDS)
        d.update({k: v for k, v in dict(runtime).items() if isinstance(v, (str, int, float))})
        info = (runtime.get("iter_info") or [None])[-1] if hasattr(runtime, "get") else None
        if info:
            d.update({k: v for k, v in dict(info).items() if isinstance(v, (str, int, float))})
        try:
            rel = str(template) % d
        except (KeyError, ValueError, TypeError) as exc:
            raise ParameterError(key, "a path template with fields " + ", ".join(f"%({k})" for k in self.FIELDS),
                                 template, message=f"{key}: cannot format {template!r}: {exc!r}") from None
        return os.path.join(self.home, rel)

    def recon_file(self, runtime):
        return self._fmt(self._templates()["io.rfile"], runtime, "io.rfile")

    def autosave_file(self, runtime):
        return self._fmt(self._templates()["io.autosave.rfile"], runtime, "io.autosave.rfile")

    def plot_file(self, runtime):
        return self._fmt(self._templates()["io.autoplot.imfile"], runtime, "io.autoplot.imfile")

    def benchmark_file(self):
        return os.path.join(self.home, "benchmark.json")


class Autosave:
    """Save a 'dump' .ptyr every ``io.autosave.interval`` iterations (also at iteration 0, as ptypy)."""

    def __init__(self, ptycho):
        self.P = ptycho
        a = (ptycho.p.get("io") or {}).get("autosave") or {}
        self.active = bool(a.get("active", False))
        self.interval = int(a.get("interval") if a.get("interval") is not None else 10)   # <= 0: off (ptypy)
        self.last = None
        self.files: list[str] = []

    def maybe_save(self, force: bool = False):
        if not self.active or self.interval < 1:
            return None
        it = int(self.P.runtime.get("iterations", 0) or 0)
        if not force and (it % self.interval != 0 or it == self.last):
            return None
        self.last = it
        path = self.P.paths.autosave_file(self.P.runtime)
        try:
            self.P.save_run(path, kind="dump")
        except OSError as exc:  # a full disk must not end the reconstruction
            log.warning("autosave to %s failed: %s", path, exc)
            return None
        self.files.append(path)
        return path
