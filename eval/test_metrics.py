"""Checks of the harness's measurement functions on synthetic signals with known answers
(the tonal-balance maths of python/aeq/tonal.py and the figures computed in eval/sections/).

Fast (a few seconds), no CLI and no model needed:  python3 -m pytest -q eval/test_metrics.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402  (puts python/ on the path)
from aeq import rbj, tonal as m  # noqa: E402
from aeq.audio import read_audio, write_float_wav  # noqa: E402
from sections import adaptivity, bounded_eq, click, colouration, word_direction, word_renders  # noqa: E402

FS = 44_100


def test_band_centres_and_reference_bands():
    assert len(m.BAND_CENTRES) == 28
    assert m.BAND_CENTRES[0] == pytest.approx(31.25)
    assert m.BAND_CENTRES[-1] == pytest.approx(16_000)
    assert m.BAND_CENTRES[15] == pytest.approx(1000)
    assert m.REFERENCE_BANDS.sum() == 21  # nominal 100 Hz ... 10 kHz
    assert m.BAND_CENTRES[m.REFERENCE_BANDS][0] == pytest.approx(99.21, abs=0.01)


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
    y = signal.sosfilt(rbj.sos(p, FS), x)
    measured = m.applied_response(x, y, FS)
    analytic = rbj.response_db(p, m.BAND_CENTRES, FS)
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
    ins = [signal.sosfilt(rbj.sos([g, 150, 0, 500, 1, 0, 1000, 1, 0, 3000, 1, -g, 6000], FS), x)
           for g in (-6, 0, 6)]
    eq = rbj.sos([3, 200, 2, 800, 1, -2, 2500, 1, 0, 5000, 1, 4, 8000], FS)
    outs = [signal.sosfilt(eq, y) for y in ins]
    s_in = m.spread([m.tbc(y, FS) for y in ins])
    s_out = m.spread([m.tbc(y, FS) for y in outs])
    assert s_in > 2
    assert s_out / s_in == pytest.approx(1, abs=0.02)


def test_centroid_direction():
    x = m.pink_noise(5, FS, seed=7)
    dark = signal.sosfilt(rbj.sos([6, 200, 0, 500, 1, 0, 1000, 1, 0, 3000, 1, -6, 4000], FS), x)
    bright = signal.sosfilt(rbj.sos([-6, 200, 0, 500, 1, 0, 1000, 1, 0, 3000, 1, 6, 4000], FS), x)
    assert m.spectral_centroid(dark, FS) < m.spectral_centroid(x, FS) < m.spectral_centroid(bright, FS)


def test_highpass_8k_rejects_the_click_test_tones():
    t = np.arange(2 * FS) / FS
    tones = 0.251 * np.sin(2 * np.pi * 100 * t) + 0.251 * np.sin(2 * np.pi * 1000 * t)
    hp = signal.sosfilt(click.highpass_sos(FS), tones)
    # 4th-order digital Butterworth at 8 kHz: 1 kHz is ~76 dB down, so the steady tones
    # leave about -88 dBFS: well under the -80 dBFS click threshold.
    _, h = signal.sosfreqz(click.highpass_sos(FS), worN=[100.0, 1000.0], fs=FS)
    expected = 20 * np.log10(0.251 * np.abs(h).sum())
    assert m.peak_dbfs(hp[FS:]) == pytest.approx(expected, abs=0.5)
    assert m.peak_dbfs(hp[FS:]) < -85
    # A step (a click) is not rejected.
    step = np.zeros(FS)
    step[FS // 2:] = 0.01
    assert m.peak_dbfs(signal.sosfilt(click.highpass_sos(FS), step)) > -60


def test_float_wav_round_trip_is_exact(tmp_path):
    x = (np.random.default_rng(1).standard_normal((1000, 3)) * 0.3).astype(np.float32)
    write_float_wav(tmp_path / "a.wav", 48_000, x)
    fs, y = read_audio(tmp_path / "a.wav")
    assert fs == 48_000 and y.shape == (1000, 3)
    assert np.array_equal(y, x.astype(np.float64))


def test_mid_bands_are_40_hz_to_12_5_khz():
    assert m.MID_BANDS.sum() == 26
    assert m.BAND_CENTRES[m.MID_BANDS][0] == pytest.approx(39.37, abs=0.01)
    assert m.BAND_CENTRES[m.MID_BANDS][-1] == pytest.approx(12_699, abs=1)


def _render(applied, word="warm", l_in=-20.0, l_out=-20.0, full=0):
    return word_renders.Render(None, word, np.asarray(applied, float), l_in, l_out, -3.0, full)


def test_word_direction_r_uses_only_the_mid_bands_and_judges_both_targets():
    crowd = {"warm": rbj.response_db([6, 200, 0, 500, 1, 0, 1000, 1, 0, 3000, 1, -6, 5000], m.BAND_CENTRES)}
    applied = 0.5 * crowd["warm"] + 3.0
    applied[~m.MID_BANDS] = [40, -40]  # outside 40 Hz ... 12.5 kHz: ignored
    assert word_direction.r_of(_render(applied), crowd) == pytest.approx(1.0)
    assert word_direction.r_of(_render(-applied), crowd) == pytest.approx(-1.0)
    good = {"warm": [0.9] * 9 + [0.2], "bright": [0.95] * 10}
    assert word_direction.judge(good) == (True, pytest.approx(0.95))
    low_median = {"warm": [0.7] * 10, "bright": [0.95] * 10}
    assert word_direction.judge(low_median)[0] is False
    too_many_wrong = {"warm": [0.9] * 8 + [0.1, 0.1], "bright": [0.9] * 8 + [0.1, 0.1]}
    assert word_direction.judge(too_many_wrong) == (False, pytest.approx(0.8))


def test_bounded_eq_takes_the_largest_mid_band_deviation():
    applied = np.zeros(28)
    applied[0] = 30.0  # 31 Hz: outside the figure's bands
    applied[m.MID_BANDS.nonzero()[0][5]] = -9.5
    assert bounded_eq.max_applied_db(_render(applied)) == pytest.approx(9.5)


def test_loudness_meter_reads_a_gain_change_as_the_same_change_in_lu():
    x = m.pink_noise(10, FS, seed=8)[:, None] * np.ones((1, 2))
    before = word_renders.integrated_loudness(x, FS)
    after = word_renders.integrated_loudness(x * 10 ** (-6 / 20), FS)
    assert after - before == pytest.approx(-6.0, abs=0.01)
    assert _render(np.zeros(28), l_in=before, l_out=after).delta_lu == pytest.approx(-6.0, abs=0.01)


def test_adaptivity_colourings_are_bounded_and_seeded():
    a = adaptivity.random_colouring(np.random.default_rng(3))
    b = adaptivity.random_colouring(np.random.default_rng(3))
    assert np.array_equal(a, b) and a.shape == (13,)
    assert np.all(np.abs(a[[0, 2, 5, 8, 11]]) <= 6)
    y = adaptivity.coloured(m.pink_noise(2, FS, seed=9)[:, None], FS, a)
    assert np.max(np.abs(y)) == pytest.approx(0.5)
    assert adaptivity.falling([1.0, 0.8, 0.5]) and not adaptivity.falling([1.0, 0.8, 0.8])


def test_colouration_recovery_compares_level_free_curves():
    curve = rbj.response_db([3, 150, 0, 500, 1, 0, 1000, 1, 0, 3000, 1, -3, 6000], m.BAND_CENTRES)
    free = colouration.level_free(curve + 4.0)
    assert abs(free[m.REFERENCE_BANDS].mean()) < 1e-12
    np.testing.assert_allclose(free, colouration.level_free(curve), atol=1e-12)


def test_real_clip_genres_come_from_sources_or_the_name(tmp_path):
    assert harness.real_genre(Path("music_rock_03.wav"), {}) == "rock"
    assert harness.real_genre(Path("music_film_score_03.wav"), {}) == "film_score"
    assert harness.real_genre(Path("music_rock_03.wav"), {"music_rock_03.wav": {"genre": "ambient"}}) == "ambient"
    (tmp_path / "SOURCES.json").write_text('[{"file": "music_x_01.wav", "genre": "orchestral", "licence": "GPL"}]')
    assert harness._sources(tmp_path)["music_x_01.wav"]["licence"] == "GPL"


def test_markdown_cells_keep_their_pipes():
    table = harness.md_table(["figure"], [("median |EQ| 4 dB",), ("already \\| escaped",)])
    assert "median \\|EQ\\| 4 dB" in table and "already \\| escaped" in table and "\\\\|" not in table
