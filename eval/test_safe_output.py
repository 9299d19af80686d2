"""Safe output, checked through the CLI as a user runs it, with independent meters:

- loudness-matched renders (pyloudnorm is the BS.1770 meter) on synthetic noise and on real
  recordings (the bundled demo clip, Sonic Pi loops), at several words and intensities;
- the matching switch, the exact null at intensity 0, and a loud input that would clip a
  fixed-point file.

Needs the release CLI (`swift build -c release`; built here when missing), sox and pyloudnorm:
    python3 -m pytest -q eval/test_safe_output.py
"""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import numpy as np
import pyloudnorm as pyln
import pytest
from scipy.io import wavfile

ROOT = Path(__file__).resolve().parents[1]
FS = 44_100
WORDS = ("warm", "bright", "airy", "boomy")
INTENSITIES = ("0.3", "0.7", "1")
LOOPS = Path("/usr/share/sonic-pi/samples")


def binary() -> str:
    path = Path(os.environ.get("AEQ_BIN", ROOT / ".build" / "release" / "adaptive-eq"))
    if not path.exists():
        subprocess.run(["swift", "build", "-c", "release", "--product", "adaptive-eq"], cwd=ROOT, check=True)
    return str(path)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary(), *args], capture_output=True, text=True, timeout=300)


def read(path: Path) -> np.ndarray:
    _, x = wavfile.read(path)
    if x.dtype.kind == "i":
        x = x.astype(np.float64) / float(2 ** (8 * x.dtype.itemsize - 1))
    return x.astype(np.float64).reshape(len(x), -1)


def noise(slope_db_per_octave: float, seed: int) -> np.ndarray:
    """Stereo noise whose spectrum falls by `slope_db_per_octave` (0 white, -3 pink, -6 brown)."""
    rng = np.random.default_rng(seed)
    n = 8 * FS
    spectrum = np.fft.rfft(rng.standard_normal((2, n)), axis=1)
    f = np.maximum(np.fft.rfftfreq(n, 1 / FS), 20.0)
    spectrum *= (f / 1000.0) ** (slope_db_per_octave / (20 * np.log10(2)))
    x = np.fft.irfft(spectrum, n, axis=1).T
    return 0.125 * x / np.sqrt(np.mean(x ** 2))  # -18 dBFS RMS


@pytest.fixture(scope="module")
def materials(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("safe-output")
    out: dict[str, Path] = {}
    for name, slope in (("white noise", 0.0), ("pink noise", -3.0), ("brown noise", -6.0), ("bright noise", 2.0)):
        out[name] = folder / f"{name.replace(' ', '_')}.wav"
        wavfile.write(out[name], FS, noise(slope, seed=len(out)).astype(np.float32))
    demo = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "demo.flac"
    real = [("demo clip", demo)] + [(p.stem, p) for p in (LOOPS / f"loop_{n}.flac" for n in ("amen", "garzul", "mika"))]
    for name, source in real:
        assert source.exists(), f"{source} is missing (scripts/setup.sh installs sonic-pi-samples)"
        out[name] = folder / f"{name.replace(' ', '_')}.wav"
        # 44.1 kHz stereo float, looped to at least 8 s.
        subprocess.run(["sox", str(source), "-b", "32", "-e", "floating-point", str(out[name]),
                        "rate", str(FS), "channels", "2", "repeat", "6", "trim", "0", "8"], check=True)
    return out


def loudness_change(source: Path, rendered: Path) -> float:
    meter = pyln.Meter(FS)
    return meter.integrated_loudness(read(rendered)) - meter.integrated_loudness(read(source))


def test_output_loudness_follows_the_input(materials, tmp_path):
    changes = {}
    for name, source in materials.items():
        for word in WORDS:
            for intensity in INTENSITIES:
                out = tmp_path / "out.wav"
                r = cli("process", str(source), str(out), "--force", "--term", word, "--intensity", intensity)
                assert r.returncode == 0, r.stderr
                changes[(name, word, intensity)] = loudness_change(source, out)
    d = np.abs(np.array(list(changes.values())))
    worst = max(changes, key=lambda k: abs(changes[k]))
    print(f"\n|dLU| over {len(d)} renders: median {np.median(d):.2f}, max {d.max():.2f} ({worst})")
    for name in materials:
        row = [changes[(name, w, i)] for w in WORDS for i in INTENSITIES]
        print(f"  {name:14s} " + " ".join(f"{v:+.2f}" for v in row))
    assert np.median(d) <= 0.5
    assert d.max() <= 1.0, f"{worst}: {changes[worst]:+.2f} LU"


def test_static_word_mode_keeps_loudness_too(materials, tmp_path):
    changes = {}
    for name in ("pink noise", "brown noise", "demo clip", "loop_amen"):
        for word in WORDS:
            for intensity in ("0.7", "1"):
                out = tmp_path / "out.wav"
                r = cli("process", str(materials[name]), str(out), "--force", "--mode", "static", "--term", word,
                        "--intensity", intensity)
                assert r.returncode == 0, r.stderr
                changes[(name, word, intensity)] = loudness_change(materials[name], out)
    d = np.abs(np.array(list(changes.values())))
    worst = max(changes, key=lambda k: abs(changes[k]))
    print(f"\nstatic mode |dLU| over {len(d)} renders: median {np.median(d):.2f}, max {d.max():.2f} ({worst})")
    assert np.median(d) <= 0.5
    assert d.max() <= 1.0, f"{worst}: {changes[worst]:+.2f} LU"


def test_manual_eq_is_never_matched(materials, tmp_path):
    source = materials["pink noise"]
    r = cli("process", str(source), str(tmp_path / "m.wav"), "--eq", "-12,400,0,300,1,0,1000,1,0,3000,1,-12,2000")
    assert r.returncode == 0, r.stderr
    assert loudness_change(source, tmp_path / "m.wav") <= -4.0, "a manual cut must stay a cut"


def test_matching_switched_off_leaves_the_level_to_the_eq(materials, tmp_path):
    source = materials["pink noise"]
    args = ["--mode", "static", "--term", "boomy", "--intensity", "1"]
    cli("process", str(source), str(tmp_path / "on.wav"), *args)
    cli("process", str(source), str(tmp_path / "off.wav"), *args, "--loudness-match", "off")
    on, off = loudness_change(source, tmp_path / "on.wav"), loudness_change(source, tmp_path / "off.wav")
    print(f"\nstatic boomy at 1 on pink noise: {on:+.2f} LU matched, {off:+.2f} LU unmatched")
    assert abs(off) >= 2.0, "the word's EQ should change the loudness when nothing matches it"
    assert abs(on) <= 1.0


@pytest.mark.parametrize("word", ["warm", "boomy"])
def test_intensity_zero_stays_an_exact_null(materials, tmp_path, word):
    source = materials["demo clip"]
    r = cli("process", str(source), str(tmp_path / "null.wav"), "--term", word, "--intensity", "0")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(read(tmp_path / "null.wav"), read(source))


def test_a_loud_input_never_clips_a_fixed_point_file(materials, tmp_path):
    x = read(materials["demo clip"])
    loud = tmp_path / "loud.wav"
    wavfile.write(loud, FS, np.round(x / np.max(np.abs(x)) * (2 ** 31 - 256)).astype(np.int32))
    before = hashlib.sha256(loud.read_bytes()).hexdigest()
    for args in (["--term", "boomy", "--intensity", "1"], ["--eq", "12,200,0,300,1,0,1000,1,0,3000,1,12,6000"]):
        out = tmp_path / "out.wav"
        r = cli("process", str(loud), str(out), "--force", *args)
        assert r.returncode == 0, r.stderr
        y = read(out)
        print(f"\n{' '.join(args)}: {r.stderr.strip()}; peak {20 * np.log10(np.max(np.abs(y))):+.2f} dBFS")
        assert "peaks limited by up to" in r.stderr
        assert np.max(np.abs(y)) < 0.99999, "a fixed-point output must not reach full scale"
        assert len(y) == len(x) and np.all(np.isfinite(y))
    assert hashlib.sha256(loud.read_bytes()).hexdigest() == before, "the input must stay untouched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loud.wav", "out.wav"], "no scratch file may remain"
