"""Find spots on the real PILATUS3 6M image (thaumatin_grid/thau_3_2_0001.cbf.bz2), DIALS-style.

Writes strong.refl and spots.png into $BEAMKIT_EXAMPLES_OUT (default examples-out/), then checks the
table against its shoeboxes as DIALS' own derived columns would be.  Skips (exit 0) when the shared
folder ($BEAMKIT_SHARED, default ../shared) is absent.
"""
import os
import sys
from pathlib import Path

import numpy as np

from beamkit.reflections import MaskCode, flex
from beamkit.reflections.plots import plot_spots
from beamkit.reflections.spotfinder import find_spots, read_image, trusted_max_from_header


def main():
    root = Path(__file__).resolve().parents[2]
    shared = Path(os.environ.get("BEAMKIT_SHARED", root.parent / "shared"))
    cbf = shared / "dials-data" / "thaumatin_grid" / "thau_3_2_0001.cbf.bz2"
    if not cbf.exists():
        print(f"find_spots_cbf: {cbf} not found (set BEAMKIT_SHARED); skipping")
        return 0
    out = Path(os.environ.get("BEAMKIT_EXAMPLES_OUT", "examples-out"))
    image, header = read_image(cbf)
    trusted = (0, trusted_max_from_header(header))
    print(f"{cbf.name}: {image.shape[1]} x {image.shape[0]} px, trusted range {trusted}")
    for algorithm in ("dispersion", "dispersion_extended"):
        table = find_spots([image], algorithm=algorithm, trusted_range=trusted)
        print(f"  {algorithm:20s}: {table.size()} spots")
    refl = out / "strong.refl"
    table.as_file(refl)
    back = flex.reflection_table.from_file(refl)
    sb = back["shoebox"]
    assert np.array_equal(sb.count_mask_values(MaskCode.Foreground).as_numpy_array(), back.numpy("n_signal"))
    value, _ = sb.centroid_valid()
    assert np.allclose(value.as_numpy_array(), back.numpy("xyzobs.px.value"), rtol=1e-12)
    i = back.numpy("intensity.sum.value")
    print(f"  strong.refl: {back.size()} rows, intensity.sum {i.min():.0f}..{i.max():.0f}, "
          f"n_signal {back.numpy('n_signal').min()}..{back.numpy('n_signal').max()} -> {refl}")
    png = plot_spots(image, back.numpy("xyzobs.px.value"), out / "spots.png", title=f"{cbf.name}: {back.size()} spots")
    print(f"  plot -> {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
