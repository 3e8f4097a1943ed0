"""ePIE/SDR details that follow ptypy 0.9's stochastic engines (notes §5.5)."""
import numpy as np

from beamkit.ptycho.engines import EPIE, SDR
from beamkit.ptycho.engines.stochastic import ObjectPowerMax
from beamkit.ptycho.models import make_model


def _block(sim, model):
    return make_model(model, {}).build(sim["data"], sim["positions"], sim["meta"])


def test_object_power_max_tracks_the_whole_storage_exactly():
    """After in-place view updates (growing and shrinking values, ragged edge tiles) the tiled
    maximum equals max Σ_modes|O|² of the whole array."""
    rng = np.random.default_rng(4)
    O = (rng.normal(size=(2, 93, 77)) + 1j * rng.normal(size=(2, 93, 77))).astype(np.complex64)
    m = ObjectPowerMax(O, tile=16)
    np.testing.assert_allclose(m.value, (np.abs(O) ** 2).sum(0).max(), rtol=1e-6)
    for k in range(40):
        y, x = rng.integers(0, 93 - 20), rng.integers(0, 77 - 20)
        ny, nx = rng.integers(1, 21, size=2)
        O[:, y:y + ny, x:x + nx] *= np.float32(0.05 if k % 3 else 3.0)   # shrinks the max, then grows it
        m.refresh(y, x, ny, nx)
        np.testing.assert_allclose(m.value, (np.abs(O) ** 2).sum(0).max(), rtol=1e-6, err_msg=str(k))


def test_stochastic_engines_do_not_apply_the_probe_support(sim):
    """ptypy's ePIE and SDR never call the probe support constraint, so a probe that is nonzero
    outside the 0.7 disc stays nonzero there; DM-style support would zero it."""
    N = sim["data"].shape[-1]
    yy, xx = np.indices((N, N)) - N // 2
    outside = np.pi * (yy ** 2 + xx ** 2) >= 0.7 * N * N
    for E, model, pars in ((EPIE, "GradFull", dict(object_norm_is_global=True)), (SDR, "Full", dict(sigma=0.5, tau=0.1))):
        blk = _block(sim, model)
        E([blk], dict(numiter=2, probe_update_start=0, probe_support=0.7, seed=0, **pars)).run()
        assert np.abs(blk.probe.data[0][outside]).max() > 0, E.__name__


def test_global_object_norm_matches_a_full_recompute_per_view(sim):
    """The single-mode fast path with object_norm_is_global equals the general loop, which reads
    the maximum from the whole storage after each view's object update."""
    out = []
    for general in (False, True):
        blk = _block(sim, "GradFull")
        EPIE([blk], dict(numiter=4, probe_update_start=0, object_norm_is_global=True, seed=2,
                         general_loop=general)).run()
        out.append((blk.obj.data.copy(), blk.probe.data.copy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-3, atol=1e-3 * np.abs(out[1][1]).max())


def test_epie_exit_error_is_the_change_of_the_stored_exit_wave(sim):
    """As in ptypy, ePIE's Exit error compares the new exit wave with the stored one: per view for
    Full (small once converging), the previous view's for GradFull's single shared buffer (large)."""
    last = {}
    for model in ("Full", "GradFull"):
        blk = _block(sim, model)
        info = EPIE([blk], dict(numiter=15, probe_update_start=2, seed=0)).run()
        last[model] = info[-1]["error"]
        assert info[-1]["error"][0] < info[0]["error"][0]
    assert last["GradFull"][2] > 5 * last["Full"][2], last
    assert last["Full"][2] < last["Full"][0] * 10
