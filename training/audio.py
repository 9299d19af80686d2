"""Stages 3-4: the audio encoder, trained on real mastered music.

Neutral (what z_audio is relative to): real mastered music as it is released. An unprocessed
recording from the real-music corpus (`training.real_corpus`) carries no colouration, by
definition; a recording with an EQ applied carries exactly that EQ's colouration. So the encoder
is trained to recover the EQ *added* to real recordings (its level-free dB response is the
target), not a deviation from a fixed spectrum. Whatever a recording's own tonal balance is,
the encoder can only attribute the part that real mastered music of its kind does not explain;
that content-dependent reference is learnt from the corpus. Pink noise is added as a second kind
of neutral content (the term curves of EVALUATION.md are measured on pink noise).

Plus a learnt share of the content (`content_share`, default 0.8 as shipped): that share of the
window's deviation from the mean balance of the real-music training windows (soft-limited to
+-12 dB, zero for pink noise) also counts as colouration. 0 asks only for the added EQ (small
estimates on unprocessed music, weak tracking of added EQs); larger shares track added EQs better.

Colouring EQs (`sample_colourings`): 25 % none, 35 % SAFE-DB user settings (training rows) with
their gains scaled by U(0.3, 1.2), 40 % random settings over the full SAFE-DB ranges (bands zeroed
at random) with gains scaled by U(0, 1). Every batch holds each window twice with two colourings
(pair term: decoder(z1) - decoder(z2) against H1 - H2).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy.io import wavfile

from . import dsp
from .model import AudioEncoder, seed_all

N_BINS = 373  # bins 0..372 cover the mel filterbank (fmax 16 kHz) at 44.1 kHz
NEUTRAL = dict(kind="real-music", none_frac=0.25, safe_frac=0.35, noise_frac=0.08, content_share=0.8,
               content_limit_db=12.0)
CONTENT_FMAX = 15000.0  # the stored bins end at 16 kHz


def window_balance_db(L, chunk=512):
    """Level-free 1/3-octave-smoothed long-term spectrum (dB on dsp.GRID) of stored windows [N, T, bins],
    with dsp.band_average_db's band edges, as one averaging matrix."""
    fr = np.arange(N_BINS) * dsp.FS / dsp.N_FFT
    A = np.zeros((N_BINS, dsp.N_GRID), np.float32)
    for j, f in enumerate(dsp.GRID):
        i0, i1 = np.searchsorted(fr, f * 2 ** (-1 / 6)), np.searchsorted(fr, f * 2 ** (1 / 6))
        if i1 <= i0:
            i0 = int(np.argmin(np.abs(fr - f))); i1 = i0 + 1
        A[i0:i1, j] = 1.0 / (i1 - i0)
    out = np.empty((len(L), dsp.N_GRID), np.float32)
    for s in range(0, len(L), chunk):
        P = (10 ** (L[s:s + chunk].astype(np.float32) / 10)).mean(1)
        out[s:s + chunk] = 10 * np.log10(P @ A + 1e-20)
    out[:, dsp.GRID > CONTENT_FMAX] = 0.0
    return dsp.level_free(out).astype(np.float32)


def content_colouration(feats, neutral):
    """Per window: the share `content_share` of its deviation from the mean real-music balance,
    soft-limited (c·tanh(d/c)); zero for pink noise. 0 share = only added EQs are colouration."""
    D = window_balance_db(feats["L"])
    music_tr = (feats["split"] == "train") & (feats["kind"] == "music")
    d = D - D[music_tr].mean(0)
    d[:, dsp.GRID > CONTENT_FMAX] = 0.0
    c = neutral["content_limit_db"]
    d = neutral["content_share"] * c * np.tanh(d / c)
    d[feats["kind"] == "noise"] = 0.0
    return torch.from_numpy(d.astype(np.float32)), D[music_tr].mean(0)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def neutral_sentence(neutral: dict) -> str:
    share = float(neutral.get("content_share", 0.0))
    own = ("" if share == 0 else
           f"; {'all' if share == 1 else f'a share {share:g}'} of a window's deviation from the corpus's mean "
           f"balance also counts as colouration, soft-limited to +-{neutral['content_limit_db']:g} dB")
    return ("real mastered music: z_audio is the EQ colouration of a recording relative to real, mastered "
            "recordings of its kind (learnt from a real-music corpus: a known EQ applied to a recording is its "
            f"colouration{own}; pink noise is neutral)")


def _pink(n, rng):
    w = rng.standard_normal(n)
    f = np.fft.rfftfreq(n, 1 / dsp.FS)
    s = np.fft.rfft(w)
    s[1:] /= np.sqrt(f[1:])
    s[0] = 0
    x = np.fft.irfft(s, n)
    return 0.1 * x / np.sqrt(np.mean(x ** 2))


def _read_mono(path: Path) -> np.ndarray:
    fs, x = wavfile.read(path)
    assert fs == dsp.FS, path
    x = x.astype(np.float64) / 32768.0 if x.dtype == np.int16 else x.astype(np.float64)
    return x.mean(1) if x.ndim == 2 else x


def extract_features(real: Path, out: Path, hop_s=3.0, noise_windows=300, seed=7):
    """STFT log-power (dB, float16) of 2.05-s windows of the corpus's train/val tracks, plus pink noise."""
    man = json.loads((real / "manifest.json").read_text())
    L_all, meta = [], []
    t0 = time.time()
    for tr in man["tracks"]:
        if tr["split"] == "test":
            continue
        x = _read_mono(real / tr["path"])
        hop = int(hop_s * dsp.FS)
        for s in range(0, len(x) - dsp.WINDOW_SAMPLES + 1, hop):
            seg = x[s:s + dsp.WINDOW_SAMPLES]
            if np.sqrt(np.mean(seg ** 2)) < 10 ** (-45 / 20):
                continue
            P = dsp.stft_power(seg)[:, :N_BINS]
            L_all.append((10 * np.log10(np.maximum(P, 1e-10))).astype(np.float16))
            meta.append((tr["id"], "music", tr["genre"], tr["split"]))
    rng = np.random.default_rng(seed)
    for i in range(noise_windows):
        P = dsp.stft_power(_pink(dsp.WINDOW_SAMPLES, rng))[:, :N_BINS]
        L_all.append((10 * np.log10(np.maximum(P, 1e-10))).astype(np.float16))
        meta.append((f"pink{i}", "noise", "noise", "train" if i % 10 else "val"))
    L = np.stack(L_all)
    kind = np.array([m[1] for m in meta])
    split = np.array([m[3] for m in meta])
    fb = dsp.mel_filterbank()[:, :N_BINS].astype(np.float32)
    tr_music = np.where((split == "train"))[0]
    sub = tr_music[:: max(1, len(tr_music) // 2000)]
    M = 10 * np.log10(np.maximum((10 ** (L[sub].astype(np.float32) / 10)) @ fb.T, 1e-10))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, L=L, track=np.array([m[0] for m in meta]), kind=kind, genre=np.array([m[2] for m in meta]),
             split=split, mel_mean=M.reshape(-1, dsp.N_MELS).mean(0), mel_std=M.reshape(-1, dsp.N_MELS).std(0))
    log(f"features: {len(L)} windows ({(split == 'train').sum()} train, {(kind == 'noise').sum()} noise), "
        f"{L.nbytes / 1e6:.0f} MB, {time.time() - t0:.0f} s")


class Colourer:
    """Colours stored STFT log-power with an EQ and returns normalised log-mel."""

    def __init__(self, mean, std):
        self.fbT = torch.tensor(dsp.mel_filterbank()[:, :N_BINS].T, dtype=torch.float32)
        self.bin_f = np.arange(N_BINS) * dsp.FS / dsp.N_FFT
        self.mean = torch.tensor(mean, dtype=torch.float32)
        self.std = torch.tensor(std, dtype=torch.float32)

    def logmel(self, Ldb, params=None, gain_db=None):
        if params is not None:
            Ldb = Ldb + dsp.torch_response_db(params, self.bin_f).float()[:, None, :]
        L = 10 * torch.log10((10 ** (Ldb / 10)) @ self.fbT).clamp_min(-100.0)
        if gain_db is not None:
            L = torch.maximum(L + gain_db[:, None, None], torch.tensor(-100.0))
        return L

    def norm(self, L):
        return ((L - self.mean) / self.std).transpose(1, 2).contiguous()  # [B, 64, T]


def sample_colourings(n, rng, safe_params, neutral=NEUTRAL):
    p = dsp.random_params(n, rng)
    p[:, dsp.GAIN_IDX] *= rng.uniform(0, 1, (n, 1))
    k = rng.random(n)
    s = k < neutral["safe_frac"]
    rows = safe_params[rng.integers(0, len(safe_params), s.sum())].copy()
    rows[:, dsp.GAIN_IDX] = np.clip(rows[:, dsp.GAIN_IDX] * rng.uniform(0.3, 1.2, (len(rows), 1)), -12, 12)
    p[s] = rows
    p[k > 1 - neutral["none_frac"]] = dsp.FLAT
    return p


def level_free(d):
    """Removes the mean over 100 Hz-10 kHz (torch twin of dsp.level_free)."""
    m = torch.as_tensor(dsp.REF_BAND, dtype=torch.float32)
    return d - (d * m).sum(-1, keepdim=True) / m.sum()


def wloss(pred, target, w):
    """Level-free weighted mean squared dB error."""
    return ((level_free(pred - target) ** 2) * w).sum(-1).div(w.sum()).mean()


def validate(net, dec, feats, col, safe_params, seed=99, n=256):
    """Figures on validation windows: estimated colouration of unprocessed music (RMS and max |dB| of
    the decoded response, 40 Hz-12.5 kHz) and recovery of random +-6 dB colourings (RMS error, and
    the slope of estimated vs applied differences, 1 = perfect tracking)."""
    rng = np.random.default_rng(seed)
    va = np.where((feats["split"] == "val") & (feats["kind"] == "music"))[0]
    ii = rng.choice(va, min(n, len(va)), replace=False)
    Lb = torch.from_numpy(feats["L"][ii].astype(np.float32))
    band = torch.as_tensor((dsp.GRID >= 40) & (dsp.GRID <= 12500))
    net.eval()
    with torch.no_grad():
        z0 = net(col.norm(col.logmel(Lb)))
        r0 = level_free(dsp.torch_response_db(dec(z0)).float())[:, band]
        p = np.tile(dsp.FLAT, (len(ii), 1))
        p[:, 0] = rng.uniform(-6, 6, len(ii)); p[:, 1] = rng.uniform(80, 300, len(ii))
        p[:, 2] = rng.uniform(-6, 6, len(ii)); p[:, 3] = rng.uniform(200, 800, len(ii)); p[:, 4] = 1.0
        p[:, 5] = rng.uniform(-6, 6, len(ii)); p[:, 6] = rng.uniform(800, 3000, len(ii)); p[:, 7] = 1.0
        p[:, 11] = rng.uniform(-6, 6, len(ii)); p[:, 12] = rng.uniform(3000, 9000, len(ii))
        pt = torch.tensor(p)
        z1 = net(col.norm(col.logmel(Lb, pt)))
        r1 = level_free(dsp.torch_response_db(dec(z1)).float())[:, band]
        h = level_free(dsp.torch_response_db(pt).float())[:, band]
        d_est, d_true = (r1 - r0).flatten(), h.flatten()
        slope = float((d_est * d_true).sum() / (d_true * d_true).sum())
        err = float(((r1 - h) ** 2).mean().sqrt())
    net.train()
    own_rms = r0.pow(2).mean(1).sqrt()
    return dict(own_rms_median=float(own_rms.median()), own_max_median=float(r0.abs().max(1).values.median()),
                coloured_rms_err=err, tracking_slope=slope)


def train_audio_encoder(feats, dec, enc_eq, safe_params, steps, seed, batch=64, lr=2e-3, crop_frac=0.8,
                        crop=88, pair_weight=1.0, neutral=NEUTRAL, net=None, snapshot=None, stop_after=None):
    """snapshot: path to save the encoder's weights at every validation (long runs can be cut short)."""
    seed_all(seed + 1)
    rng = np.random.default_rng(seed + 1)
    tr_music = np.where((feats["split"] == "train") & (feats["kind"] == "music"))[0]
    tr_noise = np.where((feats["split"] == "train") & (feats["kind"] == "noise"))[0]
    L = feats["L"]
    col = Colourer(feats["mel_mean"], feats["mel_std"])
    content = content_colouration(feats, neutral)[0] if neutral.get("content_share", 0) > 0 else None
    net = AudioEncoder() if net is None else net
    net.train()
    for p in list(dec.parameters()) + list(enc_eq.parameters()):
        p.requires_grad_(False)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.05)
    w = torch.tensor(dsp.GRID_W, dtype=torch.float32)
    half = batch // 2
    t0 = time.time()
    for step in range(steps if stop_after is None else min(steps, stop_after)):
        ii = rng.choice(tr_music, half)
        nz = rng.random(half) < neutral["noise_frac"]
        ii[nz] = rng.choice(tr_noise, int(nz.sum()))
        ii = np.concatenate([ii, ii])
        eq = torch.tensor(sample_colourings(batch, rng, safe_params, neutral))
        gain = torch.tensor(rng.uniform(-30, 10, batch), dtype=torch.float32)
        with torch.no_grad():
            if step < crop_frac * steps:
                c0 = int(rng.integers(0, dsp.FRAMES - crop + 1))
                Lb = torch.from_numpy(L[ii, c0:c0 + crop].astype(np.float32))
            else:
                Lb = torch.from_numpy(L[ii].astype(np.float32))
            X = col.norm(col.logmel(Lb, eq, gain))
            target = dsp.torch_response_db(eq).float()
            if content is not None:
                target = target + content[ii]
        z = net(X)
        pred = dsp.torch_response_db(dec(z)).float()
        l_rec = wloss(pred, target, w)
        l_pair = wloss(pred[:half] - pred[half:], target[:half] - target[half:], w)
        l_cyc = ((enc_eq(dec(z)) - z) ** 2).mean()
        loss = l_rec + pair_weight * l_pair + 0.3 * l_cyc
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"audio {step:5d} rec {l_rec.item() ** 0.5:.2f} dB rms  pair {l_pair.item() ** 0.5:.2f}  "
                f"cyc {l_cyc.item():.4f}  ({time.time() - t0:.0f}s)")
        if step % 500 == 499 or step == steps - 1 or step + 1 == stop_after:
            log(f"  validation: {validate(net, dec, feats, col, safe_params)}")
            if snapshot is not None:
                torch.save(dict(audio=net.state_dict(), step=step + 1), snapshot)
    for p in list(dec.parameters()) + list(enc_eq.parameters()):
        p.requires_grad_(True)
    net.eval()
    return net
