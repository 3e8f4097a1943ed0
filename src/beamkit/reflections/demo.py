"""``beamkit demo`` part for reflections: spot finding on a simulated still, then the tutorial's histogram."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .flags import MaskCode

__all__ = ["run"]


def run(outdir) -> dict:
    """Simulate a still, find spots, write strong.refl, read it back, histogram foreground pixels; PNGs."""
    from . import flex
    from .plots import plot_histogram, plot_spots
    from .simulate import simulate_still
    from .spotfinder import find_spots

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    img, centres, _ = simulate_still((1024, 1024), n_spots=144, intensity=(300, 30000), sigma=1.2,
                                     background=2.0, gap_rows=(490, 491), seed=42)
    table = find_spots([img])
    refl = out / "strong.refl"
    table.as_file(refl)

    # the DIALS tutorial, column-level: foreground pixels per shoebox, then a histogram
    data = flex.reflection_table.from_file(refl)
    pixels = data["shoebox"].count_mask_values(MaskCode.Foreground)
    hist = flex.histogram(pixels.as_double(), n_slots=10)
    xy = data.numpy("xyzobs.px.value")[:, :2]
    d = np.linalg.norm(xy[:, None, :] - centres[None], axis=2)
    spots_png = plot_spots(img, data.numpy("xyzobs.px.value"), out / "spots.png",
                           title=f"simulated still: {data.size()} spots found")
    hist_png = plot_histogram(pixels.as_numpy_array(), out / "foreground_histogram.png", bins=10,
                              xlabel="foreground pixels per shoebox", title="strong.refl")
    res = {
        "spots_simulated": int(centres.shape[0]),
        "spots_found": int(data.size()),
        "max_centroid_error_px": float(d.min(axis=0).max()),
        "histogram_slots": [int(v) for v in hist.slots()],
        "files": [str(refl), str(spots_png), str(hist_png)],
    }
    print(f"  reflections: {res['spots_found']}/{res['spots_simulated']} spots, "
          f"max centroid error {res['max_centroid_error_px']:.3f} px -> {refl}")
    return res
