"""Plot of a powder histogram: observed, calculated, background, difference and reflection ticks."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.files import atomic_path

__all__ = ["plot_histogram"]


def _figure():
    import matplotlib
    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo") and \
            "MPLBACKEND" not in __import__("os").environ:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_histogram(hist, filename=None, title=None, show_ticks: bool = True, dpi: int = 110) -> str:
    """Write a PNG of the histogram (inside its limits); returns the file name.

    Observed as points, calculated and background as lines, difference below,
    one row of tick marks per phase at the reflection positions.
    """
    plt = _figure()
    x = hist.getdata("x")
    yo, yc, yb = hist.getdata("yobs"), hist.getdata("ycalc"), hist.getdata("background")
    tof = hist.data["Instrument Parameters"][0]["Type"][1][2] == "T"
    if filename is None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in hist.name)
        filename = f"{safe}.png"
    fig, ax = plt.subplots(figsize=(9, 5.2))
    try:
        has_obs = np.any(yo)
        if has_obs:
            ax.plot(x, yo, "+", ms=3, color="tab:blue", label="observed")
        ax.plot(x, yc, "-", lw=1.0, color="tab:green", label="calculated")
        ax.plot(x, yb, "-", lw=0.8, color="tab:red", label="background")
        ymax = float(max(yc.max(initial=0), yo.max(initial=0))) or 1.0
        off = -0.08 * ymax
        if has_obs:
            diff = yo - yc
            ax.plot(x, diff + off - diff.max(initial=0), "-", lw=0.7, color="tab:cyan", label="obs − calc")
        ticks_y = off - (np.ptp(yo - yc) if has_obs else 0.0) - 0.04 * ymax
        if show_ticks:
            colors = ["k", "tab:purple", "tab:orange", "tab:brown", "tab:pink"]
            for i, (pname, entry) in enumerate(hist.data["Reflection Lists"].items()):
                rl = np.asarray(entry.get("RefList", np.zeros((0, 6))), float)
                if not len(rl):
                    continue
                pos = rl[:, 5]
                pos = pos[(pos >= x.min()) & (pos <= x.max())]
                yy = ticks_y - i * 0.05 * ymax
                ax.plot(pos, np.full(pos.size, yy), "|", ms=8, color=colors[i % len(colors)], label=pname)
        ax.set_xlabel("TOF (µs)" if tof else "2θ (degrees)")
        ax.set_ylabel("intensity")
        wr = hist.get_wR()
        ax.set_title(title or (hist.name + (f"   wR = {wr:.2f} %" if wr is not None and has_obs else "")))
        ax.legend(loc="upper right", fontsize=8)
        fig.tight_layout()
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(filename, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
    finally:
        plt.close(fig)
    return str(filename)
