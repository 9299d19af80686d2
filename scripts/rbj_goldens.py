"""Writes Tests/EQDSPTests/Goldens/rbj_responses.json: magnitude responses (dB) of 5-band
SAFE-DB settings computed with scipy (sosfreqz of the RBJ cookbook biquads), at 44.1, 48
and 96 kHz, for the Swift tests to compare against. Deterministic (seeded).

  python3 scripts/rbj_goldens.py
"""
import json
import sys
from pathlib import Path

import numpy as np
from scipy import signal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))
from aeq import rbj  # noqa: E402
from aeq.parameters import HIGH, LOW  # noqa: E402

OUT = ROOT / "Tests" / "EQDSPTests" / "Goldens" / "rbj_responses.json"


def main():
    rng = np.random.default_rng(2014)
    cases = []
    for fs in (44100.0, 48000.0, 96000.0):
        settings = [LOW + (HIGH - LOW) * rng.random(13) for _ in range(6)]
        # Log-uniform frequencies and Qs, plus the range corners.
        for p in settings:
            for i, (lo, hi) in zip((1, 3, 6, 9, 12, 4, 7, 10), [(LOW[j], HIGH[j]) for j in (1, 3, 6, 9, 12, 4, 7, 10)]):
                p[i] = np.exp(rng.uniform(np.log(lo), np.log(hi)))
        settings.append(LOW.copy())
        settings.append(HIGH.copy())
        freqs = np.geomspace(20, 0.45 * fs, 160)
        for p in settings:
            _, h = signal.sosfreqz(rbj.sos(p, fs, nyquist_fraction=0.48), worN=freqs, fs=fs)
            cases.append({"sampleRate": fs, "parameters": [float(v) for v in p],
                          "frequencies": [float(f) for f in freqs],
                          "magnitudeDecibels": [float(v) for v in 20 * np.log10(np.abs(h))]})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"source": "scipy.signal.sosfreqz of RBJ cookbook biquads (scripts/rbj_goldens.py)",
                               "cases": cases}))
    print(f"{len(cases)} cases -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
