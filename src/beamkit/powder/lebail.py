"""Le Bail intensity extraction for phases flagged 'LeBail' in a histogram's HAP entry.

The intensities live where GSAS-II keeps them: column Fc² of the histogram's
'Reflection Lists' entry of the phase (``calc`` uses that column instead of the
structure factors while the hkl list is unchanged).  A new project needs no
preparatory cycle: without a stored list the first pass starts from the computed F²
and :func:`extract` writes the list.  One step is the Le Bail partition
I_k ← I_k·Σ_i P_ik·(yo_i − yb_i)/(yc_i − yb_i) / Σ_i P_ik.
"""
from __future__ import annotations

import numpy as np

__all__ = ["is_lebail", "has_lebail", "extract", "previous_reflist", "apply_stored"]


def is_lebail(hap: dict) -> bool:
    return bool(hap.get("LeBail", False))


def has_lebail(project) -> bool:
    """True when any phase-histogram pair of the project is flagged LeBail."""
    return any(is_lebail(hap) for p in project.phases() for hap in p.data["Histograms"].values())


def previous_reflist(hd: dict, pname: str):
    """The stored RefList array of phase ``pname`` in histogram dict ``hd`` (or None)."""
    rl = hd.get("Reflection Lists", {}).get(pname, {})
    prev = rl.get("RefList") if isinstance(rl, dict) else None
    return None if prev is None else np.asarray(prev, float)


def _keys(hkl) -> np.ndarray:
    hkl = np.asarray(hkl, np.int64).reshape(-1, 3)
    return ((hkl[:, 0] + 1024) * 2048 + (hkl[:, 1] + 1024)) * 2048 + (hkl[:, 2] + 1024)


def apply_stored(cols: dict, prev) -> None:
    """Put stored intensities (RefList column Fc²) into cols['Fc2'], matched by hkl, not by order.

    Reflections absent from the stored list keep their computed F².
    """
    if prev is None or len(prev) == 0 or "h" not in cols or len(cols["h"]) == 0:
        return
    prev = np.asarray(prev, float)
    sk = _keys(np.rint(prev[:, :3]))
    order = np.argsort(sk)
    sk = sk[order]
    keys = _keys(np.stack([cols["h"], cols["k"], cols["l"]], axis=1))
    pos = np.minimum(np.searchsorted(sk, keys), len(sk) - 1)
    found = sk[pos] == keys
    cols["Fc2"] = np.where(found, prev[order, 9][pos], np.asarray(cols["Fc2"], float))


def extract(hcalc) -> bool:
    """One Le Bail step for every Le Bail phase of an evaluated histogram (derivatives._HistCalc).

    Writes the new intensities to the histogram's 'Reflection Lists' (Fo² = Fc² = I).
    Returns True when something was updated.
    """
    from .calc import reflist_array
    yo, yc, yb = hcalc.yo, hcalc.yc, hcalc.ybkg
    net = yc - yb
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(net > 0, (yo - yb) / np.where(net > 0, net, 1.0), 0.0)
    done = False
    typ = hcalc.hd["Instrument Parameters"][0]["Type"][1]
    for pid, pname, ph, hap in hcalc._haps():
        if not is_lebail(hap) or pname not in hcalc.parts:
            continue
        cols, inten, store = hcalc.parts[pname]
        m = len(cols["d"])
        num = np.zeros(m)
        den = np.zeros(m)
        for rows, pts, P, kr, d in store:
            num += np.bincount(rows, kr * P * ratio[pts], minlength=m)
            den += np.bincount(rows, kr * P, minlength=m)
        with np.errstate(divide="ignore", invalid="ignore"):
            fac = np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)
        new = np.maximum(np.asarray(cols["Fc2"], float) * fac, 0.0)
        c2 = dict(cols, Fc2=new, Fo2=new)
        hcalc.hd.setdefault("Reflection Lists", {})[pname] = {
            "RefList": reflist_array(c2, typ[2] == "T"), "Type": typ, "FF": {}, "Super": 0}
        done = True
    return done
