#!/usr/bin/env python3
"""CPU per start of `adaptive-eq`, builds side by side.

    python3 bench/startup.py BUILD [BUILD ...]

For each case (`--version`; a 0.1-s stereo file rendered with a learnt word; the same with an
inferred word, which loads the open vocabulary) the builds run alternately 25 times and the
median CPU (user + system of the child) is printed. The file is made here (white noise,
seeded); outputs go to a temporary folder.
"""
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.io.wavfile


def cpu_ms(cmd, must_succeed=True):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(cmd, capture_output=True, text=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if must_succeed and r.returncode != 0:
        sys.exit(f"startup.py: {' '.join(cmd)} failed: {r.stderr.strip()}")
    return (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000


def main():
    builds = sys.argv[1:]
    if any(b in ("-h", "--help") for b in builds):
        print(__doc__)
        return
    if not builds:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as folder:
        clip, out = Path(folder) / "short.wav", str(Path(folder) / "out.wav")
        noise = np.random.default_rng(1).standard_normal((4410, 2)).astype(np.float32) * 0.1
        scipy.io.wavfile.write(clip, 44_100, noise)
        cases = {
            "--version": ["--version"],
            "0.1-s file, learnt word (warm)": ["process", str(clip), out, "--term", "warm", "--force"],
            "0.1-s file, inferred word (hollow)": ["process", str(clip), out, "--term", "hollow", "--force"],
        }
        for name, args in cases.items():
            times = {b: [] for b in builds}
            for _ in range(25):
                for b in builds:
                    # Builds before 0.1.0's --version reject the option: the same start and parse.
                    times[b].append(cpu_ms([b] + args, must_succeed=args != ["--version"]))
            print(f"{name}: " + " | ".join(f"{b} {statistics.median(t):.1f} ms" for b, t in times.items()))


if __name__ == "__main__":
    main()
