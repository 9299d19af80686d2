"""Experiment: the audio encoder's pooling grid (not shipped; the model file format fixes 4×4).

After the convolutions, MODEL_FORMAT.md's encoder averages the mel axis into 4 regions and
the time axis into 4 columns, so it cannot tell where inside 20–940 Hz a change happened.
This trains the stage-3 audio encoder with another grid (same data, seed, steps and loss as
`train.train_audio_encoder`, EQ autoencoder and terms from build/train/model_shipped.pt, or
model.pt) and prints the simulated product figures of `training.evaluate.eval_clips`:
adaptivity at intensities 0.25…1, warm/bright centroid direction, warm-bright contrast.

    python -m training.pool_experiment ROWS COLUMNS [STEPS]     # e.g. 8 2 1200: ~10 min, one core

Measured (1,200 steps, seed 7, held-out clips in build/clips; the 4×4 model v3 at 1,200 steps: adaptivity
0.674, direction 5/6): 8×4 (fc1 2048→128) 0.588, direction 2/6; 8×2 (fc1 stays 1024→128)
0.639, direction 4/6. Finer mel pooling tracks colouration changes better; like every change
that tracks better, it also removes more of the dark clips' own colouration, so "warm"
brightens more of them.
"""
import sys
import time
from pathlib import Path

import numpy as np
import torch

from training import data, evaluate, train
from training.model import AudioEncoder

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "train"


def main():
    rows, columns = int(sys.argv[1]), int(sys.argv[2])
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 1200
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    ckpt = BUILD / "model_shipped.pt" if (BUILD / "model_shipped.pt").exists() else BUILD / "model.pt"
    m = evaluate.Model(ckpt)
    recs, _ = data.safe_rows_clean()
    safe_train, _ = data.safe_split(recs)
    feats = dict(np.load(BUILD / "features.npz"))
    safe_params = np.array([r["params"] for r in safe_train])
    t0 = time.time()
    m.net = train.train_audio_encoder(feats, m.dec, m.enc, safe_params, steps, 7, net=AudioEncoder(grid=(rows, columns)))
    print(f"trained {rows}×{columns} for {steps} steps in {time.time() - t0:.0f} s", flush=True)
    res = {}
    evaluate.eval_clips(m, res, ROOT / "build" / "clips")
    adapt = " / ".join(f"{v:.3f}" for v in res["adaptivity"].values())
    print(f"grid {rows}×{columns}: simulated adaptivity (intensity 0.25/0.5/0.75/1) {adapt}; "
          f"warm/bright direction {res['centroid_direction']} music clips; "
          f"warm-bright contrast median r {np.median(res['contrast_r']):.3f}")


if __name__ == "__main__":
    main()
