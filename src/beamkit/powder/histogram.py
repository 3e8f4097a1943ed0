"""G2PwdrData: one powder histogram of a project (GSAS-II names)."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from . import tree as _tree
from .refine_api import HistogramRefineMixin

__all__ = ["G2PwdrData", "limits_mask", "DATA_TYPES"]

DATA_TYPES = ("x", "yobs", "yweight", "ycalc", "background", "residual")


def limits_mask(hist_data: dict) -> np.ndarray:
    """Boolean mask of the points inside 'Limits' (and outside excluded regions)."""
    x = np.asarray(hist_data["data"][1][0], float)
    lim = hist_data["Limits"]
    lo, hi = lim[1]
    m = (x >= lo) & (x <= hi)
    for ex in lim[2:]:
        m &= ~((x >= ex[0]) & (x <= ex[1]))
    return m


class G2PwdrData(HistogramRefineMixin):
    """A powder histogram; ``data`` is its GSAS-II tree dict ('data', 'Limits', 'Background', …)."""

    def __init__(self, data: dict, proj, name: str):
        self.data = data
        self.proj = proj
        self.name = name

    def __repr__(self):
        return f"<G2PwdrData {self.name!r}>"

    @property
    def id(self) -> int:
        """Histogram index (hId) in the project."""
        return self.data["data"][0].get("hId", self.proj._hist_names().index(self.name))

    @property
    def ranId(self) -> int:
        return self.data["data"][0]["ranId"]

    @property
    def histType(self) -> str:
        """GSAS-II histogram type, e.g. 'PXC', 'PNC', 'PNT'."""
        return self.data["Instrument Parameters"][0]["Type"][1]

    @property
    def InstrumentParameters(self) -> dict:
        return self.data["Instrument Parameters"][0]

    @property
    def SampleParameters(self) -> dict:
        return self.data["Sample Parameters"]

    @property
    def Background(self) -> list:
        return self.data["Background"]

    @property
    def Limits(self) -> list:
        return self.data["Limits"]

    @property
    def residuals(self) -> dict:
        """wR, R, wRb, Rb, wRmin, Nobs and per-phase terms of the last calculation."""
        info = self.data["data"][0]
        keys = ("R", "Rb", "wR", "wRb", "wRmin", "Nobs")
        out = {k: info[k] for k in keys if k in info}
        out.update({k: v for k, v in info.items() if ":" in str(k)})
        return out

    def get_wR(self):
        """wR (%) of the last calculation, or None before one."""
        return self.data["data"][0].get("wR")

    def getdata(self, datatype: str) -> np.ndarray:
        """One column inside the limits: 'x', 'yobs', 'yweight', 'ycalc', 'background' or 'residual'."""
        try:
            i = DATA_TYPES.index(str(datatype).lower())
        except ValueError:
            raise ParameterError("datatype", f"one of {DATA_TYPES}", datatype) from None
        m = limits_mask(self.data)
        return np.asarray(self.data["data"][1][i], float)[m]

    def reflections(self) -> dict:
        """{phase name: {'RefList': array, 'Type': …}} of the last calculation."""
        return self.data["Reflection Lists"]

    @property
    def Peaks(self) -> dict:
        return self.data["Peak List"]

    @property
    def PeakList(self) -> list:
        return [[float(p[0]), float(p[2]), float(p[4]), float(p[6])] for p in self.data["Peak List"]["peaks"]]

    def EditSimulated(self, Tmin, Tmax, Tstep=None, Npoints=None):
        """Change the range (2θ degrees or TOF ms) and points of a simulated histogram."""
        from .model import default_limits
        from .simulate import simulation_grid
        if not self.data["data"][0].get("Dummy"):
            raise ParameterError("histogram", "a simulated histogram", self.name)
        x = simulation_grid(self.histType[2] == "T", float(Tmin), float(Tmax), Tstep, Npoints)
        n = x.size
        self.data["data"][1] = [x, np.zeros(n), np.ones(n), np.zeros(n), np.zeros(n), np.zeros(n)]
        self.data["Limits"] = default_limits(x)
        self.data["Reflection Lists"] = {}

    # output ------------------------------------------------------------
    def Export(self, fileroot, extension, fmt: str = "hist"):
        """Write 'hist' (CSV), 'refl' (reflection CSV), 'xye' or 'fxye'; returns the file name.

        Unlike GSAS-II (quirk 8a) a root containing '.' is kept whole.
        """
        from .exports import export_histogram
        return export_histogram(self, fileroot, extension, fmt)

    def SaveProfile(self, filename):
        """Write the instrument parameters as a GSAS-II .instprm file."""
        from .exports import write_instprm
        return write_instprm(self.data["Instrument Parameters"][0], filename)

    def plot(self, filename=None, **kw):
        """Observed, calculated, background, difference and reflection ticks; returns the PNG path."""
        from .plot import plot_histogram
        return plot_histogram(self, filename, **kw)

    # generic tree access -------------------------------------------------
    def getHistEntryList(self, keyname: str = "") -> list:
        """[(keylist, type, value)] for the histogram's leaves (arrays excluded)."""
        d = {k: v for k, v in self.data.items() if k not in ("data", "Reflection Lists")}
        return _tree.entry_list(d, keyname)

    def getHistEntryValue(self, keylist):
        return _tree.get_entry(self.data, keylist, f"histogram {self.name}: ")

    def setHistEntryValue(self, keylist, newvalue):
        _tree.set_entry(self.data, keylist, newvalue, f"histogram {self.name}: ")
