"""Derives the static term table (one robust EQ setting per word) from SAFE-DB.

  python3 scripts/static_terms.py  →  Sources/AdaptiveEQResources/Resources/static_terms.tsv

Rules (data/PROVENANCE.md has the source):
- rows are cleaned by the project's one SAFE-DB rule (python/aeq/crowd.py: real words only,
  parameters finite and in range, no untouched defaults, no repeated submissions); a word
  must keep at least 5 rows from at least 3 contributors (IP addresses), so one person's
  preset names do not become vocabulary;
- the robust setting of a word is its medoid in the response domain: the row whose
  magnitude response (dB, 64 log-spaced points 20 Hz-20 kHz, 44.1 kHz, RBJ cookbook
  filters) has the smallest summed RMS distance to the responses of the word's other
  rows. Unlike a per-parameter mean it is a setting a user really made, and it is not
  pulled by settings that look different in parameter space but sound alike.
"""
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))
from aeq import crowd, rbj  # noqa: E402
from aeq.parameters import HIGH, LOW  # noqa: E402

OUT = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "static_terms.tsv"
MIN_ROWS, MIN_CONTRIBUTORS = 5, 3
FS = 44100.0
GRID = np.geomspace(20, 20000, 64)


def main():
    lines = ["# word\trows\tcontributors\t" + "\t".join(
        "g1 f1 g2 f2 q2 g3 f3 q3 g4 f4 q4 g5 f5".split())]
    rows, _ = crowd.safe_rows()
    by_word = {}
    for r in rows:
        by_word.setdefault(r.word, []).append(r)
    for word, rs in sorted(by_word.items()):
        contributors = len({r.contributor for r in rs})
        if len(rs) < MIN_ROWS or contributors < MIN_CONTRIBUTORS:
            continue
        params = np.clip(np.array([r.params for r in rs]), LOW, HIGH)
        resp = rbj.response_db(params, GRID, FS)
        dist = np.sqrt(((resp[:, None, :] - resp[None, :, :]) ** 2).mean(axis=2)).sum(axis=1)
        best = params[int(np.argmin(dist))]
        lines.append("\t".join([word, str(len(rs)), str(contributors)] + [f"{v:.6g}" for v in best]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"{len(lines) - 1} words -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
