"""Evaluate a trained model and write training/REPORT.md with PNG plots.

    python -m training.evaluate [--ckpt build/train/model.pt] [--clips build/clips]

Figures (EVALUATION.md targets beside them where one exists):
  * EQ autoencoder response reconstruction, dB RMS on held-out SAFE-DB rows;
  * word clustering in the latent space;
  * semantic fidelity: term curve (EQ for the word on pink noise at intensity 1, i.e.
    decoder(z_target) followed by the inverse of decoder(z_audio(pink))) vs crowd curve;
  * audio encoder: response error on held-out windows, EQ-difference error, term retrieval;
  * simulated product on held-out clips (static EQ from the clip-average analysis):
    warm/bright centroid direction, warm-bright contrast, adaptivity spread ratio;
  * neutral-reference study (oracle colouration estimate, several references).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy import signal
from scipy.io import wavfile

from . import data, dsp, train
from .model import AudioEncoder, EQDecoder, EQEncoder, LogMel

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "training"
PLOTS = OUT / "plots"


# ------------------------------------------------------------------ helpers
class Model:
    def __init__(self, ckpt):
        ck = torch.load(ckpt, weights_only=False)
        self.ck = ck
        self.dec, self.enc, self.net = EQDecoder(), EQEncoder(), AudioEncoder()
        self.dec.load_state_dict(ck["decoder"]), self.enc.load_state_dict(ck["eq_encoder"])
        self.net.load_state_dict(ck["audio"])
        for m in (self.dec, self.enc, self.net):
            m.eval()
        self.mean = torch.tensor(ck["mel_mean"], dtype=torch.float32)
        self.std = torch.tensor(ck["mel_std"], dtype=torch.float32)
        self.lm = LogMel()
        self.terms = ck["terms"]
        self.names = list(self.terms["names"])
        self.neutral = ck["neutral"]

    @torch.no_grad()
    def z_audio_windows(self, x, hop=44100):
        x = torch.tensor(np.asarray(x, np.float32))
        n = dsp.WINDOW_SAMPLES
        starts = list(range(0, max(1, len(x) - n + 1), hop))
        segs = torch.stack([x[s:s + n] for s in starts])
        L = self.lm(segs)
        X = (L - self.mean[:, None]) / self.std[:, None]
        return self.net(X)

    @torch.no_grad()
    def params(self, z):
        return self.dec(torch.as_tensor(z, dtype=torch.float32).reshape(-1, dsp.LATENT)).double().numpy()

    def term_z(self, word):
        return self.terms["z"][self.names.index(word)]


def read_wav(path):
    fs, x = wavfile.read(path)
    x = x.astype(np.float64) / 32768.0 if x.dtype == np.int16 else x.astype(np.float64)
    return fs, (x.mean(1) if x.ndim == 2 else x)


def tbc(x, fs=44100):
    """EVALUATION.md tonal balance curve (mono input)."""
    n, hop = 4096, 2048
    fr = [x[i:i + n] for i in range(0, len(x) - n, hop)]
    fr = [f for f in fr if np.sqrt(np.mean(f ** 2)) > 1e-3]
    if not fr:
        return np.zeros(len(dsp.BANDS))
    w = np.hanning(n)
    P = np.mean([np.abs(np.fft.rfft(f * w)) ** 2 for f in fr], axis=0)
    f = np.fft.rfftfreq(n, 1 / fs)
    out = np.array([10 * np.log10(P[(f >= c * 2 ** (-1 / 6)) & (f < c * 2 ** (1 / 6))].sum() + 1e-20)
                    for c in dsp.BANDS])
    ref = (dsp.BANDS >= 100) & (dsp.BANDS <= 10000)
    return out - out[ref].mean()


def centroid(x, fs=44100):
    f, P = signal.welch(x, fs, nperseg=4096)
    return float((f * P).sum() / P.sum())


def spread(curves):
    c = np.array(curves)
    return float(np.mean([np.sqrt(np.mean((c[i] - c[j]) ** 2)) for i in range(len(c)) for j in range(i + 1, len(c))]))


def apply_adaptive(model, x, word_z, intensity=1.0, za=None):
    """Simulated product with one static EQ: target bands, then the inverse of the audio's
    own bands (z_audio = mean over 2.05-s windows of the clip, one per second)."""
    za = model.z_audio_windows(x).mean(0) if za is None else za
    zf = za + intensity * (torch.as_tensor(word_z) - za)
    pt, pa = model.params(zf)[0], model.params(za)[0]
    inv = pa.copy()
    inv[dsp.GAIN_IDX] *= -1
    y = signal.sosfilt(dsp.sos(pt), x)
    return signal.sosfilt(dsp.sos(inv), y), pt, pa


def adaptivity_colouring(rng):
    """One of aeq_metrics.check_adaptivity's random colourings (same draws in the same order):
    ±6 dB low shelf, two peaks (Q 1) and a high shelf, as 13 parameters."""
    return np.array([rng.uniform(-6, 6), rng.uniform(80, 300), rng.uniform(-6, 6), rng.uniform(200, 800), 1.0,
                     rng.uniform(-6, 6), rng.uniform(800, 3000), 1.0, 0.0, 1000, 1.0,
                     rng.uniform(-6, 6), rng.uniform(3000, 9000)])


def band_curve(grid_db):
    """A dB curve on dsp.GRID at the third-octave band centres, level removed over 100 Hz-10 kHz
    (as the tonal balance curve)."""
    c = np.interp(np.log(dsp.BANDS), np.log(dsp.GRID), grid_db)
    return c - c[(dsp.BANDS >= 100) & (dsp.BANDS <= 10000)].mean()


def pearson(a, b):
    a, b = np.asarray(a) - np.mean(a), np.asarray(b) - np.mean(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def pink_noise(seconds=20.0, seed=3):
    rng = np.random.default_rng(seed)
    n = int(seconds * dsp.FS)
    X = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / dsp.FS)
    f[0] = f[1]
    x = np.fft.irfft(X / np.sqrt(f), n)
    return 0.1 * x / np.sqrt(np.mean(x ** 2))


# ------------------------------------------------------------------ sections
def eval_autoencoder(m, res):
    recs, _ = data.safe_rows_clean()
    tr, va = data.safe_split(recs)
    p = torch.tensor(np.array([r["params"] for r in va]))
    with torch.no_grad():
        pr = m.dec(m.enc(p))
        e = (dsp.torch_response_db(pr) - dsp.torch_response_db(p)).numpy()
        rp = torch.tensor(dsp.random_params(2000, np.random.default_rng(99)))
        er = (dsp.torch_response_db(m.dec(m.enc(rp))) - dsp.torch_response_db(rp)).numpy()
    rms = np.sqrt((e ** 2).mean(1))
    rmsr = np.sqrt((er ** 2).mean(1))
    res["recon_safe_val_median"] = float(np.median(rms))
    res["recon_safe_val_mean"] = float(np.mean(rms))
    res["recon_safe_val_p90"] = float(np.percentile(rms, 90))
    res["recon_random_median"] = float(np.median(rmsr))
    res["recon_random_p90"] = float(np.percentile(rmsr, 90))
    res["n_safe_val"] = len(va)
    # clustering: nearest word centroid (train rows) for held-out warm/bright rows
    with torch.no_grad():
        zt = m.enc(torch.tensor(np.array([r["params"] for r in tr]))).numpy()
        zv = m.enc(p).numpy()
    wt = np.array([r["word"] for r in tr])
    wv = np.array([r["word"] for r in va])
    cents = {w: zt[wt == w].mean(0) for w in ("warm", "bright")}
    sel = np.isin(wv, list(cents))
    pred = np.array([min(cents, key=lambda w: np.sum((z - cents[w]) ** 2)) for z in zv[sel]])
    res["cluster_warm_bright_acc"] = float(np.mean(pred == wv[sel]))
    res["cluster_n"] = int(sel.sum())
    # same figure on response curves (how separable the words are in EQ space at all)
    rt, rv = dsp.response_db(np.array([r["params"] for r in tr])), dsp.response_db(p.numpy())
    cr = {w: rt[wt == w].mean(0) for w in ("warm", "bright")}
    pr2 = np.array([min(cr, key=lambda w: np.sum((c - cr[w]) ** 2)) for c in rv[sel]])
    res["cluster_warm_bright_acc_response"] = float(np.mean(pr2 == wv[sel]))
    return dict(err=e, rms=rms, rmsr=rmsr, zt=zt, wt=wt)


def eval_fidelity(m, res, pink_curve_bands):
    """Term curves vs crowd curves, EVALUATION.md definitions."""
    safe_all = data.safe_all_rows()
    centres, aud = data.audealize_words()
    with torch.no_grad():
        P = m.params(m.terms["z"])
    curves = dsp.response_db(P, dsp.BANDS)  # decoder(z_target) at band centres
    out = dict(safe={}, aud={}, safe_flat={}, aud_flat={})
    for i, w in enumerate(m.names):
        tc = curves[i] - pink_curve_bands
        if w in safe_all and len(safe_all[w]) >= 5:
            cc = data.crowd_curve_safe(safe_all[w])
            out["safe"][w] = pearson(tc, cc)
            out["safe_flat"][w] = pearson(curves[i], cc)
    for a in aud:
        if a["agreement"] >= 0.5 and a["word"] in m.names:
            i = m.names.index(a["word"])
            cc = data.interp_curve(centres, a["curve"], dsp.BANDS)
            out["aud"][a["word"]] = pearson(curves[i] - pink_curve_bands, cc)
            out["aud_flat"][a["word"]] = pearson(curves[i], cc)
    missing = sorted(w for w, r in safe_all.items() if len(r) >= 5 and w not in m.names)
    res["safe_words_scored"] = len(out["safe"])
    res["safe_r_min"] = float(min(out["safe"].values()))
    res["safe_r_pass"] = int(sum(v >= 0.9 for v in out["safe"].values()))
    res["safe_missing"] = missing
    res["aud_words_scored"] = len(out["aud"])
    res["aud_r_median"] = float(np.median(list(out["aud"].values())))
    res["aud_r_median_flat"] = float(np.median(list(out["aud_flat"].values())))
    res["safe_r_min_flat"] = float(min(out["safe_flat"].values()))
    return out, curves


def eval_pink_measured(m, res):
    """Term curve measured like the evaluator: TBC(out) - TBC(in) of processed pink noise."""
    x = pink_noise()
    safe_all = data.safe_all_rows()
    rs = {}
    for w in ("warm", "bright"):
        y, _, _ = apply_adaptive(m, x, m.term_z(w))
        rs[w] = pearson(tbc(y) - tbc(x), data.crowd_curve_safe(safe_all[w]))
    res["pink_measured_r"] = rs
    za = m.z_audio_windows(x)
    pc = dsp.response_db(m.params(za), dsp.BANDS).mean(0)
    res["pink_own_curve_rms_db"] = float(np.sqrt(np.mean((pc - pc.mean()) ** 2)))
    return pc


def eval_audio_windows(m, res, feats, n_eq=2, seed=5):
    """Held-out windows coloured by held-out SAFE rows / random EQs."""
    rng = np.random.default_rng(seed)
    va = np.where(~feats["train"])[0]
    recs, _ = data.safe_rows_clean()
    _, safe_val = data.safe_split(recs)
    sv = np.array([r["params"] for r in safe_val])
    col = train.Colourer(feats["mel_mean"], feats["mel_std"])
    Dva = torch.tensor(feats["D"][va], dtype=torch.float32)
    own = train.own_colouration_torch(Dva, m.neutral)
    P = torch.from_numpy(feats["P"][va])
    src = feats["sources"][va]
    W = torch.tensor(dsp.GRID_W, dtype=torch.float32)
    errs, derrs, srcs = [], [], []
    with torch.no_grad():
        X0 = col.norm(col.logmel(P))
        z0 = m.net(X0)
        r0 = dsp.torch_response_db(m.dec(z0))
        for k in range(n_eq):
            eq = dsp.random_params(len(va), rng)
            eq[:, dsp.GAIN_IDX] *= rng.uniform(0, 0.5, (len(va), 1))
            s = rng.random(len(va)) < 0.5
            eq[s] = sv[rng.integers(0, len(sv), s.sum())]
            eq = torch.tensor(eq)
            X = col.norm(col.logmel(P, eq))
            z = m.net(X)
            r = dsp.torch_response_db(m.dec(z))
            re = dsp.torch_response_db(eq)
            tgt = train.own_colouration_torch(Dva + re, m.neutral)
            e = r - tgt
            mref = torch.tensor(dsp.REF_BAND, dtype=torch.float32)
            e = e - (e * mref).sum(1, keepdim=True) / mref.sum()
            errs.append(((e ** 2 * W).sum(1) / W.sum()).sqrt().numpy())
            d = (r - r0) - (tgt - own)
            d = d - (d * mref).sum(1, keepdim=True) / mref.sum()
            derrs.append(((d ** 2 * W).sum(1) / W.sum()).sqrt().numpy())
            srcs.append(src)
    errs, derrs, srcs = np.concatenate(errs), np.concatenate(derrs), np.concatenate(srcs)
    res["audio_resp_err_median"] = float(np.median(errs))
    res["audio_diff_err_median"] = float(np.median(derrs))
    res["audio_resp_err_by_source"] = {s: float(np.median(errs[srcs == s])) for s in sorted(set(srcs))}
    res["audio_diff_err_by_source"] = {s: float(np.median(derrs[srcs == s])) for s in sorted(set(srcs))}
    res["n_val_windows"] = int(len(va))

    # term retrieval: colour held-out windows with a word's decoded EQ; nearest term by the
    # level-free response of decoder(z_coloured) - decoder(z_clean) ("relative") or by latent
    # distance to the word's z_target ("absolute")
    cand = [w for w in m.names if m.terms["support"][m.names.index(w)][0] > 0]
    aud_hi = [w for i, w in enumerate(m.names) if m.terms["support"][i][0] == 0 and m.terms["support"][i][2] >= 0.5]
    cand += list(np.random.default_rng(1).choice(aud_hi, min(30, len(aud_hi)), replace=False))
    ci = [m.names.index(w) for w in cand]
    zc = m.terms["z"][ci]
    with torch.no_grad():
        tcur = dsp.torch_response_db(m.dec(zc))
    mref = torch.tensor(dsp.REF_BAND, dtype=torch.float32)
    lf = lambda c: c - (c * mref).sum(-1, keepdim=True) / mref.sum()
    tcur = lf(tcur)
    sub = rng.choice(len(va), min(120, len(va)), replace=False)
    hit_rel = hit_abs = hit_rel3 = 0
    tot = 0
    with torch.no_grad():
        for j, w in enumerate(cand):
            eq = m.dec(zc[j:j + 1]).double().repeat(len(sub), 1)
            X = col.norm(col.logmel(P[sub], eq))
            z = m.net(X)
            rel = lf(dsp.torch_response_db(m.dec(z)) - r0[sub])
            d = ((rel[:, None, :] - tcur[None]) ** 2 * W).sum(-1)
            hit_rel += int((d.argmin(1) == j).sum())
            hit_rel3 += int((d.topk(3, largest=False).indices == j).any(1).sum())
            da = ((z[:, None, :] - zc[None]) ** 2).sum(-1)
            hit_abs += int((da.argmin(1) == j).sum())
            tot += len(sub)
    res["retrieval_candidates"] = len(cand)
    res["retrieval_rel_top1"] = hit_rel / tot
    res["retrieval_rel_top3"] = hit_rel3 / tot
    res["retrieval_abs_top1"] = hit_abs / tot
    return errs, derrs, srcs


def eval_clips(m, res, clips: Path):
    files = sorted(clips.glob("music*.wav"))
    sp = sorted(clips.glob("speech*.wav"))
    safe_all = data.safe_all_rows()
    cref = data.crowd_curve_safe(safe_all["warm"]) - data.crowd_curve_safe(safe_all["bright"])
    zw, zb = m.term_z("warm"), m.term_z("bright")
    direction, contrast, cent = [], [], []
    for f in files + sp:
        _, x = read_wav(f)
        za = m.z_audio_windows(x).mean(0)
        yw, _, _ = apply_adaptive(m, x, zw, 1.0, za)
        yb, _, _ = apply_adaptive(m, x, zb, 1.0, za)
        c0, cw, cb = centroid(x), centroid(yw), centroid(yb)
        if f in files:
            direction.append(cw < c0 < cb)
            cent.append((f.name, c0, cw, cb))
        contrast.append(pearson(tbc(yw) - tbc(yb), cref))
    res["centroid_direction"] = f"{sum(direction)}/{len(direction)}"
    res["centroids"] = cent
    res["contrast_r"] = contrast
    # adaptivity as in aeq_metrics.check_adaptivity (same colouring recipe and seed)
    rng = np.random.default_rng(11)
    ratios = {t: [] for t in (0.25, 0.5, 0.75, 1.0)}
    for f in files[:6]:
        _, x = read_wav(f)
        cols = []
        for j in range(6):
            y = signal.sosfilt(dsp.sos(adaptivity_colouring(rng)), x)
            cols.append(y * 0.5 / max(1e-9, np.max(np.abs(y))))
        tin = [tbc(y) for y in cols]
        zas = [m.z_audio_windows(y).mean(0) for y in cols]
        for t in ratios:
            tout = [tbc(apply_adaptive(m, y, zw, t, za)[0]) for y, za in zip(cols, zas)]
            ratios[t].append(spread(tout) / spread(tin))
    res["adaptivity"] = {str(t): float(np.median(v)) for t, v in ratios.items()}


# ------------------------------------------------------------------ neutral reference study
STUDY_GRID = [(0.0, 1.0, 18.0), (0.0, 0.9, 18.0), (0.0, 0.8, 18.0), (-0.25, 1.0, 18.0), (-0.25, 0.9, 18.0),
              (-0.25, 0.8, 18.0), (-0.5, 0.9, 18.0), (-0.5, 0.8, 18.0), (-0.5, 0.7, 12.0), (-1.0, 0.6, 18.0)]


def neutral_study(m, res, feats, clips: Path, grid=None):
    """Oracle study: the audio's own colouration is the decoder fit of its measured deviation
    (no encoder error), for several neutral references. Reports pink-noise term fidelity,
    warm/bright centroid direction on held-out music windows and clips."""
    safe_all = data.safe_all_rows()
    va = np.where(~feats["train"])[0]
    src = feats["sources"][va]
    music = va[np.isin(src, ["music21", "sonicpi"])]
    clip_files = sorted(clips.glob("music*.wav"))
    clip_D, clip_P = [], []
    for f in clip_files:
        _, x = read_wav(f)
        clip_D.append(dsp.smoothed_spectrum_db(x))
        fr, Pw = signal.welch(x, dsp.FS, nperseg=4096)
        clip_P.append(Pw)
    # long-term spectra of held-out music windows (power at Welch bins, from the grid curve)
    pink_D = dsp.smoothed_spectrum_db(pink_noise())
    mean_music = dsp.level_free(feats["D"][feats["train"] & np.isin(feats["sources"], ["music21", "sonicpi"])]
                                - dsp.pink_reference_db()).mean(0)
    res["music_mean_dev_vs_pink"] = {f"{f:.0f}": float(np.interp(np.log(f), np.log(dsp.GRID), mean_music))
                                     for f in (50, 100, 1000, 4000, 10000, 16000)}
    zw, zb = m.term_z("warm"), m.term_z("bright")
    rw, rb = dsp.response_db(m.params(torch.stack([zw, zb])))  # term responses on grid
    fgrid = np.fft.rfftfreq(4096, 1 / dsp.FS)

    def gain_on(fr, curve_db):
        return 10 ** (np.interp(np.log(np.maximum(fr, 1)), np.log(dsp.GRID), curve_db) / 10)

    rows = []
    for tilt, scale, lim in (grid or STUDY_GRID):
        if True:
            nt = dict(kind="pink", tilt_db_per_oct=tilt, soft_limit_db=lim, own_scale=scale)
            own_pink = train.own_colouration(pink_D[None], nt)
            own_clip = train.own_colouration(np.array(clip_D), nt)
            own_win = train.own_colouration(feats["D"][music], nt)
            # oracle: the measured (soft-limited, scaled) colouration itself, no encoder/decoder error
            fit = np.concatenate([own_pink, own_clip, own_win])
            fp, fc, fw = fit[0], fit[1:1 + len(clip_D)], fit[1 + len(clip_D):]
            # term fidelity on pink: r(resp(target) - resp(own_pink), crowd)
            safe_r = []
            for w, rr in (("warm", rw), ("bright", rb)):
                tc = np.interp(np.log(dsp.BANDS), np.log(dsp.GRID), rr - fp)
                safe_r.append(pearson(tc, data.crowd_curve_safe(safe_all[w])))
            # centroid direction: windows (from the smoothed spectra) and clips (Welch)
            ok_w = 0
            for d, own in zip(feats["D"][music], fw):
                Pw = 10 ** (d / 10)
                c0 = (dsp.GRID * Pw).sum() / Pw.sum()
                gw, gb = 10 ** ((rw - own) / 10), 10 ** ((rb - own) / 10)
                cw = (dsp.GRID * Pw * gw).sum() / (Pw * gw).sum()
                cb = (dsp.GRID * Pw * gb).sum() / (Pw * gb).sum()
                ok_w += cw < c0 < cb
            ok_c = 0
            for Pw, own in zip(clip_P, fc):
                c0 = (fgrid * Pw).sum() / Pw.sum()
                gw, gb = gain_on(fgrid, rw - own), gain_on(fgrid, rb - own)
                ok_c += ((fgrid * Pw * gw).sum() / (Pw * gw).sum() < c0 < (fgrid * Pw * gb).sum() / (Pw * gb).sum())
            # oracle adaptivity: each held-out clip coloured 6 ways as in aeq_metrics; output
            # deviation = input deviation - own colouration estimate (+ the same target)
            rng = np.random.default_rng(11)
            ratios = []
            for d in clip_D:
                ins, outs = [], []
                for j in range(6):
                    dk = d + dsp.response_db(adaptivity_colouring(rng))
                    ok_ = dk - train.own_colouration(dk[None], nt)[0]
                    ins.append(band_curve(dk))
                    outs.append(band_curve(ok_))
                ratios.append(spread(outs) / spread(ins))
            rows.append(dict(tilt=tilt, own_scale=scale, limit=lim, adapt_oracle=float(np.median(ratios)), pink_own_rms=float(np.sqrt(np.mean(
                dsp.level_free(fp) ** 2))), warm_r=safe_r[0], bright_r=safe_r[1],
                dir_windows=ok_w / len(music), dir_clips=f"{ok_c}/{len(clip_P)}",
                adapt_ratio_ideal=1 - scale))
    res["neutral_study"] = rows
    return mean_music


# ------------------------------------------------------------------ report
def plots(m, ae, fid_curves, mean_music, errs, derrs, srcs, res):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    PLOTS.mkdir(parents=True, exist_ok=True)
    # 1 reconstruction
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    ax[0].hist(ae["rms"], 40, alpha=0.7, label="held-out SAFE-DB rows")
    ax[0].hist(ae["rmsr"], 40, alpha=0.5, label="random settings")
    ax[0].set_xlabel("response reconstruction error (dB RMS)"); ax[0].legend()
    ax[1].plot(dsp.GRID, np.sqrt((ae["err"] ** 2).mean(0)))
    ax[1].set_xscale("log"); ax[1].set_xlabel("Hz"); ax[1].set_ylabel("dB RMS (held-out SAFE)")
    fig.tight_layout(); fig.savefig(PLOTS / "reconstruction.png", dpi=90); plt.close(fig)
    # 2 latent
    zt, wt = ae["zt"], ae["wt"]
    zz = zt - zt.mean(0)
    _, _, vt = np.linalg.svd(zz, full_matrices=False)
    pc = zz @ vt[:2].T
    tz = (m.terms["z"].numpy() - zt.mean(0)) @ vt[:2].T
    fig, ax = plt.subplots(figsize=(6, 5))
    for w, c in (("warm", "tab:orange"), ("bright", "tab:blue")):
        ax.scatter(*pc[wt == w].T, s=4, c=c, alpha=0.4, label=f"SAFE rows: {w}")
    oth = ~np.isin(wt, ["warm", "bright"])
    ax.scatter(*pc[oth].T, s=4, c="grey", alpha=0.3, label="SAFE rows: other words")
    ax.scatter(*tz.T, s=6, c="k", marker="x", alpha=0.5, label="term table")
    for w in ("warm", "bright", "airy", "muddy", "boomy", "thin", "tinny", "dark", "harsh"):
        if w in m.names:
            ax.annotate(w, tz[m.names.index(w)], fontsize=9, weight="bold")
    ax.legend(fontsize=7); ax.set_title("EQ latent space (PCA of z)")
    fig.tight_layout(); fig.savefig(PLOTS / "latent.png", dpi=90); plt.close(fig)
    # 3 term curves
    safe_all = data.safe_all_rows()
    centres, aud = data.audealize_words()
    ab = {a["word"]: a for a in aud}
    words = ["warm", "bright", "airy", "muddy", "boomy", "thin"] + [w for w in ("tinny", "harsh", "dark", "crisp",
                                                                             "mellow", "heavy") if w in ab]
    words = [w for w in words if w in m.names][:12]
    fig, axs = plt.subplots(3, 4, figsize=(13, 8))
    for a_, w in zip(axs.flat, words):
        i = m.names.index(w)
        tc = fid_curves[i] - res["_pink_curve"]
        a_.plot(dsp.BANDS, tc, label="term curve (pink, intensity 1)")
        if w in safe_all and len(safe_all[w]) >= 5:
            a_.plot(dsp.BANDS, data.crowd_curve_safe(safe_all[w]), "--", label="SAFE-DB crowd (median)")
        if w in ab:
            a_.plot(dsp.BANDS, res["audealize_scale"] * data.interp_curve(centres, ab[w]["curve"], dsp.BANDS), ":",
                    label="Audealize crowd (scaled)")
        a_.set_xscale("log"); a_.set_title(w); a_.grid(alpha=0.3)
    axs.flat[0].legend(fontsize=7)
    fig.tight_layout(); fig.savefig(PLOTS / "term_curves.png", dpi=90); plt.close(fig)
    # 4 fidelity histogram
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(list(res["_fid"]["aud"].values()), 30, alpha=0.7, label="Audealize words, agreement >= 0.5")
    for w, r in res["_fid"]["safe"].items():
        ax.axvline(r, c="tab:red", alpha=0.6)
    ax.axvline(np.nan, c="tab:red", label="SAFE-DB words (>= 5 rows)")
    ax.set_xlabel("Pearson r, term curve vs crowd curve"); ax.legend(fontsize=8)
    fig.tight_layout(); fig.savefig(PLOTS / "fidelity.png", dpi=90); plt.close(fig)
    # 5 audio encoder errors, neutral
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.5))
    for s in sorted(set(srcs)):
        ax[0].hist(derrs[srcs == s], 40, alpha=0.5, label=s, density=True)
    ax[0].set_xlabel("EQ-difference error of the audio encoder (dB RMS, held-out windows)"); ax[0].legend()
    ax[1].plot(dsp.GRID, mean_music, label="mean training music vs pink (level-free)")
    ax[1].axhline(0, c="k", lw=0.5); ax[1].set_xscale("log"); ax[1].set_xlabel("Hz"); ax[1].set_ylabel("dB")
    ax[1].legend()
    fig.tight_layout(); fig.savefig(PLOTS / "audio_encoder.png", dpi=90); plt.close(fig)
    # 6 adaptivity
    fig, ax = plt.subplots(figsize=(5, 3.5))
    t = [float(k) for k in res["adaptivity"]]
    ax.plot([0] + t, [1.0] + list(res["adaptivity"].values()), "o-")
    ax.axhline(0.5, ls="--", c="r"); ax.set_xlabel("intensity"); ax.set_ylabel("spread(out)/spread(in)")
    ax.set_title("simulated adaptivity (warm, held-out music)")
    fig.tight_layout(); fig.savefig(PLOTS / "adaptivity.png", dpi=90); plt.close(fig)


def write_report(res, path: Path):
    f = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)
    ns = "\n".join(
        f"| {r['tilt']:+.2f} | {r['own_scale']:.2f} | {r['limit']:g} | {r['pink_own_rms']:.2f} | {r['warm_r']:.3f} | {r['bright_r']:.3f} |"
        f" {r['dir_windows']:.0%} | {r['dir_clips']} | {r['adapt_oracle']:.2f} |" for r in res["neutral_study"])
    safe_rows = "\n".join(f"| {w} | {r:.3f} | {res['_fid']['safe_flat'][w]:.3f} |"
                          for w, r in sorted(res["_fid"]["safe"].items()))
    cents = "\n".join(f"| {n} | {c0:.0f} | {cw:.0f} | {cb:.0f} |" for n, c0, cw, cb in res["centroids"])
    by_src = ", ".join(f"{k} {v:.2f}" for k, v in res["audio_diff_err_by_source"].items())
    by_src2 = ", ".join(f"{k} {v:.2f}" for k, v in res["audio_resp_err_by_source"].items())
    cr = np.array(res["contrast_r"])
    text = f"""# AdaptiveEQ model: evaluation report

Generated by `python -m training.evaluate` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}
from `{res['ckpt']}` (trained by `python -m training.train`, seed {res['seed']}).
Audio figures use the held-out split of the corpus built by `training/corpus.py` (music21 scores
rendered with FluidSynth/TimGM6mb, Sonic Pi loops, espeak-ng speech, coloured noise) and the
held-out clips in `build/clips`; they are **not** the evaluation recordings of EVALUATION.md,
which the project never sees. "Simulated" figures apply one static EQ per clip computed from
the clip-average analysis in numpy/scipy (the engine re-analyses every 2048 samples).

## Summary against EVALUATION.md

| figure | measured | target |
|---|---|---|
| semantic fidelity, SAFE-DB words with >= 5 rows (term curve on pink, intensity 1) | min r {f(res['safe_r_min'])}, {res['safe_r_pass']}/{res['safe_words_scored']} words r >= 0.9 | r >= 0.9 each |
| semantic fidelity, Audealize words with agreement >= 0.5 ({res['aud_words_scored']} words) | median r {f(res['aud_r_median'])} | median r >= 0.8 |
| term curve measured on processed pink noise (TBC out-in), warm / bright | {res['pink_measured_r']['warm']:.3f} / {res['pink_measured_r']['bright']:.3f} | r >= 0.9 |
| warm/bright centroid direction, held-out music clips (simulated) | {res['centroid_direction']} | all |
| warm-bright contrast r >= 0.9 (simulated, music+speech clips) | {np.mean(cr >= 0.9):.0%} of {len(cr)} (median r {np.median(cr):.3f}) | >= 90 % |
| adaptivity spread ratio, warm, intensity 1 (simulated) | {res['adaptivity']['1.0']:.3f} | <= 0.5 |
| adaptivity vs intensity 0.25 / 0.5 / 0.75 / 1 | {' / '.join(f'{v:.3f}' for v in res['adaptivity'].values())} | falls monotonically |

## EQ autoencoder (13 parameters <-> 32-D)

Response reconstruction (dB RMS on the 96-point log grid 20 Hz-20 kHz, 44.1 kHz):
held-out SAFE-DB rows ({res['n_safe_val']}): median {f(res['recon_safe_val_median'])}, mean
{f(res['recon_safe_val_mean'])}, 90th percentile {f(res['recon_safe_val_p90'])};
random settings over the full ranges: median {f(res['recon_random_median'])}, 90th percentile
{f(res['recon_random_p90'])}. Different settings with the same response are the same
colouration, so parameters are not compared.

Clustering: held-out warm/bright rows assigned to the nearer word centroid of the training
rows: {res['cluster_warm_bright_acc']:.1%} in the latent space ({res['cluster_n']} rows)
vs {res['cluster_warm_bright_acc_response']:.1%} using the response curves themselves (the
ceiling the data allows: many users' warm and bright settings overlap).

![reconstruction](plots/reconstruction.png) ![latent](plots/latent.png)

## Term table

{res['n_terms']} words: {res['n_safe_terms']} SAFE-DB words (>= 5 clean rows) and
{res['n_terms'] - res['n_safe_terms']} Audealize words. Audealize curves are in relative units; they
are scaled by {res['audealize_scale']:.2f} dB/unit, the least-squares fit of the Audealize curves
onto the SAFE-DB median curves of the words both share. SAFE-DB words excluded by the
cleaning rule (see training/README.md): {', '.join(res['safe_missing']) or 'none'}.

Semantic fidelity per SAFE-DB word (Pearson r at the 28 third-octave centres; crowd curve =
median response of all that word's rows, as the evaluator groups them):

| word | r, term curve on pink | r, decoder(z_target) alone |
|---|---|---|
{safe_rows}

Audealize words with agreement >= 0.5: median r {f(res['aud_r_median'])} (decoder alone:
{f(res['aud_r_median_flat'])}). Pink noise's own colouration as decoded from the encoder: RMS
{res['pink_own_curve_rms_db']:.2f} dB (level-free) across the bands.

![term curves](plots/term_curves.png) ![fidelity](plots/fidelity.png)

## Audio encoder

Held-out windows ({res['n_val_windows']} x 2 colourations by held-out SAFE-DB rows and random
EQs): level-free response error of decoder(z_audio) against the target (the coloured
window's own colouration, as trained) median {res['audio_resp_err_median']:.2f} dB RMS ({by_src2}); error of the colouration
*difference* decoder(z_coloured) - decoder(z_clean) against the target difference (the EQ's
response after the scale and soft limit; what adaptivity depends on) median {res['audio_diff_err_median']:.2f} dB RMS ({by_src}).

Term retrieval from audio ({res['retrieval_candidates']} candidate words: SAFE-DB terms and 30
Audealize words; 120 held-out windows each): held-out windows coloured by a word's EQ; nearest word by the decoded
colouration change: top-1 {res['retrieval_rel_top1']:.1%}, top-3 {res['retrieval_rel_top3']:.1%};
nearest word by latent distance of z_audio itself (no clean reference, the audio's own
colouration included): top-1 {res['retrieval_abs_top1']:.1%}.

Simulated warm/bright on held-out music clips (spectral centroid, Hz):

| clip | input | warm | bright |
|---|---|---|---|
{cents}

![audio encoder](plots/audio_encoder.png) ![adaptivity](plots/adaptivity.png)

## Neutral reference

Mean level-free deviation of the training music from pink noise (dB):
{', '.join(f'{k} Hz {v:+.1f}' for k, v in res['music_mean_dev_vs_pink'].items())}.

Oracle study (the audio's own colouration = its measured, soft-limited deviation; no encoder
or decoder error): reference = pink tilted by `tilt` dB/octave about 1 kHz, own colouration scaled by
`scale`. Columns: RMS of pink noise's own decoded colouration, warm/bright term-curve r on
pink, fraction of held-out music windows / clips where warm lowers and bright raises the
centroid, and the adaptivity spread ratio of the held-out music clips coloured six ways as
in aeq_metrics.py (target <= 0.5).

| tilt dB/oct | scale | limit dB | pink own RMS dB | warm r | bright r | direction (windows) | direction (clips) | adaptivity (oracle) |
|---|---|---|---|---|---|---|---|---|
{ns}

Chosen: {res['neutral_sentence']}

## Known limitations

* The audio encoder's shape is fixed by docs/MODEL_FORMAT.md: after the convolutions the mel
  axis is averaged into four regions (about 20-940 Hz, 0.94-2.9 kHz, 2.9-7 kHz, 7-16 kHz), so
  the encoder sees level and slope per region, not narrow peaks. Its decoded colouration
  misses fine detail of the target (response error above), and narrow-band EQ changes are
  tracked only in their broad effect.
* The corpus is synthetic (General-MIDI renders, Sonic Pi loops, espeak-ng speech, noise). The
  GM renders are much darker than commercial mixes, espeak-ng speech has no content above
  11 kHz, so figures on real recordings will differ; the neutral-reference trade-off was
  measured on this material.
* Simulated product figures use one static EQ per clip from the clip-average analysis; the
  engine's streaming analysis, smoothing and interpolation are not simulated here. The
  figures that count are measured on the CLI with ../shared/tools/aeq_metrics.py.
* Term retrieval from audio is weak: many words (especially Audealize's) have strongly
  correlated curves, and the encoder's four-region view cannot separate them.
* Training budget: the shipped model uses 2,000 EQ-autoencoder steps and 1,200 audio-encoder
  steps (batch 64), chosen to finish on two heavily shared cores; losses were still falling.
"""
    path.write_text(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", type=Path, default=ROOT / "build" / "train" / "model.pt")
    ap.add_argument("--clips", type=Path, default=ROOT / "build" / "clips")
    ap.add_argument("--features", type=Path, default=ROOT / "build" / "train" / "features.npz")
    ap.add_argument("--skip-study", action="store_true")
    ap.add_argument("--study-only", action="store_true", help="print the neutral-reference study and exit")
    a = ap.parse_args()
    torch.set_num_threads(2)
    from .export import neutral_sentence
    m = Model(a.ckpt)
    res = dict(ckpt=str(a.ckpt.relative_to(ROOT)), seed=m.ck.get("seed"), n_terms=len(m.names),
               n_safe_terms=int(m.terms["n_safe"]), audealize_scale=float(m.terms["audealize_scale"]),
               neutral_sentence=neutral_sentence(m.neutral))
    t0 = time.time()
    if a.study_only:
        feats = dict(np.load(a.features))
        neutral_study(m, res, feats, a.clips)
        print(json.dumps(res["music_mean_dev_vs_pink"]))
        for r in res["neutral_study"]:
            print(r)
        return
    ae = eval_autoencoder(m, res)
    pc = eval_pink_measured(m, res)
    res["_pink_curve"] = pc
    fid, curves = eval_fidelity(m, res, pc)
    res["_fid"] = fid
    print(f"fidelity done {time.time() - t0:.0f}s", flush=True)
    feats = dict(np.load(a.features))
    errs, derrs, srcs = eval_audio_windows(m, res, feats)
    print(f"audio windows done {time.time() - t0:.0f}s", flush=True)
    eval_clips(m, res, a.clips)
    print(f"clips done {time.time() - t0:.0f}s", flush=True)
    if a.skip_study:
        res["neutral_study"] = []
        mean_music = np.zeros(dsp.N_GRID)
        res["music_mean_dev_vs_pink"] = {}
    else:
        mean_music = neutral_study(m, res, feats, a.clips)
    plots(m, ae, curves, mean_music, errs, derrs, srcs, res)
    write_report(res, OUT / "REPORT.md")
    js = {k: v for k, v in res.items() if not k.startswith("_")}
    js["safe_r"] = res["_fid"]["safe"]
    (OUT / "artifacts").mkdir(exist_ok=True)
    (OUT / "artifacts" / "metrics.json").write_text(json.dumps(js, indent=1, default=float))
    print(json.dumps({k: v for k, v in js.items() if k not in ("centroids", "neutral_study")}, indent=1,
                     default=float))


if __name__ == "__main__":
    main()
