"""Calibrates the model's colouration gain on the validation recordings, through the CLI.

The audio encoder tracks an EQ added to a recording with a slope below 1 (0.57 for model v6,
0.71 for v7 on validation windows), so at intensity 1 the engine undoes only part of a colouring and
differently coloured copies of a recording do not converge as far as they could. The engine
multiplies the encoder's latent by the model file's `colouration_gain` metadata; this script
picks it. For each candidate gain it writes a copy of the model with that gain (tensors
unchanged), colours each validation recording six ways (random ±6 dB low shelf, two peaks, high
shelf, as the adaptivity figure does), renders them with `process --term warm --intensity 1
--model COPY` and measures the spread ratio (spread of the outputs' tonal balance curves over
the inputs'; 1 = a static EQ). A larger gain also adds more of the (partly wrong) estimate to
every word at the default intensity, so each gain is also judged by the bounded-EQ figure on the
same tracks as they are: words warm, bright, airy and boomy at intensity 0.7, the share of
(track, word) pairs whose applied response stays within ±9 dB over 40 Hz … 12.5 kHz. Of the
gains that keep at least `BOUNDED_SHARE` of the pairs within ±9 dB (the figure's target), the
one with the lowest median ratio wins, a smaller gain winning unless a larger one lowers the
median ratio by more than `RATIO_TOLERANCE`; when none keeps the share, the most bounded one
wins. Only validation tracks are used (the test split judges the result).

  python -m training.calibrate [--clips build/real/valclips] [--gains 1,1.15,1.3,1.45,1.6] [--write]

--write stores the chosen gain in the shipped model (Sources/AdaptiveEQResources/Resources/
AdaptiveEQModel.safetensors), in the checkpoint (so `training.export` keeps it) and the table in
training/artifacts/calibration.json. Needs a release build of the CLI (`swift build -c release`).
Prepare the clips with `--make-clips` (20 s from the middle of every validation track of
build/real/manifest.json).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from safetensors.numpy import load_file, save_file
from scipy import signal

from python.aeq import rbj, tonal

from .evaluate import adaptivity_colouring
from .reference import read_safetensors

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQModel.safetensors"
CKPT = ROOT / "build" / "train" / "model.pt"
OUT = ROOT / "training" / "artifacts" / "calibration.json"
COLOURINGS = 6
#: Words and intensity of the bounded-EQ guard, and the share of pairs it asks to stay within ±9 dB.
BOUNDED_WORDS = ("warm", "bright", "airy", "boomy")
BOUNDED_INTENSITY = 0.7
BOUNDED_SHARE = 0.95
#: A larger gain must lower the median spread ratio by more than this to be preferred.
RATIO_TOLERANCE = 0.01


def with_gain(src: Path, dst: Path, gain: float) -> None:
    meta = read_safetensors(src)[1]
    meta["colouration_gain"] = repr(float(gain))
    save_file(load_file(str(src)), str(dst), metadata=meta)


def make_clips(manifest: Path, out: Path, seconds: float = 20.0) -> None:
    m = json.loads(manifest.read_text())
    out.mkdir(parents=True, exist_ok=True)
    for t in m["tracks"]:
        if t["split"] != "val":
            continue
        x, fs = sf.read(manifest.parent / t["path"], dtype="float32", always_2d=True)
        half = int(seconds * fs / 2)
        mid = len(x) // 2
        sf.write(out / f"music_{t['genre']}_{t['id']}.wav", x[max(0, mid - half):mid + half], fs, subtype="PCM_16")


def coloured_inputs(clips: list[Path], tmp: Path, seed: int = 5):
    """Per clip: the coloured copies (float WAV, −6 dBFS peak) and their tonal balance curves."""
    rng = np.random.default_rng(seed)
    out = []
    for c in clips:
        x, fs = sf.read(c, dtype="float64", always_2d=True)
        paths, curves = [], []
        for j in range(COLOURINGS):
            y = signal.sosfilt(rbj.sos(adaptivity_colouring(rng), fs), x, axis=0)
            y *= 0.5 / max(1e-9, float(np.max(np.abs(y))))
            p = tmp / f"{c.stem}-{j}.wav"
            sf.write(p, y.astype(np.float32), fs, subtype="FLOAT")
            paths.append(p)
            curves.append(tonal.tbc(y, fs))
        out.append((c.stem, paths, curves))
    return out


def ratio_for(binary: str, model: Path, inputs, tmp: Path) -> list[float]:
    ratios = []
    for _, paths, curves in inputs:
        outs = []
        for p in paths:
            o = tmp / "out.wav"
            subprocess.run([binary, "process", str(p), str(o), "--force", "--term", "warm", "--intensity", "1",
                            "--model", str(model)], check=True, capture_output=True, timeout=300)
            y, fs = sf.read(o, dtype="float64", always_2d=True)
            outs.append(tonal.tbc(y, fs))
        ratios.append(tonal.spread(outs) / tonal.spread(curves))
    return ratios


def bounded_for(binary: str, model: Path, clips: list[Path], tmp: Path) -> list[float]:
    """Max |applied response| (dB, 40 Hz … 12.5 kHz) of every (clip, word) render at 0.7."""
    peaks = []
    for c in clips:
        x, fs = sf.read(c, dtype="float64", always_2d=True)
        for word in BOUNDED_WORDS:
            o = tmp / "bounded.wav"
            subprocess.run([binary, "process", str(c), str(o), "--force", "--term", word, "--intensity",
                            str(BOUNDED_INTENSITY), "--model", str(model)], check=True, capture_output=True, timeout=300)
            y, _ = sf.read(o, dtype="float64", always_2d=True)
            peaks.append(float(np.max(np.abs(tonal.applied_response(x, y, fs)[tonal.MID_BANDS]))))
    return peaks


def choose(rows: list[dict]) -> dict:
    """The gain to ship (see the module docstring); the most bounded one when none keeps the share."""
    safe = [r for r in rows if r["bounded_share"] >= BOUNDED_SHARE]
    if not safe:
        return max(rows, key=lambda r: (r["bounded_share"], -r["gain"]))
    best = min(safe, key=lambda r: r["median_ratio"])
    return min((r for r in safe if r["median_ratio"] <= best["median_ratio"] + RATIO_TOLERANCE),
               key=lambda r: r["gain"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=Path, default=ROOT / "build" / "real" / "valclips")
    ap.add_argument("--gains", default="1,1.15,1.3,1.45,1.6")
    ap.add_argument("--bin", default=str(ROOT / ".build" / "release" / "adaptive-eq"))
    ap.add_argument("--model", type=Path, default=MODEL, help="model file to calibrate (default: the shipped one)")
    ap.add_argument("--make-clips", action="store_true", help="cut the validation clips first")
    ap.add_argument("--write", action="store_true", help="store the chosen gain (see above)")
    a = ap.parse_args()
    if a.make_clips:
        make_clips(ROOT / "build" / "real" / "manifest.json", a.clips)
    clips = sorted(a.clips.glob("music*.wav"))
    if not clips:
        raise SystemExit(f"no music*.wav validation clips in {a.clips} (run with --make-clips)")
    gains = sorted(float(g) for g in a.gains.split(","))
    rows = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        inputs = coloured_inputs(clips, tmp)
        for g in gains:
            model = tmp / "model.safetensors"
            with_gain(a.model, model, g)
            r = ratio_for(a.bin, model, inputs, tmp)
            peaks = bounded_for(a.bin, model, clips, tmp)
            share = float(np.mean(np.array(peaks) <= 9.0))
            rows.append(dict(gain=g, median_ratio=float(np.median(r)), bounded_share=share,
                             bounded_worst_db=max(peaks), ratios=dict(zip([i[0] for i in inputs], r))))
            print(f"colouration gain {g:.2f}: spread ratio median {np.median(r):.3f} "
                  f"(min {min(r):.3f}, max {max(r):.3f}) over {len(r)} validation clips; "
                  f"within ±9 dB at {BOUNDED_INTENSITY}: {share:.1%} of {len(peaks)} pairs (worst {max(peaks):.1f} dB)",
                  flush=True)
    best = choose(rows)
    print(f"chosen colouration gain: {best['gain']:.2f} (median spread ratio {best['median_ratio']:.3f}, "
          f"{best['bounded_share']:.1%} within ±9 dB)")
    if a.write:
        if a.model.resolve() != MODEL.resolve():
            raise SystemExit("--write stores the gain in the shipped model only; calibrate that one")
        with_gain(MODEL, MODEL, best["gain"])
        if CKPT.exists():
            import torch
            ck = torch.load(CKPT, map_location="cpu", weights_only=False)
            ck["colouration_gain"] = best["gain"]
            torch.save(ck, CKPT)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        clips_dir = a.clips.resolve()
        OUT.write_text(json.dumps(dict(clips=str(clips_dir.relative_to(ROOT)) if ROOT in clips_dir.parents
                                       else str(a.clips), chosen=best["gain"], bounded_share_needed=BOUNDED_SHARE,
                                       ratio_tolerance=RATIO_TOLERANCE, rows=rows), indent=1))
        print(f"wrote {MODEL.relative_to(ROOT)} and {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
