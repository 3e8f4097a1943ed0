"""G2Project: a powder project (histograms, phases, controls) with GSAS-II's scripting names.

``G2Project.data`` is a dict of tree items as GSAS-II keeps them: 'Notebook',
'Controls', 'Covariance', 'Constraints', 'Restraints', 'Rigid bodies', one
entry per 'PWDR …' histogram, 'Phases' ({'data': None, name: phase dict}) and
'IMG …' image entries.  The project file is HDF5 (see :mod:`io_project`).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..core.log import get_logger
from ..errors import ParameterError
from . import model
from .histogram import G2PwdrData
from .phase import G2Phase
from .refine_api import ProjectRefineMixin

__all__ = ["G2Project"]

log = get_logger("beamkit.powder")

_FIXED_ITEMS = ("Notebook", "Controls", "Covariance", "Constraints", "Restraints", "Rigid bodies")


def _empty_tree() -> dict:
    return {
        "Notebook": {"data": []},
        "Controls": {"data": model.new_controls()},
        "Covariance": {"data": {}},
        "Constraints": {"data": {"Hist": [], "HAP": [], "Phase": [], "Global": [],
                                 "_seqmode": "auto-wildcard", "_seqhist": 0}},
        "Restraints": {"data": {}},
        "Rigid bodies": {"data": {"Vector": {"AtInfo": {}}, "Residue": {"AtInfo": {}},
                                  "RBIds": {"Vector": [], "Residue": []}}},
        "Phases": {"data": None},
    }


class _ProjectBase:
    """Project bookkeeping; refinement methods come from :class:`ProjectRefineMixin`."""

    def __init__(self, gpxfile=None, author=None, filename=None, newgpx=None):
        if newgpx is not None:
            if gpxfile is not None:
                raise ParameterError("newgpx", "either gpxfile or newgpx, not both", newgpx)
            filename = newgpx
            gpxfile = None
        self.data = _empty_tree()
        if gpxfile is not None:
            if not os.path.exists(gpxfile):
                raise ParameterError("gpxfile", "an existing project file", str(gpxfile))
            from .io_project import load_project
            self.data = load_project(gpxfile)
            for k, v in _empty_tree().items():
                self.data.setdefault(k, v)
            self.filename = str(Path(filename or gpxfile).resolve())
        else:
            self.filename = str(Path(filename).resolve()) if filename else None
        if author:
            self.data["Controls"]["data"]["Author"] = author
        self._renumber()

    # --- naming -------------------------------------------------------------
    def __repr__(self):
        return f"<G2Project {self.filename!r}>"

    def _hist_names(self) -> list:
        return [k for k in self.data if k.startswith("PWDR ")]

    def _phase_names(self) -> list:
        return [k for k in self.data["Phases"] if k != "data"]

    def _renumber(self):
        for i, h in enumerate(self._hist_names()):
            self.data[h]["data"][0]["hId"] = i
        for i, p in enumerate(self._phase_names()):
            self.data["Phases"][p]["pId"] = i

    def names(self) -> list:
        """Top-level tree item names in order."""
        return list(self.data.keys())

    def histType(self, histname) -> str:
        """'PWDR' for powder histograms, 'IMG' for images (by name, index or object)."""
        name = histname if isinstance(histname, str) else self.histogram(histname).name
        return name.split()[0]

    # --- files --------------------------------------------------------------
    def save(self, filename=None):
        """Write the project (HDF5, atomic); ``filename`` renames it first."""
        from .io_project import save_project
        target = str(Path(filename).resolve()) if filename else self.filename
        if not target:
            raise ParameterError("filename", "a project file name (G2Project(newgpx=...) or save(name))", None)
        save_project(self.data, target)
        self.filename = target
        log.info("project saved to %s", self.filename)
        return self.filename

    # --- lookup -------------------------------------------------------------
    def histograms(self, typ=None) -> list:
        """All powder histograms; ``typ`` filters as GSAS-II does, by tree-name prefix ('PWDR', 'HKLF').

        As an extension, an instrument type such as 'PXC' or 'PNT' also selects by ``histType``.
        """
        hs = [G2PwdrData(self.data[n], self, n) for n in self._hist_names()]
        if typ:
            t = str(typ)
            hs = [h for h in hs if h.name.startswith(t) or h.histType == t]
        return hs

    def histogram(self, histname):
        """A histogram by name ('PWDR …' prefix optional), index (hId), ranId or object; None if absent."""
        if isinstance(histname, G2PwdrData):
            histname = histname.name
        names = self._hist_names()
        if isinstance(histname, (int, np.integer)) and not isinstance(histname, bool):
            i = int(histname)
            if 0 <= i < len(names):
                return G2PwdrData(self.data[names[i]], self, names[i])
            for n in names:
                if self.data[n]["data"][0].get("ranId") == i:
                    return G2PwdrData(self.data[n], self, n)
            return None
        for n in names:
            if histname == n or "PWDR " + str(histname) == n:
                return G2PwdrData(self.data[n], self, n)
        return None

    def phases(self) -> list:
        """All phases."""
        return [G2Phase(self.data["Phases"][n], n, self) for n in self._phase_names()]

    def phase(self, phasename):
        """A phase by name, index (pId), ranId or object; None if absent."""
        if isinstance(phasename, G2Phase):
            phasename = phasename.name
        names = self._phase_names()
        if isinstance(phasename, (int, np.integer)) and not isinstance(phasename, bool):
            i = int(phasename)
            if 0 <= i < len(names):
                return G2Phase(self.data["Phases"][names[i]], names[i], self)
            for n in names:
                if self.data["Phases"][n].get("ranId") == i:
                    return G2Phase(self.data["Phases"][n], n, self)
            return None
        if phasename in names:
            return G2Phase(self.data["Phases"][phasename], phasename, self)
        return None

    def _need_hist(self, h) -> G2PwdrData:
        out = self.histogram(h)
        if out is None:
            raise ParameterError("histogram", f"one of {self._hist_names()}", h)
        return out

    def _need_phase(self, p) -> G2Phase:
        out = self.phase(p)
        if out is None:
            raise ParameterError("phase", f"one of {self._phase_names()}", p)
        return out

    # --- building -----------------------------------------------------------
    def _unique_hist_name(self, name: str) -> str:
        base = name if name.startswith("PWDR ") else "PWDR " + name
        out, i = base, 1
        while out in self.data:
            out = f"{base}({i})"
            i += 1
        return out

    def _insert_hist(self, name, hdict) -> G2PwdrData:
        # keep histograms before 'Phases' as GSAS-II orders its tree
        phases = self.data.pop("Phases")
        rest = {k: self.data.pop(k) for k in list(self.data) if k.startswith("IMG ")}
        self.data[name] = hdict
        self.data["Phases"] = phases
        self.data.update(rest)
        self._renumber()
        return G2PwdrData(hdict, self, name)

    def _phase_list(self, phases):
        if phases is None:
            return []
        if phases == "all":
            return self.phases()
        if isinstance(phases, (str, int, G2Phase)):
            phases = [phases]
        return [self._need_phase(p) for p in phases]

    def link_histogram_phase(self, histogram, phase):
        """Link a phase to a histogram with a default HAP entry."""
        h = self._need_hist(histogram)
        p = self._need_phase(phase)
        if h.name not in p.data["Histograms"]:
            p.data["Histograms"][h.name] = model.default_hap(h.name, p.data["General"]["SGData"])
            h.data["Reflection Lists"].setdefault(p.name, {})

    def _add_pwdr_arrays(self, name, x, y, w=None, inst=None, sample=None, bank=1,
                         phases=None, comments=None, dummy=False) -> G2PwdrData:
        """Add a pattern from arrays (x in 2θ degrees for CW, µs for TOF) as a histogram."""
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        if x.ndim != 1 or x.size < 2 or y.shape != x.shape:
            raise ParameterError("x/y", "1-d arrays of equal length (>= 2 points)", (x.shape, y.shape))
        if w is None:
            w = np.where(y > 0, 1.0 / np.where(y > 0, y, 1.0), 0.0)
        if inst is None:
            raise ParameterError("inst", "instrument parameters (dict)", None)
        inst = model.make_inst_dict(inst[0] if isinstance(inst, (list, tuple)) else inst)
        inst.setdefault("Bank", [float(bank), float(bank), False])
        if sample is None:
            geom = "Bragg-Brentano" if "Lam1" in inst else "Debye-Scherrer"
            sample = model.default_sample_parameters(geom)
        hname = self._unique_hist_name(name)
        hd = model.new_histogram_dict(hname, x, y, w, inst, sample, comments=comments, dummy=dummy)
        h = self._insert_hist(hname, hd)
        for p in self._phase_list(phases):
            self.link_histogram_phase(h, p)
        return h

    def add_powder_histogram(self, datafile, iparams=None, phases=None, fmthint=None,
                             databank=None, instbank=None, multiple=False, instprm_code=False):
        """Read a powder data file and its instrument parameters into a new histogram.

        ``iparams``: a .instprm/.prm/.inst file name (or a dict); ``databank`` /
        ``instbank`` choose banks (1-based); ``phases``: phases to link ('all' or a list).
        ``multiple=True`` reads every bank and returns a list.
        """
        from .readers import read_powder, read_instrument
        banks = read_powder(datafile, fmthint=fmthint, bank=None if multiple else databank, all_banks=multiple)
        out = []
        for rd in banks:
            ib = instbank if instbank is not None else rd.bank
            inst = (read_instrument(iparams, bank=ib, allow_code=instprm_code) if not isinstance(iparams, dict)
                    else {"inst": dict(iparams), "sample": {}})
            inst_d = model.make_inst_dict(inst["inst"])
            geom = inst["sample"].get("Type") or ("Bragg-Brentano" if "Lam1" in inst_d else "Debye-Scherrer")
            sample = model.default_sample_parameters(geom)
            for k, v in list(inst["sample"].items()) + list(rd.sample.items()):
                if k != "Type":
                    sample[k] = v
            x, y, w = rd.x, rd.y, rd.w
            if inst_d["Type"][1][2] == "T" and rd.is_gsas:
                # GSAS TOF: x back to µs, bin edge -> centre (loses the last point), y/dx, w*dx^2 (notes §5)
                x = 100.0 * x
                dx = np.diff(x)
                x = x[:-1] + dx / 2
                y = y[:-1] / dx
                w = w[:-1] * dx ** 2
            name = f"{Path(datafile).name} Bank {rd.bank}"
            h = self._add_pwdr_arrays(name, x, y, w, inst=inst_d, sample=sample, phases=phases,
                                      comments=rd.comments)
            h.data["data"][0]["Offset"] = [0.0, 0.0]
            if inst_d["Type"][1][2] == "T":
                difc = inst_d["difC"][1]
                lo = max(float(x.min()), difc * 0.4)
                h.data["Limits"][1][0] = lo
            out.append(h)
        return out if multiple else out[0]

    def add_simulated_powder_histogram(self, histname, iparams, Tmin, Tmax, Tstep=None,
                                       wavelength=None, scale=None, phases=None, ibank=None,
                                       Npoints=None, noise_seed=None):
        """A histogram with no observations, for simulation (2θ in degrees, TOF in ms).

        ``Npoints`` defaults to 2500; TOF grids are log-spaced (ΔT/T constant).
        """
        from .simulate import add_simulated
        return add_simulated(self, histname, iparams, Tmin, Tmax, Tstep=Tstep, wavelength=wavelength,
                             scale=scale, phases=phases, ibank=ibank, Npoints=Npoints,
                             noise_seed=noise_seed)

    def clone_powder_histogram(self, histref, newname, Y, Yerr=None):
        """A copy of a histogram (instrument, sample, background, limits, phase links) with new y.

        ``Yerr`` (esd of Y) gives the weights 1/Yerr²; by default w = 1/Y.
        """
        import copy
        src = self._need_hist(histref)
        x = np.asarray(src.data["data"][1][0], float)
        y = np.asarray(Y, float)
        if y.shape != x.shape:
            raise ParameterError("Y", f"{x.size} values (the x grid of {src.name})", y.shape)
        w = None if Yerr is None else np.where(np.asarray(Yerr, float) > 0,
                                               1.0 / np.maximum(np.asarray(Yerr, float), 1e-300) ** 2, 0.0)
        h = self._add_pwdr_arrays(newname, x, y, w, inst=copy.deepcopy(src.data["Instrument Parameters"][0]),
                                  sample=copy.deepcopy(src.data["Sample Parameters"]))
        for key in ("Background", "Limits"):
            h.data[key] = copy.deepcopy(src.data[key])
        for p in self.phases():
            if src.name in p.data["Histograms"]:
                hap = copy.deepcopy(p.data["Histograms"][src.name])
                hap["Histogram"] = h.name
                p.data["Histograms"][h.name] = hap
        return h

    def add_phase(self, phasefile=None, phasename=None, histograms=None, fmthint=None, mag=False,
                  spacegroup="P 1", cell=None):
        """Add a phase from a CIF (or an empty phase from ``spacegroup`` and ``cell``)."""
        from .readers.phase_cif import read_phase_cif
        if phasefile is not None:
            if fmthint not in (None, "CIF") and "cif" not in str(fmthint).lower():
                raise ParameterError("fmthint", "'CIF' (the only phase format read)", fmthint)
            pd = read_phase_cif(phasefile, phasename)
            name = phasename or pd["General"]["Name"]
        else:
            if cell is None:
                raise ParameterError("cell", "six cell parameters when no phase file is given", None)
            name = phasename or "phase"
            pd = model.new_phase_dict(name, cell, model.sgdata_from_symbol(spacegroup), [])
        base, i = name, 1
        while name in self.data["Phases"]:
            name = f"{base}({i})"
            i += 1
        pd["General"]["Name"] = name
        self.data["Phases"][name] = pd
        self._renumber()
        p = G2Phase(pd, name, self)
        hl = self.histograms() if histograms == "all" else [self._need_hist(h) for h in (histograms or [])]
        for h in hl:
            self.link_histogram_phase(h, p)
        return p

    # --- computation without refinement (overridden by the refinement mixin) --
    def compute(self):
        """Compute y_calc, background, reflection lists and residuals of every histogram."""
        from .calc import compute_project
        compute_project(self)

    def do_refinements(self, refinements=None, histogram="all", phase="all", outputnames=None,
                       makeBack=False):
        """Without the refinement module: ``[{}]`` or None just computes the patterns."""
        if refinements and any(r for r in refinements):
            raise ParameterError("refinements", "no refinement steps (refinement module not available)",
                                 refinements)
        self.compute()
        if self.filename:
            self.save()

    def refine(self, *a, **k):
        """Without the refinement module: a calculation with no refined variables."""
        self.do_refinements([{}])

    # --- image team hooks -------------------------------------------------
    def add_image(self, imagefile, fmthint=None, defaultImage=None, indexList=None, cacheImage=False):
        """Read an image into the project (delegates to beamkit.image); returns a list of G2Image."""
        from ..image.project import add_image
        return add_image(self, imagefile, fmthint=fmthint, defaultImage=defaultImage,
                         indexList=indexList, cacheImage=cacheImage)

    def images(self) -> list:
        """All images (G2Image objects from beamkit.image)."""
        from ..image.project import G2Image
        return [G2Image(self.data[n], n, self) for n in self.data if n.startswith("IMG ")]

    def image(self, imageRef):
        """An image by name, index or ranId; None if absent."""
        names = [n for n in self.data if n.startswith("IMG ")]
        from ..image.project import G2Image
        if isinstance(imageRef, (int, np.integer)):
            i = int(imageRef)
            if 0 <= i < len(names):
                return G2Image(self.data[names[i]], names[i], self)
            for n in names:
                if self.data[n].get("ranId") == i:
                    return G2Image(self.data[n], n, self)
            return None
        ref = getattr(imageRef, "name", imageRef)
        for n in names:
            if ref == n or "IMG " + str(ref) == n:
                return G2Image(self.data[n], n, self)
        return None

    def imageMultiDistCalib(self, *args, **kw):
        """Calibrate several images at different distances together (beamkit.image)."""
        from ..image.project import image_multi_dist_calib
        return image_multi_dist_calib(self, *args, **kw)

    def _store_image(self, name, controls: dict, masks: dict, image_path: str) -> dict:
        """Store an image entry (plain dicts and a path) under 'IMG name'; returns the entry."""
        key = name if name.startswith("IMG ") else "IMG " + name
        entry = {"data": [0, str(image_path)], "Image Controls": dict(controls), "Masks": dict(masks),
                 "Comments": [], "Stress/Strain": {}, "ranId": model.ran_id()}
        if key in self.data:
            entry["ranId"] = self.data[key].get("ranId", entry["ranId"])
        self.data[key] = entry
        return entry

    def pdfs(self) -> list:
        """PDF entries of the project (beamkit computes none: always empty)."""
        return []

    # --- bits of the tree API ----------------------------------------------
    def get_Constraints(self, ctype: str):
        """The constraint list of a type ('Hist', 'HAP', 'Phase', 'Global')."""
        try:
            return self.data["Constraints"]["data"][ctype]
        except KeyError:
            raise ParameterError("ctype", "'Hist', 'HAP', 'Phase' or 'Global'", ctype) from None


class G2Project(ProjectRefineMixin, _ProjectBase):
    """A GSAS-II-style powder project: ``G2Project(newgpx='x.gpx')`` or ``G2Project('x.gpx')``."""
