"""Lexical relations between English words, from WordNet 3.0 (Debian's `wordnet-base`: the
data files under /usr/share/wordnet), as signed links between lemmas (docs/VOCABULARY.md):

    +1  same synset (synonyms), "similar to" (adjective clusters: "icy" ~ "cold"), "also see",
        derivation, pertainym and attribute ("darkness" ~ "dark")
    -1  antonym ("dull" ! "bright"), and every lemma of the two synsets it joins

A word's relatives are what these links reach in one step, and in two with a sign that is the
product of the two (the antonym of a synonym is an antonym).
"""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

WORDNET = Path("/usr/share/wordnet")
POS_FILES = ("adj", "noun", "verb", "adv")
PLUS = {"&": "similar to", "^": "also see", "+": "derivation", "\\": "pertainym", "=": "attribute"}
MINUS = {"!": "antonym"}


def _lemma(word):
    """A data-file lemma as the word list spells it: lower case, adjective markers such as
    "(a)" removed, underscores kept (multi-word lemmas never match a single word)."""
    w = word.lower()
    return w[:w.index("(")] if "(" in w else w


def read_synsets(folder=WORDNET):
    """{(pos, offset): (lemmas, [(symbol, (pos, offset), source, target)])} of every data file."""
    synsets = {}
    for pos in POS_FILES:
        path = folder / f"data.{pos}"
        if not path.exists():
            raise FileNotFoundError(f"{path} missing: apt-get install wordnet-base")
        for line in open(path, encoding="utf-8", errors="replace"):
            if line.startswith("  "):
                continue  # licence header
            f = line.split(" | ")[0].split()
            offset, n = f[0], int(f[3], 16)
            lemmas = [_lemma(f[4 + 2 * i]) for i in range(n)]
            k = 4 + 2 * n
            pointers = []
            for j in range(int(f[k])):
                sym, target, tpos, st = f[k + 1 + 4 * j: k + 5 + 4 * j]
                tpos = "adj" if tpos in ("a", "s") else {"n": "noun", "v": "verb", "r": "adv"}[tpos]
                pointers.append((sym, (tpos, target), int(st[:2], 16), int(st[2:], 16)))
            synsets[({"a": "adj", "s": "adj", "n": "noun", "v": "verb", "r": "adv"}[f[2]], offset)] = (lemmas, pointers)
    return synsets


def links(synsets=None):
    """{lemma: {other lemma: sign}}: one-step signed links (a pair linked both ways keeps -1
    if any link says antonym, the contrast being the more specific statement)."""
    synsets = synsets or read_synsets()
    out = defaultdict(dict)

    def add(a, b, s):
        if a != b and "_" not in a and "_" not in b:
            out[a][b] = min(out[a].get(b, s), s)

    for lemmas, pointers in synsets.values():
        for a in lemmas:
            for b in lemmas:
                add(a, b, 1)
        for sym, target, src, dst in pointers:
            if target not in synsets:
                continue
            other = synsets[target][0]
            if sym in MINUS or sym in PLUS:
                s = -1 if sym in MINUS else 1
                if src and dst:  # a lexical pointer: one lemma to one lemma
                    add(lemmas[src - 1], other[dst - 1], s)
                    add(other[dst - 1], lemmas[src - 1], s)
                else:
                    for a in lemmas:
                        for b in other:
                            add(a, b, s)
                            add(b, a, s)
    return dict(out)


def relatives(word, graph, second=0.5):
    """{lemma: signed weight} reached from `word`: 1 step at weight +-1, 2 steps at
    +-`second` (sign the product; the strongest path wins)."""
    out = {}
    for b, s in graph.get(word, {}).items():
        out[b] = float(s)
    if second:
        for b, s in graph.get(word, {}).items():
            for c, t in graph.get(b, {}).items():
                if c != word and c not in graph.get(word, {}):
                    v = second * s * t
                    if abs(v) > abs(out.get(c, 0.0)):
                        out[c] = v
    return out


# A gloss about hearing: the sense describes how something sounds ("financially sound" does not).
SOUND_GLOSS = re.compile(r"\b((?<!ly )sounds?|tones?|tonal|voices?|pitch|pitched|noises?|timbre|resonan\w*|audible|"
                         r"heard|hearing|loud|loudly|vocal|acoustic\w*|sonorous|ring|ringing)\b")


def sound_lemmas(folder=WORDNET):
    """Lemmas with at least one adjective or noun sense whose gloss speaks of sound."""
    out = set()
    for pos in ("adj", "noun"):
        for line in open(folder / f"data.{pos}", encoding="utf-8", errors="replace"):
            if line.startswith("  ") or " | " not in line:
                continue
            head, gloss = line.split(" | ", 1)
            gloss = gloss.split(";")[0]  # the definition, not its examples
            if SOUND_GLOSS.search(gloss.lower()):
                f = head.split()
                out.update(_lemma(f[4 + 2 * i]) for i in range(int(f[3], 16)))
    return out
