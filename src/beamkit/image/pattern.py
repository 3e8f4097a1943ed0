"""A powder pattern from an image integration when no project is attached."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.files import atomic_write
from ..errors import ParameterError

__all__ = ["IntegratedPattern", "write_xye"]


def write_xye(path, x, y, title: str = "") -> str:
    """Write 2θ (deg), intensity and esd = sqrt(max(y, 0)) columns as an .xye file (atomic)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    esd = np.sqrt(np.maximum(y, 0.0))
    lines = ["/*", f"# {title}", "*/"]
    lines += [f"{a:<15.6g}{b:<15.6f}{e:<15.6f}" for a, b, e in zip(x, y, esd)]
    with atomic_write(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return str(path)


class IntegratedPattern:
    """x (2θ deg, lower bin edges), y, w = 1/y and instrument values of one integrated sector."""

    def __init__(self, name: str, x, y, w, inst: dict):
        self.name, self.x, self.y, self.w, self.inst = name, x, y, w, inst

    def __repr__(self):
        return f"<IntegratedPattern {self.name!r} {len(self.x)} points>"

    def getdata(self, datatype: str) -> np.ndarray:
        """'x', 'yobs' or 'yweight' as arrays."""
        key = datatype.lower()
        table = {"x": self.x, "yobs": self.y, "yweight": self.w}
        if key not in table:
            raise ParameterError("datatype", "'x', 'yobs' or 'yweight'", datatype)
        return table[key]

    def Export(self, fileroot, extension: str = ".xye", fmt: str = "xye") -> str:
        """Write the pattern as ``fileroot`` + ``extension`` (.xye); returns the file name."""
        if extension.lstrip(".").lower() != "xye":
            raise ParameterError("extension", "'.xye' for an image pattern without a project", extension)
        root = str(fileroot)
        if root.lower().endswith(extension.lower()):
            root = root[: -len(extension)]
        path = Path(root + (extension if extension.startswith(".") else "." + extension))
        return write_xye(path, self.x, self.y, self.name[5:] if self.name.startswith("PWDR ") else self.name)
