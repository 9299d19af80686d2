"""The 13 EQ parameters and the engine controls, read from `parameters.json`, a committed copy
of `adaptive-eq parameters --json` (the table that also generates the CLI flags, the plugin's
ports and the README). Regenerate it after changing the table:

    PYTHONPATH=python python3 -m aeq.parameter_table --bin .build/release/adaptive-eq

python/tests/test_parameters.py checks the copy against the README's generated table and,
when AEQ_BIN names a built CLI, against `adaptive-eq parameters --json` itself.
"""
from __future__ import annotations

import numpy as np

from .parameter_table import load

TABLE = load()
EQ = TABLE["eq"]
CONTROLS = {c["symbol"]: c for c in TABLE["controls"]}

#: Parameter symbols in the SAFE-DB order g1 f1 | g2 f2 q2 | g3 f3 q3 | g4 f4 q4 | g5 f5.
SYMBOLS = tuple(p["symbol"] for p in EQ)
LOW = np.array([p["minimum"] for p in EQ], float)
HIGH = np.array([p["maximum"] for p in EQ], float)
DEFAULT = np.array([p["default"] for p in EQ], float)
GAIN_IDX = tuple(i for i, s in enumerate(SYMBOLS) if s.startswith("g"))
FREQ_IDX = tuple(i for i, s in enumerate(SYMBOLS) if s.startswith("f"))
Q_IDX = tuple(i for i, s in enumerate(SYMBOLS) if s.startswith("q"))
FREQ_RANGES = tuple((float(LOW[i]), float(HIGH[i])) for i in FREQ_IDX)
Q_RANGE = (float(LOW[Q_IDX[0]]), float(HIGH[Q_IDX[0]]))
GAIN_MAX = float(HIGH[GAIN_IDX[0]])
#: The shelves' fixed Q (not a parameter: the SAFE-DB plug-in has no shelf Q control).
SHELF_Q = 0.71
#: Band layout: (kind, gain index, frequency index, Q index or None for the shelf Q).
BANDS = (("lowshelf", 0, 1, None), ("peak", 2, 3, 4), ("peak", 5, 6, 7), ("peak", 8, 9, 10),
         ("highshelf", 11, 12, None))
