"""GSAS-II's in-memory dict layouts for histograms, phases, HAP entries and controls.

Plain functions that build (and normalise) the nested dicts GSAS-II keeps in
its project tree, so that scripts that reach into ``hist.data[...]`` or
``phase.data[...]`` find the keys and list positions they expect.

Units follow GSAS-II: 2θ in degrees, U/V/W in centideg², X/Y/Z in centideg,
TOF in µs, wavelengths in Å, size in µm, mustrain in 10⁻⁶.
"""
from __future__ import annotations

import random

import numpy as np

from ..errors import ParameterError

__all__ = [
    "ran_id", "make_inst_dict", "flat_inst", "default_sample_parameters", "default_background",
    "default_limits", "new_histogram_dict", "atom_row", "ATOM_PTRS", "new_phase_dict",
    "default_hap", "new_controls", "cell_volume", "sgdata_from_symbol", "gemmi_spacegroup", "sg_name", "dij_count",
    "shkl_count", "inst_value", "CW_INST_KEYS", "TOF_INST_KEYS",
]

#: Atom-row column pointers [cx, ct, cs, cia] (x column, type, site symmetry, 'I'/'A').
ATOM_PTRS = [3, 1, 7, 9]

CW_INST_KEYS = ("Type", "Lam", "Lam1", "Lam2", "I(L2)/I(L1)", "Zero", "Polariz.", "U", "V", "W",
                "X", "Y", "Z", "SH/L", "Azimuth", "Bank")
TOF_INST_KEYS = ("Type", "fltPath", "2-theta", "difC", "difA", "difB", "Zero", "alpha",
                 "beta-0", "beta-1", "beta-q", "sig-0", "sig-1", "sig-2", "sig-q", "X", "Y", "Z",
                 "Azimuth", "Bank")
_STRING_INST = {"Type"}


def ran_id() -> int:
    """A random id as GSAS-II attaches to histograms, phases and atoms (0 … 2³¹−1)."""
    return random.randint(0, 2 ** 31 - 1)


def make_inst_dict(values: dict, refine: dict | None = None) -> dict:
    """GSAS-II instrument dict ``{key: [original, current, refineFlag]}`` from flat values.

    ``values`` maps key -> number (or str for ``Type``); keys already in the
    [orig, cur, flag] form are kept.  Missing ``Azimuth`` defaults to 0
    (quirk 8d); CW X-ray/neutron gets ``Polariz.`` 0.99/0 and ``SH/L`` 0.002
    when absent; ``Bank`` defaults to 1.
    """
    refine = refine or {}
    out = {}
    for k, v in values.items():
        if isinstance(v, (list, tuple)) and len(v) == 3:
            out[k] = [v[0], v[1], v[2]]
            continue
        if k in _STRING_INST:
            out[k] = [str(v), str(v), 0]
        else:
            try:
                fv = float(v)
            except (TypeError, ValueError):
                raise ParameterError(f"Instrument Parameters.{k}", "a number", v) from None
            out[k] = [fv, fv, bool(refine.get(k, False))]
    if "Type" not in out:
        raise ParameterError("Instrument Parameters.Type", "a histogram type such as PXC, PNC or PNT", None)
    typ = out["Type"][1]
    out.setdefault("Azimuth", [0.0, 0.0, False])
    out.setdefault("Bank", [1.0, 1.0, False])
    if typ[2] in "CB":
        out.setdefault("Zero", [0.0, 0.0, False])
        out.setdefault("Polariz.", [0.99, 0.99, False] if typ[1] == "X" else [0.0, 0.0, False])
        for k in ("U", "V", "W", "X", "Y", "Z"):
            out.setdefault(k, [0.0, 0.0, False])
        out.setdefault("SH/L", [0.002, 0.002, False])
        if "Lam" not in out and "Lam1" not in out:
            raise ParameterError("Instrument Parameters.Lam", "a wavelength (Lam or Lam1/Lam2)", None)
        if "Lam1" in out:
            out.setdefault("I(L2)/I(L1)", [0.5, 0.5, False])
    elif typ[2] == "T":
        for k in ("difA", "difB", "Zero", "alpha", "beta-0", "beta-1", "beta-q", "sig-0",
                  "sig-1", "sig-2", "sig-q", "X", "Y", "Z"):
            out.setdefault(k, [0.0, 0.0, False])
        for k in ("difC", "fltPath", "2-theta"):
            if k not in out:
                raise ParameterError(f"Instrument Parameters.{k}", "a number for a TOF instrument", None)
    return out


def flat_inst(inst) -> dict:
    """Flat {key: current value} from a GSAS-II instrument dict, a [dict, {}] pair or a flat dict."""
    if isinstance(inst, (list, tuple)):
        inst = inst[0]
    return {k: (v[1] if isinstance(v, (list, tuple)) else v) for k, v in inst.items()}


def inst_value(inst, key, default=None):
    """Current value of instrument parameter ``key`` (or ``default``)."""
    d = inst[0] if isinstance(inst, (list, tuple)) else inst
    v = d.get(key)
    if v is None:
        return default
    return v[1] if isinstance(v, (list, tuple)) else v


def default_sample_parameters(geometry: str = "Debye-Scherrer", scale: float = 1.0) -> dict:
    """GSAS-II 'Sample Parameters' dict; ``geometry`` is 'Debye-Scherrer' or 'Bragg-Brentano'."""
    if geometry not in ("Debye-Scherrer", "Bragg-Brentano"):
        raise ParameterError("Sample Parameters.Type", "'Debye-Scherrer' or 'Bragg-Brentano'", geometry)
    return {
        "InstrName": "", "ranId": ran_id(), "Scale": [float(scale), True], "Type": geometry,
        "Absorption": [0.0, False], "DisplaceX": [0.0, False], "DisplaceY": [0.0, False],
        "Shift": [0.0, False], "Transparency": [0.0, False],
        "SurfRoughA": [0.0, False], "SurfRoughB": [0.0, False],
        "Temperature": 300.0, "Pressure": 0.1, "Time": 0.0,
        "FreePrm1": 0.0, "FreePrm2": 0.0, "FreePrm3": 0.0,
        "Gonio. radius": 200.0, "Omega": 0.0, "Chi": 0.0, "Phi": 0.0, "Azimuth": 0.0,
        "Materials": [{"Name": "vacuum", "VolFrac": 1.0}, {"Name": "vacuum", "VolFrac": 0.0}],
        "Thick": 1.0, "Contrast": [0.0, 0.0], "Trans": 1.0, "SlitLen": 0.0,
    }


def default_background(kind: str = "chebyschev-1", n: int = 3, refine: bool = False) -> list:
    """GSAS-II 'Background' entry: [[type, refine, n, c0…], {Debye terms, peaks, fixed points}].

    As in GSAS-II, a new histogram's background is not refined until asked.
    """
    coeffs = [0.0] * int(n)
    if n:
        coeffs[0] = 1.0
    return [[kind, bool(refine), int(n)] + coeffs,
            {"nDebye": 0, "debyeTerms": [], "nPeaks": 0, "peaksList": [],
             "background PWDR": ["", 1.0, False], "FixedPoints": [], "autoPrms": {}}]


def default_limits(x) -> list:
    """GSAS-II 'Limits': [(xmin, xmax) of the data, [current lo, hi]]."""
    x = np.asarray(x, float)
    lo, hi = float(x.min()), float(x.max())
    return [(lo, hi), [lo, hi]]


def new_histogram_dict(name: str, x, y, w, inst: dict, sample: dict, *, comments=None,
                       dummy: bool = False, background=None) -> dict:
    """A GSAS-II PWDR histogram dict with 'data' [info, [x, yobs, w, ycalc, ybkg, ydiff], name]."""
    x = np.asarray(x, float)
    n = x.size
    y = np.zeros(n) if y is None else np.asarray(y, float)
    w = np.ones(n) if w is None else np.asarray(w, float)
    if y.shape != x.shape or w.shape != x.shape:
        raise ParameterError("data", f"x, y and w of the same length ({n})", (y.shape, w.shape))
    info = {"wtFactor": 1.0, "Dummy": bool(dummy), "ranId": ran_id(), "Offset": [0.0, 0.0],
            "delOffset": 0.02, "refOffset": -1.0, "refDelt": 0.01, "Yminmax": [float(y.min(initial=0)),
                                                                             float(y.max(initial=0))]}
    return {
        "data": [info, [x, y, w, np.zeros(n), np.zeros(n), np.zeros(n)], name],
        "Comments": list(comments or []),
        "Limits": default_limits(x),
        "Background": background if background is not None else default_background(),
        "Instrument Parameters": [inst, {}],
        "Sample Parameters": sample,
        "Peak List": {"peaks": [], "sigDict": {}},
        "Index Peak List": [[], []],
        "Unit Cells List": [],
        "Reflection Lists": {},
        "Residuals": {},
    }


def atom_row(label, atype, x, y, z, frac=1.0, site="1", mult=1, uiso=0.01, uij=None) -> list:
    """One GSAS-II atom row: [label, type, flags, x, y, z, frac, site, mult, 'I'|'A', Uiso, U11…U23, ranId]."""
    if uij is None:
        adp, u6 = "I", [0.0] * 6
    else:
        adp, u6 = "A", [float(u) for u in uij]
    return [str(label), str(atype), "", float(x), float(y), float(z), float(frac), str(site), int(mult),
            adp, float(uiso)] + u6 + [ran_id()]


def cell_volume(a, b, c, alpha, beta, gamma) -> float:
    """Unit-cell volume in Å³ (angles in degrees); see :func:`beamkit.powder.crystal.cell_volume`."""
    from .crystal import cell_volume as _volume
    return float(_volume([a, b, c, alpha, beta, gamma]))


_LAUE_SYS = {"-1": "triclinic", "2/m": "monoclinic", "mmm": "orthorhombic", "4/m": "tetragonal",
             "4/mmm": "tetragonal", "-3": "trigonal", "-3m": "trigonal", "-3m1": "trigonal",
             "-31m": "trigonal", "6/m": "hexagonal", "6/mmm": "hexagonal", "m-3": "cubic",
             "m-3m": "cubic"}


def gemmi_spacegroup(symbol: str):
    """gemmi space group for a GSAS-II symbol: origin choice 2 where there are two (GSAS-II's rule),
    hexagonal axes for R groups; an explicit ':1', ':2', ':H' or ':R' suffix is kept."""
    import gemmi
    text = str(symbol).strip()
    if ":" not in text:
        sg2 = gemmi.find_spacegroup_by_name(text + ":2")
        if sg2 is not None and sg2.xhm().endswith(":2"):
            return sg2
    return gemmi.find_spacegroup_by_name(text)


def sg_name(sgdata: dict) -> str:
    """The exact gemmi name of a phase's space group (its 'SGGemmi', or the GSAS-II symbol's setting)."""
    if sgdata.get("SGGemmi"):
        return sgdata["SGGemmi"]
    sg = gemmi_spacegroup(sgdata["SpGrp"])
    return sg.xhm() if sg is not None else sgdata["SpGrp"]


def sgdata_from_symbol(symbol: str) -> dict:
    """GSAS-II-like 'SGData' (symbol, Laue class, system, centring, operators) from an H-M symbol."""
    sg = gemmi_spacegroup(symbol)
    if sg is None:
        raise ParameterError("General.SGData.SpGrp", "a space-group symbol known to gemmi", symbol)
    ops = sg.operations()
    sym = [[np.array(o.rot, float) / 24.0, np.array(o.tran, float) / 24.0] for o in ops.sym_ops]
    cen = [list(np.array(t, float) / 24.0) for t in ops.cen_ops]
    laue = sg.laue_str()
    system = {"triclinic": "triclinic", "monoclinic": "monoclinic",
              "orthorhombic": "orthorhombic", "tetragonal": "tetragonal",
              "trigonal": "trigonal", "hexagonal": "hexagonal", "cubic": "cubic"}.get(
        sg.crystal_system_str(), _LAUE_SYS.get(laue, "triclinic"))
    return {"SpGrp": sg.hm, "SGGemmi": sg.xhm(), "SGLaue": laue, "SGSys": system, "SGLatt": sg.centring_type(),
            "SGInv": bool(ops.is_centrosymmetric()), "SGCen": cen,
            "SGOps": [[m.tolist(), t.tolist()] for m, t in sym], "SGNum": sg.number,
            "SGHall": sg.hall, "SGPolax": ""}


def dij_count(system: str) -> int:
    """Number of hydrostatic-strain terms Dij for a crystal system (GSAS-II's choice)."""
    return {"cubic": 1, "hexagonal": 2, "trigonal": 2, "rhombohedral": 2, "tetragonal": 2,
            "orthorhombic": 3, "monoclinic": 4, "triclinic": 6}.get(system, 6)


def shkl_count(laue: str) -> int:
    """Number of generalized-mustrain coefficients for a Laue class (Stephens' model)."""
    return {"-1": 15, "2/m": 9, "mmm": 6, "4/m": 5, "4/mmm": 4, "-3": 6, "-3m": 4, "-3m1": 4,
            "-31m": 4, "6/m": 3, "6/mmm": 3, "m-3": 2, "m-3m": 2}.get(laue, 15)


def new_phase_dict(name: str, cell, sgdata: dict, atoms: list) -> dict:
    """GSAS-II phase dict: 'General' (Name, Type, SGData, Cell, AtomPtrs, AtomTypes…), 'Atoms', 'Histograms'."""
    a, b, c, al, be, ga = (float(v) for v in cell)
    types = sorted({row[1] for row in atoms})
    general = {
        "Name": name, "Type": "nuclear", "Modulated": False, "AtomPtrs": list(ATOM_PTRS),
        "SGData": sgdata, "Cell": [False, a, b, c, al, be, ga, cell_volume(a, b, c, al, be, ga)],
        "Pawley dmin": 1.0, "Pawley neg wt": 0.0, "Data plot type": "None",
        "SH Texture": {"Order": 0, "Model": "cylindrical", "Sample omega": [0.0, False],
                       "Sample chi": [0.0, False], "Sample phi": [0.0, False], "SH Coeff": [False, {}],
                       "SHShow": False, "PFhkl": [0, 0, 1], "PFxyz": [0, 0, 1], "PlotType": "Pole figure"},
        "AtomTypes": types, "Isotopes": {t: {} for t in types},
        "Isotope": {t: "Nat. Abund." for t in types}, "NoAtoms": {t: 0 for t in types},
        "Mydir": "", "doPawley": False, "Compare": {},
    }
    for row in atoms:
        general["NoAtoms"][row[1]] += row[6] * row[8]
    return {"ranId": ran_id(), "General": general, "Atoms": atoms, "Drawing": {}, "Histograms": {},
            "Pawley ref": [], "RBModels": {}, "MCSA": {}, "Dumps": {}}


def default_hap(histname: str, sgdata: dict, scale: float = 1.0) -> dict:
    """GSAS-II HAP entry linking a phase to a histogram (Scale, Size, Mustrain, HStrain, …)."""
    try:
        from .broadening import mustrain_names
        from .crystal import hstrain_terms
        ndij = len(hstrain_terms(sg_name(sgdata)))
        nshkl = len(mustrain_names(sgdata.get("SGLaue", "-1")))
    except Exception:  # unknown symbol: fall back on the crystal-system counts
        ndij = dij_count(sgdata.get("SGSys", "triclinic"))
        nshkl = shkl_count(sgdata.get("SGLaue", "-1"))
    return {
        "Histogram": histname, "Show": False, "Scale": [float(scale), False],
        "Babinet": {"BabA": [0.0, False], "BabU": [0.0, False]},
        "Pref.Ori.": ["MD", 1.0, False, [0, 0, 1], 0, {}, [], 0.1],
        "Size": ["isotropic", [1.0, 1.0, 1.0], [False, False, False], [0, 0, 1],
                 [1.0, 1.0, 1.0, 0.0, 0.0, 0.0], 6 * [False]],
        "Mustrain": ["isotropic", [1000.0, 1000.0, 1.0], [False, False, False], [0, 0, 1],
                     nshkl * [0.01], nshkl * [False]],
        "HStrain": [ndij * [0.0], ndij * [False]],
        "Extinction": [0.0, False], "Fix FXU": " ", "Use": True, "LeBail": False,
        "newLeBail": False, "Layer Disp": [0.0, False], "Flack": [0.0, False],
    }


def new_controls() -> dict:
    """GSAS-II 'Controls' data with the refinement defaults (max cyc 3, min dM/M 0.001, …)."""
    return {"deriv type": "analytic Hessian", "min dM/M": 0.001, "shift factor": 1.0,
            "max cyc": 3, "F**2": False, "SVDtol": 1e-6, "Reflections": {}, "Copy2Next": False,
            "ShowCell": False, "Seq Data": [], "SeqCopy": True, "SeqReverse": False,
            "UsrReject": {"minF/sig": 0.0, "MinExt": 0.01, "MaxDF/F": 100.0, "MaxD": 500.0,
                          "MinD": 0.05}, "Author": "no name", "max Hprocess": 1,
            "max Rprocess": 1, "newLeBail": False, "PrintLevel": "info"}
