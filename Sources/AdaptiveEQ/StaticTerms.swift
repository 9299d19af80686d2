import EQDSP

/// A word of the static vocabulary with its robust SAFE-DB setting and how many user
/// settings support it.
public struct StaticTerm: Sendable, Equatable {
    /// The word as the table spells it.
    public var word: String
    /// SAFE-DB user settings behind the word.
    public var rowCount: Int
    /// Distinct people who made those settings.
    public var contributorCount: Int
    /// The robust setting (medoid in the response domain) static mode applies at intensity 1.
    public var settings: EQSettings
}

/// The static semantic table: one EQ per word, derived from SAFE-DB by
/// `scripts/static_terms.py` (see that script for the rules) and shipped as
/// `static_terms.tsv`. Parsing needs no Foundation, so hosts can load it from a path.
public struct StaticTermTable: Sendable {
    /// Why a table was refused.
    public enum ParseError: Error, CustomStringConvertible {
        /// Line `number` (1-based) does not have a word, two counts and 13 finite parameters.
        case malformedLine(number: Int, reason: String)
        /// The text holds no word at all.
        case empty

        /// One line for the user, naming the line.
        public var description: String {
            switch self {
            case let .malformedLine(number, reason): "static term table line \(number): \(reason)"
            case .empty: "static term table has no words"
            }
        }
    }

    /// The words in file order (their index is the term index of hosts' controls).
    public let terms: [StaticTerm]

    /// Parses the TSV text: `word rows contributors g1 f1 … f5`, `#` starts a comment line.
    public init(tsv text: String) throws(ParseError) {
        var terms: [StaticTerm] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: "\t")
            guard fields.count == 3 + EQSettings.parameterCount else {
                throw .malformedLine(number: index + 1, reason: "expected 16 tab-separated fields, found \(fields.count)")
            }
            guard let rows = Int(fields[1]), let contributors = Int(fields[2]) else {
                throw .malformedLine(number: index + 1, reason: "row and contributor counts must be integers")
            }
            let values = fields[3...].compactMap { Float($0) }
            guard let settings = EQSettings(values: values) else {
                throw .malformedLine(number: index + 1, reason: "13 numeric EQ parameters expected")
            }
            if let bad = settings.firstInvalidParameter {
                throw .malformedLine(number: index + 1, reason: "\(bad.symbol) = \(settings[bad]) is outside \(bad.range)")
            }
            terms.append(StaticTerm(word: String(fields[0]).lowercased(), rowCount: rows,
                                    contributorCount: contributors, settings: settings))
        }
        guard !terms.isEmpty else { throw .empty }
        self.terms = terms
    }

    /// The term for `word` (case-insensitive), or nil.
    public func term(_ word: String) -> StaticTerm? {
        let key = word.lowercased().trimmingSpaces
        return terms.first { $0.word == key }
    }

    /// Known words closest in spelling to `word`, best first (for "did you mean" messages).
    public func suggestions(for word: String, limit: Int = 3) -> [String] {
        nearestWords(to: word, in: terms.map(\.word), limit: limit)
    }
}

/// Words of `vocabulary` closest to `word` by edit distance (ties keep vocabulary order).
/// Once `limit` words are found, a candidate is dropped as soon as it cannot beat the worst
/// of them (length difference, or a row of the distance table already past it), so a long
/// vocabulary stays quick.
public func nearestWords(to word: String, in vocabulary: [String], limit: Int) -> [String] {
    guard limit > 0 else { return [] }
    let key = Array(word.lowercased().trimmingSpaces.unicodeScalars)
    var best: [(word: String, distance: Int)] = []
    var previous = [Int](repeating: 0, count: key.count + 1), row = previous
    for candidate in vocabulary {
        let bound = best.count == limit ? best[limit - 1].distance : Int.max
        guard let d = editDistance(key, candidate.unicodeScalars, below: bound, &previous, &row) else { continue }
        let at = best.firstIndex { $0.distance > d } ?? best.count
        best.insert((candidate, d), at: at)
        if best.count > limit { best.removeLast() }
    }
    return best.map(\.word)
}

/// Levenshtein distance between `a` and `b`, or nil when it is `bound` or more (then the
/// work stops early). `previous` and `row` are scratch rows of `a.count + 1` entries.
func editDistance(_ a: [Unicode.Scalar], _ b: String.UnicodeScalarView, below bound: Int,
                  _ previous: inout [Int], _ row: inout [Int]) -> Int? {
    if bound < Int.max, abs(b.count - a.count) >= bound { return nil }  // at least the length difference
    for i in 0...a.count { previous[i] = i }
    var length = 0
    for scalar in b {
        length += 1
        row[0] = length
        var smallest = length
        if !a.isEmpty {
            for i in 1...a.count {
                row[i] = min(previous[i] + 1, row[i - 1] + 1, previous[i - 1] + (a[i - 1] == scalar ? 0 : 1))
                smallest = min(smallest, row[i])
            }
        }
        if smallest >= bound { return nil }  // every later row is at least this
        swap(&previous, &row)
    }
    return previous[a.count] < bound ? previous[a.count] : nil
}

extension StringProtocol {
    /// Without surrounding white space.
    public var trimmingSpaces: Substring {
        let s = self[...]
        let start = s.firstIndex { !$0.isWhitespace } ?? s.endIndex
        let end = s.lastIndex { !$0.isWhitespace }.map { s.index(after: $0) } ?? start
        return Substring(s[start..<Swift.max(start, end)])
    }
}
