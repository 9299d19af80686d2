"""Reads and regenerates parameters.json, the committed copy of `adaptive-eq parameters --json`.

    PYTHONPATH=python python3 -m aeq.parameter_table --bin .build/release/adaptive-eq
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

TABLE_JSON = Path(__file__).resolve().parent / "parameters.json"


def load(path: Path = TABLE_JSON) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def cli_table(binary: str) -> dict:
    """The table as the CLI prints it."""
    r = subprocess.run([binary, "parameters", "--json"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"{binary} parameters --json -> {r.returncode}: {r.stderr.strip()[-200:]}")
    return json.loads(r.stdout)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Rewrite aeq/parameters.json from `adaptive-eq parameters --json`.")
    ap.add_argument("--bin", required=True, help="path to a built adaptive-eq")
    args = ap.parse_args(argv)
    TABLE_JSON.write_text(json.dumps(cli_table(args.bin), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {TABLE_JSON}", file=sys.stderr)


if __name__ == "__main__":
    main()
