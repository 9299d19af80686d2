import EQInference

/// What a word or phrase means to the equaliser, and what that meaning rests on
/// (docs/VOCABULARY.md): a latent target, the intensity factor of its modifiers, whether
/// the word was learnt from people (how many) or inferred from its meaning, and its nearest
/// learnt words.
public struct WordAnswer: Sendable {
    /// Where the meaning comes from.
    public enum Source: Sendable, Equatable {
        /// In the term table: SAFE-DB rows and Audealize contributors/agreement behind it.
        case learnt(safeRows: Int, contributors: Int, agreement: Float)
        /// Placed from its text embedding (or an engineers' glossary); `closeness` is the
        /// cosine similarity of that embedding to the nearest learnt word's, `trust` the
        /// cross-validated share of words like it whose bass/treble lean came out right (nil
        /// when the table does not carry it).
        case inferred(closeness: Float, trust: Float?)
    }

    /// The phrase as given.
    public let phrase: String
    /// The vocabulary word it was matched to ("warmer" → "warm").
    public let word: String
    /// `z_target`, already mirrored about a flat EQ when `away`.
    public let latent: [Float]
    /// True for "less …", "not …": the EQ moves away from the word.
    public let away: Bool
    /// Multiplies the intensity ("a bit" < 1 < "very"); 1 for a plain word.
    public let intensityScale: Float
    /// Learnt (with its crowd) or inferred (with its closeness).
    public let source: Source
    /// Learnt words closest in meaning (empty without the open vocabulary).
    public let nearestLearnt: [String]

    /// An answer from its parts (the lookup builds these; tests and hosts may too).
    public init(phrase: String, word: String, latent: [Float], away: Bool, intensityScale: Float, source: Source,
                nearestLearnt: [String]) {
        (self.phrase, self.word, self.latent, self.away) = (phrase, word, latent, away)
        (self.intensityScale, self.source, self.nearestLearnt) = (intensityScale, source, nearestLearnt)
    }

    /// True when the word (after modifiers) is in the term table.
    public var isLearnt: Bool {
        if case .learnt = source { return true }
        return false
    }

    /// True for a learnt word given as it is, with no modifier.
    public var isVerbatimLearnt: Bool {
        if case .learnt = source { return word == phrase.lowercased() && !away && intensityScale == 1 }
        return false
    }

    /// One line: "warm (learnt from 42 people: ...)" or "hollow (inferred ...; nearest learnt ...)".
    public var provenance: String {
        var s = "'\(phrase)' → "
        if away { s += "away from " }
        s += "'\(word)'"
        if intensityScale != 1 { s += ", intensity × \(intensityScale)" }
        switch source {
        case let .learnt(rows, contributors, agreement):
            var who: [String] = []
            if rows > 0 { who.append("\(rows) SAFE-DB settings") }
            if contributors > 0 { who.append("\(contributors) Audealize contributors (agreement \(rounded(agreement)))") }
            s += ": learnt from people (" + who.joined(separator: ", ") + ")"
        case let .inferred(closeness, trust):
            s += ": inferred from its meaning, not learnt from people ("
            if let trust { s += "trust \(rounded(trust)), " }
            s += "similarity \(rounded(closeness)) to the nearest learnt word)"
        }
        let others = nearestLearnt.filter { $0 != word }
        if !others.isEmpty { s += "; nearest learnt words: " + others.joined(separator: ", ") }
        return s
    }
}

private func rounded(_ v: Float) -> String {
    let r = (v * 100).rounded() / 100
    return String(r)
}

/// A phrase that names no word the equaliser knows, with spelling suggestions.
public struct WordLookupError: Error, CustomStringConvertible, Sendable {
    /// The phrase as given.
    public let phrase: String
    /// Known words spelt most like it (may be empty).
    public let suggestions: [String]
    /// True when the text is not a word or short phrase at all (empty, digits, too long).
    public let notAPhrase: Bool

    /// One line for the user, with the suggestions.
    public var description: String {
        let near = suggestions.isEmpty ? "" : "; nearest known words: " + suggestions.joined(separator: ", ")
        return notAPhrase
            ? "'\(phrase)' is not a word or short phrase (say e.g. 'warm', 'warmer', 'a bit bright', 'less muddy')\(near)"
            : "unknown word '\(phrase)'\(near) (adaptive-eq terms lists the learnt words)"
    }
}

/// Looks a phrase up: learnt words (the term table) first, including the learnt base of a
/// derived form; then the open vocabulary; otherwise an error with suggestions.
public func lookUpWord(_ phrase: String, terms: TermTable, vocabulary: OpenVocabulary?) throws(WordLookupError) -> WordAnswer {
    let trimmed = String(phrase.trimmingSpaces)
    guard trimmed.unicodeScalars.count <= WordPhrase.maximumLength else {
        throw WordLookupError(phrase: String(trimmed.prefix(WordPhrase.maximumLength)) + "…", suggestions: [], notAPhrase: true)
    }
    guard let parsed = WordPhrase(trimmed) else {
        throw WordLookupError(phrase: trimmed, suggestions: suggestions(trimmed, terms, vocabulary), notAPhrase: true)
    }
    let forms = WordPhrase.candidates(parsed.word)
    func answer(_ word: String, latent: [Float], source: WordAnswer.Source, row: Int?) throws(WordLookupError) -> WordAnswer {
        var z = latent
        if parsed.away {
            guard let flat = vocabulary?.flatLatent else {
                throw WordLookupError(phrase: trimmed, suggestions: [], notAPhrase: true)
            }
            for i in z.indices { z[i] = 2 * flat[i] - z[i] }
        }
        let near = row.map { r in vocabulary!.nearestLearnt(r).map { vocabulary!.words[$0] } } ?? []
        return WordAnswer(phrase: trimmed, word: word, latent: z, away: parsed.away,
                          intensityScale: parsed.intensityScale, source: source, nearestLearnt: near)
    }
    // The vocabulary's learnt rows are the term table's rows in order: a hashed look-up.
    let sameRows = vocabulary.map { $0.learntCount == terms.count } ?? false
    func learntRow(_ w: String) -> Int? {
        guard sameRows, let v = vocabulary else { return terms.index(of: w) }
        guard let r = v.row(of: w), v.isLearnt(r), terms.names[r] == w else { return nil }
        return r
    }
    if let word = forms.first(where: { learntRow($0) != nil }), let i = learntRow(word) {
        let s = terms.supportCounts(at: i)
        let latent = Array(UnsafeBufferPointer(start: terms.latent(at: i), count: terms.latentCount))
        return try answer(word, latent: latent, source: .learnt(safeRows: Int(s.safeRows),
                                                                contributors: Int(s.audealizeContributors),
                                                                agreement: s.audealizeAgreement),
                          row: vocabulary?.row(of: word))
    }
    // Inferred words through their comparatives ("honkier" → "honky") but not through a cut
    // "-th", which turns typos into other words ("brigth" → "brig").
    if let vocabulary, let word = WordPhrase.candidates(parsed.word, cuttingTh: false).first(where: { vocabulary.row(of: $0) != nil }),
       let r = vocabulary.row(of: word) {
        return try answer(word, latent: vocabulary.latent(at: r), source: .inferred(closeness: vocabulary.closeness(r), trust: vocabulary.trust(r)), row: r)
    }
    throw WordLookupError(phrase: trimmed, suggestions: suggestions(parsed.word, terms, vocabulary), notAPhrase: false)
}

private func suggestions(_ word: String, _ terms: TermTable, _ vocabulary: OpenVocabulary?) -> [String] {
    nearestWords(to: word, in: vocabulary?.words ?? terms.names, limit: 3)
}
