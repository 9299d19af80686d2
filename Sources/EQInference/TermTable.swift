/// The vocabulary: each word's target colouration `z_target` and how much crowd data backs it.
///
/// Names come from the `terms` metadata (a JSON array), `terms.z` is `[T, latent]` and
/// `terms.support` is `[T, 3]` (SAFE-DB rows, Audealize contributors, Audealize agreement,
/// 0 where absent), all in the same row order.
public struct TermTable: @unchecked Sendable {
    public let names: [String]
    public let latentCount: Int
    /// `[T, latentCount]` row-major.
    public let z: FloatBuffer
    /// `[T, 3]` row-major.
    public let support: FloatBuffer
    private let lowercasedNames: [String]

    public var count: Int { names.count }

    public init(names: [String], latentCount: Int, z: [Float], support: [Float]) {
        precondition(z.count == names.count * latentCount && support.count == names.count * 3)
        self.names = names
        self.latentCount = latentCount
        self.z = FloatBuffer(z)
        self.support = FloatBuffer(support)
        lowercasedNames = names.map { $0.lowercased() }
    }

    /// Loads and validates the table: `terms` must be a JSON array of non-empty, distinct
    /// strings, and both tensors must have one row per name.
    public init(file: SafetensorsFile, latentCount: Int = 32) throws(ModelFileError) {
        let text = try file.metadataString("terms")
        let parsed: JSONValue
        do { parsed = try JSONParser.parse(text) } catch {
            throw .invalidMetadata(key: "terms", value: String(text.prefix(40)), expected: "a JSON array of strings (\(error))")
        }
        guard case let .array(items) = parsed else {
            throw .invalidMetadata(key: "terms", value: String(text.prefix(40)), expected: "a JSON array of strings")
        }
        var names: [String] = []
        var seen = Set<String>()
        for item in items {
            guard case let .string(s) = item, !s.isEmpty else {
                throw .invalidMetadata(key: "terms", value: String(text.prefix(40)), expected: "non-empty strings only")
            }
            guard seen.insert(s.lowercased()).inserted else {
                throw .invalidMetadata(key: "terms", value: s, expected: "distinct words")
            }
            names.append(s)
        }
        let z = try file.floats("terms.z", shape: [names.count, latentCount])
        let support = try file.floats("terms.support", shape: [names.count, 3])
        self.init(names: names, latentCount: latentCount, z: z, support: support)
    }

    /// Row of `word` (case-insensitive, surrounding spaces ignored), or nil if unknown.
    public func index(of word: String) -> Int? {
        let key = String(word.lowercased().drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        return lowercasedNames.firstIndex(of: key)
    }

    /// `z_target` of row `index` (`latentCount` values, valid while the table exists).
    public func latent(at index: Int) -> UnsafePointer<Float> {
        precondition(index >= 0 && index < count)
        return UnsafePointer(z.pointer + index * latentCount)
    }

    /// `(safeRows, audealizeContributors, audealizeAgreement)` of row `index`.
    public func supportCounts(at index: Int) -> (safeRows: Float, audealizeContributors: Float, audealizeAgreement: Float) {
        let p = support.pointer + 3 * index
        return (p[0], p[1], p[2])
    }
}
