"""How the open vocabulary's mapping is chosen and measured (docs/VOCABULARY.md).

    python -m training.open_vocab --select     # cross-validation on the Audealize training words
    python -m training.open_vocab --evaluate   # the written table on the held-out words, once

The selection never sees the held-out words (data.heldout_words); --evaluate reads them only to
measure the table already written.
"""
from __future__ import annotations

import numpy as np

from . import data, dsp
from . import open_vocab as ov
from aeq.crowd import edit_distance  # noqa: E402  (dsp puts python/ on the path)

MID = (dsp.BANDS >= 40) & (dsp.BANDS <= 12500)
TEMPLATE_SETS = {"'a W sound'": ("a {} sound",), "'the sound is W'": ("the sound is {}",),
                 "'W timbre'": ("{} timbre",), "'W tone'": ("{} tone",),
                 "mean of the four": ("a {} sound", "the sound is {}", "{} timbre", "{} tone")}
METHODS = [("knn", t) for t in (0.01, 0.02, 0.03, 0.05)] + [("ridge", r) for r in (0.1, 0.3, 1.0, 3.0)] + [("axis", 0)]
FOLDS, REPEATS = 5, 6


def pearson_mid(a, b):
    return float(np.corrcoef(a[MID], b[MID])[0, 1])


def on_bands(curves):
    return np.array([np.interp(np.log(dsp.BANDS), np.log(dsp.GRID), c) for c in curves])


def shape(c):
    """A curve's shape over 40 Hz-12.5 kHz: level removed, unit length (r is a dot product of shapes)."""
    c = c[MID] - c[MID].mean()
    return c / np.linalg.norm(c)


class Study:
    """Repeated FOLDS-fold cross-validation over the Audealize training words of the term table
    (SAFE-DB words always train): r of each predicted curve against the word's crowd curve (the
    held-out figure's measure). Besides all words, two subsets of words with a clearer tonal
    meaning: crowd agreement >= 0.5, and a clear tilt (|place on the crowd curves' first
    principal component| at least the median)."""

    def __init__(self, lw):
        self.lw, self.w = lw, ov.weights(lw["support"])
        centres, aud = data.audealize_words()
        crowd = {a["word"]: data.interp_curve(centres, a["curve"], dsp.BANDS) for a in aud}
        agreement = {a["word"]: a["agreement"] for a in aud}
        names = lw["names"]
        self.aud = np.array([i for i, n in enumerate(names) if lw["support"][i, 0] == 0 and n in crowd])
        self.crowd = np.array([shape(crowd[names[i]]) for i in self.aud])
        m = self.crowd.mean(0)
        self.axis = np.linalg.svd(self.crowd - m, full_matrices=False)[2][0]  # the bass/treble tilt
        self.tilt = (self.crowd - m) @ self.axis
        self.agreed = np.array([agreement[names[i]] >= 0.5 for i in self.aud])
        self.clear = np.abs(self.tilt) >= np.median(np.abs(self.tilt))

    def sign_only(self, right, trials=200):
        """Median r of a predictor that knows only the tilt's sign of each word, right with
        probability `right` (mean curve +- one standard deviation along the tilt; averaged over
        random draws): how often the tilt must be right for a given median r."""
        m = self.crowd.mean(0)
        sd = np.std(self.tilt)
        rng = np.random.default_rng(0)
        out = []
        for _ in range(trials):
            sign = np.sign(self.tilt) * np.where(rng.random(len(self.tilt)) < right, 1, -1)
            p = m + (sign * sd)[:, None] * self.axis
            p = (p - p.mean(1, keepdims=True)) / np.linalg.norm(p - p.mean(1, keepdims=True), axis=1, keepdims=True)
            out.append(np.median((p * self.crowd).sum(1)))
        return float(np.mean(out))

    def run(self, E, method, param, components=1, shrink=1.0):
        n, pos = len(self.w), {i: j for j, i in enumerate(self.aud)}
        rs, rm, right, idx = [], [], [], []
        for rep in range(REPEATS):
            fold = np.random.default_rng(rep).integers(0, FOLDS, len(self.aud))
            for k in range(FOLDS):
                te = self.aud[fold == k]
                tr = np.setdiff1d(np.arange(n), te)
                m = ov.Mapping(E[tr], self.lw["curves"][tr], self.w[tr], method, param, components, shrink)
                p = np.array([shape(c) for c in on_bands(m.curves(E[te]))])
                mean = shape(on_bands(m.mean[None])[0])
                j = np.array([pos[i] for i in te])
                rs += list((p * self.crowd[j]).sum(1))
                rm += list(self.crowd[j] @ mean)
                right += list(np.sign((p - mean) @ self.axis) == np.sign(self.tilt[j]))
                idx += list(j)
        rs, rm, right, idx = map(np.array, (rs, rm, right, idx))
        a, c = self.agreed[idx], self.clear[idx]
        per_word = np.bincount(idx, rs, len(self.aud)) / np.bincount(idx, minlength=len(self.aud))
        return dict(per_word=per_word, r=np.median(rs), r_mean=rs.mean(), r_agreed=np.median(rs[a]), r_clear=np.median(rs[c]), right=right.mean(),
                    right_clear=right[c].mean(), mean_curve=np.median(rm), mean_curve_clear=np.median(rm[c]))


class FewRowWords:
    """A second check on words of clear tonal meaning, from another source: SAFE-DB words with 2
    to 4 clean settings (too few for the term table, so never trained on; held-out words left
    out). The mapping is fitted on every learnt word; r of its curve against the median
    response of the word's settings."""

    def __init__(self, lw):
        from aeq import crowd
        by = {}
        for r in data.safe_rows_clean()[0]:
            by.setdefault(r["word"], []).append(r["params"])
        skip = set(lw["names"]) | data.heldout_words()
        self.words = sorted(w for w, v in by.items() if len(v) >= 2 and w not in skip and ov.WORD_RE.fullmatch(w))
        self.curves = np.array([shape(crowd.safe_crowd_curve(np.array(by[w]), dsp.BANDS)) for w in self.words])
        self.lw, self.w = lw, ov.weights(lw["support"])

    def run(self, E, Ew, method, param, components=1, shrink=1.0):
        m = ov.Mapping(E, self.lw["curves"], self.w, method, param, components, shrink)
        p = np.array([shape(c) for c in on_bands(m.curves(Ew))])
        rs = (p * self.curves).sum(1)
        return dict(few_mean=rs.mean(), few=np.median(rs), few_mean_curve=np.median(self.curves @ shape(on_bands(m.mean[None])[0])))


def line(d):
    return (f"mean r {d['r_mean']:.3f}, median r {d['r']:.3f} (agreement >= 0.5: {d['r_agreed']:.3f}; "
            f"clear tilt: {d['r_clear']:.3f}); tilt right {d['right']:.0%} (clear tilt: {d['right_clear']:.0%}); "
            f"few-row SAFE-DB words: mean r {d['few_mean']:.3f}, median {d['few']:.3f}")


def select(lw):
    """Every embedding x template set x mapping at 1 component and scale 1, then components and
    scale for the best. Ranked by the CV mean r (the median of r, bimodal near +-0.7 because most
    of a curve is its tilt, moves by tenths when a few words change side). The setting in use is
    replaced only by one whose CV mean r is higher by more than twice the standard error of the
    per-word difference and whose few-row SAFE-DB mean r is not lower. Returns the rows."""
    study, few = Study(lw), FewRowWords(lw)
    base = study.run(np.eye(len(lw["names"])), "ridge", 1e9)  # predicts the mean curve
    print(f"{len(study.aud)} Audealize training words ({study.agreed.sum()} with agreement >= 0.5, "
          f"{study.clear.sum()} with a clear tilt), {REPEATS} x {FOLDS}-fold CV; {len(few.words)} few-row SAFE-DB words")
    print(f"mean curve: median r {base['mean_curve']:.3f} (clear tilt: {base['mean_curve_clear']:.3f}); "
          f"tilt sign of the majority: {max(np.mean(study.tilt > 0), np.mean(study.tilt < 0)):.0%} "
          f"(clear tilt: {max(np.mean(study.tilt[study.clear] > 0), np.mean(study.tilt[study.clear] < 0)):.0%})")

    def measure(emb, templates, method, param, components=1, shrink=1.0):
        E = ov.embed(lw["names"], emb, templates).astype(np.float64)
        d = study.run(E, method, param, components, shrink)
        d.update(few.run(E, ov.embed(few.words, emb, templates).astype(np.float64), method, param, components, shrink))
        return d
    use = (ov.EMBEDDING, ov.TEMPLATES, ov.METHOD, ov.PARAM, ov.COMPONENTS, ov.SHRINK)
    d0 = measure(*use)
    print(f"few-row SAFE-DB words, mean curve: median r {d0['few_mean_curve']:.3f}")
    print("tilt sign alone, right for a share of the words: " + ", ".join(
        f"{p:.0%} -> median r {study.sign_only(p):.3f}" for p in (0.57, 0.6, 0.7, 0.8, 0.9, 1.0)))
    rows = []
    for emb in ov.EMBEDDING_NAMES:
        for tname, templates in TEMPLATE_SETS.items():
            for method, param in METHODS:
                rows.append(((emb, templates, method, param, 1, 1.0), measure(emb, templates, method, param)))
                print(f"{emb:9} {tname:17} {method:5} {param:<5g} {line(rows[-1][1])}", flush=True)
    emb, templates, method, param, _, _ = max(rows, key=lambda r: r[1]["r_mean"])[0]
    for components in (1, 2):
        for shrink in (0.5, 1.0, 1.5, 2.0):
            rows.append(((emb, templates, method, param, components, shrink),
                         measure(emb, templates, method, param, components, shrink)))
            print(f"  {method} {param:g}, {components} component(s), scale {shrink:g}: {line(rows[-1][1])}", flush=True)
    best, d = max(rows, key=lambda r: r[1]["r_mean"])
    diff = d["per_word"] - d0["per_word"]
    gain, se = diff.mean(), diff.std(ddof=1) / np.sqrt(len(diff))
    print("in use: {} {} {} {:g}, {} component(s), scale {:g}: ".format(*use) + line(d0))
    print("best:   {} {} {} {:g}, {} component(s), scale {:g}: ".format(*best) + line(d))
    better = gain > 2 * se and d["few_mean"] >= d0["few_mean"]
    print(f"CV mean r gain over the setting in use {gain:+.3f} (standard error {se:.3f}): "
          + ("replace the setting in use" if better else "keep the setting in use"))
    return rows


def level_free_bands(c):
    mid = (dsp.BANDS >= 100) & (dsp.BANDS <= 10000)
    return c - c[mid].mean()


def evaluate():
    """Held-out words: decoder response of the table's latent vs the crowd curve (r over
    40 Hz-12.5 kHz), beside the mean-curve and nearest-spelling baselines."""
    from . import reference
    model, _, _ = reference.read_safetensors(ov.MODEL)
    t, words, n_learnt = ov.read_table()
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
    for word in sorted(held):
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
    y = np.array([shape(data.interp_curve(centres, a["curve"], dsp.BANDS)) for a in aud if a["word"] not in held])
    yh = np.array([shape(data.interp_curve(centres, a["curve"], dsp.BANDS)) for a in aud if a["word"] in held])
    m = y.mean(0)
    _, s, vt = np.linalg.svd(y - m, full_matrices=False)
    sd = np.std((y - m) @ vt[0])
    rs = [np.corrcoef(m + np.sign((c - m) @ vt[0]) * sd * vt[0], c)[0, 1] for c in yh]
    print(f"  first principal component of the training crowd curves (a tilt): {s[0] ** 2 / (s ** 2).sum():.0%} of "
          f"their variance; knowing each held-out word's tilt sign alone: median r {np.median(rs):.3f}")


def out_of_fold(lw, E, study=None):
    """The setting in use, cross-validated as `Study.run` does: for every repeat and word, the
    predicted curve on dsp.BANDS, the cosine of the word's embedding to its nearest training
    word, and the fold's mean predicted curve. Rows: (repeat, index into study.aud, curve,
    closeness, mean curve, predicted place before scaling, learnt place)."""
    study = study or Study(lw)
    n, pos = len(study.w), {i: j for j, i in enumerate(study.aud)}
    rows = []
    for rep in range(REPEATS):
        fold = np.random.default_rng(rep).integers(0, FOLDS, len(study.aud))
        for k in range(FOLDS):
            te = study.aud[fold == k]
            tr = np.setdiff1d(np.arange(n), te)
            m = ov.Mapping(E[tr], lw["curves"][tr], study.w[tr])
            mean = on_bands(m.mean[None])[0]
            close = (E[te] @ E[tr].T).max(1)
            places = zip(m.scores(E[te])[:, 0] / m.shrink, ((lw["curves"][te] - m.mean) @ m.basis.T)[:, 0])
            for i, c, s, (p, t) in zip(te, on_bands(m.curves(E[te])), close, places):
                rows.append((rep, pos[i], c, float(s), mean, float(p), float(t)))
    return study, rows


def trust_by_closeness(lw, El, descriptor_words, bins=3):
    """How far to trust an inferred word, as numbers measured by cross-validation on the
    Audealize training words: the share (hits + 1) / (n + 2) whose bass/treble lean came out right, in `bins` equal
    bins of closeness to the nearest learnt word (returns the inner edges and the shares), and
    for the engineers' descriptors the share of the learnt words they name whose descriptor
    curve leans the same way as their crowd curve."""
    from . import descriptors
    study, rows = out_of_fold(lw, El.astype(np.float64))
    close = np.array([r[3] for r in rows])
    right = np.array([np.sign((shape(r[2]) - shape(r[4])) @ study.axis) == np.sign(study.tilt[r[1]]) for r in rows])
    edges = np.quantile(close, np.arange(1, bins) / bins)
    which = np.searchsorted(edges, close)
    # (hits + 1) / (n + 2): a share measured on few words does not claim certainty.
    rates = np.array([(right[which == b].sum() + 1) / ((which == b).sum() + 2) for b in range(bins)])
    curves = descriptors.curves(1.0)
    names, m = lw["names"], study.crowd.mean(0)
    hits = [np.sign((shape(on_bands(curves[names[i]][None])[0]) - m) @ study.axis) == np.sign(study.tilt[j])
            for j, i in enumerate(study.aud) if names[i] in curves]
    print(f"engineers' descriptors: {sum(hits)} of {len(hits)} learnt Audealize words they name lean as their crowd curve")
    return edges, rates, (sum(hits) + 1) / (len(hits) + 2)


def write_out_of_fold(lw, path):
    """The cross-validated predictions (level-free, dB on the crowd bands) for
    eval/open_vocab.py (which reads the crowd curves from data/audealize_eq_words.json), which measures them as the CLI would apply them in
    static and default mode."""
    import json
    E = ov.embed(lw["names"]).astype(np.float64)
    study, rows = out_of_fold(lw, E)
    names = lw["names"]
    words = [names[i] for i in study.aud]
    out = dict(about="python -m training.open_vocab --cv: out-of-fold predicted curves of the Audealize training "
                     f"words ({REPEATS} x {FOLDS}-fold; one curve per repeat), dB on bands_hz, level-free",
               bands_hz=[round(float(b), 2) for b in dsp.BANDS], repeats=REPEATS, folds=FOLDS,
               predictions={w: [None] * REPEATS for w in words})
    for r, j, c, *_ in rows:
        out["predictions"][words[j]][r] = [round(float(v), 1) for v in c - c.mean()]
    spread = np.std([r[6] for r in rows]) / np.std([r[5] for r in rows])
    print(f"the learnt words' places along the component spread {spread:.2f} times as far as their "
          f"cross-validated predicted places (the mapping's scale is {ov.SHRINK:g})")
    path.write_text(json.dumps(out, separators=(",", ":")))
    print(f"wrote {path}: {len(rows)} out-of-fold predictions of {len(words)} words")


def wordnet_study(lw, weights=(0.0, 0.5, 1.0)):
    """Propagating learnt words through WordNet (training/lexicon.py) instead of, or beside, the
    embedding mapping: a word's curve is the mean curve plus the signed, support-weighted mean
    departure of the learnt words one link away (antonyms mirrored), blended with the
    mapping's prediction at `weight` (words with no learnt relative keep the mapping's). Same
    cross-validation as `Study.run` (median r, mean r, lean right on words with a clear tilt)."""
    from . import lexicon
    graph = lexicon.links()
    study = Study(lw)
    names, w, curves = lw["names"], study.w, lw["curves"]
    row = {n: i for i, n in enumerate(names)}
    E = ov.embed(names).astype(np.float64)
    pos = {i: j for j, i in enumerate(study.aud)}

    def propagated(word, train, mean):
        num, den = np.zeros_like(mean), 0.0
        for other, sign in lexicon.relatives(word, graph, 0).items():
            i = row.get(other)
            if i is not None and i in train:
                num, den = num + sign * w[i] * (curves[i] - mean), den + w[i]
        return mean + num / den if den else None

    for weight in weights:
        rs, right, found = [], [], []
        for rep in range(REPEATS):
            fold = np.random.default_rng(rep).integers(0, FOLDS, len(study.aud))
            for k in range(FOLDS):
                te = study.aud[fold == k]
                tr = np.setdiff1d(np.arange(len(w)), te)
                m = ov.Mapping(E[tr], curves[tr], w[tr])
                train, out = set(tr.tolist()), []
                for i, c in zip(te, m.curves(E[te])):
                    p = propagated(names[i], train, m.mean)
                    found.append(p is not None)
                    out.append(c if p is None else weight * p + (1 - weight) * c)
                p = np.array([shape(c) for c in on_bands(np.array(out))])
                mean = shape(on_bands(m.mean[None])[0])
                j = np.array([pos[i] for i in te])
                rs += list((p * study.crowd[j]).sum(1))
                right += list(np.sign((p - mean) @ study.axis) == np.sign(study.tilt[j]))
        print(f"WordNet weight {weight:g}: CV median r {np.median(rs):.3f}, mean r {np.mean(rs):.3f}, "
              f"lean right {np.mean(right):.0%} ({np.mean(found):.0%} of words have a learnt relative)", flush=True)
