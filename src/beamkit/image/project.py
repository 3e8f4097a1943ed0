"""The functions a powder project (``G2Project``) delegates to for images.

``G2Project.add_image`` -> :func:`add_image`; ``G2Project.imageMultiDistCalib`` ->
:func:`image_multi_dist_calib`.  The project provides ``_store_image`` (an
``IMG`` entry) and ``_add_pwdr_arrays`` (histograms from integration).
"""
from __future__ import annotations

from pathlib import Path


from ..core.log import get_logger
from ..errors import ParameterError
from . import calibrate as K, io_images as io
from .g2image import _IMAGE_CACHE, G2Image, new_image_entry

__all__ = ["add_image", "image_multi_dist_calib", "G2Image"]

log = get_logger("image.project")


def _default_source(project, default_image):
    if default_image is None:
        return None
    if isinstance(default_image, G2Image):
        return default_image
    img = project.image(default_image) if hasattr(project, "image") else None
    if img is None:
        raise ParameterError("defaultImage", "an image of this project (name or G2Image)", default_image)
    return img


def add_image(project, imagefile, fmthint=None, defaultImage=None, indexList=None,
              cacheImage: bool = False) -> list:
    """Read every image of ``imagefile`` (or those in ``indexList``) into ``project``.

    Controls start from the file's metadata (pixel size, wavelength, distance,
    centre); ``defaultImage`` copies calibration controls and masks from an
    image already in the project.  Returns a list of :class:`G2Image`.
    """
    frames = io.read_images(imagefile, fmthint, index_list=indexList)
    src = _default_source(project, defaultImage)
    out = []
    for fr in frames:
        entry = new_image_entry(fr)
        if src is not None:
            keep = {k: entry["Image Controls"][k] for k in ("size", "range")}
            ctrl = src.getControls(clean=True)
            ctrl.pop("pixelSize", None) if "pixelSize" in fr.meta else None
            entry["Image Controls"].update(ctrl)
            entry["Image Controls"].update(keep)
            entry["Masks"] = src.getMasks()
        name = "IMG " + Path(imagefile).name + (f" #{fr.index:04d}" if fr.nframes > 1 else "")
        if project is not None and hasattr(project, "_store_image"):
            stored = project._store_image(name, entry["Image Controls"], entry["Masks"], str(imagefile))
            stored["data"] = entry["data"]
            stored["Comments"] = entry["Comments"]
            key = name if name.startswith("IMG ") else "IMG " + name
            img = G2Image(stored, key, project)
        else:
            img = G2Image(entry, name, project)
        if cacheImage:
            _IMAGE_CACHE[img.data["ranId"]] = fr.data
        out.append(img)
    return out


def _images_of(project):
    if hasattr(project, "images"):
        return list(project.images())
    return list(project)


def image_multi_dist_calib(project, parmDict=None, covar: bool = False, verbose: bool = True):
    """Fit all images of ``project`` together (shared λ, tilt, rotation, DetDepth; own centre/distance).

    Returns ``(result, covData)``: the parameter dict (``wave``, ``tilt``,
    ``phi``, ``dep``, ``det-X{i}``, ``det-Y{i}``, ``dist{i}``) and a dict with
    ``varyList``, ``variables``, ``sig``, ``covMatrix``, ``obs`` (ring points)
    and ``chisq`` (the covariance is always included; ``covar`` is accepted
    for GSAS-II compatibility).  Every image's controls are updated.
    """
    imgs = _images_of(project)
    if not imgs:
        raise ParameterError("images", "a project with at least one image", 0)
    pairs = [(im.image, im.controls) for im in imgs]
    if parmDict:
        for c in (p[1] for p in pairs):
            for key, dest in (("wave", "wavelength"), ("tilt", "tilt"), ("phi", "rotation"), ("dep", "DetDepth")):
                if key in parmDict:
                    c[dest] = float(parmDict[key])
    result, cov = K.multi_distance_fit(pairs)
    if verbose:
        log.info("multi-distance fit: %d ring points, reduced chi**2 %.3g", cov["obs"], cov["chisq"])
        print(f"Multi-distance calibration: {cov['obs']} ring points, reduced chi**2 {cov['chisq']:.4g}")
        for n, v, s in zip(cov["varyList"], cov["variables"], cov["sig"]):
            print(f"  {n:>10s} {v:14.6f} ({s:.6f})")
    return result, cov
