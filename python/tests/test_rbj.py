"""The one RBJ implementation: cookbook identities, numpy against torch and against scipy."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from aeq import rbj
from aeq.parameters import HIGH, LOW

FS = 44_100


def _db(coefficients, f, fs):
    return 20 * np.log10(np.abs(rbj.section_response(coefficients, f, fs)))


@pytest.mark.parametrize("fs", [44_100, 48_000, 96_000])
def test_sections_hit_their_defining_gains(fs):
    for gain in (-12.0, -3.5, 6.0, 12.0):
        assert _db(rbj.design("lowshelf", 200.0, gain, 0.71, fs), [0.0], fs)[0] == pytest.approx(gain, abs=1e-9)
        assert _db(rbj.design("highshelf", 3000.0, gain, 0.71, fs), [fs / 2], fs)[0] == pytest.approx(gain, abs=1e-9)
        assert _db(rbj.design("lowshelf", 200.0, gain, 0.71, fs), [200.0], fs)[0] == pytest.approx(gain / 2, abs=1e-9)
        for q in (0.1, 0.71, 4.0, 10.0):
            h = _db(rbj.design("peak", 1234.0, gain, q, fs), [0.0, 1234.0, fs / 2], fs)
            np.testing.assert_allclose(h, [0.0, gain, 0.0], atol=1e-9)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        rbj.design("notch", 1000.0, 3.0, 1.0, FS)


def test_response_equals_the_complex_response_and_scipy_filtering():
    p = np.array([6, 150, -5, 500, 2, 3, 2000, 0.7, -8, 6000, 4, 4, 10000], float)
    f = np.geomspace(20, 0.45 * FS, 300)
    _, h = signal.sosfreqz(rbj.sos(p, FS), worN=f, fs=FS)
    np.testing.assert_allclose(rbj.response_db(p, f, FS), 20 * np.log10(np.abs(h)), atol=1e-9)
    x = np.zeros(FS)
    x[0] = 1
    y = signal.sosfilt(rbj.sos(p, FS), x)
    ff = np.fft.rfftfreq(len(y), 1 / FS)
    sel = (ff >= 20) & (ff <= 0.45 * FS)
    np.testing.assert_allclose(20 * np.log10(np.abs(np.fft.rfft(y))[sel]), rbj.response_db(p, ff[sel], FS), atol=1e-6)


def test_negated_gains_invert_the_response_and_batches_broadcast():
    rng = np.random.default_rng(1)
    p = LOW + (HIGH - LOW) * rng.random((4, 3, 13))
    q = p.copy()
    q[..., [0, 2, 5, 8, 11]] *= -1
    f = np.geomspace(20, 20_000, 50)
    r = rbj.response_db(p, f)
    assert r.shape == (4, 3, 50)
    np.testing.assert_allclose(r + rbj.response_db(q, f), 0, atol=1e-8)
    np.testing.assert_allclose(r[2, 1], rbj.response_db(p[2, 1], f), atol=1e-12)


def test_nyquist_clamp_only_moves_frequencies_above_it():
    p = np.array([0, 100, 0, 300, 1, 0, 1000, 1, 0, 3000, 1, 6, 20_000], float)
    f = np.geomspace(20, 15_000, 40)
    clamped = rbj.response_db(p, f, FS, nyquist_fraction=0.4)
    moved = p.copy()
    moved[12] = 0.4 * FS
    np.testing.assert_allclose(clamped, rbj.response_db(moved, f, FS), atol=1e-12)


def test_torch_matches_numpy_and_has_gradients():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    p = LOW + (HIGH - LOW) * rng.random((6, 13))
    f = np.geomspace(20, 20_000, 96)
    t = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    out = rbj.torch_response_db(t, f, nyquist_fraction=0.499)
    np.testing.assert_allclose(out.detach().numpy(), rbj.response_db(p, f, nyquist_fraction=0.499), atol=1e-9)
    out.sum().backward()
    assert torch.all(torch.isfinite(t.grad)) and float(t.grad.abs().sum()) > 0
    assert rbj.torch_response_db(t.float(), f).dtype == torch.float32
