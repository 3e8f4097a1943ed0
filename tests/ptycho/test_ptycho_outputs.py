"""Top-level settings and outputs as ptypy's: verbosity names, figure formats, ptypy.run files,
autoplot's final frame, parameter choices."""
import json
import logging

import pytest

from beamkit.ptycho import Ptycho, utils as u


def _pars(home, **io):
    p = u.Param(verbose_level="warning")
    p.io = u.Param(home=str(home), rfile=None, autosave=u.Param(active=False), autoplot=u.Param(active=False),
                   interaction=u.Param(active=False))
    p.io.update(io)
    p.scans = u.Param(MF=u.Param(name="BlockFull", data=u.Param(name="MoonFlowerScan", num_frames=20, shape=32)))
    p.engines = u.Param(e0=u.Param(name="DM", numiter=3))
    return p


def test_verbosity_names_as_ptypy():
    from beamkit.core.log import logger
    old = logger.level
    try:
        for name, level in (("interactive", 35), ("citation", 45), ("critical", logging.CRITICAL), (0, logging.CRITICAL)):
            u.verbose.set_level(name)
            assert logger.level == level
    finally:
        logger.setLevel(old)


def test_figures_follow_the_extension_and_ptypy_run_files(tmp_path):
    from beamkit.ptycho.cli import main
    P = Ptycho(_pars(tmp_path), level=5)
    for ext, magic in (("pdf", b"%PDF"), ("jpg", b"\xff\xd8"), ("svg", b"<?xml"), ("png", b"\x89PNG")):
        path = P.plot(str(tmp_path / f"fig.{ext}"))
        assert open(path, "rb").read(5).startswith(magic)
    f = tmp_path / "run.json"
    f.write_text(json.dumps({"base_file": None, "parameter_tree": json.loads(json.dumps(_pars(tmp_path / "cli")))}))
    assert main(["run", str(f), "--quiet"]) == 0


def test_threaded_autoplot_ends_with_the_final_state(tmp_path):
    p = _pars(tmp_path, autoplot=u.Param(active=True, interval=1, threaded=True, dump=True))
    p.engines.e0.numiter = 6
    P = Ptycho(p, level=5)
    assert P.autoplot.files[-1].endswith("_0006.png") and P.autoplot._last_it == 6


def test_choices_as_ptypy(tmp_path):
    p = _pars(tmp_path, benchmark="some")                           # only 'all' writes benchmark.json
    p.scans.MF.coherence = u.Param(energies=[1.0, 1.05], object_dispersion="achromatic")
    P = Ptycho(p, level=5)
    assert P.blocks[0].pods.K == 2 and not list(tmp_path.glob("*benchmark*"))
