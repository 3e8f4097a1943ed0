"""Exports of histograms, reflection lists, instrument parameters and phases (GSAS-II layouts).

* histogram CSV: "Histogram", "Instparm: key", "Samparm: key" lines, then
  x, y_obs, weight, y_calc, y_bkg, Q rows (6 significant digits);
* reflection CSV with GSAS-II's columns: F_obs/F_calc hold F² (quirk 7); CW
  sig = σ in degrees, gam in degrees; TOF sig = σ² (µs²), gam in µs; FWHM as
  GSAS-II computes it for each (for TOF from the σ² column, for parity);
* xye (``/* … */`` header, x y esd), GSAS FXYE, .instprm and a phase CIF.
All files are written atomically.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.files import atomic_write
from ..errors import ParameterError
from .calc import REFLIST_COLUMNS_CW, REFLIST_COLUMNS_TOF
from .calc_terms import tof_d_from_pos
from .model import flat_inst

__all__ = ["export_histogram", "write_hist_csv", "write_refl_csv", "write_xye", "write_fxye",
           "write_instprm", "export_phase_cif", "tch_fwhm", "q_values"]


def tch_fwhm(s, g):
    """Thompson–Cox–Hastings total FWHM from a Gaussian width ``s`` (σ) and Lorentzian FWHM ``g``."""
    s = 2.35482 * np.asarray(s, float)
    g = np.asarray(g, float)
    return (s ** 5 + 2.69269 * s ** 4 * g + 2.42843 * s ** 3 * g ** 2 + 4.47163 * s ** 2 * g ** 3
            + 0.07842 * s * g ** 4 + g ** 5) ** 0.2


def q_values(x, inst) -> np.ndarray:
    """Q = 4π·sinθ/λ (CW, x in 2θ° corrected for Zero) or 2π/d (TOF, x in µs), Å⁻¹."""
    fi = flat_inst(inst)
    if fi["Type"][2] == "T":
        return 2 * np.pi / tof_d_from_pos(np.asarray(x, float), fi)
    lam = fi.get("Lam", fi.get("Lam1"))
    return 4 * np.pi * np.sin(np.radians((np.asarray(x, float) - fi.get("Zero", 0.0)) / 2)) / lam


def _g6(v) -> str:
    return f"{float(v):.6g}"


def _fmt_val(v) -> str:
    if isinstance(v, (list, tuple)):
        v = v[0]
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, float, np.integer, np.floating)):
        return f"{float(v):10.6g}"
    return '"' + str(v).replace('"', "'") + '"'


def _mask(hist):
    from .histogram import limits_mask
    return limits_mask(hist.data)


def write_hist_csv(hist, filename) -> str:
    """Histogram CSV in GSAS-II's layout (points inside the limits)."""
    d = hist.data
    x, yo, w, yc, yb, _ = (np.asarray(a, float) for a in d["data"][1])
    m = _mask(hist)
    inst = d["Instrument Parameters"][0]
    q = q_values(x[m], inst)
    with atomic_write(filename, "w") as fh:
        fh.write(f'"Histogram","{hist.name}"\n')
        for k, v in inst.items():
            val = v[1] if isinstance(v, (list, tuple)) else v
            fh.write(f'"Instparm: {k}",{val if isinstance(val, str) and k == "Type" else _fmt_val(val)}\n')
        for k, v in d["Sample Parameters"].items():
            if k in ("ranId", "Materials"):
                continue
            fh.write(f'"Samparm: {k}",{_fmt_val(v)}\n')
        fh.write('"x","y_obs","weight","y_calc","y_bkg","Q"\n')
        rows = np.stack([x[m], yo[m], w[m], yc[m], yb[m], q], 1)
        fh.writelines(",".join(_g6(v) for v in r) + "\n" for r in rows)
    return str(filename)


def write_refl_csv(hist, filename) -> str:
    """Reflection-list CSV: one block per phase, GSAS-II's column names and units."""
    d = hist.data
    tof = d["Instrument Parameters"][0]["Type"][1][2] == "T"
    names = REFLIST_COLUMNS_TOF if tof else REFLIST_COLUMNS_CW
    ci = {n: i for i, n in enumerate(names)}
    with atomic_write(filename, "w") as fh:
        fh.write(f'"Histogram","{hist.name}"\n')
        for pname, entry in d["Reflection Lists"].items():
            rl = np.asarray(entry.get("RefList", np.zeros((0, len(names)))), float)
            pid = hist.proj.phase(pname).id if hist.proj is not None and hist.proj.phase(pname) else 0
            fh.write(f'\n"Phase name","phase #"\n"{pname}",{pid}\n\n')
            fh.write('"h","k","l","d-sp","{}","F_obs","F_calc","phase","mult","sig","gam","FWHM","Prfo",'
                     '"phase #"\n'.format("TOF" if tof else "2-theta"))
            if not len(rl):
                continue
            sig, gam = rl[:, ci["sig"]], rl[:, ci["gam"]]
            if tof:
                fwhm = tch_fwhm(sig, gam)           # GSAS-II passes σ² here (parity, documented)
                cols = (sig, gam, fwhm)
                fmt = "{:.3f}"
            else:
                cols = (np.sqrt(np.maximum(sig, 0)) / 100, gam / 100, tch_fwhm(np.sqrt(np.maximum(sig, 0)), gam) / 100)
                fmt = "{:.5f}"
            for i, r in enumerate(rl):
                fh.write("{},{},{},{:.5f},{},{:.3f},{:.3f},{:.2f},{},{},{},{},{:.4f},{}\n".format(
                    int(r[0]), int(r[1]), int(r[2]), r[ci["d"]],
                    ("{:.3f}" if tof else "{:.5f}").format(r[ci["pos"]]), r[ci["Fo2"]], r[ci["Fc2"]],
                    r[ci["phase"]] % 360.0 if abs(r[ci["phase"]]) > 1e-6 else 0.0, int(r[ci["mult"]]),
                    fmt.format(cols[0][i]), fmt.format(cols[1][i]), fmt.format(cols[2][i]), r[ci["Prfo"]], pid))
    return str(filename)


def _esd(w):
    w = np.asarray(w, float)
    return np.where(w > 0, 1.0 / np.sqrt(np.where(w > 0, w, 1.0)), 0.0)


def write_xye(hist, filename) -> str:
    """Topas-style xye: ``/* # name */`` header, then x, y_obs, esd (points inside the limits)."""
    x, yo, w = (np.asarray(a, float) for a in hist.data["data"][1][:3])
    m = _mask(hist)
    with atomic_write(filename, "w") as fh:
        fh.write(f"/*\n# {hist.name[5:] if hist.name.startswith('PWDR ') else hist.name}\n*/\n")
        fh.writelines(f"{round(a, 6)!s:<15}{round(b, 6)!s:<15}{round(c, 6)!s:<15}\n"
                      for a, b, c in zip(x[m].tolist(), yo[m].tolist(), _esd(w[m]).tolist()))
    return str(filename)


def write_fxye(hist, filename) -> str:
    """GSAS FXYE file (x in centidegrees for CW, µs for TOF)."""
    x, yo, w = (np.asarray(a, float) for a in hist.data["data"][1][:3])
    m = _mask(hist)
    tof = hist.data["Instrument Parameters"][0]["Type"][1][2] == "T"
    xs = x[m] if tof else 100.0 * x[m]
    n = int(m.sum())
    step = (xs[-1] - xs[0]) / max(n - 1, 1)
    with atomic_write(filename, "w") as fh:
        fh.write(f"{hist.name[:78]}\n")
        fh.write(f"BANK 1 {n} {n} CONS {xs[0]:.6f} {step:.6f} 0 0 FXYE\n")
        fh.writelines(f"{a:15.6f}{b:15.6f}{c:15.6f}\n" for a, b, c in zip(xs.tolist(), yo[m].tolist(),
                                                                           _esd(w[m]).tolist()))
    return str(filename)


def write_instprm(inst, filename) -> str:
    """GSAS-II .instprm (current values) from an instrument dict {key: [orig, cur, flag]}."""
    d = inst[0] if isinstance(inst, (list, tuple)) else inst
    with atomic_write(filename, "w") as fh:
        fh.write("#GSAS-II instrument parameter file; written by beamkit\n")
        for k, v in d.items():
            val = v[1] if isinstance(v, (list, tuple)) else v
            fh.write(f"{k}:{val}\n")
    return str(filename)


def export_histogram(hist, fileroot, extension, fmt: str = "hist") -> str:
    """GSAS-II's ``G2PwdrData.Export``: writes ``fileroot + extension`` (a '.' in the root is kept)."""
    ext = extension if str(extension).startswith(".") else "." + str(extension)
    root = str(fileroot)
    if root.endswith(ext):
        root = root[: -len(ext)]
    fn = root + ext
    f = str(fmt).lower()
    if f in ("hist", "csv"):
        return write_hist_csv(hist, fn)
    if f == "refl":
        return write_refl_csv(hist, fn)
    if f == "xye":
        return write_xye(hist, fn)
    if f == "fxye":
        return write_fxye(hist, fn)
    raise ParameterError("fmt", "'hist', 'refl', 'xye' or 'fxye'", fmt)


def export_phase_cif(phase, outputname) -> str:
    """Write a phase as a small-molecule CIF (cell with esds, symmetry operators, atom sites)."""
    gen = phase.data["General"]
    cell, esd = phase.get_cell_and_esd()
    name = str(outputname)
    if not Path(name).suffix:
        name += ".cif"

    def val(v, e):
        if e and e > 0:
            digits = max(0, -int(np.floor(np.log10(e))) + 1)
            return f"{v:.{digits}f}({int(round(e * 10 ** digits))})"
        return f"{v:.6g}"

    sg = gen["SGData"]
    lines = [f"data_{phase.name.replace(' ', '_')}", "", f"_pd_phase_name  '{phase.name}'"]
    for k in ("length_a", "length_b", "length_c", "angle_alpha", "angle_beta", "angle_gamma"):
        lines.append(f"_cell_{k}  {val(cell[k], esd.get(k))}")
    lines.append(f"_cell_volume  {val(cell['volume'], esd.get('volume'))}")
    lines.append(f"_symmetry_cell_setting  {sg.get('SGSys', '')}")
    from .model import sg_name
    lines.append(f"_symmetry_space_group_name_H-M  '{sg_name(sg)}'")
    lines += ["", "loop_", "    _space_group_symop_id", "    _space_group_symop_operation_xyz"]
    ops = _triplets(sg)
    lines += [f"    {i + 1}  {t}" for i, t in enumerate(ops)]
    lines += ["", "loop_"] + [f"   _atom_site_{c}" for c in (
        "label", "type_symbol", "fract_x", "fract_y", "fract_z", "occupancy", "adp_type", "U_iso_or_equiv",
        "symmetry_multiplicity")]
    aniso = []
    for a in phase.atoms():
        u = a.uiso if a.adp_flag == 0 else float(np.mean(a.uiso[:3]))
        x, y, z = a.coordinates
        lines.append(f"{a.label:<6} {a.type:<5} {x:.5f} {y:.5f} {z:.5f} {a.occupancy:.4f} "
                     f"{'Uiso' if a.adp_flag == 0 else 'Uani'} {u:.5f} {a.mult}")
        if a.adp_flag:
            aniso.append((a.label, a.uiso))
    if aniso:
        lines += ["", "loop_"] + [f"   _atom_site_aniso_{c}" for c in (
            "label", "U_11", "U_22", "U_33", "U_12", "U_13", "U_23")]
        lines += [f"{lab} " + " ".join(f"{v:.5f}" for v in u) for lab, u in aniso]
    with atomic_write(name, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return name


def _triplets(sgdata) -> list:
    """Symmetry operators as x,y,z triplets (from SGOps × SGCen, via gemmi when possible)."""
    try:
        import gemmi
        from .model import sg_name
        sg = gemmi.find_spacegroup_by_name(sg_name(sgdata))
        if sg is not None:
            return [op.triplet() for op in sg.operations()]
    except Exception:  # pragma: no cover
        pass
    return ["x,y,z"]
