"""G2Phase and G2AtomRecord: a crystal phase of a project and its atoms (GSAS-II names)."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from . import tree as _tree
from .refine_api import PhaseRefineMixin

__all__ = ["G2Phase", "G2AtomRecord", "cell_dict"]

_CELL_KEYS = ("length_a", "length_b", "length_c", "angle_alpha", "angle_beta", "angle_gamma", "volume")


def cell_dict(cell) -> dict:
    """{'length_a', …, 'volume'} from a GSAS-II 'Cell' list [flag, a, b, c, α, β, γ, V]."""
    return dict(zip(_CELL_KEYS, (float(v) for v in cell[1:8])))


class G2AtomRecord:
    """One atom row of a phase: label, type, coordinates (fractional), occupancy, Uiso (Å²), flags."""

    def __init__(self, data: list, indices, proj=None):
        self.data = data
        self.cx, self.ct, self.cs, self.cia = indices
        self.proj = proj

    @property
    def label(self) -> str:
        return self.data[self.ct - 1]

    @property
    def type(self) -> str:
        return self.data[self.ct]

    @property
    def element(self) -> str:
        """Element symbol without a charge suffix ('O2-' -> 'O')."""
        t = self.data[self.ct]
        return "".join(c for c in t if c.isalpha())[:2].capitalize() if t else t

    @property
    def refinement_flags(self) -> str:
        return self.data[self.ct + 1]

    @refinement_flags.setter
    def refinement_flags(self, other: str):
        bad = set(str(other)) - set("FXU")
        if bad:
            raise ParameterError("Atoms.refinement_flags", "a combination of F, X, U", other)
        self.data[self.ct + 1] = str(other)

    @property
    def coordinates(self) -> tuple:
        return tuple(self.data[self.cx:self.cx + 3])

    @coordinates.setter
    def coordinates(self, val):
        v = np.asarray(val, float)
        if v.shape != (3,):
            raise ParameterError("Atoms.coordinates", "three fractional coordinates", val)
        self.data[self.cx:self.cx + 3] = [float(t) for t in v]

    @property
    def occupancy(self) -> float:
        return self.data[self.cx + 3]

    @occupancy.setter
    def occupancy(self, val):
        self.data[self.cx + 3] = float(val)

    @property
    def mult(self) -> int:
        return self.data[self.cs + 1]

    @property
    def ranId(self) -> int:
        return self.data[self.cia + 8]

    @property
    def adp_flag(self) -> int:
        """0 for isotropic, 1 for anisotropic displacement."""
        return 0 if self.data[self.cia] == "I" else 1

    @property
    def uiso(self):
        """Uiso in Å² (isotropic) or [U11, U22, U33, U12, U13, U23] (anisotropic)."""
        if self.data[self.cia] == "I":
            return self.data[self.cia + 1]
        return self.data[self.cia + 2:self.cia + 8]

    @uiso.setter
    def uiso(self, value):
        if self.data[self.cia] == "I":
            self.data[self.cia + 1] = float(value)
        else:
            v = np.asarray(value, float)
            if v.shape != (6,):
                raise ParameterError("Atoms.uiso", "six Uij values for an anisotropic atom", value)
            self.data[self.cia + 2:self.cia + 8] = [float(t) for t in v]

    def __repr__(self):
        return "<{}: {} {} {}>".format(self.__class__.__name__, self.label, self.type, self.coordinates)


class G2Phase(PhaseRefineMixin):
    """A phase of a project; ``data`` is its GSAS-II phase dict."""

    def __init__(self, data: dict, name: str, proj):
        self.data = data
        self.name = name
        self.proj = proj

    def __repr__(self):
        return f"<G2Phase {self.name!r}>"

    @property
    def id(self) -> int:
        """Phase index (pId) in the project."""
        return self.data.get("pId", self.proj._phase_names().index(self.name))

    @property
    def ranId(self) -> int:
        return self.data["ranId"]

    @property
    def composition(self) -> dict:
        """Atoms per unit cell by type."""
        out = {}
        for a in self.atoms():
            out[a.type] = out.get(a.type, 0.0) + a.occupancy * a.mult
        return out

    def atoms(self) -> list:
        """The atoms as :class:`G2AtomRecord` objects."""
        ptrs = self.data["General"]["AtomPtrs"]
        return [G2AtomRecord(row, ptrs, self.proj) for row in self.data["Atoms"]]

    def atom(self, atomlabel: str):
        """The atom with this label (None when absent)."""
        for a in self.atoms():
            if a.label == atomlabel:
                return a
        return None

    def add_atom(self, x, y, z, element, lbl, occ=1.0, uiso=0.01):
        """Add an atom (fractional x, y, z; element or GSAS-II type; label; occupancy; Uiso in Å²).

        Its multiplicity and site symmetry come from the phase's space group.  Returns the G2AtomRecord.
        """
        from ..errors import ParameterError as _PE
        from .model import atom_row, sg_name
        from .readers.phase_cif import gsas_atom_type, site_symmetry
        from .scattering import element_symbol
        import gemmi
        xyz = np.array([x, y, z], float)
        if not np.all(np.isfinite(xyz)):
            raise _PE("add_atom.x/y/z", "finite fractional coordinates", (x, y, z))
        atype = gsas_atom_type(str(element))
        element_symbol(atype)                      # raises ParameterError for an unknown element
        if any(a.label == lbl for a in self.atoms()):
            raise _PE("add_atom.lbl", "a label not yet used in this phase", lbl)
        mult, site = site_symmetry(xyz[None], gemmi.find_spacegroup_by_name(sg_name(self.data["General"]["SGData"])))
        row = atom_row(lbl, atype, *xyz, frac=float(occ), site=site[0], mult=int(mult[0]), uiso=float(uiso))
        self.data["Atoms"].append(row)
        gen = self.data["General"]
        if atype not in gen["AtomTypes"]:
            gen["AtomTypes"].append(atype)
            gen["Isotopes"][atype] = {}
            gen["Isotope"][atype] = "Nat. Abund."
            gen["NoAtoms"][atype] = 0.0
        gen["NoAtoms"][atype] = gen["NoAtoms"].get(atype, 0.0) + float(occ) * int(mult[0])
        return G2AtomRecord(row, gen["AtomPtrs"], self.proj)

    def histograms(self) -> list:
        """Names of the histograms linked to this phase."""
        return list(self.data["Histograms"].keys())

    def get_cell(self) -> dict:
        """Cell lengths (Å), angles (°) and volume (Å³)."""
        return cell_dict(self.data["General"]["Cell"])

    def get_cell_and_esd(self):
        """(cell dict, esd dict): esds propagated from the covariance of this phase's A0…A5 terms
        in the last refinement (``Covariance['data']`` varyList/covMatrix); zeros when not refined."""
        cell = self.get_cell()
        cov = self.proj.data.get("Covariance", {}).get("data", {}) if self.proj is not None else {}
        vary, cm = list(cov.get("varyList") or []), cov.get("covMatrix")
        if cm is None or not vary:
            return cell, dict.fromkeys(_CELL_KEYS, 0.0)
        from .variables import cell_with_esd
        _, esd = cell_with_esd(self.data, None, vary, cm, self.id)
        return cell, {k: float(e) for k, e in zip(_CELL_KEYS, esd)}

    def export_CIF(self, outputname, quickmode: bool = True):
        """Write the phase as a CIF (cell, symmetry, atoms)."""
        from .exports import export_phase_cif
        return export_phase_cif(self, outputname)

    # generic tree access ------------------------------------------------
    def getPhaseEntryList(self, keyname: str = "") -> list:
        """[(keylist, type, value)] for the phase dict's leaves (excluding 'Histograms')."""
        d = {k: v for k, v in self.data.items() if k != "Histograms"}
        return _tree.entry_list(d, keyname)

    def getPhaseEntryValue(self, keylist):
        return _tree.get_entry(self.data, keylist, f"phase {self.name}: ")

    def setPhaseEntryValue(self, keylist, newvalue):
        _tree.set_entry(self.data, keylist, newvalue, f"phase {self.name}: ")

    def _hap(self, histname):
        hname = self.proj.histogram(histname).name if self.proj is not None else histname
        try:
            return self.data["Histograms"][hname]
        except KeyError:
            raise ParameterError("histogram", f"one of {self.histograms()}", histname) from None

    def getHAPentryList(self, histname=None, keyname: str = "") -> list:
        """[(keylist, type, value)] of the HAP entries (first histogram when None)."""
        if histname is None:
            histname = self.histograms()[0]
        h = self._hap(histname)
        return _tree.entry_list(h, keyname, prefix=(h["Histogram"],))

    def getHAPentryValue(self, keylist):
        return _tree.get_entry(self.data["Histograms"], keylist, f"phase {self.name} HAP: ")

    def setHAPentryValue(self, keylist, newvalue):
        _tree.set_entry(self.data["Histograms"], keylist, newvalue, f"phase {self.name} HAP: ")
