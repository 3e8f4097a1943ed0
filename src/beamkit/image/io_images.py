"""Reading detector images with fabio (and h5py for HDF5/NeXus), in GSAS-II's orientation.

Every reader returns a list of :class:`Frame` (one per image in the file) with
the pixel array indexed [row, column] = [y, x] as GSAS-II's calibration expects,
and whatever metadata the file carries (pixel size in µm, wavelength in Å,
distance and centre in mm).  MAR345/2300 plates come out of fabio upside down
with respect to GSAS-II's "MAR image" reader, so they are flipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.log import get_logger
from ..errors import FormatError

__all__ = ["Frame", "read_images", "read_metadata_file", "FMTHINTS"]

log = get_logger("image.io")

# GSAS-II format hints -> the fabio class names they stand for
FMTHINTS = {
    "mar": ("Mar345Image", "MarccdImage"), "tif": ("TifImage", "PilatusImage", "MarccdImage"),
    "cbf": ("CbfImage",), "edf": ("EdfImage",), "ge": ("GEimage",), "hdf5": ("hdf5",),
    "nexus": ("hdf5",), "png": ("PngImage",), "img": ("AdscImage", "RaxisImage", "OdysseyImage"),
}
_FLIP_UD = ("Mar345Image",)


@dataclass
class Frame:
    """One image of a file: data[row, col], metadata, the file and the index within it."""
    data: np.ndarray
    meta: dict = field(default_factory=dict)
    path: str = ""
    index: int = 0
    nframes: int = 1


def read_metadata_file(path) -> dict:
    """Key=value lines of a ``.metadata`` companion (qxrd style), as strings."""
    out = {}
    try:
        for line in Path(path).read_text(encoding="latin-1").splitlines():
            if "=" in line and not line.startswith("["):
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    except OSError:
        pass
    return out


def _num(header: dict, *keys):
    for k in keys:
        v = header.get(k)
        if v is None:
            continue
        try:
            return float(str(v).split()[0])
        except (ValueError, IndexError):
            continue
    return None


def _fabio_meta(img, shape) -> dict:
    h = {str(k): v for k, v in (img.header or {}).items()}
    meta = {}
    px = _num(h, "PixelLength", "PIXEL_LENGTH", "pixel_size_x", "x_pixel_size", "PixelSize")
    py = _num(h, "PixelHeight", "PIXEL_HEIGHT", "pixel_size_y", "y_pixel_size", "PixelSize")
    if px:
        px = px * 1000.0 if px < 5 else px        # mm -> µm when given in mm
        py = (py * 1000.0 if py and py < 5 else py) or px
        meta["pixelSize"] = [px, py]
    wave = _num(h, "Wavelength", "WAVELENGTH", "wavelength")
    if wave and 0.01 < wave < 10:
        meta["wavelength"] = wave
    dist = _num(h, "Distance", "DISTANCE", "distance")
    if dist and dist > 0:
        meta["distance"] = dist * 1000.0 if dist < 5 else dist
    cx, cy = _num(h, "CENTER_X", "beam_center_x"), _num(h, "CENTER_Y", "beam_center_y")
    if cx is not None and cy is not None and "pixelSize" in meta:
        meta["center"] = [cx * meta["pixelSize"][0] / 1000.0, cy * meta["pixelSize"][1] / 1000.0]
    meta["size"] = [int(shape[1]), int(shape[0])]
    meta["header"] = {k: str(v) for k, v in h.items()}
    return meta


def _read_hdf5(path: Path) -> list[Frame]:
    import h5py

    frames = []
    try:
        with h5py.File(path, "r") as fh:
            found = []

            def visit(name, obj):
                if isinstance(obj, h5py.Dataset) and obj.ndim in (2, 3) and min(obj.shape[-2:]) > 1 \
                        and obj.dtype.kind in "iuf":
                    found.append(name)
            fh.visititems(visit)
            if not found:
                raise FormatError("no 2-D or 3-D numeric dataset", path=path, expected="image data")
            # prefer NeXus 'data' datasets, then the biggest one
            found.sort(key=lambda n: (not n.endswith("/data"), -int(np.prod(fh[n].shape))))
            ds = fh[found[0]]
            arr = ds[()]
            meta = {}
            for key, dest, scale in (("wavelength", "wavelength", 1.0), ("distance", "distance", 1.0)):
                for name in list(fh.attrs) + [k for k in ds.attrs]:
                    if name.lower() == key:
                        meta[dest] = float(np.asarray(ds.attrs.get(name, fh.attrs.get(name))).ravel()[0]) * scale
    except OSError as exc:
        raise FormatError(f"cannot read HDF5 file: {exc}", path=path, expected="an HDF5 image file") from exc
    arr = arr[None] if arr.ndim == 2 else arr
    for i, a in enumerate(arr):
        m = dict(meta)
        m["size"] = [int(a.shape[1]), int(a.shape[0])]
        frames.append(Frame(np.asarray(a), m, str(path), i, len(arr)))
    return frames


def read_images(path, fmthint: str | None = None, index_list=None) -> list[Frame]:
    """Read every image of ``path`` (or those in ``index_list``) as :class:`Frame` objects."""
    import fabio

    p = Path(path)
    if not p.is_file():
        raise FormatError("image file not found", path=p, expected="an existing file")
    head = p.open("rb").read(8)
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        frames = _read_hdf5(p)
    else:
        try:
            img = fabio.open(str(p))
        except Exception as exc:  # fabio raises many kinds for bad files
            raise FormatError(f"fabio cannot read this image ({type(exc).__name__}: {exc})", path=p,
                              expected="an image format fabio reads (tif, mar, cbf, edf, GE, HDF5)") from exc
        cls = type(img).__name__
        if fmthint:
            want = FMTHINTS.get(fmthint.lower().split()[0][:5].rstrip(), ())
            if want and cls not in want and "hdf5" not in want:
                log.info("format hint %r but file reads as %s", fmthint, cls)
        n = int(getattr(img, "nframes", 1) or 1)
        frames = []
        for i in range(n):
            fr = img if i == 0 else img.getframe(i)
            data = np.asarray(fr.data)
            if data.ndim != 2 or data.size == 0:
                raise FormatError("image is not 2-D", path=p, offset=None, expected="a 2-D image", got=data.shape)
            if cls in _FLIP_UD:
                data = data[::-1]
            frames.append(Frame(data, _fabio_meta(fr, data.shape), str(p), i, n))
    side = Path(str(p) + ".metadata")
    if side.is_file():
        md = read_metadata_file(side)
        for fr in frames:
            fr.meta["metadata"] = md
    if index_list is not None:
        idx = list(index_list)
        bad = [i for i in idx if not 0 <= int(i) < len(frames)]
        if bad:
            raise FormatError("image index out of range", path=p, expected=f"0..{len(frames) - 1}", got=bad[0])
        frames = [frames[int(i)] for i in idx]
    return frames
