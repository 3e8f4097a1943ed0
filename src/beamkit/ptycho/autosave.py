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

    def __init__(self, io):
        self.io = io or {}
        self.home = os.path.expanduser(str(self.io.get("home") or "./"))

    def _fmt(self, template, runtime, **extra):
        d = dict(run=runtime.get("run", "beamkit"), engine=runtime.get("engine", "None"),
                 iterations=int(runtime.get("iterations", 0) or 0))
        d.update(extra)
        try:
            rel = str(template) % d
        except (KeyError, ValueError, TypeError) as exc:
            raise ParameterError("io path template", "only %(run)s, %(engine)s, %(iterations)d fields", template,
                                 message=str(exc)) from None
        return os.path.join(self.home, rel)

    def recon_file(self, runtime):
        return self._fmt(self.io.get("rfile") or "recons/%(run)s/%(run)s_%(engine)s_%(iterations)04d.ptyr", runtime)

    def autosave_file(self, runtime):
        a = self.io.get("autosave") or {}
        return self._fmt(a.get("rfile") or "dumps/%(run)s/%(run)s_%(engine)s_%(iterations)04d.ptyr", runtime)

    def plot_file(self, runtime):
        a = self.io.get("autoplot") or {}
        return self._fmt(a.get("imfile") or "plots/%(run)s/%(run)s_%(engine)s_%(iterations)04d.png", runtime)

    def benchmark_file(self):
        return os.path.join(self.home, "benchmark.json")


class Autosave:
    """Save a 'dump' .ptyr every ``io.autosave.interval`` iterations (also at iteration 0, as ptypy)."""

    def __init__(self, ptycho):
        self.P = ptycho
        a = (ptycho.p.get("io") or {}).get("autosave") or {}
        self.active = bool(a.get("active", False))
        self.interval = int(a.get("interval") or 10)
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
