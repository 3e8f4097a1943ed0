"""Benchmarks of the reflections face.

(a) Foreground pixels of 10^6 shoeboxes (tiled from centroid_test_data/indexed.refl):
    column-level ``count_mask_values`` against the tutorial's per-row loop (timed on 10^4 rows, scaled).
(b) Spot finding (dispersion_extended and dispersion) on thaumatin_grid/thau_3_2_0001.cbf.bz2 (6.2 M pixels),
    against a plain scipy.ndimage (uniform_filter) implementation of the classic dispersion test.
(c) .refl write + read of the 10^6-row shoebox table.
Needs ../shared (or BEAMKIT_SHARED). Run: .venv/bin/python bench/bench_reflections.py
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from beamkit.reflections import MaskCode, flex
from beamkit.reflections.simulate import tile_shoeboxes
from beamkit.reflections.spotfinder import find_spots, image_mask, read_image
from beamkit.reflections.threshold import dispersion, dispersion_extended
from _timing import timed as best

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BEAMKIT_SHARED", ROOT.parent / "shared"))


def scipy_dispersion(img, mask, sigma_b=6.0, sigma_s=3.0):
    """Reference: the classic dispersion test with scipy.ndimage.uniform_filter (7x7, zero outside)."""
    m = mask.astype(np.float64)
    v = np.where(mask, img, 0).astype(np.float64)
    k = 49.0
    n = np.rint(ndimage.uniform_filter(m, 7, mode="constant") * k)
    s1 = np.rint(ndimage.uniform_filter(v, 7, mode="constant") * k)
    s2 = np.rint(ndimage.uniform_filter(v * v, 7, mode="constant") * k)
    a = n * s2 - s1 * s1 > s1 * ((n - 1) + sigma_b * np.sqrt(np.maximum(2 * (n - 1), 0)))
    b = n * img - s1 > sigma_s * np.sqrt(np.maximum(s1 * n, 0))
    return mask & (n >= 2) & (s1 >= 0) & (img > 0) & a & b


def main():
    refl = SHARED / "dials-data" / "centroid_test_data" / "indexed.refl"
    cbf = SHARED / "dials-data" / "thaumatin_grid" / "thau_3_2_0001.cbf.bz2"
    if not refl.exists():
        print(f"bench_reflections: {refl} absent; skipping")
        return 0
    t = flex.reflection_table.from_file(refl)
    sb = tile_shoeboxes(t["shoebox"], 10**6)
    print(f"(a) {len(sb)} shoeboxes, {sb.data.size} pixels")
    tc, fg = best(lambda: sb.count_mask_values(MaskCode.Foreground))
    small = sb.select(np.arange(10**4))

    def loop():
        pixels = flex.int()
        for j in range(len(small)):
            pixels.append(small[j].count_mask_values(MaskCode.Foreground))
        return pixels

    def numpy_loop():
        return [int(np.count_nonzero(small[j].mask.as_numpy_array() & 4)) for j in range(len(small))]
    tl, ref = best(loop, 1)
    tn, ref2 = best(numpy_loop, 1)
    assert list(ref) == list(fg.as_numpy_array()[:10**4]) == ref2
    scale = len(sb) / len(small)
    print(f"    count_mask_values, all rows in one call: {tc:.3f} s")
    print(f"    tutorial per-row loop (scaled from 1e4 rows): {tl * scale:.1f} s   ratio {tc / (tl * scale):.4f}")
    print(f"    per-row numpy loop (scaled from 1e4 rows):    {tn * scale:.1f} s   ratio {tc / (tn * scale):.4f}")

    big = flex.reflection_table()
    big["shoebox"] = sb
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "big.refl"
        tw, _ = best(lambda: big.as_file(p), 1)
        tr, back = best(lambda: flex.reflection_table.from_file(p), 1)
        print(f"(c) .refl of {p.stat().st_size / 1e6:.0f} MB: write {tw:.2f} s, read {tr:.2f} s")
        assert back["shoebox"].data.size == sb.data.size

    if not cbf.exists():
        return 0
    t0 = time.perf_counter()
    img, hdr = read_image(cbf)
    print(f"(b) decode {cbf.name} (fabio, bz2): {time.perf_counter() - t0:.2f} s, {img.size / 1e6:.1f} M pixels")
    mask = image_mask(img, (0, 115896))
    te, _ = best(lambda: dispersion_extended(img, mask))
    td, strong = best(lambda: dispersion(img, mask))
    ts, ref = best(lambda: scipy_dispersion(img, mask))
    print(f"    threshold dispersion_extended {te:.2f} s, dispersion {td:.2f} s; scipy uniform_filter "
          f"dispersion {ts:.2f} s (ratio dispersion/scipy {td / ts:.2f}; same pixels: {np.array_equal(strong, ref)})")
    tf, table = best(lambda: find_spots([img], trusted_range=(0, 115896)), 1)
    print(f"    find_spots (dispersion_extended, whole pipeline): {tf:.2f} s, {table.size()} spots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
