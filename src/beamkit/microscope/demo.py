"""Demo: a confocal and a STED scan on the simulated microscope, saved as .obf and plotted."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.files import atomic_path

__all__ = ["run"]


def run(outdir) -> dict:
    """Scan beads and filaments (confocal, then STED), save ``scan.obf``, plot ``scan.png``."""
    from .file import File
    from .imspector import Imspector
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    im = Imspector()
    im.set_parameters("Simulator/time_scale", 0.0)     # do not wait the real dwell time
    m = im.create_measurement()
    conf = m.active_configuration()
    conf.set_parameters("ExpControl/scan/range/x/len", 8e-6)
    conf.set_parameters("ExpControl/scan/range/y/len", 8e-6)
    conf.set_parameters("ExpControl/scan/range/x/psz", 2e-8)
    conf.set_parameters("ExpControl/scan/range/y/psz", 2e-8)
    conf.set_parameters("ExpControl/scan/range/x/off", 3e-6)
    sted = m.clone(conf)
    sted.set_parameters("ExpControl/measurement/lasers/3/power/calibrated", 40.0)
    sted.set_parameters("ExpControl/measurement/channels/1/lasers", [1, 3])
    results = {}
    for c in (conf, sted):
        m.activate(c)
        results[c.name()] = im.run(m)
    path = out / "scan.obf"
    m.save_as(path)
    f = File(path)
    stacks = [f.read(i) for i in range(f.number_of_stacks())]
    f.close()
    import matplotlib
    if matplotlib.get_backend().lower() not in ("agg",):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(stacks), figsize=(4 * len(stacks), 4))
    for ax, s in zip(np.atleast_1d(axes), stacks):
        img = s.data()[0, 0]
        x0, y0 = s.offsets()[0], s.offsets()[1]
        lx, ly = s.lengths()[0], s.lengths()[1]
        ext = [(x0 - lx / 2) * 1e6, (x0 + lx / 2) * 1e6, (y0 + ly / 2) * 1e6, (y0 - ly / 2) * 1e6]
        ax.imshow(img, cmap="magma", extent=ext)
        ax.set_title(s.name(), fontsize=9)
        ax.set_xlabel("x (µm)")
    np.atleast_1d(axes)[0].set_ylabel("y (µm)")
    fig.tight_layout()
    png = out / "scan.png"
    with atomic_path(png, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=80)
    plt.close(fig)
    return {"obf": str(path), "png": str(png), "stacks": [s.name() for s in stacks],
            "counts": [int(s.data().sum()) for s in stacks], "results": results}
