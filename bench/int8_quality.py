#!/usr/bin/env python3
"""What INT8 encoder weights would cost in quality, before any INT8 kernel is written.

    python3 bench/int8_quality.py [--bin PATH] [--only SECTIONS] [--out DIR]

Quantises every weight matrix of the audio encoder (`audio.*.weight` with two or more
dimensions: fc1 128×1024, fc2 32×128, pw2 64×32, dw2 32×3×3) to 8 bits per output channel
(symmetric: scale = max|w| / 127, q = round(w / scale) in −127 … 127), stores the dequantised
values q·scale in an otherwise identical model file (OUT/AdaptiveEQModel-int8.safetensors),
and runs `eval/evaluate.py` on the bundled model and on that file with the same CLI. An INT8
kernel would compute with exactly these weights (and quantised activations on top), so the
figures that move here move at least as much there.

Prints each figure of the two runs side by side, and the largest sample difference of an
adaptive "warm" 0.7 render of three real clips. Needs `safetensors` and numpy (PyPI) and the
real clips (`python -m training.real_corpus`).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from safetensors import safe_open
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQModel.safetensors"
FIGURES = "word_direction,bounded_eq,loudness,adaptivity,fidelity"


def quantised_model(out: Path) -> Path:
    tensors, report = {}, []
    with safe_open(str(MODEL), framework="numpy") as f:
        metadata = f.metadata()
        for name in f.keys():
            w = f.get_tensor(name)
            if name.startswith("audio.") and name.endswith(".weight") and w.ndim >= 2 and w.shape[0] > 1:
                rows = w.reshape(w.shape[0], -1).astype(np.float64)
                scale = np.abs(rows).max(axis=1, keepdims=True) / 127
                scale[scale == 0] = 1
                q = np.clip(np.round(rows / scale), -127, 127)
                deq = (q * scale).astype(np.float32).reshape(w.shape)
                err = np.abs(deq - w)
                report.append(f"  {name} {tuple(w.shape)}: max |error| {err.max():.2e}, "
                              f"RMS error / RMS weight {np.sqrt((err ** 2).mean() / (w.astype(np.float64) ** 2).mean()):.4f}")
                w = deq
            tensors[name] = w
    path = out / "AdaptiveEQModel-int8.safetensors"
    save_file(tensors, str(path), metadata=metadata)
    print("encoder weights quantised to 8 bits per output channel:\n" + "\n".join(report))
    return path


def evaluate(binary: str, model: Path | None, out: Path, only: str) -> list[dict]:
    cmd = [sys.executable, str(ROOT / "eval" / "evaluate.py"), "--bin", binary, "--only", only,
           "--out", str(out / "REPORT.md")]
    if model:
        cmd += ["--model", str(model)]
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return json.loads((out / "eval" / "summary.json").read_text())


def largest_difference(binary: str, model: Path) -> str:
    clips = sorted((ROOT / "build" / "real" / "clips").glob("music_*.wav"))[::7][:3]
    worst = []
    with tempfile.TemporaryDirectory() as tmp:
        for clip in clips:
            outs = []
            for m in (MODEL, model):
                o = Path(tmp) / f"{len(outs)}.wav"
                subprocess.run([binary, "process", str(clip), str(o), "--force", "--term", "warm", "--intensity", "0.7",
                                "--model", str(m)], check=True, capture_output=True)
                outs.append(sf.read(str(o), dtype="float64")[0])
            worst.append(f"{clip.name} {np.abs(outs[0] - outs[1]).max():.2e}")
    return ", ".join(worst)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(ROOT / ".build" / "release" / "adaptive-eq"))
    ap.add_argument("--only", default=FIGURES)
    ap.add_argument("--out", default=str(ROOT / "build" / "int8"))
    args = ap.parse_args()
    out = Path(args.out)
    (out / "float").mkdir(parents=True, exist_ok=True)
    (out / "int8").mkdir(parents=True, exist_ok=True)
    model = quantised_model(out)
    base = evaluate(args.bin, None, out / "float", args.only)
    int8 = evaluate(args.bin, model, out / "int8", args.only)
    print("\n| figure | float weights | INT8 encoder weights |\n|---|---|---|")
    quantised = {f["name"]: f["measured"] for f in int8}
    for f in base:
        print(f"| {f['name']} | {f['measured']} | {quantised.get(f['name'], 'not measured')} |")
    print("\nlargest sample difference, adaptive warm 0.7 (16-bit outputs): " + largest_difference(args.bin, model))


if __name__ == "__main__":
    main()
