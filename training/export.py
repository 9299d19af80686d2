"""Export a trained checkpoint to the files the Swift package and peers use.

    python -m training.export [build/train/model.pt]
    python -m training.export CKPT --model-only OUT.safetensors   # the model file alone, elsewhere

Writes
  Sources/AdaptiveEQResources/Resources/AdaptiveEQModel.safetensors   (docs/MODEL_FORMAT.md)
  Tests/Fixtures/golden.safetensors                                   (parity goldens)
  training/artifacts/encoder.onnx, training/artifacts/decoder.onnx
and checks the ONNX graphs against PyTorch with onnxruntime.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

from . import data, dsp
from .model import AudioEncoder, EQDecoder

ROOT = Path(__file__).resolve().parent.parent
MODEL_FILE = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQModel.safetensors"
GOLDEN_FILE = ROOT / "Tests" / "Fixtures" / "golden.safetensors"
ARTIFACTS = ROOT / "training" / "artifacts"


def neutral_sentence(neutral: dict) -> str:
    if neutral.get("kind") == "real-music":
        from .audio import neutral_sentence as real_sentence
        return real_sentence(neutral)
    tilt = neutral.get("tilt_db_per_oct", 0.0)
    shape = "pink noise (power density proportional to 1/f, flat in 1/3-octave bands)" if tilt == 0 else \
        f"pink noise tilted by {tilt:+.2f} dB/octave about 1 kHz"
    return (f"{shape}; z_audio is the EQ colouration that explains the deviation of the analysed window's "
            f"1/3-octave-smoothed long-term spectrum from it, level removed over 100 Hz-10 kHz, soft-limited to "
            f"+-{neutral['soft_limit_db']:g} dB" + (f" and scaled by {neutral['own_scale']:g}"
                                                       if neutral.get("own_scale", 1.0) != 1.0 else ""))


def load(ckpt_path):
    ck = torch.load(ckpt_path, weights_only=False)
    dec, net = EQDecoder(), AudioEncoder()
    dec.load_state_dict(ck["decoder"])
    net.load_state_dict(ck["audio"])
    dec.eval(), net.eval()
    return ck, dec, net


def shipped_rows(ck):
    """Term rows to ship: every word but the held-out ones (a checkpoint made before the split
    existed may still hold them; they must never reach the model file)."""
    held = data.heldout_words()
    return [i for i, w in enumerate(ck["terms"]["names"]) if w not in held]


def model_tensors(ck, dec, net):
    t = {}
    t["mel.filterbank"] = dsp.mel_filterbank().astype(np.float32)
    t["mel.mean"] = np.asarray(ck["mel_mean"], np.float32)
    t["mel.std"] = np.asarray(ck["mel_std"], np.float32)
    t.update({k: v.numpy() for k, v in net.state_for_file().items()})
    t.update({k: v.numpy() for k, v in dec.state_for_file().items()})
    keep = shipped_rows(ck)
    t["terms.z"] = ck["terms"]["z"].float().numpy()[keep]
    t["terms.support"] = ck["terms"]["support"].float().numpy()[keep]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in t.items()}


def metadata(ck):
    return {
        "format": "adaptive-eq-model", "version": "1", "sample_rate": "44100",
        "n_fft": str(dsp.N_FFT), "hop": str(dsp.HOP), "n_mels": str(dsp.N_MELS), "fmin_hz": "20",
        "fmax_hz": "16000", "frames": str(dsp.FRAMES), "latent": str(dsp.LATENT),
        "decoder_hidden": str(dsp.DEC_HIDDEN), "decoder_blocks": str(dsp.DEC_BLOCKS),
        "terms": json.dumps([ck["terms"]["names"][i] for i in shipped_rows(ck)], ensure_ascii=False),
        "neutral": neutral_sentence(ck["neutral"]),
        # Set by `python -m training.calibrate --write` (1 = the encoder's latent as it is).
        "colouration_gain": repr(float(ck.get("colouration_gain", 1.0))),
    }


def golden_signal() -> np.ndarray:
    """Deterministic test signal: two tones, a log chirp 40 Hz..15 kHz and seeded noise."""
    n = 175 * dsp.HOP + dsp.N_FFT
    t = np.arange(n) / dsp.FS
    T = n / dsp.FS
    f0, f1 = 40.0, 15000.0
    chirp = np.sin(2 * np.pi * f0 * T / np.log(f1 / f0) * (np.exp(t / T * np.log(f1 / f0)) - 1))
    rng = np.random.default_rng(20241125)
    x = 0.25 * np.sin(2 * np.pi * 220 * t) + 0.12 * np.sin(2 * np.pi * 1760 * t) + 0.1 * chirp \
        + 0.05 * rng.standard_normal(n)
    x[: 2048] *= np.linspace(0, 1, 2048)
    return x.astype(np.float32)


def goldens(ck, dec, net, tensors):
    x = golden_signal()
    L = dsp.logmel(x.astype(np.float64)).astype(np.float32)  # [64, 176], float64 maths
    X = (L - tensors["mel.mean"][:, None]) / tensors["mel.std"][:, None]
    names = list(ck["terms"]["names"])
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        z = net(torch.from_numpy(X[None]).float())[0]
        pa = dec(z[None])[0]
        zp = torch.stack([torch.zeros(dsp.LATENT), ck["terms"]["z"][names.index("warm")],
                          ck["terms"]["z"][names.index("bright")], torch.randn(dsp.LATENT, generator=g)])
        pp = dec(zp)
    return {"audio": x, "logmel": L, "z_audio": z.numpy(), "params_audio": pa.numpy(),
            "z_probe": zp.numpy().astype(np.float32), "params_probe": pp.numpy().astype(np.float32)}


class _DecoderWithMapping(torch.nn.Module):
    def __init__(self, dec):
        super().__init__()
        self.dec = dec

    def forward(self, z):
        return self.dec(z)


def export_onnx(dec, net, tensors):
    import onnxruntime as ort
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    x = torch.zeros(1, dsp.N_MELS, dsp.FRAMES)
    z = torch.zeros(1, dsp.LATENT)
    enc_p, dec_p = ARTIFACTS / "encoder.onnx", ARTIFACTS / "decoder.onnx"
    kw = dict(opset_version=17, dynamo=False)
    torch.onnx.export(net, (x,), str(enc_p), input_names=["logmel_norm"], output_names=["z_audio"],
                      dynamic_axes={"logmel_norm": {0: "batch"}, "z_audio": {0: "batch"}}, **kw)
    torch.onnx.export(_DecoderWithMapping(dec), (z,), str(dec_p), input_names=["z"], output_names=["params"],
                      dynamic_axes={"z": {0: "batch"}, "params": {0: "batch"}}, **kw)
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((3, dsp.N_MELS, dsp.FRAMES)).astype(np.float32)
    zs = rng.standard_normal((3, dsp.LATENT)).astype(np.float32)
    with torch.no_grad():
        ez, dz = net(torch.from_numpy(xs)).numpy(), dec(torch.from_numpy(zs)).numpy()
    oz = ort.InferenceSession(str(enc_p)).run(None, {"logmel_norm": xs})[0]
    od = ort.InferenceSession(str(dec_p)).run(None, {"z": zs})[0]
    e1, e2 = float(np.abs(oz - ez).max()), float(np.max(np.abs(od - dz) / np.maximum(1, np.abs(dz))))
    print(f"onnx parity: encoder max abs {e1:.2e}, decoder max rel {e2:.2e}")
    assert e1 < 1e-4 and e2 < 1e-4


def export_all(ckpt_path):
    ck, dec, net = load(ckpt_path)
    tensors = model_tensors(ck, dec, net)
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(MODEL_FILE), metadata=metadata(ck))
    size = MODEL_FILE.stat().st_size
    print(f"wrote {MODEL_FILE.relative_to(ROOT)} ({size / 1e6:.2f} MB, {len(shipped_rows(ck))} terms)")
    assert size <= 2_000_000
    GOLDEN_FILE.parent.mkdir(parents=True, exist_ok=True)
    gold = goldens(ck, dec, net, tensors)
    save_file({k: np.ascontiguousarray(v, np.float32) for k, v in gold.items()}, str(GOLDEN_FILE),
              metadata={"format": "adaptive-eq-golden", "version": "1",
                        "probe_rows": "zeros, terms.z[warm], terms.z[bright], seeded N(0,1)"})
    print(f"wrote {GOLDEN_FILE.relative_to(ROOT)}")
    export_onnx(dec, net, tensors)
    print(f"wrote {ARTIFACTS.relative_to(ROOT)}/encoder.onnx, decoder.onnx")


def export_model_only(ckpt_path, out_path):
    """The model file alone, at out_path (candidates; the shipped files are not touched)."""
    ck, dec, net = load(ckpt_path)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save_file(model_tensors(ck, dec, net), str(out_path), metadata=metadata(ck))
    print(f"wrote {out_path} ({out_path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--model-only" in argv:
        i = argv.index("--model-only")
        out = argv[i + 1]
        del argv[i:i + 2]
        export_model_only(Path(argv[0]) if argv else ROOT / "build" / "train" / "model.pt", out)
    else:
        export_all(Path(argv[0]) if argv else ROOT / "build" / "train" / "model.pt")
