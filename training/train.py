"""Train everything from scratch (seeded) and write the model file, ONNX exports and goldens.

    python -m training.train                 # corpus (if missing) + all stages + export
    python -m training.train --quick         # a few-minute smoke run
    python -m training.train --skip-corpus   # reuse build/corpus

Stages (each prints its timing):
  1. EQ autoencoder ("V2"): EQ encoder 13 -> 32 and residual-MLP decoder 32 -> 13 trained
     on clean SAFE-DB rows plus random settings over the full parameter ranges, loss = dB
     magnitude error on a 96-point log grid (20 Hz .. 20 kHz, RBJ biquads at 44.1 kHz), plus
     a word-centroid (clustering) term on SAFE rows and a latent cycle term.
  2. Term table: SAFE-DB words with >= 5 clean rows and Audealize words (curve -> 13 params
     by gradient descent in the response domain -> EQ encoder -> latent refinement).
  3. Features: STFT power of 2.05-s windows of the corpus (build/train/features.npz).
  4. Audio encoder: windows coloured on the fly (power spectrum x |H|^2 of SAFE/random EQs),
     target response = the coloured window's tonal deviation from the neutral reference
     (clean deviation + EQ response; level-free, soft-limited, scaled); loss = level-free
     response error of the frozen decoder's output + a pair term on two colourations of the
     same window + a latent cycle term.
Then training.export writes the model file, ONNX and goldens.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy.io import wavfile

from . import data, dsp
from .model import AudioEncoder, EQDecoder, EQEncoder, seed_all

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "train"
CORPUS = ROOT / "build" / "corpus"

# Neutral reference: pink noise (power density ~ 1/f). The audio encoder's estimate of a clip's
# own colouration is the deviation of its 1/3-octave-smoothed long-term spectrum from this
# reference, level-free, soft-limited to +-SOFT_LIMIT_DB and scaled by OWN_SCALE. See REPORT.md
# ("Neutral reference") for the measurements behind these values.
NEUTRAL = dict(kind="pink", tilt_db_per_oct=-0.25, soft_limit_db=18.0, own_scale=0.9)


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


# ------------------------------------------------------------------ stage 3
def read_mono(path):
    fs, x = wavfile.read(path)
    x = x.astype(np.float64) / 32768.0 if x.dtype == np.int16 else x.astype(np.float64)
    if x.ndim == 2:
        x = x.mean(1)
    assert fs == 44100, path
    return x


N_BINS = 373  # bins 0..372 cover the mel filterbank (fmax 16 kHz) at 44.1 kHz


def extract_features(corpus: Path, out: Path, train_hop_s=1.5):
    man = json.loads((corpus / "manifest.json").read_text())
    fb = dsp.mel_filterbank()
    assert np.all(fb[:, N_BINS:] == 0)
    P_all, D_all, meta = [], [], []
    for m in man["clips"]:
        x = read_mono(corpus / m["file"])
        hop = int(train_hop_s * dsp.FS) if m["split"] == "train" else dsp.WINDOW_SAMPLES
        for s in range(0, len(x) - dsp.WINDOW_SAMPLES + 1, hop):
            seg = x[s:s + dsp.WINDOW_SAMPLES]
            if np.sqrt(np.mean(seg ** 2)) < 10 ** (-50 / 20):
                continue
            d = dsp.smoothed_spectrum_db(seg)
            if d is None:
                continue
            P_all.append(dsp.stft_power(seg)[:, :N_BINS].astype(np.float32))
            D_all.append(d.astype(np.float32))
            meta.append((m["file"], m["source"], m["split"], s))
    P = np.stack(P_all)
    D = np.stack(D_all)
    split = np.array([mm[2] == "train" for mm in meta])
    L = 10 * np.log10(np.maximum(P[split] @ fb[:, :N_BINS].T.astype(np.float32), 1e-10))
    mean = L.reshape(-1, dsp.N_MELS).mean(0)
    std = L.reshape(-1, dsp.N_MELS).std(0)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, P=P, D=D, files=np.array([mm[0] for mm in meta]), sources=np.array([mm[1] for mm in meta]),
             train=split, starts=np.array([mm[3] for mm in meta]), mel_mean=mean, mel_std=std)
    log(f"features: {len(P)} windows ({split.sum()} train), {P.nbytes / 1e6:.0f} MB")


def neutral_reference_db(neutral=NEUTRAL, freqs=dsp.GRID):
    """Reference power spectrum (dB, arbitrary level) on the grid."""
    ref = dsp.pink_reference_db(freqs)
    ref = ref + neutral["tilt_db_per_oct"] * np.log2(np.asarray(freqs) / 1000.0)
    return ref


def own_colouration(D, neutral=NEUTRAL):
    """Clip's own colouration target on the grid: level-free deviation from the reference,
    soft-limited to what the EQ can express and scaled."""
    d = dsp.level_free(D - neutral_reference_db(neutral))
    c = neutral["soft_limit_db"]
    return neutral["own_scale"] * c * np.tanh(d / c)


# ------------------------------------------------------------------ stage 4
class Colourer:
    """Colours stored STFT power with an EQ and returns normalised log-mel."""

    def __init__(self, mean, std):
        fb = dsp.mel_filterbank()[:, :N_BINS]
        self.fbT = torch.tensor(fb.T, dtype=torch.float32)
        self.bin_f = np.arange(N_BINS) * dsp.FS / dsp.N_FFT
        self.mean = torch.tensor(mean, dtype=torch.float32)
        self.std = torch.tensor(std, dtype=torch.float32)

    def logmel(self, P, params=None, gain_db=None):
        if params is not None:
            h = dsp.torch_response_db(params, self.bin_f)
            P = P * (10 ** (h / 10))[:, None, :]
        L = 10 * torch.log10((P @ self.fbT).clamp_min(1e-10))
        if gain_db is not None:
            L = torch.maximum(L + gain_db[:, None, None], torch.tensor(-100.0))
        return L

    def norm(self, L):
        return ((L - self.mean) / self.std).transpose(1, 2).contiguous()  # [B, 64, T]


def sample_eqs(n, rng, safe_params):
    """Colouring EQs: 45 % SAFE-DB rows, 45 % random settings (random overall scale), 10 % none."""
    p = dsp.random_params(n, rng)
    p[:, dsp.GAIN_IDX] *= rng.uniform(0, 1, (n, 1))
    k = rng.random(n)
    s = k < 0.45
    p[s] = safe_params[rng.integers(0, len(safe_params), s.sum())]
    p[k > 0.9] = dsp.FLAT
    return p


def own_colouration_torch(Dc, neutral=NEUTRAL):
    """own_colouration() in torch for the coloured windows' spectra [B, G] (dB)."""
    ref = torch.tensor(neutral_reference_db(neutral), dtype=torch.float32)
    d = Dc - ref
    m = torch.tensor(dsp.REF_BAND, dtype=torch.float32)
    d = d - (d * m).sum(-1, keepdim=True) / m.sum()
    c = neutral["soft_limit_db"]
    return neutral["own_scale"] * c * torch.tanh(d / c)


def train_audio_encoder(feats, dec, enc_eq, safe_params, steps, seed, batch=64, neutral=NEUTRAL, lr=2e-3,
                        crop_frac=0.8, crop=88, pair_weight=1.0, noise_frac=0.1, net=None):
    """Target = own colouration of the *coloured* window (its smoothed spectrum = clean
    spectrum + EQ response, relative to the reference, level-free, soft-limited, scaled): a
    pure function of what the encoder hears. Each batch holds every window twice with two
    different EQs; a pair term asks decoder(z1) - decoder(z2) to match target1 - target2
    (content errors cancel, what remains is how well EQ changes are tracked).
    The first crop_frac of the steps see random 88-frame crops (pooling cells then average 11
    instead of 22 frames; convolutions are local in time, so the features are the same) to
    halve the cost on a shared 2-core machine; the rest see the full 176 frames."""
    seed_all(seed + 1)
    rng = np.random.default_rng(seed + 1)
    tr = np.where(feats["train"])[0]
    trn = np.where(feats["train"] & (feats["sources"] == "noise"))[0]
    P = torch.from_numpy(feats["P"])
    D = torch.tensor(feats["D"], dtype=torch.float32)
    col = Colourer(feats["mel_mean"], feats["mel_std"])
    net = AudioEncoder() if net is None else net
    net.train()
    for p in list(dec.parameters()) + list(enc_eq.parameters()):
        p.requires_grad_(False)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.05)
    w = torch.tensor(dsp.GRID_W, dtype=torch.float32)
    half = batch // 2
    t0 = time.time()
    for step in range(steps):
        ii = rng.choice(tr, half)
        nn_ = rng.random(half) < noise_frac
        ii[nn_] = rng.choice(trn, int(nn_.sum()))
        ii = torch.from_numpy(np.concatenate([ii, ii]))
        eq = torch.tensor(sample_eqs(batch, rng, safe_params))
        gain = torch.tensor(rng.uniform(-30, 10, batch), dtype=torch.float32)
        with torch.no_grad():
            Pb = P[ii]
            if step < crop_frac * steps:
                t0c = int(rng.integers(0, dsp.FRAMES - crop + 1))
                Pb = Pb[:, t0c:t0c + crop]
            X = col.norm(col.logmel(Pb, eq, gain))
            target = own_colouration_torch(D[ii] + dsp.torch_response_db(eq), neutral)
        z = net(X)
        pred = dsp.torch_response_db(dec(z))
        l_rec = wloss(pred, target, w, level_free=True)
        l_pair = wloss(pred[:half] - pred[half:], target[:half] - target[half:], w, level_free=True)
        l_cyc = ((enc_eq(dec(z)) - z) ** 2).mean()
        loss = l_rec + pair_weight * l_pair + 0.3 * l_cyc
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"audio {step:5d} rec {l_rec.item() ** 0.5:.2f} dB rms  pair {l_pair.item() ** 0.5:.2f}  "
                f"cyc {l_cyc.item():.4f}  ({time.time() - t0:.0f}s)")
    for p in list(dec.parameters()) + list(enc_eq.parameters()):
        p.requires_grad_(True)
    net.eval()
    return net


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
    ap.add_argument("--finetune-steps", type=int, default=0, help="optional phase B steps (full windows, pair x3); 0 = off, as shipped")
    ap.add_argument("--resume-audio", action="store_true", help="skip phase A, start from build/train/model.pt")
    ap.add_argument("--reuse-eqae", action="store_true", help="reuse build/train/eqae.pt (stages 1-2)")
    ap.add_argument("--init-audio", type=Path, default=None,
                    help="start phase A from the audio encoder of this checkpoint (default: random init)")
    ap.add_argument("--audio-lr", type=float, default=2e-3, help="phase A peak learning rate")
    ap.add_argument("--pair-weight", type=float, default=1.0, help="phase A pair-term weight")
    ap.add_argument("--soft-limit", type=float, default=NEUTRAL["soft_limit_db"],
                    help="soft limit (dB) of the own-colouration target (NEUTRAL)")
    ap.add_argument("--own-scale", type=float, default=NEUTRAL["own_scale"],
                    help="scale of the own-colouration target (NEUTRAL)")
    ap.add_argument("--out", type=Path, default=BUILD / "model.pt", help="checkpoint to write")
    a = ap.parse_args()
    neutral = dict(NEUTRAL, soft_limit_db=a.soft_limit, own_scale=a.own_scale)
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    if a.quick:
        a.eq_steps, a.audio_steps, a.finetune_steps = 800, 500, 0
    t_all = time.time()
    BUILD.mkdir(parents=True, exist_ok=True)
    if not a.skip_corpus and not (CORPUS / "manifest.json").exists():
        from . import corpus
        corpus.build(CORPUS, ROOT / "build" / "clips", 100, 30.0, 40, 32, 28, 1234, 2)
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

    feat_path = BUILD / "features.npz"
    if not feat_path.exists():
        extract_features(CORPUS, feat_path)
    feats = dict(np.load(feat_path))
    safe_params = np.array([r["params"] for r in safe_train])
    if a.resume_audio:
        net = AudioEncoder()
        net.load_state_dict(torch.load(BUILD / "model.pt", weights_only=False)["audio"])
        log("resuming the audio encoder from build/train/model.pt (phase A)")
    else:
        init = None
        if a.init_audio is not None:
            init = AudioEncoder()
            init.load_state_dict(torch.load(a.init_audio, weights_only=False)["audio"])
            log(f"phase A starts from the audio encoder of {a.init_audio}")
        net = train_audio_encoder(feats, dec, enc, safe_params, a.audio_steps, a.seed, batch=a.audio_batch,
                                  neutral=neutral, lr=a.audio_lr, pair_weight=a.pair_weight, net=init)
    if a.finetune_steps > 0:
        # phase B: full 176-frame windows, lower learning rate, stronger pair term (the
        # phase-A encoder under-tracks EQ changes)
        net = train_audio_encoder(feats, dec, enc, safe_params, a.finetune_steps, a.seed + 2, batch=a.audio_batch,
                                  lr=5e-4, crop_frac=0.0, pair_weight=3.0, net=net, neutral=neutral)
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
