/// A short phrase naming a sound, split into the word and what the modifiers ask of it
/// (docs/VOCABULARY.md, "Phrases"):
///
/// * intensity modifiers scale `--intensity` (result clamped to 0 … 1): "a bit", "a little",
///   "slightly", "somewhat" × 0.5; "very", "really", "much", "extremely" × 1.5;
/// * direction: "more X" moves towards X (the same as "X"); "less X", "not X", "no X",
///   "without X" move away from it (the word's colouration mirrored about a flat EQ);
/// * the word's derived forms ("warmer", "warmest", "warmth", "brightness", "air" for "airy")
///   are matched to a learnt word by `WordPhrase.candidates`.
///
/// Pure value parsing: no vocabulary is consulted here.
public struct WordPhrase: Equatable, Sendable {
    /// The word, lower-cased.
    public let word: String
    /// True when the phrase asks to move away from the word.
    public let away: Bool
    /// Factor applied to the intensity.
    public let intensityScale: Float

    static let scales: [(words: [String], scale: Float)] = [
        (["a", "bit"], 0.5), (["a", "little"], 0.5), (["a", "touch"], 0.5), (["slightly"], 0.5),
        (["somewhat"], 0.5), (["very"], 1.5), (["really"], 1.5), (["much"], 1.5), (["extremely"], 1.5),
    ]
    static let towards: Set<String> = ["more"]
    /// Longest phrase looked up, in Unicode scalars ("a little less spine-tingling" is 28);
    /// longer text is refused without a search for suggestions.
    public static let maximumLength = 64
    static let awayWords: Set<String> = ["less", "not", "no", "without"]
    /// Words that only modify another: alone they name no sound ("very", "not").
    public static let modifierOnly: Set<String> = awayWords.union(towards)
        .union(scales.filter { $0.words.count == 1 }.map { $0.words[0] })

    /// Parses `text`; nil when no single word remains after the modifiers, or only a modifier.
    public init?(_ text: String) {
        var tokens = text.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var scale: Float = 1
        var away = false
        var consumed = true
        while consumed && tokens.count > 1 {
            consumed = false
            for entry in Self.scales where tokens.count > entry.words.count && Array(tokens.prefix(entry.words.count)) == entry.words {
                scale *= entry.scale
                tokens.removeFirst(entry.words.count)
                consumed = true
                break
            }
            if !consumed, let first = tokens.first, tokens.count > 1 {
                if Self.awayWords.contains(first) { away.toggle(); tokens.removeFirst(); consumed = true }
                else if Self.towards.contains(first) { tokens.removeFirst(); consumed = true }
            }
        }
        guard tokens.count == 1, let word = tokens.first,
              word.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || $0 == "-" || $0 == "'" }),
              word.unicodeScalars.contains(where: { ("a"..."z").contains($0) }),
              !Self.modifierOnly.contains(word)
        else { return nil }
        self.word = word
        self.away = away
        self.intensityScale = scale
    }

    /// Forms of `word` to try, most specific first: the word itself, then the base of a
    /// comparative, superlative or abstract noun ("warmer", "muddiest", "warmth", "brightness")
    /// and the adjective of a noun ("air" → "airy", "mud" → "muddy").
    /// With `cuttingTh` false the "-th" of an abstract noun is left on: only learnt words are
    /// reached that way ("warmth"), since among 75,000 words a typo such as "brigth" would
    /// otherwise become another word ("brig").
    public static func candidates(_ word: String, cuttingTh: Bool = true) -> [String] {
        var out = [word]
        func add(_ s: String) { if s.count >= 2 && !out.contains(s) { out.append(s) } }
        let w = Array(word)
        for suffix in ["est", "er", "ness"] + (cuttingTh ? ["th"] : []) where word.hasSuffix(suffix) && w.count > suffix.count + 1 {
            let stem = Array(w.dropLast(suffix.count))
            if stem.last == "i" { add(String(stem.dropLast()) + "y") }                          // muddier → muddy
            if stem.count > 2 && stem[stem.count - 1] == stem[stem.count - 2] { add(String(stem.dropLast())) }  // thinner → thin
            add(String(stem))                                                              // warmer → warm
            if suffix == "er" || suffix == "est" { add(String(stem) + "e") }               // wider → wide
        }
        add(word + "y")                                                                    // air → airy
        if let last = w.last { add(word + String(last) + "y") }                            // mud → muddy
        return out
    }
}
