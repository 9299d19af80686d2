#!/usr/bin/env python3
"""CPU per start of `adaptive-eq`, builds side by side.

    python3 bench/startup.py BUILD [BUILD ...]

For each case (`--version`; a 0.1-s stereo file rendered with a learnt word; the same with an
inferred word, which loads the open vocabulary) the builds run alternately 25 times and the
median CPU (user + system of the child) is printed. The file is made here (white noise,
seeded); outputs go to a temporary folder.
"""
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.io.wavfile

from versus import alternate


def main():
    builds = sys.argv[1:]
    if any(b in ("-h", "--help") for b in builds):
        print(__doc__)
        return
    if not builds:
        sys.exit(__doc__)
    for b in builds:
        if not (os.path.isfile(b) and os.access(b, os.X_OK)):
            sys.exit(f"startup.py: {b} is not an executable file")
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
            # Builds before 0.1.0's --version reject the option: the same start and parse.
            medians = alternate({b: [b] + args for b in builds}, repeats=25, must_succeed=args != ["--version"])
            print(f"{name}: " + " | ".join(f"{b} {1000 * t:.1f} ms" for b, t in medians.items()))


if __name__ == "__main__":
    main()
