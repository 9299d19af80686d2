"""Python peers of the Swift engine, for side-by-side timing (bench/run.py).

- RBJ cookbook biquads (python/aeq/rbj.py: the same formulas as Sources/EQDSP) for scipy `sosfilt`;
- the model of docs/MODEL_FORMAT.md in PyTorch (encoder and decoder), loaded from the
  safetensors model file, or given seeded random weights of the same shapes;
- a seed-style prototype: every update it recomputes the log-mel of the whole 2-s window,
  runs the PyTorch encoder on it, decodes twice, designs ten biquads and filters each
  512-sample frame with scipy.
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import scipy.signal
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
from aeq import parameters, rbj  # noqa: E402

# Clock for the peers' timings: CPU time of the calling thread by default (every peer runs
# single-threaded on the calling thread), so time spent preempted on a shared machine is not
# charged to the peer; bench/run.py --wall switches to wall time.
clock_ns = time.thread_time_ns

SAMPLE_RATE = 44_100
N_FFT, HOP, N_MELS, FRAMES, LATENT = 1024, 512, 64, 176, 32

# SAFE-DB layout: g1 f1 | g2 f2 q2 | g3 f3 q3 | g4 f4 q4 | g5 f5 (the toolkit's parameter table)
FREQ_RANGES, GAIN_IDX, FREQ_IDX, Q_IDX = parameters.FREQ_RANGES, parameters.GAIN_IDX, parameters.FREQ_IDX, parameters.Q_IDX

# Fixed settings used by the EQ comparisons (the Swift benchmarks use the same two).
WARM = [3, 180, -2, 400, 0.9, 1.5, 1200, 1.2, -3, 3500, 0.8, -4, 9000]
BRIGHT = [-2, 120, -1, 300, 0.7, 1, 2000, 1, 3, 5000, 1.4, 5, 7000]


# ----------------------------------------------------------------------------- biquads

def bands(params):
    """13 SAFE-DB parameters -> [(kind, f Hz, gain dB, Q)] x 5."""
    p = [float(v) for v in params]
    return [(kind, p[fi], p[gi], parameters.SHELF_Q if qi is None else p[qi]) for kind, gi, fi, qi in parameters.BANDS]


def design(kind, f, gain_db, q, fs=SAMPLE_RATE):
    """One normalised SOS row [b0 b1 b2 1 a1 a2] (scalar maths, as a per-frame prototype designs)."""
    b0, b1, b2, a1, a2 = rbj.design(kind, min(max(f, 1.0), 0.48 * fs), gain_db, q, fs, xp=math)
    return [b0, b1, b2, 1.0, a1, a2]


def sos_five(params, dtype=np.float32):
    return np.array([design(*b) for b in bands(params)], dtype=dtype)


def sos_ten(wanted, current, dtype=np.float32):
    """The adaptive chain: each target band followed by the inverse of the current band."""
    rows = []
    for w, c in zip(bands(wanted), bands(current)):
        rows.append(design(*w))
        rows.append(design(c[0], c[1], -c[2], c[3]))
    return np.array(rows, dtype=dtype)


# ----------------------------------------------------------------------------- model

def encoder_shapes():
    return {
        "mel.filterbank": (N_MELS, N_FFT // 2 + 1), "mel.mean": (N_MELS,), "mel.std": (N_MELS,),
        "audio.dw1.weight": (1, 1, 3, 3), "audio.dw1.bias": (1,),
        "audio.pw1.weight": (32, 1, 1, 1), "audio.pw1.bias": (32,),
        "audio.dw2.weight": (32, 1, 3, 3), "audio.dw2.bias": (32,),
        "audio.pw2.weight": (64, 32, 1, 1), "audio.pw2.bias": (64,),
        "audio.fc1.weight": (128, 1024), "audio.fc1.bias": (128,),
        "audio.fc2.weight": (32, 128), "audio.fc2.bias": (32,),
        "dec.in.weight": (128, 32), "dec.in.bias": (128,),
        **{f"dec.blocks.{i}.{l}.{k}": ((128, 128) if k == "weight" else (128,))
           for i in range(2) for l in ("fc1", "fc2") for k in ("weight", "bias")},
        "dec.out.weight": (13, 128), "dec.out.bias": (13,),
        "terms.z": (2, LATENT), "terms.support": (2, 3),
    }


def load_model(path):
    """Tensors (numpy, float32), term names and a description of where they came from."""
    if path is not None:
        from safetensors import safe_open
        with safe_open(str(path), framework="np") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k).astype(np.float32) for k in f.keys()}
        if meta.get("format") != "adaptive-eq-model":
            raise SystemExit(f"{path}: not an adaptive-eq-model file")
        if int(meta.get("frames", FRAMES)) != FRAMES:
            raise SystemExit(f"{path}: frames={meta.get('frames')}, this script assumes {FRAMES}")
        return tensors, json.loads(meta.get("terms", "[]")), f"{path}"
    rng = np.random.default_rng(7)
    tensors = {}
    for name, shape in encoder_shapes().items():
        scale = 0.5 / math.sqrt(max(1, shape[-1] if len(shape) > 1 else 1))
        tensors[name] = (rng.standard_normal(shape) * scale).astype(np.float32)
    tensors["mel.filterbank"] = np.abs(tensors["mel.filterbank"])
    tensors["mel.mean"] = np.full(N_MELS, -50, np.float32)
    tensors["mel.std"] = np.full(N_MELS, 12, np.float32)
    tensors["terms.support"] = np.array([[500, 0, 0], [500, 0, 0]], np.float32)
    return tensors, ["warm", "bright"], "seeded random weights (no model file; timing does not depend on the values)"


def save_model(tensors, terms, path):
    """Writes tensors as a format-version-1 model file (for a temporary random model)."""
    from safetensors.numpy import save_file
    meta = {"format": "adaptive-eq-model", "version": "1", "sample_rate": str(SAMPLE_RATE),
            "n_fft": str(N_FFT), "hop": str(HOP), "n_mels": str(N_MELS), "fmin_hz": "20",
            "fmax_hz": "16000", "frames": str(FRAMES), "latent": str(LATENT),
            "decoder_hidden": "128", "decoder_blocks": "2", "terms": json.dumps(terms),
            "neutral": "random benchmark weights"}
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, str(path), metadata=meta)


class Encoder(torch.nn.Module):
    """docs/MODEL_FORMAT.md audio encoder; input [B, 64, 176] normalised log-mel."""

    def __init__(self, t):
        super().__init__()
        p = lambda k: torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(t[k])), requires_grad=False)
        self.dw1w, self.dw1b, self.pw1w, self.pw1b = p("audio.dw1.weight"), p("audio.dw1.bias"), p("audio.pw1.weight"), p("audio.pw1.bias")
        self.dw2w, self.dw2b, self.pw2w, self.pw2b = p("audio.dw2.weight"), p("audio.dw2.bias"), p("audio.pw2.weight"), p("audio.pw2.bias")
        self.fc1w, self.fc1b, self.fc2w, self.fc2b = p("audio.fc1.weight"), p("audio.fc1.bias"), p("audio.fc2.weight"), p("audio.fc2.bias")

    def forward(self, x):
        h = x.unsqueeze(1)
        h = F.conv2d(h, self.dw1w, self.dw1b, padding=1)
        h = F.relu(F.conv2d(h, self.pw1w, self.pw1b))
        h = F.avg_pool2d(h, 2)
        h = F.conv2d(h, self.dw2w, self.dw2b, padding=1, groups=32)
        h = F.relu(F.conv2d(h, self.pw2w, self.pw2b))
        h = F.adaptive_avg_pool2d(h, (4, 4)).flatten(1)
        h = F.relu(F.linear(h, self.fc1w, self.fc1b))
        return F.linear(h, self.fc2w, self.fc2b)


class Decoder(torch.nn.Module):
    """Residual MLP 32 -> 13 raw outputs (docs/MODEL_FORMAT.md)."""

    def __init__(self, t):
        super().__init__()
        p = lambda k: torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(t[k])), requires_grad=False)
        self.inw, self.inb = p("dec.in.weight"), p("dec.in.bias")
        self.blocks = [(p(f"dec.blocks.{i}.fc1.weight"), p(f"dec.blocks.{i}.fc1.bias"),
                        p(f"dec.blocks.{i}.fc2.weight"), p(f"dec.blocks.{i}.fc2.bias")) for i in range(2)]
        self.outw, self.outb = p("dec.out.weight"), p("dec.out.bias")

    def forward(self, z):
        h = F.relu(F.linear(z, self.inw, self.inb))
        for w1, b1, w2, b2 in self.blocks:
            h = F.relu(h + F.linear(F.relu(F.linear(h, w1, b1)), w2, b2))
        return F.linear(h, self.outw, self.outb)


def map_params(u):
    """Raw decoder outputs -> the 13 SAFE-DB parameters."""
    u = np.asarray(u, dtype=np.float64)
    out = np.empty(13)
    gains = list(GAIN_IDX)  # a tuple would index dimensions, not elements
    out[gains] = 12 * np.tanh(u[gains])
    sig = 1 / (1 + np.exp(-u))
    for j, (lo, hi) in zip(FREQ_IDX, FREQ_RANGES):
        out[j] = math.exp(math.log(lo) + sig[j] * (math.log(hi) - math.log(lo)))
    for j in Q_IDX:
        out[j] = math.exp(math.log(0.1) + sig[j] * (math.log(10) - math.log(0.1)))
    return out


# ----------------------------------------------------------------------------- mel

class WindowMel:
    """Log-mel of a whole analysis window at once (the prototype's way), normalised."""

    def __init__(self, t):
        self.fb = t["mel.filterbank"].astype(np.float32)
        self.mean, self.std = t["mel.mean"][:, None], t["mel.std"][:, None]
        n = np.arange(N_FFT)
        self.hann = (0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)).astype(np.float32)
        self.samples = (FRAMES - 1) * HOP + N_FFT

    def __call__(self, mono_window):
        frames = np.lib.stride_tricks.sliding_window_view(mono_window, N_FFT)[::HOP][:FRAMES]
        spec = np.fft.rfft(frames * self.hann, axis=1)
        power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)
        mel = self.fb @ power.T                                   # [64, 176]
        logmel = 10 * np.log10(np.maximum(mel, 1e-10))
        return ((logmel - self.mean) / self.std).astype(np.float32)


# ----------------------------------------------------------------------------- prototype

class SeedPrototype:
    """Per update (every `hops` frames of 512): mel of the whole window + encoder + two
    decodes + ten biquad designs; per 512-sample frame: scipy sosfilt with carried state."""

    def __init__(self, tensors, term_index=0, intensity=0.7, channels=2):
        self.mel = WindowMel(tensors)
        self.enc, self.dec = Encoder(tensors).eval(), Decoder(tensors).eval()
        self.z_target = torch.from_numpy(tensors["terms.z"][term_index:term_index + 1].copy())
        self.intensity = intensity
        self.sos = sos_ten(WARM, WARM, dtype=np.float64)
        self.zi = np.zeros((self.sos.shape[0], channels, 2))

    def update(self, mono_window, timings):
        t0 = clock_ns()
        x = torch.from_numpy(self.mel(mono_window)).unsqueeze(0)
        t1 = clock_ns()
        with torch.no_grad():
            z_audio = self.enc(x)
            t2 = clock_ns()
            z_final = z_audio + self.intensity * (self.z_target - z_audio)
            raw = self.dec(torch.cat([z_audio, z_final])).numpy()
        t3 = clock_ns()
        current, wanted = map_params(raw[0]), map_params(raw[1])
        self.sos = sos_ten(wanted, current, dtype=np.float64)
        t4 = clock_ns()
        timings["mel"].append(t1 - t0)
        timings["encoder"].append(t2 - t1)
        timings["decoder"].append(t3 - t2)
        timings["design"].append(t4 - t3)

    def filter_frame(self, block):
        """block: [channels, 512] float32 -> filtered, state carried."""
        y, self.zi = scipy.signal.sosfilt(self.sos, block, axis=-1, zi=self.zi)
        return y
