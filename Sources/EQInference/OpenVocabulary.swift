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
    /// `[words, latentCount]` row-major.
    private let z: [Float]
    /// `[words, nearestCount]` indices of learnt rows.
    private let nearest: [Int32]
    /// Cosine similarity of each word's embedding to its nearest learnt word.
    private let similarity: [Float]
    /// `[learntCount, 3]`: SAFE-DB rows, Audealize contributors, Audealize agreement.
    private let support: [Float]
    private let rows: [String: Int]
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
        let text = try file.metadataString("words")
        // Split on the newline byte (a character-wise split of 75,000 lines costs tens of ms).
        words = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        var rows = [String: Int](minimumCapacity: words.count)
        for (i, w) in words.enumerated() {
            guard !w.isEmpty, rows.updateValue(i, forKey: w) == nil else {
                throw .invalidMetadata(key: "words", value: w, expected: "distinct non-empty words, one per line")
            }
        }
        self.rows = rows
        learntCount = try file.metadataInt("learnt")
        guard learntCount > 0, learntCount <= words.count, latentCount > 0 else {
            throw .invalidMetadata(key: "learnt", value: String(learntCount), expected: "1 … number of words")
        }
        z = try file.halfFloats("vocab.z", shape: [words.count, latentCount])
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
            guard let r = rows[w], r < learntCount else {
                throw .invalidMetadata(key: "descriptive", value: String(w), expected: "learnt words, one per line")
            }
            descriptive[r] = true
        }
        descriptiveRows = descriptive
    }

    /// Row of `word` (exact, already normalised), or nil.
    public func row(of word: String) -> Int? { rows[word] }

    public func isLearnt(_ row: Int) -> Bool { row < learntCount }

    /// `z_target` of `row`.
    public func latent(at row: Int) -> [Float] {
        Array(z[row * latentCount..<(row + 1) * latentCount])
    }

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
