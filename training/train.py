"""Train everything from scratch (seeded) and write the model file, ONNX exports and goldens.

    python -m training.train                 # corpus (if missing) + all stages + export
    python -m training.train --quick         # a few-minute smoke run
    python -m training.train --reuse-eqae    # keep stages 1-2 (build/train/eqae.pt)

Stages (each prints its timing):
  1. EQ autoencoder ("V2"): EQ encoder 13 -> 32 and residual-MLP decoder 32 -> 13 trained
     on clean SAFE-DB rows plus random settings over the full parameter ranges, loss = dB
     magnitude error on a 96-point log grid (20 Hz .. 20 kHz, RBJ biquads at 44.1 kHz), plus
     a word-centroid (clustering) term on SAFE rows and a latent cycle term.
  2. Term table: SAFE-DB words with >= 5 clean rows and Audealize words (curve -> 13 params
     by gradient descent in the response domain -> EQ encoder -> latent refinement).
  3. Features: STFT log-power of 2.05-s windows of the real-music corpus (training.real_corpus,
     built if missing) plus pink noise (build/train/features_real.npz).
  4. Audio encoder (training.audio): windows coloured on the fly with SAFE-DB/random EQs or none;
     target = the added EQ's level-free response (unprocessed real music is neutral); loss =
     response error of the frozen decoder's output + a pair term on two colourations of the same
     window + a latent cycle term.
Then training.export writes the model file, ONNX and goldens.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from . import audio, data, dsp
from .model import AudioEncoder, EQDecoder, EQEncoder, seed_all

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "train"
REAL = ROOT / "build" / "real"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def wloss(pred, target, w=None, level_free=False):
    """Weighted mean squared dB error; level_free removes the weighted mean difference."""
    e = pred - target
    if w is None:
        w = torch.ones(e.shape[-1])
    if level_free:
        m = torch.as_tensor(dsp.REF_BAND, dtype=torch.float32)
        e = e - (e * m).sum(-1, keepdim=True) / m.sum()
    return ((e ** 2) * w).sum(-1).div(w.sum()).mean()


# ------------------------------------------------------------------ stage 1
def train_eq_autoencoder(safe_train, steps, seed, batch=512):
    seed_all(seed)
    rng = np.random.default_rng(seed)
    enc, dec = EQEncoder(), EQDecoder()
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.05)
    sp = torch.tensor(np.array([r["params"] for r in safe_train]))
    words = sorted({r["word"] for r in safe_train})
    wid = torch.tensor([words.index(r["word"]) for r in safe_train])
    t0 = time.time()
    for step in range(steps):
        # random settings: full ranges, half of them with a smaller gain range (milder EQ)
        rp = dsp.random_params(batch, rng)
        rp[: batch // 2, dsp.GAIN_IDX] *= rng.uniform(0, 1, (batch // 2, 1))
        idx = torch.from_numpy(rng.integers(0, len(sp), 256))
        p = torch.cat([torch.tensor(rp), sp[idx]], 0)
        target = dsp.torch_response_db(p)
        z = enc(p)
        zn = z + 0.05 * torch.randn_like(z)
        pred = dsp.torch_response_db(dec(zn))
        l_rec = wloss(pred, target)
        # word clustering on SAFE rows: pull each row towards its word's batch centroid
        zs, ws = z[batch:], wid[idx]
        cent = torch.zeros(len(words), z.shape[1]).index_add_(0, ws, zs)
        cnt = torch.zeros(len(words)).index_add_(0, ws, torch.ones(len(ws))).clamp_min(1)
        cent = cent / cnt[:, None]
        l_clu = ((zs - cent[ws]) ** 2).sum(1).mean() / (((zs - zs.mean(0)) ** 2).sum(1).mean() + 1e-6)
        # cycle: the decoder's output re-encodes to the same latent
        l_cyc = ((enc(dec(z.detach()[: 128])) - z.detach()[: 128]) ** 2).mean()
        l_z = (z ** 2).mean()
        loss = l_rec + 0.5 * l_clu + 1.0 * l_cyc + 1e-3 * l_z
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 500 == 0 or step == steps - 1:
            log(f"eqae {step:5d} rec {l_rec.item() ** 0.5:.3f} dB rms  clu {l_clu.item():.3f}  cyc {l_cyc.item():.4f}"
                f"  ({time.time() - t0:.0f}s)")
    enc.eval(), dec.eval()
    return enc, dec


# ------------------------------------------------------------------ stage 2
def fit_params_to_curves(targets, level_free, restarts=24, steps=400, seed=0, w=None):
    """Gradient descent in the response domain: [W, G] target dB curves -> best params [W,13]."""
    g = torch.Generator().manual_seed(seed)
    W = targets.shape[0]
    u = (torch.randn(W * restarts, 13, generator=g) * 1.0).requires_grad_(True)
    tgt = targets.repeat_interleave(restarts, 0)
    opt = torch.optim.Adam([u], lr=0.05)
    ww = torch.as_tensor(dsp.GRID_W if w is None else w, dtype=torch.float32)
    for _ in range(steps):
        pred = dsp.torch_response_db(dsp.torch_params_from_raw(u))
        e = pred - tgt
        if level_free:
            m = torch.as_tensor(dsp.REF_BAND, dtype=torch.float32)
            e = e - (e * m).sum(-1, keepdim=True) / m.sum()
        per = ((e ** 2) * ww).sum(-1) / ww.sum()
        opt.zero_grad()
        per.sum().backward()
        opt.step()
    with torch.no_grad():
        per = per.view(W, restarts)
        best = per.argmin(1)
        ub = u.view(W, restarts, 13)[torch.arange(W), best]
        return dsp.torch_params_from_raw(ub).detach(), per.min(1).values.sqrt()


def refine_latents(dec, enc, z0, targets, level_free, steps=300, w=None):
    """Latent refinement: z minimising the decoded response error, kept near the cycle-consistent set."""
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=0.02)
    ww = torch.as_tensor(dsp.GRID_W if w is None else w, dtype=torch.float32)
    for p in list(dec.parameters()) + list(enc.parameters()):
        p.requires_grad_(False)
    for _ in range(steps):
        pred = dsp.torch_response_db(dec(z))
        e = pred - targets
        if level_free:
            m = torch.as_tensor(dsp.REF_BAND, dtype=torch.float32)
            e = e - (e * m).sum(-1, keepdim=True) / m.sum()
        rec = ((e ** 2) * ww).sum(-1) / ww.sum()
        cyc = ((enc(dec(z)) - z) ** 2).mean(-1)
        loss = (rec + 0.1 * cyc).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for p in list(dec.parameters()) + list(enc.parameters()):
        p.requires_grad_(True)
    return z.detach(), rec.detach().sqrt()


def audealize_scale(centres, words, safe_all):
    """dB per Audealize unit: least squares of mean-removed Audealize curves on the SAFE-DB
    median curves of the words both data sets share (at the Audealize band centres)."""
    num = den = 0.0
    for w in words:
        if w["word"] in safe_all and len(safe_all[w["word"]]) >= data.MIN_SAFE_ROWS:
            s = data.crowd_curve_safe(safe_all[w["word"]], centres)
            a = w["curve"] - w["curve"].mean()
            num += float(a @ (s - s.mean()))
            den += float(a @ a)
    return num / den if den > 0 else 3.0


def build_terms(enc, dec, recs, seed, steps_fit=400, steps_ref=300):
    safe_t = data.safe_terms(recs)
    safe_all = data.safe_all_rows()
    centres, aud = data.audealize_words()
    aud = [a for a in aud if a["word"] not in data.heldout_words()]  # held out of training
    k = audealize_scale(centres, aud, safe_all)
    log(f"Audealize scale {k:.3f} dB per unit")
    names, targets, level_free, support, z0 = [], [], [], [], []
    # SAFE-DB words: target = median response of the clean rows; init = centroid of encoded rows
    with torch.no_grad():
        for w, rows in safe_t.items():
            names.append(w)
            targets.append(np.median(dsp.response_db(rows), axis=0))
            level_free.append(False)
            z0.append(enc(torch.tensor(rows)).mean(0))
    aud_by = {a["word"]: a for a in aud}
    for n in names:
        a = aud_by.get(n)
        support.append([len(safe_t[n]), a["num"] if a else 0, a["agreement"] if a else 0.0])
    # Audealize words not covered by SAFE-DB: fit 13 params, encode
    aud_new = [a for a in aud if a["word"] not in safe_t]
    atg = torch.tensor(np.array([k * data.interp_curve(centres, a["curve"], dsp.GRID) for a in aud_new]),
                       dtype=torch.float32)
    t0 = time.time()
    pfit, err_fit = fit_params_to_curves(atg, True, steps=steps_fit, seed=seed)
    log(f"fitted {len(aud_new)} Audealize curves to 13 params: median {err_fit.median():.2f} dB rms"
        f" ({time.time() - t0:.0f}s)")
    with torch.no_grad():
        za = enc(pfit)
    for i, a in enumerate(aud_new):
        names.append(a["word"])
        targets.append(atg[i].numpy())
        level_free.append(True)
        support.append([0, a["num"], a["agreement"]])
        z0.append(za[i])
    tg = torch.tensor(np.array(targets), dtype=torch.float32)
    z0 = torch.stack(z0)
    lf = np.array(level_free)
    z = torch.empty_like(z0)
    err = torch.empty(len(names))
    for mask in (lf, ~lf):
        ii = torch.from_numpy(np.where(mask)[0])
        if len(ii):
            z[ii], err[ii] = refine_latents(dec, enc, z0[ii], tg[ii], bool(lf[ii[0]]),
                                            steps=steps_ref)
    log(f"term table: {len(names)} words, response fit median {err.median():.2f} dB rms, max {err.max():.2f}")
    return dict(names=names, z=z, support=torch.tensor(support, dtype=torch.float32), targets=tg,
                level_free=torch.tensor(lf), fit_err=err, params_fit=pfit, audealize_scale=k,
                n_safe=len(safe_t))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="short smoke run (minutes)")
    ap.add_argument("--skip-corpus", action="store_true")
    ap.add_argument("--eq-steps", type=int, default=2000)
    ap.add_argument("--audio-steps", type=int, default=3000)
    ap.add_argument("--audio-batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--stop-after-terms", action="store_true")
    ap.add_argument("--reuse-eqae", action="store_true", help="reuse build/train/eqae.pt (stages 1-2)")
    ap.add_argument("--init-audio", type=Path, default=None,
                    help="start phase A from the audio encoder of this checkpoint (default: random init)")
    ap.add_argument("--audio-lr", type=float, default=2e-3, help="phase A peak learning rate")
    ap.add_argument("--pair-weight", type=float, default=1.0, help="phase A pair-term weight")
    ap.add_argument("--none-frac", type=float, default=audio.NEUTRAL["none_frac"],
                    help="share of training windows left uncoloured (the prior on no added EQ)")
    ap.add_argument("--noise-frac", type=float, default=audio.NEUTRAL["noise_frac"],
                    help="share of training windows that are pink noise (neutral: what the term curves are measured on)")
    ap.add_argument("--content-share", type=float, default=audio.NEUTRAL["content_share"],
                    help="share of a window's deviation from the mean real-music balance counted as colouration")
    ap.add_argument("--audio-stop-after", type=int, default=None,
                    help="stop the audio encoder after this many steps (the schedule still spans --audio-steps)")
    ap.add_argument("--out", type=Path, default=BUILD / "model.pt", help="checkpoint to write")
    a = ap.parse_args()
    neutral = dict(audio.NEUTRAL, none_frac=a.none_frac, noise_frac=a.noise_frac, content_share=a.content_share)
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    if a.quick:
        a.eq_steps, a.audio_steps = 800, 500
    t_all = time.time()
    BUILD.mkdir(parents=True, exist_ok=True)
    recs, dropped = data.safe_rows_clean()
    safe_train, safe_val = data.safe_split(recs)
    log(f"SAFE-DB: {len(recs)} clean rows (dropped {dropped}); {len(safe_train)} train / {len(safe_val)} held out")

    stage1 = BUILD / "eqae.pt"
    if a.reuse_eqae and stage1.exists():
        st = torch.load(stage1, weights_only=False)
        enc, dec = EQEncoder(), EQDecoder()
        enc.load_state_dict(st["eq_encoder"]), dec.load_state_dict(st["decoder"])
        enc.eval(), dec.eval()
        terms = st["terms"]
        log(f"reusing {stage1}")
    else:
        enc, dec = train_eq_autoencoder(safe_train, a.eq_steps, a.seed)
        terms = build_terms(enc, dec, recs, a.seed, steps_fit=150 if a.quick else 400,
                            steps_ref=100 if a.quick else 300)
        torch.save(dict(eq_encoder=enc.state_dict(), decoder=dec.state_dict(), terms=terms), stage1)
    if a.stop_after_terms:
        return

    feat_path = BUILD / "features_real.npz"
    if not feat_path.exists():
        if not (REAL / "manifest.json").exists():
            from . import real_corpus
            real_corpus.build(REAL, ROOT / "build" / "debs", 5.0, 2)
        audio.extract_features(REAL, feat_path)
    feats = dict(np.load(feat_path))
    safe_params = np.array([r["params"] for r in safe_train])
    init = None
    if a.init_audio is not None:
        init = AudioEncoder()
        init.load_state_dict(torch.load(a.init_audio, weights_only=False)["audio"])
        log(f"the audio encoder starts from {a.init_audio}")
    net = audio.train_audio_encoder(feats, dec, enc, safe_params, a.audio_steps, a.seed, batch=a.audio_batch,
                                    lr=a.audio_lr, pair_weight=a.pair_weight, net=init, neutral=neutral,
                                    stop_after=a.audio_stop_after, snapshot=BUILD / "audio_snapshot.pt")
    torch.save(dict(eq_encoder=enc.state_dict(), decoder=dec.state_dict(), audio=net.state_dict(),
                    mel_mean=feats["mel_mean"], mel_std=feats["mel_std"], terms=terms, neutral=neutral,
                    safe_val_ids=[r["id"] for r in safe_val], seed=a.seed,
                    args={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(a).items()}), a.out)
    log(f"training done in {(time.time() - t_all) / 60:.1f} min -> {a.out}")
    if not a.no_export:
        from . import export
        export.export_all(a.out)


if __name__ == "__main__":
    main()
