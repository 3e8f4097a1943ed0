"""Refinement recipe tables (GSAS-II's set/clear dicts) applied to the project dicts.

Three tables of keys: histogram (Limits, Sample Parameters, Background,
Instrument Parameters, Single xtal), phase (Cell, Atoms, LeBail) and
histogram-and-phase (Babinet, Extinction, HStrain, Mustrain, Size, Pref.Ori.,
Show, Use, Scale, LeBail).  A recipe step may hold ``set``, ``clear``, ``once``,
``skip``, ``output``, ``histograms``, ``phases``, ``call``, ``callargs``.

Unknown keys or subkeys raise :class:`~beamkit.errors.ParameterError` with a
did-you-mean suggestion.  Functions here change dicts only; running the fit is
the caller's business.

Parity with GSAS-II: in one histogram set/clear call, a ``'Background': True/False``
ends the call, so the keys after it are not applied (GSAS-II's ``set_refinements`` and
``clear_refinements`` return there).  The documentation's sequential example depends on it:
its ``clear_refinements({'Background': False, 'Sample Parameters': ['DisplaceX']})`` leaves
DisplaceX refined, and GSAS-II's published results were made so.  beamkit does the same and
logs a warning naming the skipped keys; set :data:`BACKGROUND_BOOL_ENDS_CALL` to False to
apply every key.  Clearing 'Limits' restores the full data range, as GSAS-II does.
"""
from __future__ import annotations

import difflib

from ..core.log import get_logger
from ..errors import ParameterError

log = get_logger("beamkit.powder.recipes")

#: GSAS-II parity: a True/False 'Background' ends a histogram set/clear call (module doc)
BACKGROUND_BOOL_ENDS_CALL = True

__all__ = ["HIST_KEYS", "PHASE_KEYS", "HAP_KEYS", "STEP_KEYS", "check_key", "split_refs",
           "check_step", "apply_hist", "apply_phase", "apply_hap"]

#: histogram key -> allowed subkeys (None: any subkey naming an existing entry)
HIST_KEYS = {
    "Limits": ("low", "high"),
    "Sample Parameters": ("Absorption", "Contrast", "DisplaceX", "DisplaceY", "Scale", "Shift",
                          "Transparency", "SurfRoughA", "SurfRoughB"),
    "Background": ("type", "refine", "no. coeffs", "coeffs", "FixedPoints", "fit fixed points", "peaks"),
    "Instrument Parameters": ("U", "V", "W", "X", "Y", "Z", "alpha", "beta-0", "beta-1", "beta-q",
                              "sig-0", "sig-1", "sig-2", "sig-q", "difA", "difB", "difC", "Zero",
                              "SH/L", "Polariz.", "Lam", "Lam1", "Lam2", "I(L2)/I(L1)"),
    "Single xtal": ("Scale", "BabA", "BabU", "Eg", "Es", "Ep", "Flack"),
}
PHASE_KEYS = {"Cell": None, "Atoms": None, "LeBail": None}
HAP_KEYS = {
    "Babinet": ("BabA", "BabU"),
    "Extinction": None,
    "HStrain": None,
    "Mustrain": ("type", "direction", "refine"),
    "Size": ("type", "direction", "refine", "value"),
    "Pref.Ori.": None,
    "Show": None,
    "Use": None,
    "Scale": None,
    "LeBail": None,
}
STEP_KEYS = ("set", "clear", "once", "skip", "output", "histograms", "phases", "call", "callargs")
_MODELS = {"Mustrain": ("isotropic", "uniaxial", "generalized"),
           "Size": ("isotropic", "uniaxial", "ellipsoidal")}
_BACK_TYPES = ("chebyschev", "chebyschev-1", "cosine", "Q^2 power series", "Q^-2 power series",
               "lin interpolate", "inv interpolate", "log interpolate")


def _dym(word, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.5)
    if not close:
        close = [c for c in choices if str(c).lower() == str(word).lower()]
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_key(key, choices, where: str):
    """Raise ParameterError with did-you-mean when ``key`` is not among ``choices``."""
    if key not in choices:
        raise ParameterError(f"{where}.{key}" if where else str(key),
                             "one of " + ", ".join(repr(c) for c in choices) + _dym(key, choices), key)


def split_refs(refs: dict, where: str = "set") -> tuple[dict, dict, dict]:
    """Split a set/clear/once dict into (histogram, phase, HAP) dicts; unknown keys raise."""
    if not isinstance(refs, dict):
        raise ParameterError(where, "a dict of refinement keys", refs)
    h, p, hap = {}, {}, {}
    allkeys = list(HIST_KEYS) + list(PHASE_KEYS) + [k for k in HAP_KEYS if k not in PHASE_KEYS]
    for k, v in refs.items():
        if k in HIST_KEYS:
            h[k] = v
        elif k in PHASE_KEYS:
            p[k] = v
        elif k in HAP_KEYS:
            hap[k] = v
        else:
            check_key(k, allkeys, where)
    return h, p, hap


def check_step(step: dict, i: int = 0) -> None:
    """Validate one recipe step (keys and the keys of its set/clear/once tables)."""
    if not isinstance(step, dict):
        raise ParameterError(f"refinements[{i}]", "a dict", step)
    for k in step:
        check_key(k, STEP_KEYS, f"refinements[{i}]")
    for k in ("set", "clear", "once"):
        if k in step:
            split_refs(step[k], f"refinements[{i}].{k}")


def _flag_list(value, where) -> list:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, dict):
        return [k for k, v in value.items() if v]
    raise ParameterError(where, "a list of parameter names", value)


# ------------------------------------------------------------------ histogram
def apply_hist(hist: dict, refs: dict, mode: str = "set", fit_fixed_points=None) -> None:
    """Apply histogram keys to a histogram dict.  mode: 'set' or 'clear'.

    ``fit_fixed_points`` is called (no arguments) when Background has 'fit fixed points'.
    """
    on = mode == "set"
    keys = list(refs)
    for k in keys:
        check_key(k, HIST_KEYS, "histogram")
    for n, key in enumerate(keys):
        val = refs[key]
        if key == "Limits":
            lim = hist["Limits"]
            if not on:
                lim[1] = [float(v) for v in lim[0]]      # GSAS-II: back to the full range
                continue
            if isinstance(val, dict):
                for sk in val:
                    check_key(sk, HIST_KEYS["Limits"], "Limits")
                lo = float(val.get("low", lim[1][0]))
                hi = float(val.get("high", lim[1][1]))
            elif isinstance(val, (list, tuple)) and len(val) == 2:
                lo, hi = (float(v) for v in val)
            else:
                raise ParameterError("Limits", "[low, high] or {'low': .., 'high': ..}", val)
            if not lo < hi:
                raise ParameterError("Limits", "low < high", val)
            dlo, dhi = lim[0]
            lim[1] = [max(lo, dlo), min(hi, dhi)]
        elif key in ("Sample Parameters", "Instrument Parameters"):
            target = hist["Sample Parameters"] if key == "Sample Parameters" else hist["Instrument Parameters"][0]
            for sk in _flag_list(val, key):
                present = [k for k, v in target.items() if isinstance(v, list) and len(v) in (2, 3)]
                choices = sorted(set(HIST_KEYS[key]) | set(present))
                check_key(sk, choices, key)
                if sk not in target or not isinstance(target[sk], list):
                    raise ParameterError(f"{key}.{sk}", f"a parameter of this {hist_type(hist)} histogram"
                                         + _dym(sk, present), sk)
                ent = target[sk]
                ent[-1] = bool(on)
        elif key == "Background":
            _apply_background(hist, val, on, fit_fixed_points)
            if isinstance(val, bool) and BACKGROUND_BOOL_ENDS_CALL and keys[n + 1:]:
                log.warning("as GSAS-II, 'Background': %s ends this %s_refinements call: %s not applied "
                            "(give them in a separate call)", val, mode, ", ".join(map(repr, keys[n + 1:])))
                return
        elif key == "Single xtal":
            for sk in _flag_list(val, key):
                check_key(sk, HIST_KEYS[key], key)
            raise ParameterError("Single xtal", "a single-crystal (HKLF) histogram", hist_type(hist))


def hist_type(hist: dict) -> str:
    try:
        return hist["Instrument Parameters"][0]["Type"][1]
    except (KeyError, IndexError, TypeError):
        return "?"


def _apply_background(hist, val, on, fit_fixed_points):
    bk, extra = hist["Background"]
    if isinstance(val, bool):
        bk[1] = val if on else False
        return
    if not isinstance(val, dict):
        raise ParameterError("Background", "True/False or a dict of background keys", val)
    for sk in val:
        check_key(sk, HIST_KEYS["Background"], "Background")
    if not on:
        if val.get("refine", True) or "refine" not in val:
            bk[1] = False
        if "peaks" in val:
            _peak_flags(extra, val["peaks"], False)
        return
    if "type" in val:
        check_key(val["type"], _BACK_TYPES, "Background.type")
        bk[0] = val["type"]
    if "coeffs" in val:
        c = [float(v) for v in val["coeffs"]]
        bk[2:] = [len(c)] + c
    if "no. coeffs" in val:
        n = int(val["no. coeffs"])
        if n < 0 or n > 36:
            raise ParameterError("Background.no. coeffs", "an integer 0..36", val["no. coeffs"])
        c = list(bk[3:3 + n]) + [0.0] * max(0, n - (len(bk) - 3))
        bk[2:] = [n] + c
    if "refine" in val:
        bk[1] = bool(val["refine"])
    if "FixedPoints" in val:
        pts = val["FixedPoints"]
        try:
            extra["FixedPoints"] = [[float(a), float(b)] for a, b in pts]
        except (TypeError, ValueError):
            raise ParameterError("Background.FixedPoints", "a list of (2θ, intensity) pairs", pts) from None
    if "peaks" in val:
        _peak_flags(extra, val["peaks"], True)
    if val.get("fit fixed points"):
        if fit_fixed_points is None:
            raise ParameterError("Background.fit fixed points", "a histogram object that can fit", True)
        fit_fixed_points()


def _peak_flags(extra, flags, on):
    pl = extra.get("peaksList", [])
    if not isinstance(flags, (list, tuple)):
        raise ParameterError("Background.peaks", "a list of flag lists [pos, int, sig, gam]", flags)
    for i, fl in enumerate(flags):
        if i >= len(pl):
            raise ParameterError(f"Background.peaks[{i}]", f"at most {len(pl)} background peaks", fl)
        if isinstance(fl, bool):
            fl = [fl] * 4
        for j, f in enumerate(list(fl)[:4]):
            pl[i][2 * j + 1] = bool(f) if on else False


# ------------------------------------------------------------------ phase
_ATOM_FLAGS = set("FXU")


def apply_phase(phase: dict, refs: dict, mode: str = "set") -> None:
    """Apply phase keys (Cell, Atoms, LeBail) to a phase dict."""
    on = mode == "set"
    gen = phase["General"]
    ct = gen.get("AtomPtrs", [3, 1, 7, 9])[1]
    for key, val in refs.items():
        check_key(key, PHASE_KEYS, "phase")
        if key == "Cell":
            gen["Cell"][0] = bool(val) if on else False
        elif key == "LeBail":
            for hap in phase.get("Histograms", {}).values():
                if "LeBail" not in hap:
                    hap["newLeBail"] = True
                hap["LeBail"] = bool(val) if on else False
        elif key == "Atoms":
            if not isinstance(val, dict):
                raise ParameterError("Atoms", "a dict {label or 'all': 'FXU' letters}", val)
            labels = [a[0] for a in phase["Atoms"]]
            for lab, flags in val.items():
                if not isinstance(flags, str) or not set(flags) <= _ATOM_FLAGS | {" "}:
                    raise ParameterError(f"Atoms.{lab}", "a string of the letters F, X, U", flags)
                rows = phase["Atoms"] if lab == "all" else [a for a in phase["Atoms"] if a[0] == lab]
                if not rows:
                    check_key(lab, labels + ["all"], "Atoms")
                for a in rows:
                    if on:
                        a[ct + 1] = "".join(c for c in "FXU" if c in flags)
                    else:
                        a[ct + 1] = "".join(c for c in a[ct + 1] if c not in flags)


# ------------------------------------------------------------------ HAP
def apply_hap(hap: dict, refs: dict, mode: str = "set") -> None:
    """Apply HAP keys to one phase-histogram entry."""
    on = mode == "set"
    for key, val in refs.items():
        check_key(key, HAP_KEYS, "HAP")
        if key == "Babinet":
            subs = ["BabA", "BabU"] if isinstance(val, bool) else _flag_list(val, key)
            for sk in subs:
                check_key(sk, HAP_KEYS["Babinet"], "Babinet")
                hap["Babinet"][sk][1] = bool(on and (val if isinstance(val, bool) else True))
        elif key in ("Extinction", "Scale"):
            hap[key][1] = bool(val) if on else False
        elif key == "Pref.Ori.":
            hap[key][2] = bool(val) if on else False
        elif key in ("Show", "Use", "LeBail"):
            hap[key] = bool(val) if on else False
        elif key == "HStrain":
            n = len(hap["HStrain"][1])
            if isinstance(val, (list, tuple)):
                if len(val) != n:
                    raise ParameterError("HStrain", f"{n} flags (one per Dij term)", val)
                fl = [bool(v) for v in val]
            else:
                fl = [bool(val)] * n
            hap["HStrain"][1] = fl if on else [False] * n
        elif key in ("Mustrain", "Size"):
            _apply_broadening(hap[key], key, val, on)


def _apply_broadening(ent: list, key: str, val, on: bool) -> None:
    if isinstance(val, bool):
        val = {"refine": val}
    if not isinstance(val, dict):
        raise ParameterError(key, "a dict with type/direction/refine", val)
    for sk in val:
        check_key(sk, HAP_KEYS[key], key)
    if on and "type" in val:
        check_key(val["type"], _MODELS[key], f"{key}.type")
        ent[0] = val["type"]
    if on and "direction" in val:
        d = list(val["direction"])
        if len(d) != 3:
            raise ParameterError(f"{key}.direction", "three integers [h, k, l]", val["direction"])
        ent[3] = [int(v) for v in d]
    if on and "value" in val:
        ent[1][0] = float(val["value"])
        if ent[0] == "uniaxial":
            ent[1][1] = float(val["value"])
    if "refine" not in val:
        return
    r = val["refine"]
    model = ent[0]
    if model in ("generalized", "ellipsoidal"):
        ent[5] = [bool(r) if on else False] * len(ent[5])
        return
    if model == "uniaxial":
        if r == "axial":
            ent[2][1] = on
        elif r == "equatorial":
            ent[2][0] = on
        else:
            ent[2][0] = ent[2][1] = bool(r) if on else False
    else:
        if isinstance(r, str):
            raise ParameterError(f"{key}.refine", "True or False for the isotropic model", r)
        ent[2][0] = bool(r) if on else False
