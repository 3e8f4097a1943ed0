"""Ptycho's life cycle and run loop as ptypy's Ptycho.run / BaseEngine.iterate."""
import logging

import pytest

from beamkit.errors import ParameterError
from beamkit.ptycho import Ptycho, utils as u


def _pars(home, **engines):
    p = u.Param(verbose_level="warning")
    p.io = u.Param(home=str(home), rfile=None, autosave=u.Param(active=False), autoplot=u.Param(active=False),
                   interaction=u.Param(active=False))
    p.scans = u.Param(MF=u.Param(name="BlockFull", data=u.Param(name="MoonFlowerScan", num_frames=20, shape=32)))
    p.engines = u.Param(**engines) if engines else u.Param(e0=u.Param(name="DM", numiter=4),
                                                           e1=u.Param(name="ML", numiter=3))
    return p


def _trace(P):
    return [(i["engine"], i["iteration"], i["iterations"]) for i in P.runtime["iter_info"]]


def test_run_again_runs_more_iterations_and_labels_select(tmp_path):
    P = Ptycho(_pars(tmp_path), level=5)
    assert _trace(P)[-1] == ("ML", 3, 7) and P.runtime["allstop"] is not None
    P.run()                                              # every engine anew, from the current state
    assert len(_trace(P)) == 14 and _trace(P)[-1] == ("ML", 3, 14) and P.runtime["allstop"] is None
    P.run(label="e0")
    assert _trace(P)[-1] == ("DM", 4, 18) and P.engines["e0"].label == "e0"
    P.run(epars=u.Param(name="DM", numiter=2))          # only the new engine, labelled as ptypy does
    assert "auto02" in P.engines and "auto02" in P.p.engines and _trace(P)[-2:] == [("DM", 1, 19), ("DM", 2, 20)]
    with pytest.raises(ParameterError, match="label"):
        P.run(label="nope")


def test_engines_run_in_sorted_label_order_and_blocks_are_one_record(tmp_path):
    P = Ptycho(_pars(tmp_path, zz=u.Param(name="ML", numiter=2), aa=u.Param(name="DM", numiter=5,
                                                                           numiter_contiguous=2)), level=5)
    # DM ('aa') first; blocks of 2 give one record each and are not cut at numiter (ends at 6)
    assert _trace(P) == [("DM", 2, 2), ("DM", 4, 4), ("DM", 6, 6), ("ML", 1, 7), ("ML", 2, 8)]


def test_run_from_level_two_starts_no_server_and_finalize_cites(tmp_path, caplog):
    p = _pars(tmp_path)
    p.io.interaction = u.Param(active=True, server=u.Param(port=0))
    P = Ptycho(p, level=2)
    with caplog.at_level(logging.WARNING):
        P.run(label="e0")
        assert P.interactor is None and list(P.engines) == ["e0"]
        P.finalize()
    assert "difference map" in caplog.text.lower() and P.runtime["allstop"] is not None
