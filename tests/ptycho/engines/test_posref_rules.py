"""Position refinement follows ptypy 0.9's rules (engines/posref.py, base.py, stochastic.py)."""
import numpy as np
import pytest

from beamkit.ptycho.core.storage import Storage, Views
from beamkit.ptycho.engines import DM, EPIE, SDR
from beamkit.ptycho.engines import posref as PR

from posref_setup import setup_block as _setup  # noqa: E402


def _engine(blk, Eng=DM, **pr):
    e = Eng([blk], dict(numiter=pr.pop("numiter", 1), position_refinement=dict(start=0, **pr)))
    e.initialize()
    e.prepare()
    return e


class FixedRNG:
    def __init__(self, v):
        self.v = v

    def uniform(self, lo, hi, size=None):
        return np.full(size, self.v)


def test_interval_counts_from_iteration_zero(sim, monkeypatch):
    # ptypy: stop > it >= start and it % interval == 0 (not (it - start) % interval)
    blk, _, ps = _setup(sim)
    calls = []
    monkeypatch.setattr(PR.PositionRefinement, "update", lambda self, eng, st, it: calls.append(it))
    DM([blk], dict(numiter=8, position_refinement=dict(start=1, stop=8, interval=2, amplitude=3 * ps))).run()
    assert calls == [2, 4, 6]
    calls.clear()
    DM([blk], dict(numiter=8, position_refinement=dict(start=3, stop=7, interval=3, amplitude=3 * ps))).run()
    assert calls == [3, 6]


def test_gridsearch_disc_order_and_tie_break(sim, monkeypatch):
    # integer shifts within ±ceil(radius/pixel), dy² + dx² < ceil(max_shift/pixel)² (strict), row by row;
    # an equal metric later in the order does not replace an earlier one
    blk, _, ps = _setup(sim)
    e = _engine(blk, method="GridSearch", amplitude=3 * ps, max_shift=1.5 * ps, amplitude_decay=False)
    c0 = blk.views.corners.copy()
    seen = []
    good = {(-1, 0), (1, 0)}

    def metric(eng, st, corners, idx=None):
        corners = np.asarray(corners)
        seen.append(corners.copy())
        n = len(c0)
        rows = np.arange(len(corners)) % n if idx is None else np.asarray(idx)
        sh = corners - c0[rows]
        return np.array([0.0 if tuple(s) in good else 1.0 for s in sh])
    monkeypatch.setattr(e.posref, "_metric", metric)
    e.posref.update(e, e.states[0], 0)
    shifts = [tuple(c[0] - c0[0]) for c in seen[1:]]
    assert shifts == [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
    assert (blk.views.corners - c0 == [-1, 0]).all()


def test_gridsearch_disc_is_strict(sim, monkeypatch):
    blk, _, ps = _setup(sim)
    e = _engine(blk, method="GridSearch", amplitude=3 * ps, max_shift=2 * ps, amplitude_decay=False)
    c0 = blk.views.corners.copy()
    seen = []
    m0 = e.posref._metric
    monkeypatch.setattr(e.posref, "_metric", lambda eng, st, c, *a: (seen.append(np.asarray(c)[0] - c0[0]), m0(eng, st, c, *a))[1])
    e.posref.update(e, e.states[0], 0)
    shifts = {tuple(s) for s in seen[1:]}
    assert (0, 2) not in shifts and (2, 0) not in shifts and (1, 1) in shifts and len(shifts) == 8


def test_annealing_continuous_trials_and_max_shift_on_the_continuous_delta(sim):
    # coord = initial + delta (m), the corner is the rounded position; |delta| (continuous) > max_shift skips
    blk, _, ps = _setup(sim, frac=0.4)
    e = _engine(blk, method="Annealing", amplitude=3 * ps, max_shift=4 * ps, amplitude_decay=False, nshifts=4)
    e.posref.rng = FixedRNG(1.3 * ps)
    coords0, c0 = blk.views.coords.copy(), blk.views.corners.copy()
    e.posref.update(e, e.states[0], 0)
    moved = (blk.views.coords != coords0).any(axis=1)
    assert moved.sum() > 5
    deltas = np.array([[(-1) ** i, (-1) ** (i // 2)] for i in range(4)]) * 1.3 * ps
    d = blk.views.coords[moved] - coords0[moved]
    assert all(np.isclose(deltas, dd, rtol=0, atol=1e-6 * ps).all(1).any() for dd in d)   # one of the deltas
    assert (blk.views.corners == blk.views.corner_of(blk.views.coords)).all()
    assert (blk.views.coords[~moved] == coords0[~moved]).all() and (blk.views.corners[~moved] == c0[~moved]).all()
    # a = b = 1.45 px: |delta| = 2.05 px > max_shift = 2 px, although the rounded shift (1, 1) px is within it
    blk2, _, _ = _setup(sim, frac=0.0)
    e2 = _engine(blk2, method="Annealing", amplitude=3 * ps, max_shift=2 * ps, amplitude_decay=False, nshifts=4)
    e2.posref.rng = FixedRNG(1.45 * ps)
    coords2 = blk2.views.coords.copy()
    e2.posref.update(e2, e2.states[0], 0)
    assert (blk2.views.coords == coords2).all()


def test_views_keep_continuous_coordinates():
    s = Storage("S", np.zeros((1, 40, 40), np.complex64), psize=1e-7)
    coords = (np.array([[3.3, -2.6], [0.2, 1.45], [-4.0, 4.0]]) * 1e-7)
    v = Views(s, coords, (8, 8))
    k0 = v.corners.copy()
    new = k0.copy()
    new[1] += [2, -1]
    v.move([1], [coords[1] + np.array([2, -1]) * 1e-7])                    # as position refinement moves a view
    assert (v.coords[[0, 2]] == coords[[0, 2]]).all()                     # unmoved: exactly as set
    assert np.allclose(v.coords[1], coords[1] + np.array([2, -1]) * 1e-7, rtol=0, atol=1e-20)
    assert np.allclose(v.subpix[1], [0.2, 0.45]) and np.array_equal(v.corners, new)
    assert np.array_equal(v.corner_of(coords), k0)
    flat = v.flat.copy()
    v.move([2], [[1.1e-7, 0.0]])                                            # the flat cache follows
    assert v.corners[2].tolist() == (np.round(s.pixel_of([[1.1e-7, 0.0]]) + 1e-5).astype(int)[0] - 4).tolist()
    assert v.coords[2].tolist() == [1.1e-7, 0.0]
    v2 = Views(s, v.coords, (8, 8))
    assert np.array_equal(v.flat, v2.flat) and not np.array_equal(flat, v.flat)


@pytest.mark.parametrize("Eng", [EPIE, SDR])
@pytest.mark.parametrize("general", [False, True])
def test_stochastic_engines_refine_each_view_before_its_update(sim, Eng, general, monkeypatch):
    # ptypy: position_update_local(view) just before that view's Fourier update, in the shuffled order.
    # A stand-in refinement that moves every view by (1, -1) px gives the same result as starting
    # there, if the moved corner is what the view's update uses.
    shift = np.array([1, -1])

    def fake(self, eng, st, v, rad):
        order.append(int(v))
        st.blk.views.move([v], st.blk.views.coords[v] + shift * st.blk.obj.psize)
        st.corners[v] = st.blk.views.corners[v]
        return True
    monkeypatch.setattr(PR.PositionRefinement, "update_view", fake)
    monkeypatch.setattr(PR.PositionRefinement, "update", lambda *a: pytest.fail("batched update in a stochastic engine"))
    blk, _, ps = _setup(sim)
    order = []
    pars = dict(numiter=1, general_loop=general, seed=5)
    e = Eng([blk], dict(pars, position_refinement=dict(start=0, amplitude=3 * ps)))
    e.initialize()
    e.prepare()
    ex0 = None if e.states[0].ex is None else e.states[0].ex.copy()    # SDR's exit waves, as they start
    e.iterate()
    e.finalize()
    assert order == np.random.default_rng(5).permutation(blk.n).tolist()
    ref, _, _ = _setup(sim)
    ref.views.set_coords(ref.views.coords + shift * ref.obj.psize)
    r = Eng([ref], pars)
    r.initialize()
    r.prepare()
    if ex0 is not None:
        r.states[0].ex[...] = ex0
    r.iterate()
    r.finalize()
    assert np.array_equal(blk.views.corners, ref.views.corners)
    np.testing.assert_allclose(blk.obj.data, ref.obj.data, rtol=0, atol=1e-5)
    np.testing.assert_allclose(blk.probe.data, ref.probe.data, rtol=0, atol=1e-3)


def test_stochastic_refinement_schedule_and_real_moves(sim, monkeypatch):
    blk, c_true, ps = _setup(sim)
    its = []
    orig = PR.PositionRefinement.update_view
    monkeypatch.setattr(PR.PositionRefinement, "update_view",
                        lambda self, eng, st, v, rad: (its.append(eng.curiter), orig(self, eng, st, v, rad))[1])
    before = np.abs(blk.views.corners - c_true).sum()
    e = EPIE([blk], dict(numiter=4, probe_update_start=10, alpha=0.2,
                         position_refinement=dict(start=1, interval=2, method="GridSearch", amplitude=3 * ps,
                                                  max_shift=3 * ps, amplitude_decay=False)))
    e.run()
    assert sorted(set(its)) == [2] and len(its) == blk.n
    assert np.abs(blk.views.corners - c_true).sum() < before / 2
    assert np.array_equal(e.states[0].flat, blk.views.flat)              # view tables refreshed


def test_refinement_off_costs_no_per_view_call(sim, monkeypatch):
    blk, _, ps = _setup(sim)
    monkeypatch.setattr(PR.PositionRefinement, "update_view", lambda *a: pytest.fail("refined outside the schedule"))
    EPIE([blk], dict(numiter=2, position_refinement=dict(start=5, amplitude=3 * ps))).run()
    EPIE([blk], dict(numiter=2)).run()


def test_refinement_is_reproducible(sim):
    """The trial shifts come from the engine's seed (its own stream), so equal runs move equally."""
    out = []
    for _ in range(2):
        blk, _, ps = _setup(sim)
        DM([blk], dict(numiter=4, probe_support=None,
                       position_refinement=dict(start=0, amplitude=3 * ps, max_shift=4 * ps))).run()
        out.append(blk.views.corners.copy())
    assert np.array_equal(out[0], out[1])
