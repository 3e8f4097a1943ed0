"""Spot finding as DIALS does it: threshold, label, shoeboxes, centroids, filters (notes/dials.md §6).

``find_spots(images, ...)`` takes 2-D arrays or image file names (read with
fabio) and returns a strong reflection table with DIALS' columns.  Images are
thresholded in parallel (``beamkit.core.parallel`` when present) with progress.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..core.log import get_logger, progress
from ..errors import ParameterError
from .flags import Flags, MaskCode
from .reflection_table import ReflectionTable
from .shoebox import ShoeboxColumn
from .threshold import threshold_image

__all__ = ["find_spots", "read_image", "image_mask", "strong_pixels", "label_spots", "shoeboxes_from_labels"]

log = get_logger("reflections.spotfinder")


def read_image(path):
    """(data as int32/float array (slow, fast), header dict) of a CBF/other fabio image, .bz2/.gz included."""
    import fabio
    from ..errors import FormatError
    try:
        im = fabio.open(str(path))
        data = np.asarray(im.data)
        header = dict(im.header)
    except Exception as exc:  # fabio raises many unrelated types on corrupt files
        raise FormatError(f"cannot read image ({type(exc).__name__}: {exc})", path=path,
                          expected="an image fabio can read (CBF, ...)") from None
    return data, header


def trusted_max_from_header(header: dict):
    """Pilatus 'Count_cutoff N counts' → N − 1 (the highest trusted value), else None."""
    text = str(header.get("_array_data.header_contents", ""))
    for line in text.splitlines():
        if "Count_cutoff" in line:
            try:
                return float(line.split("Count_cutoff")[1].split()[0]) - 1
            except (IndexError, ValueError):
                return None
    return None


def image_mask(image, trusted_range=(0, None), rectangles=(), extra=None) -> np.ndarray:
    """Valid pixels: trusted_range [min, max] inclusive, minus untrusted rectangles (x0, x1, y0, y1), ∧ extra."""
    img = np.asarray(image)
    lo, hi = trusted_range
    m = np.ones(img.shape, bool) if lo is None else img >= lo
    if hi is not None:
        m &= img <= hi
    for x0, x1, y0, y1 in rectangles:
        m[y0:y1, x0:x1] = False
    if extra is not None:
        m &= np.asarray(extra, bool)
    return m


def _threshold_one(args):
    image, algorithm, params, trusted_range, rectangles, extra = args
    if isinstance(image, (str, bytes)) or hasattr(image, "__fspath__"):
        image, _ = read_image(image)
    m = image_mask(image, trusted_range, rectangles, extra)
    strong = threshold_image(image, m, algorithm, **params)
    return image, strong


def strong_pixels(images, algorithm="dispersion_extended", trusted_range=(0, None), rectangles=(), mask=None,
                  nproc=1, **params):
    """Threshold every image; returns (list of images, list of strong masks)."""
    jobs = [(im, algorithm, params, trusted_range, rectangles, mask) for im in images]
    results = None
    if nproc != 1 and len(jobs) > 1:
        try:
            from ..core.parallel import pmap
            results = pmap(_threshold_one, jobs, processes=nproc, desc="spot finding")
        except ImportError:
            results = None
    if results is None:
        results = [_threshold_one(j) for j in progress(jobs, total=len(jobs), desc="spot finding")]
    return [r[0] for r in results], [r[1] for r in results]


def label_spots(strong: np.ndarray, three_d: bool):
    """Connected components: 3-D 6-connectivity for sequences, 2-D 4-connectivity per frame for stills.

    ``strong`` is (frames, slow, fast); returns (labels, count) with labels
    numbered by each component's first pixel in (z, y, x) order.
    """
    if three_d:
        return ndimage.label(strong, structure=ndimage.generate_binary_structure(3, 1))
    st = np.zeros((3, 3, 3), bool)
    st[1] = ndimage.generate_binary_structure(2, 1)
    return ndimage.label(strong, structure=st)


def shoeboxes_from_labels(labels, count, values, min_size=3, max_size=1000, panel=0) -> ShoeboxColumn:
    """Shoeboxes of the labelled spots: data = spot values, mask = Valid|Foreground (5), background 0."""
    flat = labels.ravel()
    pix = np.flatnonzero(flat)
    lab = flat[pix] - 1
    order = np.argsort(lab, kind="stable")  # pixels grouped by spot, in scan order
    pix, lab = pix[order], lab[order]
    sizes = np.bincount(lab, minlength=count)
    keep = (sizes >= min_size) & (sizes <= max_size)
    z, y, x = np.unravel_index(pix, labels.shape)
    starts = np.zeros(count + 1, np.int64)
    np.cumsum(sizes, out=starts[1:])
    nonempty = sizes > 0
    st = np.minimum(starts[:-1], max(pix.size - 1, 0))
    bbox = np.zeros((count, 6), np.int64)
    if pix.size:
        for k, c in enumerate((x, y, z)):
            bbox[:, 2 * k] = np.minimum.reduceat(c, st)
            bbox[:, 2 * k + 1] = np.maximum.reduceat(c, st) + 1
    keep &= nonempty
    sel = np.flatnonzero(keep)
    bb = bbox[sel]
    sb = ShoeboxColumn.from_bboxes(bb, panel=np.full(sel.size, panel))
    pm = keep[lab]
    newid = np.cumsum(keep) - 1
    li = newid[lab[pm]]
    nx = (bb[:, 1] - bb[:, 0])[li]
    ny = (bb[:, 3] - bb[:, 2])[li]
    local = ((z[pm] - bb[li, 4]) * ny + (y[pm] - bb[li, 2])) * nx + (x[pm] - bb[li, 0])
    dest = sb.offsets[li] + local
    sb.data[dest] = np.asarray(values).ravel()[pix[pm]].astype(np.float32)
    sb.mask[dest] = int(MaskCode.Valid | MaskCode.Foreground)
    return sb


def find_spots(images, algorithm="dispersion_extended", gain=1.0, kernel_size=(3, 3), sigma_background=6.0,
               sigma_strong=3.0, min_local=2, global_threshold=0.0, min_spot_size=None, max_spot_size=1000,
               max_separation=2.0, trusted_range=(0, None), untrusted_rectangles=(), mask=None, sequence=None,
               panel_type="SENSOR_PAD", first_frame=0, nproc=1, experiment=None) -> ReflectionTable:
    """Find strong spots on a list of images (arrays or file names) of one panel.

    ``sequence`` (default: True when more than one image) links spots across
    frames in 3-D; stills are labelled per frame in 2-D.  z is the array index
    (``first_frame`` for the first image).  With ``experiment`` (from an .expt),
    the trusted range, untrusted rectangles and sensor type come from its panel 0,
    and a rotation scan sets ``sequence`` and ``first_frame``; ``images=None``
    then reads the experiment's image files.  Returns a strong reflection table.
    """
    if experiment is not None:
        panel = experiment.detector[0]
        trusted_range = panel.get_trusted_range()
        untrusted_rectangles = panel.get_mask_rectangles()
        panel_type = panel.get_type()
        scan = experiment.scan
        if scan is not None and sequence is None:
            sequence = scan.get_oscillation()[1] != 0
            first_frame = scan.get_array_range()[0]
        if images is None and experiment.imageset is not None:
            images = experiment.imageset.paths(scan.get_image_range() if scan is not None else None)
    if images is None:
        raise ParameterError("images", "images or an experiment with an image set", None)
    if isinstance(images, np.ndarray) and images.ndim == 2:
        images = [images]
    images = list(images)
    if not images:
        raise ParameterError("images", "at least one image", 0)
    if min_spot_size is None:  # DIALS' Auto
        min_spot_size = 3 if panel_type == "SENSOR_PAD" else 6
    params = dict(gain=gain, kernel_size=kernel_size, sigma_background=sigma_background,
                  sigma_strong=sigma_strong, min_local=min_local, global_threshold=global_threshold)
    data, strong = strong_pixels(images, algorithm, trusted_range, untrusted_rectangles, mask, nproc, **params)
    shapes = {d.shape for d in data}
    if len(shapes) != 1:
        raise ParameterError("images", "images of one shape", sorted(shapes))
    vol = np.stack(strong)
    labels, count = label_spots(vol, three_d=len(images) > 1 if sequence is None else bool(sequence))
    sb = shoeboxes_from_labels(labels, count, np.stack(data), min_spot_size, max_spot_size)
    sb.bbox[:, 4:] += first_frame
    if trusted_range[1] is not None:  # overloaded pixels lose Valid (cannot happen with an inclusive mask)
        over = sb.data > trusted_range[1]
        sb.mask[over] &= ~np.uint8(MaskCode.Valid)
    t = ReflectionTable.from_observations_and_shoeboxes(sb)
    pk = sb.peak_coordinates().as_numpy_array()
    sep = np.linalg.norm(pk - t.numpy("xyzobs.px.value"), axis=1)
    t = t.select(sep <= max_separation)
    n = t.size()
    t["id"] = np.zeros(n, np.int32)
    t["flags"] = np.full(n, int(Flags.strong), np.uint64)
    t["n_signal"] = t["shoebox"].count_mask_values(MaskCode.Foreground | MaskCode.Valid)
    log.info("found %d spots (%d components before filters)", n, count)
    return t
