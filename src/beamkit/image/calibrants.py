"""Calibrant names as GSAS-II spells them, and their d-spacings (Å).

d-spacings come from pyFAI's calibrant library where it holds the same
material and lattice; the others are generated here from the lattice and the
centring of the Bravais lattice (cubic F/I/P, tetragonal P, hexagonal P).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import ParameterError

__all__ = ["CALIBRANTS", "calibrant_names", "d_spacings", "lattice_d_spacings"]

# GSAS-II name -> (pyFAI name or None, lattice type, cell a, c, lines skipped, absent line indices)
CALIBRANTS = {
    "LaB6  SRM660b": ("LaB6_SRM660b", "cP", 4.15689, None, 0, ()),
    "LaB6  SRM660a": ("LaB6_SRM660a", "cP", 4.1569162, None, 0, ()),
    "LaB6  SRM660a skip 1": ("LaB6_SRM660a", "cP", 4.1569162, None, 1, ()),
    "LaB6  SRM660c": ("LaB6_SRM660c", "cP", 4.156826, None, 0, ()),
    "LaB6  SRM660": (None, "cP", 4.15695, None, 0, ()),
    "Si    SRM640c": ("Si_SRM640c", "cF-diamond", 5.4311946, None, 0, ()),
    "Si    SRM640d": ("Si_SRM640d", "cF-diamond", 5.43123, None, 0, ()),
    "Si    SRM640e": ("Si_SRM640e", "cF-diamond", 5.431179, None, 0, ()),
    "CeO2  SRM674b": ("CeO2", "cF", 5.411651, None, 0, ()),
    "Ni   @ 298K": (None, "cF", 3.52475, None, 0, ()),
    "Ni   @ 80K": (None, "cF", 3.5190, None, 0, ()),
    "NaCl @ 298K": (None, "cF", 5.6402, None, 0, ()),
    "NaCl even hkl only": (None, "cP", 2.8201, None, 0, ()),
    "Ag behenate": ("AgBh", "00l", None, 58.380, 0, ()),
    "Spun Si 3600 line/mm grating": (None, "00l", None, 2777.78, 2, ()),
    "Spun Si 7200 line/mm grating": (None, "00l", None, 1388.89, 1, ()),
    "Pt   @ 298K": (None, "cF", 3.9231, None, 0, ()),
    "Al2O3 SRM676a": ("alpha_Al2O3_SRM676a_2015", "pyfai", None, None, 0, ()),
}
ALIASES = {"silver behenate": "Ag behenate", "agbh": "Ag behenate", "lab6": "LaB6  SRM660c",
           "si": "Si    SRM640c", "ceo2": "CeO2  SRM674b"}


def calibrant_names() -> list[str]:
    """The calibrant names accepted by ``setCalibrant`` (GSAS-II's spelling)."""
    return sorted(CALIBRANTS)


def resolve(name: str) -> str:
    """The GSAS-II spelling of ``name`` (exact, whitespace-insensitive or an alias)."""
    if name in CALIBRANTS:
        return name
    squeeze = lambda s: " ".join(s.split()).lower()  # noqa: E731
    for key in CALIBRANTS:
        if squeeze(key) == squeeze(name):
            return key
    if squeeze(name) in ALIASES:
        return ALIASES[squeeze(name)]
    from difflib import get_close_matches
    near = get_close_matches(name, list(CALIBRANTS), n=1)
    raise ParameterError("calibrant", "a GSAS-II calibrant name" + (f" (did you mean {near[0]!r}?)" if near else ""),
                         name)


def lattice_d_spacings(kind: str, a, c, dmin: float) -> np.ndarray:
    """Distinct d-spacings >= dmin (Å, descending) of a simple lattice.

    kind: 'cP', 'cI', 'cF', 'cF-diamond' (cubic), '00l' (a 1-D stack of period c).
    """
    if kind == "00l":
        n = np.arange(1, int(c / dmin) + 1)
        return c / n
    hmax = int(np.ceil(a / dmin))
    h = np.arange(0, hmax + 1)
    hh, kk, ll = np.meshgrid(h, h, h, indexing="ij")
    sel = (hh >= kk) & (kk >= ll) & ((hh + kk + ll) > 0)
    hh, kk, ll = hh[sel], kk[sel], ll[sel]
    if kind in ("cF", "cF-diamond"):
        par = np.stack([hh % 2, kk % 2, ll % 2])
        ok = (par == par[0]).all(axis=0)
        if kind == "cF-diamond":
            ok &= ~((hh % 2 == 0) & ((hh + kk + ll) % 4 == 2))
    elif kind == "cI":
        ok = (hh + kk + ll) % 2 == 0
    elif kind == "cP":
        ok = np.ones(hh.shape, bool)
    else:
        raise ParameterError("lattice", "'cP', 'cI', 'cF', 'cF-diamond' or '00l'", kind)
    s = np.unique((hh * hh + kk * kk + ll * ll)[ok])
    d = a / np.sqrt(s)
    return d[d >= dmin]


@lru_cache(maxsize=64)
def _pyfai_d(name: str) -> tuple:
    from pyFAI.calibrant import get_calibrant

    c = get_calibrant(name)
    return tuple(c.dspacing if hasattr(type(c), "dspacing") else c.dSpacing)


def d_spacings(name: str, dmin: float) -> np.ndarray:
    """d-spacings (Å, descending, distinct) of a GSAS-II calibrant down to ``dmin``, skips applied."""
    key = resolve(name)
    pyfai, kind, a, c, skip, absent = CALIBRANTS[key]
    if pyfai is not None:
        d = np.array(sorted(set(np.round(_pyfai_d(pyfai), 8)), reverse=True))
        d = d[d >= dmin]
    else:
        d = lattice_d_spacings(kind, a, c, dmin)
    d = np.delete(d, [i for i in absent if i < len(d)])
    return d[int(skip):]
