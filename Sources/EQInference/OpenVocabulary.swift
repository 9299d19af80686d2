/// The open vocabulary: a latent target for every word of an English word list
/// (`AdaptiveEQVocabulary.safetensors`, written by `python -m training.open_vocab`, format in
/// docs/VOCABULARY.md).
///
/// The first `learntCount` rows are the words learnt from people (the term table's words, with
/// their crowd support); every other row is inferred from a text embedding of the word. Each
/// row names its nearest learnt words (by meaning), so an answer can always say what it rests on.
public struct OpenVocabulary: Sendable {
    public static let formatName = "adaptive-eq-vocabulary"
    public static let nearestCount = 3

    public let words: [String]
    public let learntCount: Int
    public let latentCount: Int
    /// `[words, latentCount]`, half floats widened a row at a time (only a few rows are ever read).
    private let z: HalfRows
    /// `[words, nearestCount]` indices of learnt rows.
    private let nearest: [Int32]
    /// Cosine similarity of each word's embedding to its nearest learnt word.
    private let similarity: [Float]
    /// `[learntCount, 3]`: SAFE-DB rows, Audealize contributors, Audealize agreement.
    private let support: [Float]
    /// Rows of the learnt words; the inferred ones are found by binary search (sorted on load).
    private let learntRows: [String: Int]
    /// Per row, how far to trust an inferred word: the cross-validated share of words like it
    /// whose bass/treble lean came out right (docs/VOCABULARY.md); nil in tables without it.
    private let trustValues: [Float]?
    /// Per learnt row, whether it describes timbre and has enough support to be offered as a
    /// word a sound is close to (docs/VOCABULARY.md); every learnt row in tables without it.
    private let descriptiveRows: [Bool]
    /// The latent of a flat EQ: "less X" mirrors X's latent about it.
    public let flatLatent: [Float]

    public var count: Int { words.count }

    public init(path: String) throws(ModelFileError) {
        try self.init(file: SafetensorsFile(path: path))
    }

    /// Loads and validates the table: the format name, one distinct non-empty word per row,
    /// finite latents, nearest-word indices inside the learnt rows.
    public init(file: SafetensorsFile) throws(ModelFileError) {
        let format = try file.metadataString("format")
        guard format == Self.formatName else {
            throw .invalidMetadata(key: "format", value: format, expected: Self.formatName)
        }
        latentCount = try file.metadataInt("latent")
        learntCount = try file.metadataInt("learnt")
        (words, learntRows) = try Self.words(try file.metadataString("words"), learntCount: learntCount)
        guard latentCount > 0 else {
            throw .invalidMetadata(key: "latent", value: String(latentCount), expected: "a positive integer")
        }
        z = try file.halfRows("vocab.z", shape: [words.count, latentCount])
        similarity = try file.halfFloats("vocab.similarity", shape: [words.count])
        support = try file.floats("vocab.support", shape: [learntCount, 3])
        flatLatent = try file.floats("vocab.flat", shape: [latentCount])
        let near = try file.halfFloats("vocab.nearest", shape: [words.count, Self.nearestCount])
        var indices = [Int32](repeating: 0, count: near.count)
        for (i, v) in near.enumerated() {
            guard v >= 0, v < Float(learntCount), v == v.rounded() else {
                throw .invalidMetadata(key: "vocab.nearest", value: String(v), expected: "indices of learnt rows")
            }
            indices[i] = Int32(v)
        }
        nearest = indices
        trustValues = file.entry(named: "vocab.trust") == nil ? nil : try file.halfFloats("vocab.trust", shape: [words.count])
        var descriptive = [Bool](repeating: file.metadata["descriptive"] == nil, count: learntCount)
        for line in (file.metadata["descriptive"] ?? "").utf8.split(separator: UInt8(ascii: "\n")) {
            let w = String(decoding: line, as: UTF8.self)
            guard let r = learntRows[w] else {
                throw .invalidMetadata(key: "descriptive", value: String(w), expected: "learnt words, one per line")
            }
            descriptive[r] = true
        }
        descriptiveRows = descriptive
    }

    /// The table's words split at newlines: one distinct non-empty word per row, the learnt ones
    /// first (any order), then the inferred ones sorted by their UTF-8 bytes, which `row(of:)`
    /// searches. One pass over the bytes: a character-wise split of 75,000 lines and a
    /// dictionary of all of them cost tens of ms.
    private static func words(_ text: String, learntCount: Int) throws(ModelFileError) -> ([String], [String: Int]) {
        guard learntCount > 0 else {
            throw .invalidMetadata(key: "learnt", value: String(learntCount), expected: "1 … number of words")
        }
        var text = text
        var words: [String] = []
        var learnt = [String: Int](minimumCapacity: learntCount)
        var bad: (word: String, expected: String)?
        text.withUTF8 { bytes in
            var previous = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                let word = String(decoding: line, as: UTF8.self)
                if line.isEmpty {
                    bad = (word, "non-empty words, one per line")
                } else if words.count < learntCount {
                    if learnt.updateValue(words.count, forKey: word) != nil { bad = (word, "distinct learnt words") }
                } else {
                    if words.count > learntCount && !previous.lexicographicallyPrecedes(line) {
                        bad = (word, "inferred words distinct and sorted by their bytes")
                    }
                    previous = line
                }
                if bad != nil { return }
                words.append(word)
                start = end + 1
            }
        }
        if let bad { throw .invalidMetadata(key: "words", value: bad.word, expected: bad.expected) }
        guard learntCount <= words.count else {
            throw .invalidMetadata(key: "learnt", value: String(learntCount), expected: "1 … number of words")
        }
        for w in learnt.keys where inferredRow(of: w, in: words, from: learntCount) != nil {
            throw .invalidMetadata(key: "words", value: w, expected: "each word on one row only")
        }
        return (words, learnt)
    }

    /// Binary search of the rows `first…` of `words`, sorted by their UTF-8 bytes.
    private static func inferredRow(of word: String, in words: [String], from first: Int) -> Int? {
        var (low, high) = (first, words.count)
        while low < high {
            let mid = (low + high) / 2
            if words[mid].utf8.elementsEqual(word.utf8) { return mid }
            if words[mid].utf8.lexicographicallyPrecedes(word.utf8) { low = mid + 1 } else { high = mid }
        }
        return nil
    }

    /// Row of `word` (exact, already normalised), or nil.
    public func row(of word: String) -> Int? {
        learntRows[word] ?? Self.inferredRow(of: word, in: words, from: learntCount)
    }

    public func isLearnt(_ row: Int) -> Bool { row < learntCount }

    /// `z_target` of `row`.
    public func latent(at row: Int) -> [Float] { z.row(row) }

    /// The learnt rows closest in meaning to `row`, closest first (for a learnt word, itself first).
    public func nearestLearnt(_ row: Int) -> [Int] {
        (0..<Self.nearestCount).map { Int(nearest[row * Self.nearestCount + $0]) }
    }

    /// Cosine similarity of `row`'s embedding to its nearest learnt word (1 for learnt words).
    public func closeness(_ row: Int) -> Float { similarity[row] }

    /// How far to trust inferred `row` (0 … 1), or nil when the table does not say.
    public func trust(_ row: Int) -> Float? { trustValues.map { $0[row] } }

    /// Whether learnt `row` describes timbre with enough support ("sounds closest to" lists only these).
    public func isDescriptive(_ row: Int) -> Bool { row < learntCount && descriptiveRows[row] }

    /// `(safeRows, audealizeContributors, audealizeAgreement)` of a learnt row.
    public func supportCounts(_ row: Int) -> (safeRows: Int, audealizeContributors: Int, audealizeAgreement: Float) {
        precondition(isLearnt(row))
        let p = 3 * row
        return (Int(support[p]), Int(support[p + 1]), support[p + 2])
    }
}
