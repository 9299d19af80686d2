"""Plain-numpy reference of the run-time model, read straight from the model file.

No torch: this is the executable form of docs/MODEL_FORMAT.md that the Swift engine mirrors,
used by the tests to check the shipped file against the goldens.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from . import dsp


def read_safetensors(path):
    """Minimal safetensors reader: returns (tensors dict of float32 arrays, metadata dict, header)."""
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for k, v in header.items():
        assert v["dtype"] == "F32", (k, v["dtype"])
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(raw[base + a: base + b], dtype="<f4").reshape(v["shape"])
    return out, meta, header


def _conv3x3(x, w, b, groups):
    """x [C, H, W], w [O, C/groups, 3, 3], zero padding 1, stride 1."""
    C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    O = w.shape[0]
    out = np.zeros((O, H, W), np.float64)
    cpg, opg = C // groups, O // groups
    for o in range(O):
        g = o // opg
        for ci in range(cpg):
            c = g * cpg + ci
            for dy in range(3):
                for dx in range(3):
                    out[o] += w[o, ci, dy, dx] * xp[c, dy:dy + H, dx:dx + W]
        out[o] += b[o]
    return out


def _pw(x, w, b):
    return np.einsum("oc,chw->ohw", w[:, :, 0, 0], x) + b[:, None, None]


def _pool(x, ph, pw):
    C, H, W = x.shape
    return x.reshape(C, H // ph, ph, W // pw, pw).mean(axis=(2, 4))


def encoder(t, X):
    """Normalised log-mel X [64, 176] -> z_audio [32] (float64 maths)."""
    x = X[None].astype(np.float64)
    x = _conv3x3(x, t["audio.dw1.weight"], t["audio.dw1.bias"], 1)
    x = np.maximum(_pw(x, t["audio.pw1.weight"], t["audio.pw1.bias"]), 0)
    x = _pool(x, 2, 2)
    x = _conv3x3(x, t["audio.dw2.weight"], t["audio.dw2.bias"], 32)
    x = np.maximum(_pw(x, t["audio.pw2.weight"], t["audio.pw2.bias"]), 0)
    x = _pool(x, x.shape[1] // 4, x.shape[2] // 4)
    h = np.maximum(t["audio.fc1.weight"] @ x.reshape(-1) + t["audio.fc1.bias"], 0)
    return t["audio.fc2.weight"] @ h + t["audio.fc2.bias"]


def decoder(t, z, blocks=dsp.DEC_BLOCKS):
    """z [32] -> 13 parameters in SAFE-DB order (real units)."""
    h = np.maximum(t["dec.in.weight"] @ np.asarray(z, np.float64) + t["dec.in.bias"], 0)
    for i in range(blocks):
        r = np.maximum(t[f"dec.blocks.{i}.fc1.weight"] @ h + t[f"dec.blocks.{i}.fc1.bias"], 0)
        h = np.maximum(h + t[f"dec.blocks.{i}.fc2.weight"] @ r + t[f"dec.blocks.{i}.fc2.bias"], 0)
    u = t["dec.out.weight"] @ h + t["dec.out.bias"]
    return dsp.params_from_raw_np(u)


def analyse(t, audio):
    """Mono audio of 175*512+1024 samples -> (L [64,176] dB, z_audio, params)."""
    L = dsp.logmel(audio, t["mel.filterbank"].astype(np.float64))
    X = (L - t["mel.mean"][:, None]) / t["mel.std"][:, None]
    z = encoder(t, X)
    return L, z, decoder(t, z)
