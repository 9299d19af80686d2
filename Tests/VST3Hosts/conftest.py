"""Shared fixtures of the VST3 host tests: the bundle (AEQ_VST3_BUNDLE, else built with
scripts/build-vst3.sh --no-install), the CLI (AEQ_BIN, else the release build) and a real
recording (a sonic-pi-samples loop, Debian; scripts/setup.sh installs it)."""
import os
import subprocess

import numpy as np
import pytest
import soundfile as sf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = "/usr/share/sonic-pi/samples"


@pytest.fixture(scope="session")
def bundle():
    path = os.environ.get("AEQ_VST3_BUNDLE")
    if not path:
        out = subprocess.run([os.path.join(ROOT, "scripts", "build-vst3.sh"), "--no-install"], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        path = out.strip().splitlines()[-1]
    assert os.path.isdir(path), path
    return path


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("AEQ_BIN")
    if not path:
        subprocess.run(["swift", "build", "-c", "release", "--product", "adaptive-eq"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        folder = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                                stdout=subprocess.PIPE, text=True).stdout.strip()
        path = os.path.join(folder, "adaptive-eq")
    assert os.access(path, os.X_OK), path
    return path


def real_clip(name="loop_amen_full.flac", seconds=6.0, channels=2):
    """A real recording as float32 (frames, channels) at its own rate: the sample repeated
    to `seconds`, mono samples copied to every channel."""
    x, rate = sf.read(os.path.join(SAMPLES, name), dtype="float32", always_2d=True)
    frames = int(seconds * rate)
    x = np.tile(x, (frames // len(x) + 1, 1))[:frames]
    if x.shape[1] != channels:
        x = np.repeat(x[:, :1], channels, axis=1)
    return np.ascontiguousarray(x), rate


def render_cli(cli, x, rate, folder, *args):
    """`adaptive-eq process` on `x` written as a float WAV; returns the output (frames, channels)."""
    source = os.path.join(folder, "in.wav")
    target = os.path.join(folder, "out.wav")
    sf.write(source, x, rate, subtype="FLOAT")
    subprocess.run([cli, "process", source, target, "--force", *args], check=True, capture_output=True)
    y, _ = sf.read(target, dtype="float32", always_2d=True)
    return y
