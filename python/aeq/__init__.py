"""AdaptiveEQ's Python toolkit: the one place for the parameter table, the RBJ equaliser
maths (numpy and torch), the tonal-balance measurements and the crowd data (SAFE-DB,
Audealize) that the evaluation harness, the benchmarks and the scripts share.

Put `python/` on `sys.path` (or `PYTHONPATH=python`) and `import aeq`. numpy/scipy only at
import time; torch is imported by the functions that need it.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "data"
