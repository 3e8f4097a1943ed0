"""Integrating many image files with one calibration: cached maps, parallel workers, a watch mode.

Each worker process builds the geometry maps and the pyFAI sparse matrix once
(keyed by the controls and masks) and reuses them for every file it gets, like
GSAS-II's "Multicore Image Integration" example.  A file that cannot be read or
integrated gives an error record naming it; the batch goes on.
"""
from __future__ import annotations

import functools
import glob
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.log import get_logger, progress
from ..core.parallel import pmap
from ..errors import BeamkitError, ParameterError
from . import controls as C, integrate as I, io_images as io, masks as mk, pixelmask as P
from .pattern import write_xye

__all__ = ["BatchJob", "integrate_file", "integrate_files", "watch", "file_ready"]

log = get_logger("image.batch")
_WORKER = threading.local()  # per worker thread: job key -> (IntegrationMaps, frame mask, controls)


@dataclass
class BatchJob:
    """What every file of a batch shares: controls, masks, output folder and options."""
    controls: dict
    masks: dict = field(default_factory=mk.default_masks)
    outdir: str = "."
    esd_mul: float | None = None          # GeneratePixelMask threshold, None = no pixel mask
    engine: str = "auto"
    fmthint: str | None = None

    def key(self) -> str:
        def plain(v):
            if isinstance(v, np.ndarray):
                return v.tolist()
            if isinstance(v, np.generic):
                return v.item()
            return str(v)
        skip = ("rings", "ellipses", "ring", "range", "chisq")
        c = {k: v for k, v in self.controls.items() if k not in skip}
        m = {k: v for k, v in self.masks.items() if k not in ("SpotMask", "Thresholds")}
        text = json.dumps([c, m], sort_keys=True, default=plain)
        return hashlib.sha1(text.encode()).hexdigest()


def _maps_for(job: BatchJob, shape):
    key = (job.key(), tuple(shape))
    cache = getattr(_WORKER, "maps", None)
    if cache is None:
        cache = _WORKER.maps = {}
    got = cache.get(key)
    if got is None:
        c = dict(job.controls)
        c["size"] = [shape[1], shape[0]]
        maps = I.IntegrationMaps(c, shape, job.masks)
        frame = mk.frame_mask(job.masks, shape, c["pixelSize"])
        got = (maps, frame, c)
        if len(cache) > 4:
            cache.clear()
        cache[key] = got
    return got


def integrate_file(path, job: BatchJob) -> dict:
    """Integrate every image of one file; returns {'file', 'outputs', 'npoints', 'seconds', 'error'}."""
    t0 = time.perf_counter()
    rec = {"file": str(path), "outputs": [], "npoints": 0, "seconds": 0.0, "error": None}
    try:
        frames = io.read_images(path, job.fmthint)
        for fr in frames:
            maps, frame, c = _maps_for(job, fr.data.shape)
            img = np.asarray(fr.data, dtype=np.float64)
            pm = None
            if job.esd_mul:
                pm = P.auto_pixel_mask(img, maps.tth, c, float(job.esd_mul), frame)
            masks = dict(job.masks)
            if masks.get("Thresholds") and masks["Thresholds"][1][1] <= masks["Thresholds"][1][0]:
                masks.pop("Thresholds")
            h, azm, x, _ = I.integrate(img, c, masks, maps=maps, pixel_mask=pm, engine=job.engine)
            stem = Path(path).name + (f"_{fr.index:04d}" if fr.nframes > 1 else "")
            for k in range(h.shape[0]):
                suffix = "" if h.shape[0] == 1 else f"_Azm{0.5 * (azm[k] + azm[k + 1]):07.2f}"
                out = Path(job.outdir) / f"{stem}{suffix}.xye"
                write_xye(out, x, h[k], f"{Path(path).name} Azm= {0.5 * (azm[k] + azm[k + 1]) if suffix else 0:.2f}")
                rec["outputs"].append(str(out))
                rec["npoints"] = int(len(x))
    except (BeamkitError, OSError, ValueError, RuntimeError) as exc:
        rec["error"] = f"{type(exc).__name__}: {exc}"
    rec["seconds"] = round(time.perf_counter() - t0, 4)
    return rec


def integrate_files(files, controls, masks=None, outdir=".", processes=None, scheduler=None,
                    esd_mul=None, engine="auto", fmthint=None, show_progress=True) -> list[dict]:
    """Integrate ``files`` with one calibration (dict or .imctrl path) and masks (dict or .immask path).

    Runs on a local process pool (``processes``; 1 = serial) or a Dask cluster
    (``scheduler``: address, Client or cluster).  Returns one record per file, in order.
    """
    if isinstance(controls, (str, Path)):
        controls = C.apply_controls(C.default_controls(), C.read_imctrl(controls))
    else:
        controls = C.apply_controls(C.default_controls(), dict(controls))
    if isinstance(masks, (str, Path)):
        masks = mk.read_immask(masks)
    masks = masks or mk.default_masks()
    Path(outdir).mkdir(parents=True, exist_ok=True)
    job = BatchJob(controls, masks, str(outdir), esd_mul, engine, fmthint)
    files = [str(f) for f in files]
    if not files:
        return []
    func = functools.partial(integrate_file, job=job)
    return pmap(func, files, processes=processes, scheduler=scheduler, desc="integrating",
                progress=show_progress)


def file_ready(path, sizes: dict, stable_s: float = 1.0) -> bool:
    """True when ``path`` has a ``.metadata`` companion, or its size has not changed for ``stable_s``."""
    p = Path(path)
    if Path(str(p) + ".metadata").exists():
        return True
    try:
        size = p.stat().st_size
    except OSError:
        return False
    now = time.monotonic()
    last = sizes.get(str(p))
    if last is None or last[0] != size:
        sizes[str(p)] = (size, now)
        return False
    return size > 0 and now - last[1] >= stable_s


def watch(pattern: str, controls, masks=None, outdir=".", poll: float = 0.5, stable_s: float = 1.0,
          max_files: int | None = None, timeout: float | None = None, **kw) -> list[dict]:
    """Integrate files matching the glob ``pattern`` as they appear and are complete.

    Stops after ``max_files`` files or ``timeout`` seconds (both None: runs until
    interrupted).  Returns the records of the files handled.
    """
    if poll <= 0:
        raise ParameterError("poll", "a positive number of seconds", poll)
    done, sizes, records = set(), {}, []
    t0 = time.monotonic()
    bar = progress(total=max_files, desc="watching")
    try:
        while True:
            ready = [f for f in sorted(glob.glob(pattern))
                     if f not in done and not f.endswith(".metadata") and file_ready(f, sizes, stable_s)]
            if max_files is not None:
                ready = ready[:max_files - len(records)]
            if ready:
                recs = integrate_files(ready, controls, masks, outdir, show_progress=False, **kw)
                for r in recs:
                    if r["error"]:
                        log.warning("%s: %s", r["file"], r["error"])
                records += recs
                done.update(ready)
                bar.update(len(ready))
            if max_files is not None and len(records) >= max_files:
                break
            if timeout is not None and time.monotonic() - t0 > timeout:
                break
            time.sleep(poll)
    finally:
        bar.close()
    return records
