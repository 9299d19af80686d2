import AdaptiveEQ
import EQCore

/// What hosts show for a parameter value and read back from typed text. Numbers are plain
/// decimal text without units (the units are a field of their own; pedalboard reads these
/// texts to learn a parameter's range, so they must parse as numbers), words and modes by
/// name, switches as On/Off.
enum ParameterText {
    /// Text of `plain` for `parameter`; `words` are the word list's entries.
    static func text(_ parameter: VST3Parameter, plain: Double, words: [String]) -> String {
        switch parameter {
        case .control(let p):
            switch p.kind {
            case .vocabulary:
                let i = Int(plain)
                return words.indices.contains(i) ? words[i] : ""
            case .enumeration:
                return EqualiserMode(rawValue: Int(plain))?.label ?? ""
            case .toggle:
                return plain >= 0.5 ? "On" : "Off"
            case .continuous:
                return number(plain, span: Double(parameter.range.upperBound - parameter.range.lowerBound))
            }
        default:
            return number(plain, span: Double(parameter.range.upperBound - parameter.range.lowerBound))
        }
    }

    /// The plain value `text` names, or nil. Words are not handled here (see
    /// `PluginCore.wordIndex(forText:)`, which may look a phrase up).
    static func plain(_ parameter: VST3Parameter, text raw: String) -> Double? {
        let text = Vocabulary.normalise(raw)
        if case .control(let p) = parameter {
            switch p.kind {
            case .enumeration:
                if let m = EqualiserMode.allCases.first(where: { $0.label == text }) { return Double(m.rawValue) }
            case .toggle:
                if ["on", "yes", "true"].contains(text) { return 1 }
                if ["off", "no", "false"].contains(text) { return 0 }
            default: break
            }
        }
        // A number, optionally followed by the parameter's unit ("-3 dB", "120hz").
        var t = Substring(text)
        let unit = Vocabulary.normalise(parameter.units)
        if !unit.isEmpty, t.hasSuffix(unit) { t = t.dropLast(unit.count) }
        guard let v = Double(String(t).trimmingSpaces), v.isFinite else { return nil }
        return v
    }

    /// `v` as decimal text to a hundred-thousandth of the parameter's span, rounded to a power
    /// of ten (0.001 dB, 0.01 Hz below 1 kHz of span, 1 Hz above 10 kHz): hosts hand values
    /// over as Float, so unrounded text read "1000.00006" or "7.1525574e-07" dB. Text and value
    /// convert both ways and the text of a value read back is the same text.
    static func number(_ v: Double, span: Double) -> String {
        guard v.isFinite else { return "0" }
        // The step is 10^exponent (the span's decade less 5); negative exponents are decimal places.
        var decade = 0, x = span > 0 && span.isFinite ? span : 1
        while x >= 10 { x /= 10; decade += 1 }
        while x < 1 { x *= 10; decade -= 1 }
        let exponent = decade - 4
        let power = (0..<abs(exponent)).reduce(Int64(1)) { r, _ in r * 10 }
        let units = Int64((exponent >= 0 ? v / Double(power) : v * Double(power)).rounded())
        if exponent >= 0 { return String(units * power) }
        let magnitude = units.magnitude, unit = UInt64(power)
        var fraction = String(magnitude % unit)
        fraction = String(repeating: "0", count: -exponent - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (units < 0 ? "-" : "") + String(magnitude / unit) + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// Copies `text` as UTF-16 into a host's String128 (NUL-terminated, truncated).
    static func write(_ text: String, to destination: UnsafeMutablePointer<UInt16>, capacity: Int = 128) {
        var i = 0
        for unit in text.utf16 where i < capacity - 1 {
            destination[i] = unit
            i += 1
        }
        destination[i] = 0
    }

    /// Reads a host's NUL-terminated UTF-16 text (at most `capacity` units).
    static func read(_ source: UnsafePointer<UInt16>, capacity: Int = 1024) -> String {
        var n = 0
        while n < capacity && source[n] != 0 { n += 1 }
        return String(decoding: UnsafeBufferPointer(start: source, count: n), as: UTF16.self)
    }

    /// Copies `text` as 8-bit text into a fixed C array field (NUL-terminated, truncated).
    static func writeC<T>(_ text: String, to field: inout T) {
        withUnsafeMutableBytes(of: &field) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            for (i, b) in text.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b }
        }
    }
}
