"""GenerateReflections: unique powder reflections for a space group and cell (GSAS-II's function)."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["generate_reflection_list"]


def generate_reflection_list(spcGrp, cell, Qmax=None, dmin=None, TTmax=None, wave=None,
                             with_mult: bool = False) -> list:
    """[[h, k, l, d], …] (d in Å, decreasing) down to the limit given by dmin, Qmax or TTmax + wave.

    ``with_mult`` appends the powder multiplicity to each row.
    """
    from .crystal import cell_to_A, generate_reflections, space_group
    c = np.asarray(cell, float).ravel()
    if c.size != 6 or np.any(c[:3] <= 0):
        raise ParameterError("cell", "six values a, b, c (Å), alpha, beta, gamma (°)", cell)
    if dmin is None:
        if Qmax is not None:
            dmin = 2 * np.pi / float(Qmax)
        elif TTmax is not None:
            if wave is None:
                raise ParameterError("wave", "a wavelength (Å) together with TTmax", None)
            dmin = float(wave) / (2 * np.sin(np.radians(float(TTmax) / 2)))
        else:
            raise ParameterError("dmin", "one of dmin, Qmax or TTmax (with wave)", None)
    r = generate_reflections(cell_to_A(c), space_group(spcGrp), float(dmin))
    rows = [[int(h), int(k), int(l), float(d)] for (h, k, l), d in zip(r["hkl"].tolist(), r["d"].tolist())]
    if with_mult:
        for row, m in zip(rows, r["mult"].tolist()):
            row.append(int(m))
    return rows
