"""Format and parity checks of the shipped model file and goldens (numpy only, no torch).

    python -m pytest training/tests
"""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from training import dsp, reference  # noqa: E402

MODEL = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQModel.safetensors"
GOLDEN = ROOT / "Tests" / "Fixtures" / "golden.safetensors"

EXPECTED = {
    "mel.filterbank": [64, 513], "mel.mean": [64], "mel.std": [64],
    "audio.dw1.weight": [1, 1, 3, 3], "audio.dw1.bias": [1],
    "audio.pw1.weight": [32, 1, 1, 1], "audio.pw1.bias": [32],
    "audio.dw2.weight": [32, 1, 3, 3], "audio.dw2.bias": [32],
    "audio.pw2.weight": [64, 32, 1, 1], "audio.pw2.bias": [64],
    "audio.fc1.weight": [128, 1024], "audio.fc1.bias": [128],
    "audio.fc2.weight": [32, 128], "audio.fc2.bias": [32],
    "dec.in.weight": [128, 32], "dec.in.bias": [128],
    "dec.out.weight": [13, 128], "dec.out.bias": [13],
}
for _i in range(2):
    for _l in ("fc1", "fc2"):
        EXPECTED[f"dec.blocks.{_i}.{_l}.weight"] = [128, 128]
        EXPECTED[f"dec.blocks.{_i}.{_l}.bias"] = [128]


@pytest.fixture(scope="module")
def model():
    return reference.read_safetensors(MODEL)


@pytest.fixture(scope="module")
def golden():
    return reference.read_safetensors(GOLDEN)[0]


def test_size():
    assert MODEL.stat().st_size <= 2_000_000


def test_tensors_and_metadata(model):
    t, meta, header = model
    for name, shape in EXPECTED.items():
        assert name in t, name
        assert list(t[name].shape) == shape, (name, t[name].shape)
        assert header[name]["dtype"] == "F32"
        assert np.all(np.isfinite(t[name])), name
    expected_meta = {"format": "adaptive-eq-model", "version": "1", "sample_rate": "44100", "n_fft": "1024",
                     "hop": "512", "n_mels": "64", "fmin_hz": "20", "fmax_hz": "16000", "frames": "176",
                     "latent": "32", "decoder_hidden": "128", "decoder_blocks": "2"}
    for k, v in expected_meta.items():
        assert meta.get(k) == v, k
    assert len(meta["neutral"]) > 20


def test_term_table(model):
    t, meta, _ = model
    terms = json.loads(meta["terms"])
    T = len(terms)
    assert T >= 200 and len(set(terms)) == T
    assert list(t["terms.z"].shape) == [T, 32] and list(t["terms.support"].shape) == [T, 3]
    for w in ("warm", "bright", "airy", "muddy", "boomy", "thin"):
        assert w in terms
    s = t["terms.support"]
    assert np.all(s >= 0) and np.all(s[:, 2] <= 1)
    assert np.all((s[:, 0] >= 5) | (s[:, 1] > 0))  # every word has SAFE (>= 5 rows) or Audealize support
    assert s[terms.index("warm"), 0] > 400 and s[terms.index("bright"), 0] > 400


def test_filterbank_matches_formula(model):
    fb = model[0]["mel.filterbank"]
    np.testing.assert_allclose(fb, dsp.mel_filterbank(), atol=1e-6)
    assert np.all(model[0]["mel.std"] > 0)


def test_warm_and_bright_decode_to_the_right_shapes(model):
    t, meta, _ = model
    terms = json.loads(meta["terms"])
    rw = dsp.response_db(reference.decoder(t, t["terms.z"][terms.index("warm")]))
    rb = dsp.response_db(reference.decoder(t, t["terms.z"][terms.index("bright")]))
    lo, hi = dsp.GRID < 300, dsp.GRID > 4000
    assert (rw[lo].mean() - rw[hi].mean()) > 1.0  # warm: more low than high
    assert (rb[hi].mean() - rb[lo].mean()) > 1.0  # bright: more high than low


def test_golden_shapes(golden):
    assert golden["audio"].shape == (175 * 512 + 1024,)
    assert golden["logmel"].shape == (64, 176)
    assert golden["z_audio"].shape == (32,) and golden["params_audio"].shape == (13,)
    assert golden["z_probe"].shape == (4, 32) and golden["params_probe"].shape == (4, 13)


def test_logmel_golden(golden, model):
    L = dsp.logmel(golden["audio"].astype(np.float64), model[0]["mel.filterbank"].astype(np.float64))
    np.testing.assert_allclose(L, golden["logmel"], rtol=1e-4, atol=1e-3)


def test_decoder_golden(golden, model):
    t = model[0]
    for z, p in zip(golden["z_probe"], golden["params_probe"]):
        np.testing.assert_allclose(dsp.normalise_params_np(reference.decoder(t, z)), dsp.normalise_params_np(p),
                                   atol=1e-4)


def test_encoder_golden(golden, model):
    t = model[0]
    L, z, p = reference.analyse(t, golden["audio"].astype(np.float64))
    np.testing.assert_allclose(z, golden["z_audio"], atol=1e-4)
    np.testing.assert_allclose(dsp.normalise_params_np(p), dsp.normalise_params_np(golden["params_audio"]), atol=1e-4)


def test_rbj_against_scipy():
    from scipy import signal
    rng = np.random.default_rng(0)
    for p in dsp.random_params(20, rng):
        _, h = signal.sosfreqz(dsp.sos(p), worN=dsp.GRID, fs=dsp.FS)
        np.testing.assert_allclose(dsp.response_db(p), 20 * np.log10(np.abs(h)), atol=1e-3)
