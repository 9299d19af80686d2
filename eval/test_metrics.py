"""Checks of the harness's measurement functions on synthetic signals with known answers.

Fast (a few seconds), no CLI and no model needed:  python3 -m pytest -q eval/test_metrics.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parent))
import metrics as m  # noqa: E402

FS = 44_100


def test_band_centres_and_reference_bands():
    assert len(m.BAND_CENTRES) == 28
    assert m.BAND_CENTRES[0] == pytest.approx(31.25)
    assert m.BAND_CENTRES[-1] == pytest.approx(16_000)
    assert m.BAND_CENTRES[15] == pytest.approx(1000)
    assert m.REFERENCE_BANDS.sum() == 21  # nominal 100 Hz ... 10 kHz
    assert m.BAND_CENTRES[m.REFERENCE_BANDS][0] == pytest.approx(99.21, abs=0.01)


@pytest.mark.parametrize("fs", [44_100, 48_000, 96_000])
def test_rbj_sections_hit_their_defining_gains(fs):
    # Low shelf: full gain at DC; high shelf: full gain at Nyquist; peak: full gain at f0.
    for gain in (-12.0, -3.5, 6.0, 12.0):
        b, a = m.rbj_biquad("lowshelf", 200.0, gain, m.SHELF_Q, fs)
        assert 20 * np.log10(abs(m.biquad_response(b, a, [0.0], fs)[0])) == pytest.approx(gain, abs=1e-9)
        b, a = m.rbj_biquad("highshelf", 3000.0, gain, m.SHELF_Q, fs)
        assert 20 * np.log10(abs(m.biquad_response(b, a, [fs / 2], fs)[0])) == pytest.approx(gain, abs=1e-9)
        # Shelves are at half gain (in dB) at their corner frequency.
        b, a = m.rbj_biquad("lowshelf", 200.0, gain, m.SHELF_Q, fs)
        assert 20 * np.log10(abs(m.biquad_response(b, a, [200.0], fs)[0])) == pytest.approx(gain / 2, abs=1e-9)
        for q in (0.1, 0.71, 4.0, 10.0):
            b, a = m.rbj_biquad("peak", 1234.0, gain, q, fs)
            h = m.biquad_response(b, a, [0.0, 1234.0, fs / 2], fs)
            assert 20 * np.log10(abs(h[1])) == pytest.approx(gain, abs=1e-9)
            assert 20 * np.log10(abs(h[0])) == pytest.approx(0.0, abs=1e-9)


def test_negated_gain_inverts_every_section():
    p = np.array([5, 120, -4, 400, 1.2, 7, 1500, 3, -9, 5000, 0.5, 8, 9000], float)
    q = p.copy()
    q[[0, 2, 5, 8, 11]] *= -1
    f = np.geomspace(20, 20_000, 200)
    np.testing.assert_allclose(m.eq_response_db(p, f) + m.eq_response_db(q, f), 0, atol=1e-9)


def test_eq_response_matches_filtering_an_impulse():
    p = [6, 150, -5, 500, 2, 3, 2000, 0.7, -8, 6000, 4, 4, 10000]
    x = np.zeros(FS)
    x[0] = 1
    y = signal.sosfilt(m.eq_sos(p, FS), x)
    f = np.fft.rfftfreq(len(y), 1 / FS)
    sel = (f >= 20) & (f <= 0.45 * FS)
    measured = 20 * np.log10(np.abs(np.fft.rfft(y))[sel])
    np.testing.assert_allclose(measured, m.eq_response_db(p, f[sel], FS), atol=1e-6)


def test_tbc_of_pink_noise_is_flat():
    x = m.pink_noise(20, FS, seed=3)
    c = m.tbc(x, FS)
    assert c.shape == (28,)
    assert abs(c[m.REFERENCE_BANDS].mean()) < 1e-9
    # Equal power per band: within 0.5 dB from 250 Hz up; the lowest bands hold only 1-5
    # FFT bins of 10.8 Hz, so their sums are coarse (within 3 dB).
    assert np.max(np.abs(c[m.BAND_CENTRES >= 250])) < 0.5
    assert np.max(np.abs(c)) < 3.0


def test_tbc_ignores_level_and_channel_count_and_gates_silence():
    x = m.pink_noise(10, FS, seed=4)
    c = m.tbc(x, FS)
    np.testing.assert_allclose(m.tbc(0.1 * x, FS), c, atol=1e-9)
    np.testing.assert_allclose(m.tbc(np.stack([x, x], axis=1), FS), c, atol=1e-9)
    # Appending silence (below the -60 dBFS gate) does not change the curve.
    padded = np.concatenate([x, np.zeros(5 * FS)])
    np.testing.assert_allclose(m.tbc(padded, FS), c, atol=0.05)
    assert np.all(m.tbc(np.zeros(FS), FS) == 0)


def test_tbc_of_a_sine_peaks_in_its_band():
    t = np.arange(5 * FS) / FS
    c = m.tbc(0.5 * np.sin(2 * np.pi * 1000 * t), FS)
    assert int(np.argmax(c)) == 15


def test_applied_response_of_a_known_eq_matches_the_analytic_response():
    # Broad bands only: the TBC integrates power over a third of an octave.
    p = [6, 120, -4, 500, 0.7, 3, 2000, 0.5, -3, 5000, 0.7, 5, 9000]
    x = m.pink_noise(20, FS, seed=5)
    y = signal.sosfilt(m.eq_sos(p, FS), x)
    measured = m.applied_response(x, y, FS)
    analytic = m.eq_response_db(p, m.BAND_CENTRES, FS)
    analytic -= analytic[m.REFERENCE_BANDS].mean()
    assert np.max(np.abs(measured[2:] - analytic[2:])) < 0.6
    assert m.pearson(measured, analytic) > 0.99


def test_spread_and_pearson():
    a = np.zeros(28)
    b = np.ones(28) * 2
    c = np.ones(28) * -1
    assert m.spread([a, b]) == pytest.approx(2)
    assert m.spread([a, b, c]) == pytest.approx((2 + 1 + 3) / 3)
    assert m.spread([a, a, a]) == 0
    r = np.random.default_rng(0).standard_normal(28)
    assert m.pearson(r, 3 * r + 1) == pytest.approx(1)
    assert m.pearson(r, -r) == pytest.approx(-1)


def test_colouring_raises_spread_and_static_eq_keeps_the_ratio():
    # The same static EQ applied to differently coloured inputs keeps their spread (ratio 1).
    x = m.pink_noise(10, FS, seed=6)
    ins = [signal.sosfilt(m.eq_sos([g, 150, 0, 500, 1, 0, 1000, 1, 0, 3000, 1, -g, 6000], FS), x)
           for g in (-6, 0, 6)]
    eq = m.eq_sos([3, 200, 2, 800, 1, -2, 2500, 1, 0, 5000, 1, 4, 8000], FS)
    outs = [signal.sosfilt(eq, y) for y in ins]
    s_in = m.spread([m.tbc(y, FS) for y in ins])
    s_out = m.spread([m.tbc(y, FS) for y in outs])
    assert s_in > 2
    assert s_out / s_in == pytest.approx(1, abs=0.02)


def test_centroid_direction():
    x = m.pink_noise(5, FS, seed=7)
    dark = signal.sosfilt(m.eq_sos([6, 200, 0, 500, 1, 0, 1000, 1, 0, 3000, 1, -6, 4000], FS), x)
    bright = signal.sosfilt(m.eq_sos([-6, 200, 0, 500, 1, 0, 1000, 1, 0, 3000, 1, 6, 4000], FS), x)
    assert m.spectral_centroid(dark, FS) < m.spectral_centroid(x, FS) < m.spectral_centroid(bright, FS)


def test_highpass_8k_rejects_the_click_test_tones():
    t = np.arange(2 * FS) / FS
    tones = 0.251 * np.sin(2 * np.pi * 100 * t) + 0.251 * np.sin(2 * np.pi * 1000 * t)
    hp = signal.sosfilt(m.highpass_8k_sos(FS), tones)
    # 4th-order digital Butterworth at 8 kHz: 1 kHz is ~76 dB down, so the steady tones
    # leave about -88 dBFS: well under the -80 dBFS click threshold.
    _, h = signal.sosfreqz(m.highpass_8k_sos(FS), worN=[100.0, 1000.0], fs=FS)
    expected = 20 * np.log10(0.251 * np.abs(h).sum())
    assert m.peak_dbfs(hp[FS:]) == pytest.approx(expected, abs=0.5)
    assert m.peak_dbfs(hp[FS:]) < -85
    # A step (a click) is not rejected.
    step = np.zeros(FS)
    step[FS // 2:] = 0.01
    assert m.peak_dbfs(signal.sosfilt(m.highpass_8k_sos(FS), step)) > -60


def test_crowd_curves(tmp_path):
    csv_text = "\n".join([
        "1,Warm,ip,2,2,6,200,0,500,1,0,1000,1,0,3000,1,-6,5000,,,hash",
        "2,warm ,ip,2,2,4,200,0,500,1,0,1000,1,0,3000,1,-4,5000,,,hash",
        "3,WARM,ip,2,2,5,200,0,500,1,0,1000,1,0,3000,1,-5,5000,,,hash",
        "4,bright,ip,2,2,x,200,0,500,1,0,1000,1,0,3000,1,-5,5000,,,hash",
    ])
    path = tmp_path / "safe.csv"
    path.write_text(csv_text)
    rows = m.load_safe(path)
    assert len(rows["warm"]) == 3 and "bright" not in rows
    median = m.safe_crowd_curve(rows["warm"])
    np.testing.assert_allclose(median, m.eq_response_db(rows["warm"][2], m.BAND_CENTRES), atol=1e-9)

    centres = list(np.geomspace(20, 19_682, 40))
    aud = {"words": [{"word": "Ramp", "settings": list(np.log2(centres)), "agreement": 0.7, "num": 9}],
           "band_centres_hz": centres}
    apath = tmp_path / "aud.json"
    import json
    apath.write_text(json.dumps(aud))
    words = m.load_audealize(apath)
    np.testing.assert_allclose(words["ramp"]["curve"], np.log2(m.BAND_CENTRES), atol=1e-9)
    assert words["ramp"]["agreement"] == 0.7 and words["ramp"]["contributors"] == 9


def test_float_wav_round_trip_is_exact(tmp_path):
    x = (np.random.default_rng(1).standard_normal((1000, 3)) * 0.3).astype(np.float32)
    m.write_float_wav(tmp_path / "a.wav", 48_000, x)
    fs, y = m.read_audio(tmp_path / "a.wav")
    assert fs == 48_000 and y.shape == (1000, 3)
    assert np.array_equal(y, x.astype(np.float64))
