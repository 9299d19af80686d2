"""Evaluate a trained model on the real-music test split and write training/REPORT.md with plots.

    python -m training.evaluate [--ckpt build/train/model.pt] [--real build/real]

Model-side figures (the product's own figures come from `make eval`, through the CLI):
  * EQ autoencoder response reconstruction on held-out SAFE-DB rows; warm/bright clustering;
  * semantic fidelity: term curve (decoder(z_target) followed by the inverse of
    decoder(z_audio(pink)), i.e. the EQ on pink noise at intensity 1) vs crowd curve;
  * on the real test clips (build/real/clips, per genre), with one EQ per clip from the mean of
    its windows' analyses ("simulated"): the colouration estimate of unprocessed recordings, the
    recovery of known +-6 dB colourings, word direction and bounded EQ at intensity 0.7, and the
    adaptivity spread ratio at intensities 0.25-1.
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

from . import data, dsp
from .model import AudioEncoder, EQDecoder, EQEncoder, LogMel

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "training"
PLOTS = OUT / "plots"
MID = (dsp.BANDS >= 40) & (dsp.BANDS <= 12500)
WORDS = ("warm", "bright", "airy", "boomy")


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
        # The engine scales the encoder's latent by the model's calibrated colouration gain.
        self.gain = float(ck.get("colouration_gain", 1.0))
        held = data.heldout_words()
        keep = [i for i, w in enumerate(self.names) if w not in held]  # as exported
        self.names = [self.names[i] for i in keep]
        self.term_table = self.terms["z"][keep]

    @torch.no_grad()
    def z_audio_windows(self, x, hop=44100):
        x = torch.tensor(np.asarray(x, np.float32))
        n = dsp.WINDOW_SAMPLES
        starts = list(range(0, max(1, len(x) - n + 1), hop))
        segs = torch.stack([x[s:s + n] for s in starts])
        L = self.lm(segs)
        X = (L - self.mean[:, None]) / self.std[:, None]
        return self.net(X) * self.gain

    @torch.no_grad()
    def params(self, z):
        return self.dec(torch.as_tensor(z, dtype=torch.float32).reshape(-1, dsp.LATENT)).double().numpy()

    def term_z(self, word):
        return self.term_table[self.names.index(word)]


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
        P = m.params(m.term_table)
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


def pink_own_curve(m):
    """decoder(z_audio) of pink noise at the band centres (what the engine corrects on pink)."""
    za = m.z_audio_windows(pink_noise())
    return dsp.response_db(m.params(za), dsp.BANDS).mean(0)


PEAK_GRID = 20.0 * 1000.0 ** (np.arange(0, 120) / 119.0)  # 20 Hz .. 20 kHz, ~12 points per octave


def word_scale(m, zt, intensity, steps=11, flat_peak_db=0.75):
    """WordIntensity.latentScale: the latent scale at which decoder(scale·z_target) peaks at
    intensity × its full peak (dB, 20 Hz - 20 kHz), by bisection."""
    if intensity <= 0 or intensity >= 1:
        return float(intensity)
    zt = np.asarray(zt, float)
    peak = lambda s: float(np.abs(dsp.response_db(m.params(s * zt)[0], PEAK_GRID)).max())
    full = peak(1.0)
    if full < flat_peak_db:
        return float(intensity)
    lo, hi = 0.0, 1.0
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if peak(mid) < intensity * full else (lo, mid)
    return 0.5 * (lo + hi)


def own_colouration_share(intensity, gentle=0.35):
    """StreamingAdaptiveEQ.ownColourationShare."""
    return gentle * intensity + (1 - gentle) * intensity ** 8


def applied_curve(m, za, zt, intensity):
    """Applied response (band centres, dB) for one analysis, as the engine forms it
    (StreamingAdaptiveEQ.analyse): z_current = share(i)·z_audio, z_final = (1 − i)·z_current +
    λ(i)·z_target (word_scale), then the inverse of decoder(z_current). The correction limit is
    not simulated (the CLI figures include it)."""
    zt = np.asarray(zt, float)
    zc = own_colouration_share(intensity) * np.asarray(za, float)
    zf = (1 - intensity) * zc + word_scale(m, zt, intensity) * zt
    return dsp.response_db(m.params(zf)[0], dsp.BANDS) - dsp.response_db(m.params(zc)[0], dsp.BANDS)


def eval_real(m, res, clips: Path):
    """Per clip: own colouration (unprocessed), recovery of known colourings, word direction and
    bounded EQ at 0.7, adaptivity at four intensities. One EQ per clip from the mean analysis."""
    src = {s["clip"]: s for s in json.loads((clips / "SOURCES.json").read_text())}
    safe_all = data.safe_all_rows()
    crowd = {w: data.crowd_curve_safe(safe_all[w]) for w in WORDS}
    rows = []
    for path in sorted(clips.glob("music*.wav")):
        fs, x = read_wav(path)
        za = m.z_audio_windows(x).mean(0)
        own = dsp.response_db(m.params(za)[0], dsp.BANDS)
        own = own - own[(dsp.BANDS >= 100) & (dsp.BANDS <= 10000)].mean()
        r = dict(clip=path.name, genre=src.get(path.name, {}).get("genre", "?"),
                 own_rms=float(np.sqrt(np.mean(own[MID] ** 2))), own_max=float(np.abs(own[MID]).max()))
        for w in WORDS:
            a = applied_curve(m, za, m.term_z(w), 0.7)
            r[f"{w}_r"] = pearson(a[MID], crowd[w][MID])
            r[f"{w}_max"] = float(np.abs(a[MID]).max())
        rng = np.random.default_rng(11)
        ins, outs, errs = [], {i: [] for i in (0.25, 0.5, 0.75, 1.0)}, []
        for _ in range(6):
            p = adaptivity_colouring(rng)
            y = signal.sosfilt(dsp.sos(p), x)
            zc = m.z_audio_windows(y).mean(0)
            t_in = tbc(y)
            ins.append(t_in)
            h = dsp.response_db(p, dsp.BANDS)
            est = dsp.response_db(m.params(zc)[0], dsp.BANDS) - dsp.response_db(m.params(za)[0], dsp.BANDS)
            e = (est - h) - (est - h)[(dsp.BANDS >= 100) & (dsp.BANDS <= 10000)].mean()
            errs.append(float(np.sqrt(np.mean(e[MID] ** 2))))
            for i in outs:
                outs[i].append(t_in + applied_curve(m, zc, m.term_z("warm"), i))
        r["recovery_rms_err"] = float(np.mean(errs))
        for i, o in outs.items():
            r[f"adapt_{i}"] = spread(o) / spread(ins)
        rows.append(r)
        print(f"  {path.name}: own {r['own_rms']:.1f} dB rms, warm r {r['warm_r']:+.2f}, bright r "
              f"{r['bright_r']:+.2f}, adaptivity {r['adapt_1.0']:.2f}", flush=True)
    res["real"] = rows
    allr = np.array([r[f"{w}_r"] for r in rows for w in ("warm", "bright")])
    res["real_summary"] = dict(
        clips=len(rows), warm_r_median=float(np.median([r["warm_r"] for r in rows])),
        bright_r_median=float(np.median([r["bright_r"] for r in rows])),
        frac_r_ge_03=float(np.mean(allr >= 0.3)),
        frac_bounded=float(np.mean([r[f"{w}_max"] <= 9 for r in rows for w in WORDS])),
        own_rms_median=float(np.median([r["own_rms"] for r in rows])),
        own_max_median=float(np.median([r["own_max"] for r in rows])),
        recovery_rms_err_median=float(np.median([r["recovery_rms_err"] for r in rows])),
        adapt={str(i): float(np.median([r[f"adapt_{i}"] for r in rows])) for i in (0.25, 0.5, 0.75, 1.0)})


def plots(m, fid, curves, pink_curve, res):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    PLOTS.mkdir(parents=True, exist_ok=True)
    safe_all = data.safe_all_rows()
    fig, axs = plt.subplots(1, 2, figsize=(11, 4))
    for ax, w in zip(axs, ("warm", "bright")):
        i = m.names.index(w)
        ax.semilogx(dsp.BANDS, curves[i] - pink_curve, label="term curve (pink, intensity 1)")
        ax.semilogx(dsp.BANDS, data.crowd_curve_safe(safe_all[w]), "--", label="SAFE-DB crowd (median)")
        ax.set_title(f"{w}: r {fid['safe'][w]:.3f}"), ax.set_xlabel("Hz"), ax.set_ylabel("dB"), ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout(), fig.savefig(PLOTS / "term_curves.png", dpi=90), plt.close(fig)
    rows = res["real"]
    genres = sorted({r["genre"] for r in rows})
    fig, axs = plt.subplots(1, 3, figsize=(13, 4))
    for g in genres:
        rr = [r for r in rows if r["genre"] == g]
        axs[0].scatter([r["warm_r"] for r in rr], [r["bright_r"] for r in rr], label=g)
        axs[1].scatter([r["own_rms"] for r in rr], [r["adapt_1.0"] for r in rr], label=g)
    axs[0].set_xlabel("warm r (0.7)"), axs[0].set_ylabel("bright r (0.7)"), axs[0].axvline(0.8, ls=":")
    axs[0].axhline(0.8, ls=":"), axs[0].legend(fontsize=8)
    axs[1].set_xlabel("own colouration estimate, dB rms"), axs[1].set_ylabel("adaptivity ratio, intensity 1")
    ii = [0.25, 0.5, 0.75, 1.0]
    axs[2].plot(ii, [res["real_summary"]["adapt"][str(i)] for i in ii], "o-")
    axs[2].axhline(0.5, ls=":"), axs[2].set_xlabel("intensity"), axs[2].set_ylabel("median spread ratio")
    for ax in axs:
        ax.grid(alpha=0.3)
    fig.tight_layout(), fig.savefig(PLOTS / "real_music.png", dpi=90), plt.close(fig)


def write_report(res, path: Path):
    s = res["real_summary"]
    genres = sorted({r["genre"] for r in res["real"]})
    per_genre = "\n".join(
        f"| {g} | {len(rr)} | {np.median([r['warm_r'] for r in rr]):+.2f} | {np.median([r['bright_r'] for r in rr]):+.2f}"
        f" | {np.median([r['own_rms'] for r in rr]):.1f} | {np.median([r['recovery_rms_err'] for r in rr]):.1f}"
        f" | {np.median([r['adapt_1.0'] for r in rr]):.2f} |"
        for g in genres for rr in [[r for r in res["real"] if r["genre"] == g]])
    txt = f"""# AdaptiveEQ model: evaluation report

Generated by `python -m training.evaluate` on {res['date']} from `{res['ckpt']}`.
Real-music figures use the {s['clips']} test clips of the real-music corpus (`build/real/clips`, tracks never
used in training; `python -m training.real_corpus`). "Simulated" = one EQ per clip from the mean of its
windows' analyses, applied in numpy; the product's own figures are in docs/EVALUATION_REPORT.md (`make eval`).

| figure | measured | target (EVALUATION.md) |
|---|---|---|
| semantic fidelity, SAFE-DB words with >= 5 rows (term curve on pink, intensity 1) | {res['safe_r_pass']}/{res['safe_words_scored']} words r >= 0.9, min {res['safe_r_min']:.3f} | r >= 0.9 each |
| semantic fidelity, Audealize training words with agreement >= 0.5 ({res['aud_words_scored']}) | median r {res['aud_r_median']:.3f} | median >= 0.8 |
| own colouration of pink noise (decoded, dB RMS over the bands) | {res['pink_own_rms']:.2f} | small |
| word direction at 0.7, median r warm / bright (simulated) | {s['warm_r_median']:+.2f} / {s['bright_r_median']:+.2f} | >= 0.8 each |
| (clip, word) pairs with r >= 0.3 | {s['frac_r_ge_03']:.0%} | >= 90 % |
| bounded EQ at 0.7, warm/bright/airy/boomy: max abs applied <= 9 dB | {s['frac_bounded']:.0%} of pairs | >= 95 % |
| own colouration estimate on unprocessed recordings, median RMS / median max (dB, 40 Hz-12.5 kHz) | {s['own_rms_median']:.2f} / {s['own_max_median']:.2f} | small |
| recovery of known +-6 dB colourings, median RMS error (dB) | {s['recovery_rms_err_median']:.2f} | — |
| adaptivity spread ratio, warm, intensity 0.25 / 0.5 / 0.75 / 1 (simulated) | {' / '.join(f"{v:.2f}" for v in s['adapt'].values())} | <= 0.5 at 1, falling |

## Per genre (medians)

| genre | clips | warm r | bright r | own colouration dB RMS | recovery error dB RMS | adaptivity |
|---|---|---|---|---|---|---|
{per_genre}

## EQ autoencoder

Response reconstruction on {res['n_safe_val']} held-out SAFE-DB rows: median {res['recon_safe_val_median']:.3f} dB RMS
(90th percentile {res['recon_safe_val_p90']:.3f}); random settings: median {res['recon_random_median']:.3f} dB RMS.
Warm/bright nearest-centroid accuracy of held-out rows in the latent space {res['cluster_warm_bright_acc']:.0%}
(in the response domain {res['cluster_warm_bright_acc_response']:.0%}).

![term curves](plots/term_curves.png)
![real music](plots/real_music.png)
"""
    path.write_text(txt)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, default=ROOT / "build" / "train" / "model.pt")
    ap.add_argument("--real", type=Path, default=ROOT / "build" / "real")
    ap.add_argument("--no-report", action="store_true", help="print the figures only")
    a = ap.parse_args()
    torch.set_num_threads(1)
    m = Model(a.ckpt)
    res = dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), ckpt=str(a.ckpt.relative_to(ROOT))
               if a.ckpt.is_absolute() and ROOT in a.ckpt.parents else str(a.ckpt))
    eval_autoencoder(m, res)
    pc = pink_own_curve(m)
    res["pink_own_rms"] = float(np.sqrt(np.mean((pc - pc.mean()) ** 2)))
    fid, curves = eval_fidelity(m, res, pc)
    eval_real(m, res, a.real / "clips")
    summary = {k: v for k, v in res.items() if k != "real"}
    print(json.dumps(summary, indent=1))
    if not a.no_report:
        plots(m, fid, curves, pc, res)
        (OUT / "artifacts").mkdir(exist_ok=True)
        (OUT / "artifacts" / "metrics.json").write_text(json.dumps(res, indent=1))
        write_report(res, OUT / "REPORT.md")


if __name__ == "__main__":
    main()
