"""How much adaptivity the colouration *estimate* allows, without the audio encoder.

For each held-out music clip in build/clips, coloured six ways as in aeq_metrics.py's
adaptivity check, the spread ratio of `input − own colouration` is computed (a) with the
encoder's training target itself (the oracle of training/REPORT.md's neutral-reference
study) and (b) with the best level-free 5-band EQ fit of that target inside the SAFE-DB
ranges (±12 dB), i.e. what a perfect encoder could give through the decoder's EQ. If (b)
is well under 0.5 while the product measures more, the encoder's tracking is what is
missing, not the EQ's range.

    python -m training.oracle_fit          # a few minutes on one core
"""
import numpy as np
import torch
from pathlib import Path

from training import dsp, train
from training.evaluate import adaptivity_colouring, band_curve, read_wav, spread

# The shipped reference (train.NEUTRAL) and two variants of its limit and scale.
REFERENCES = [dict(train.NEUTRAL),
              dict(train.NEUTRAL, soft_limit_db=12.0),
              dict(train.NEUTRAL, own_scale=1.0)]


def main():
    torch.set_num_threads(1)
    clip_D = []
    for f in sorted(Path("build/clips").glob("music*.wav")):
        _, x = read_wav(f)
        clip_D.append(dsp.smoothed_spectrum_db(x))
    for nt in REFERENCES:
        rng = np.random.default_rng(11)
        dks, owns = [], []
        for d in clip_D:
            for j in range(6):
                dk = d + dsp.response_db(adaptivity_colouring(rng))
                dks.append(dk); owns.append(train.own_colouration(dk[None], nt)[0])
        owns = np.array(owns)
        params, err = train.fit_params_to_curves(torch.tensor(owns, dtype=torch.float32), True, restarts=8, steps=300)
        fitted = dsp.response_db(params.numpy().astype(np.float64))
        r_free, r_fit = [], []
        for c in range(len(clip_D)):
            sl = slice(6 * c, 6 * c + 6)
            ins = [band_curve(dk) for dk in dks[sl]]
            r_free.append(spread([band_curve(dk - o) for dk, o in zip(dks[sl], owns[sl])]) / spread(ins))
            r_fit.append(spread([band_curve(dk - o) for dk, o in zip(dks[sl], fitted[sl])]) / spread(ins))
        g = params.numpy()[:, [0, 2, 5, 8, 11]]
        print("reference %s: oracle %.3f, oracle through a 5-band fit %.3f (fit error median %.2f dB, "
              "%d of %d fits with a gain at the ±12 dB limit)" % (nt,
            np.median(r_free), np.median(r_fit), float(err.median()), int((np.abs(g) > 11.5).any(1).sum()), len(g)), flush=True)


if __name__ == "__main__":
    main()
