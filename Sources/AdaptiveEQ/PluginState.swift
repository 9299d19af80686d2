import EQCore
import EQDSP

/// Why saved plugin settings were refused (nothing was changed).
public struct PluginStateError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What was wrong, for the user (names the file or the entry).
    public let message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// A plugin's saved settings, as hosts store them with a session: every control of the
/// parameter table (`ControlParameter`), the words as text (so a typed phrase such as
/// "a bit less muddy" survives a reload, and a learnt word keeps its meaning if the
/// vocabulary's order changes), the 13 manual EQ parameters and the reference-matching
/// detail.
///
/// Format (little-endian, version 1): the magic `AEQS`, a `u16` version, a `u16` entry
/// count, then that many entries of
/// `u8 kind, u8 key length (1…32), key (ASCII, a parameter-table symbol)` and a value:
/// kind 0 `f32`; kind 1 `u16 byte count (≤ 256)` + UTF-8 text; kind 2 `u16 count (≤ 64)` +
/// `f32` each. Keys are the table's symbols (`intensity`, `mode`, `g1` … `f5`), `term` and
/// `term_b` as text, and `detail` (the matching detail's gains, one per band). Nothing may
/// follow the last entry. Decoding refuses a wrong magic, another version, truncation,
/// trailing bytes, a repeated key, a value of the wrong kind, a non-finite or out-of-range
/// value and text that is not UTF-8; keys it does not know are skipped (a later version may
/// add some). A key that is missing keeps its default.
///
/// Pure value type; encoding and decoding allocate (call them off the audio thread).
public struct PluginState: Equatable, Sendable {
    /// Every control; `term` and `secondTerm` are not stored (the words are, as text).
    public var controls: HostControls
    /// The first word (or phrase) as the user gave it.
    public var word: String
    /// The second word (blend target).
    public var secondWord: String

    /// The four bytes every encoded state starts with, `AEQS`.
    public static let magic: [UInt8] = [0x41, 0x45, 0x51, 0x53]  // "AEQS"
    /// The format version written (and the only one read).
    public static let version: UInt16 = 1
    static let maximumTextBytes = 256
    static let maximumArrayCount = 64
    static let detailKey = "detail"

    /// A state holding `controls` and the two words as text.
    public init(controls: HostControls = HostControls(), word: String = "", secondWord: String = "") {
        (self.controls, self.word, self.secondWord) = (controls, word, secondWord)
    }

    /// The state as bytes.
    public func encoded() -> [UInt8] {
        var out = Self.magic
        var entries: [[UInt8]] = []
        func key(_ kind: UInt8, _ k: String) -> [UInt8] { [kind, UInt8(k.utf8.count)] + Array(k.utf8) }
        func number(_ k: String, _ v: Float) { entries.append(key(0, k) + le(v.bitPattern)) }
        func text(_ k: String, _ s: String) {
            var bytes = Array(s.utf8)
            if bytes.count > Self.maximumTextBytes { bytes = Array(String(s.prefix(WordPhrase.maximumLength)).utf8.prefix(Self.maximumTextBytes)) }
            entries.append(key(1, k) + le(UInt16(bytes.count)) + bytes)
        }
        for p in ControlParameter.allCases {
            switch p {
            case .term: text(p.symbol, word)
            case .secondTerm: text(p.symbol, secondWord)
            default: number(p.symbol, controls.rawValue(p))
            }
        }
        for p in EQParameter.allCases { number(p.symbol, controls.manual[p]) }
        var detail = key(2, Self.detailKey) + le(UInt16(MatchingDetail.bandCount))
        for i in 0..<MatchingDetail.bandCount { detail += le(controls.matchingDetail.gainsDecibels[i].bitPattern) }
        entries.append(detail)
        out += le(Self.version) + le(UInt16(entries.count))
        for e in entries { out += e }
        return out
    }

    /// Reads bytes written by `encoded()`; see the type's documentation for what is refused.
    public init(decoding bytes: [UInt8]) throws(PluginStateError) {
        var reader = ByteReader(bytes: bytes)
        guard bytes.count >= 8, Array(bytes[0..<4]) == Self.magic else {
            throw PluginStateError("not AdaptiveEQ settings (no AEQS header)")
        }
        reader.position = 4
        let version = try reader.u16()
        guard version == Self.version else {
            throw PluginStateError("settings of format version \(version); this build reads version \(Self.version)")
        }
        let count = Int(try reader.u16())
        var state = PluginState()
        var seen = Set<String>()
        for _ in 0..<count {
            let kind = try reader.u8()
            let length = Int(try reader.u8())
            guard (1...32).contains(length) else { throw PluginStateError("bad key length \(length)") }
            let keyBytes = try reader.bytes(length)
            guard keyBytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { throw PluginStateError("key is not ASCII") }
            let key = String(decoding: keyBytes, as: UTF8.self)
            guard seen.insert(key).inserted else { throw PluginStateError("'\(key)' appears twice") }
            switch kind {
            case 0:
                let v = Float(bitPattern: try reader.u32())
                try state.setNumber(key, v)
            case 1:
                let n = Int(try reader.u16())
                guard n <= Self.maximumTextBytes else { throw PluginStateError("'\(key)': text of \(n) bytes (at most \(Self.maximumTextBytes))") }
                let raw = try reader.bytes(n)
                guard let s = String(validating: raw, as: UTF8.self) else { throw PluginStateError("'\(key)': text is not UTF-8") }
                try state.setText(key, s)
            case 2:
                let n = Int(try reader.u16())
                guard n <= Self.maximumArrayCount else { throw PluginStateError("'\(key)': \(n) values (at most \(Self.maximumArrayCount))") }
                var values: [Float] = []
                for _ in 0..<n { values.append(Float(bitPattern: try reader.u32())) }
                try state.setArray(key, values)
            default:
                throw PluginStateError("'\(key)': unknown value kind \(kind)")
            }
        }
        guard reader.position == bytes.count else {
            throw PluginStateError("\(bytes.count - reader.position) bytes after the last setting")
        }
        self = state
    }

    private mutating func setNumber(_ key: String, _ v: Float) throws(PluginStateError) {
        guard v.isFinite else { throw PluginStateError("'\(key)' is not a number") }
        if let p = ControlParameter.allCases.first(where: { $0.symbol == key }) {
            switch p.kind {
            case .vocabulary: throw PluginStateError("'\(key)' must be text")
            default: break
            }
            // The mode also carries `manual`, one past the table's word modes.
            let range = p == .mode ? 0...Float(EqualiserMode.manual.rawValue) : p.range
            guard range.contains(v) else {
                throw PluginStateError("'\(key)' = \(v) is outside \(range.lowerBound)…\(range.upperBound)")
            }
            if p == .mode && v != v.rounded() { throw PluginStateError("'mode' = \(v) is not a mode") }
            controls.set(p, rawValue: v, vocabularyCount: 1)
        } else if let p = EQParameter.allCases.first(where: { $0.symbol == key }) {
            guard p.range.contains(v) else {
                throw PluginStateError("'\(key)' = \(v) is outside \(p.range.lowerBound)…\(p.range.upperBound)")
            }
            controls.manual[p] = v
        } else if key == Self.detailKey {
            throw PluginStateError("'\(key)' must be a list of numbers")
        }
        // Unknown keys: written by a later version; skipped.
    }

    private mutating func setText(_ key: String, _ s: String) throws(PluginStateError) {
        switch key {
        case ControlParameter.term.symbol: word = s
        case ControlParameter.secondTerm.symbol: secondWord = s
        default:
            if ControlParameter.allCases.contains(where: { $0.symbol == key })
                || EQParameter.allCases.contains(where: { $0.symbol == key }) || key == Self.detailKey {
                throw PluginStateError("'\(key)' must not be text")
            }
        }
    }

    private mutating func setArray(_ key: String, _ values: [Float]) throws(PluginStateError) {
        guard key == Self.detailKey else {
            if ControlParameter.allCases.contains(where: { $0.symbol == key })
                || EQParameter.allCases.contains(where: { $0.symbol == key }) {
                throw PluginStateError("'\(key)' must be one value")
            }
            return
        }
        guard values.count == MatchingDetail.bandCount else {
            throw PluginStateError("'detail' has \(values.count) gains, expected \(MatchingDetail.bandCount)")
        }
        let limit = MatchingDetail.maximumGainDecibels
        var gains = SIMD32<Float>.zero
        for (i, g) in values.enumerated() {
            guard g.isFinite, abs(g) <= limit else { throw PluginStateError("'detail' gain \(i + 1) = \(g) dB is outside ±\(limit) dB") }
            gains[i] = g
        }
        controls.matchingDetail = MatchingDetail(gainsDecibels: gains)
    }
}

private func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
    (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
}

/// Little-endian reads that fail with a message instead of reading past the end.
private struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    mutating func bytes(_ n: Int) throws(PluginStateError) -> ArraySlice<UInt8> {
        guard n >= 0, bytes.count - position >= n else { throw PluginStateError("settings are truncated") }
        defer { position += n }
        return bytes[position..<position + n]
    }
    mutating func u8() throws(PluginStateError) -> UInt8 { try bytes(1).first! }
    mutating func u16() throws(PluginStateError) -> UInt16 {
        let b = try bytes(2)
        return UInt16(b[b.startIndex]) | UInt16(b[b.startIndex + 1]) << 8
    }
    mutating func u32() throws(PluginStateError) -> UInt32 {
        let b = try bytes(4)
        var v: UInt32 = 0
        for (i, x) in b.enumerated() { v |= UInt32(x) << (8 * i) }
        return v
    }
}
