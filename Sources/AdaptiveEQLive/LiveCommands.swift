import AdaptiveEQ
import EQDSP

/// What one line typed at the live client asks for.
public enum LiveCommandResult: Equatable, Sendable {
    /// Controls changed; the text says what was set.
    case changed(String)
    case status
    case help
    case quit
    case error(String)
}

/// Parses the live client's command lines. Keys are the control table's symbols
/// (`term warm`, `term_b bright`, `blend 0.3`, `intensity 0.5`, `mode static`,
/// `analysis_ms 50`, `smoothing_ms 200`, `output_gain_db -3`, `enabled 0`), the manual EQ
/// symbols (`g1 -6`, `f1 120`, …), `eq g1,f1,…,f5` (13 values; switches to manual mode),
/// and `status`, `help`, `quit`.
public struct LiveCommandParser: Sendable {
    public let words: [String]

    public init(words: [String]) { self.words = words }

    public static let helpText: String = {
        var lines = ["commands (one per line):"]
        for p in ControlParameter.allCases {
            let value: String
            switch p.kind {
            case .vocabulary: value = "WORD"
            case .enumeration: value = EqualiserMode.allCases.map(\.label).joined(separator: "|")
            case .toggle: value = "on|off"
            case .continuous: value = "\(p.range.lowerBound)…\(p.range.upperBound)\(p.unit == .none ? "" : " " + p.unit.rawValue)"
            }
            lines.append("  \(p.symbol) \(value)".padded(to: 40) + p.summary)
        }
        lines.append("  eq g1,f1,g2,f2,q2,g3,f3,q3,g4,f4,q4,g5,f5".padded(to: 40) + "Manual EQ (switches to manual mode).")
        lines.append("  g1 … f5 VALUE".padded(to: 40) + "One manual EQ parameter.")
        lines.append("  status".padded(to: 40) + "Print the controls and the EQ being applied.")
        lines.append("  quit".padded(to: 40) + "Stop and print the report.")
        return lines.joined(separator: "\n")
    }()

    /// Every command word a line may start with.
    static let keys: [String] = ["status", "help", "quit", "exit", "eq"] + ControlParameter.allCases.map(\.symbol)
        + EQParameter.allCases.map(\.symbol)

    /// Applies `line` to `controls`.
    public func apply(_ line: String, to controls: inout HostControls) -> LiveCommandResult {
        // Any white space separates (a line sent with "\r\n" ends in a carriage return).
        var parts = line.split(whereSeparator: { $0.isWhitespace || $0 == "=" }).map(String.init)
        guard let key = parts.first?.lowercased() else { return .changed("") }
        if key.hasPrefix("#") { return .changed("") }
        switch key {
        case "status": return .status
        case "help", "?": return .help
        case "quit", "exit": return .quit
        default: break
        }
        guard Self.keys.contains(key) else {
            let near = nearestWords(to: key, in: Self.keys, limit: 1)
            return .error("unknown command '\(Self.shown(key))'" + (near.first.map { "; did you mean \($0)?" } ?? "") + " (type help)")
        }
        // "eq -6, 100, …": the values may be spaced after their commas.
        if key == "eq", parts.count > 2 { parts = [key, parts.dropFirst().joined()] }
        guard parts.count == 2 else { return .error("'\(key)' needs one value (type help)") }
        let value = parts[1]
        if key == "eq" {
            let fields = value.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == EQSettings.parameterCount else {
                return .error("eq needs 13 comma-separated values, got \(fields.count)")
            }
            var manual = EQSettings.flat
            for (i, field) in fields.enumerated() {
                let p = EQParameter(rawValue: i)!
                guard let v = Float(field), v.isFinite, p.range.contains(v) else {
                    return .error("eq \(p.symbol) = '\(Self.shown(String(field)))' must be a number in \(p.range.lowerBound)…\(p.range.upperBound) \(p.unit.rawValue)")
                }
                manual[p] = v
            }
            controls.manual = manual
            controls.mode = .manual
            return .changed("mode = manual, eq = \(value)")
        }
        if let p = EQParameter.allCases.first(where: { $0.symbol == key }) {
            guard let v = Float(value), v.isFinite, p.range.contains(v) else {
                return .error("\(p.symbol) must be a number in \(p.range.lowerBound)…\(p.range.upperBound) \(p.unit.rawValue)")
            }
            controls.manual[p] = v
            return .changed("\(p.symbol) = \(v) \(p.unit.rawValue)")
        }
        guard let p = ControlParameter.allCases.first(where: { $0.symbol == key }) else {
            return .error("unknown command '\(key)' (type help)")
        }
        switch p.kind {
        case .vocabulary:
            guard let index = words.firstIndex(of: Vocabulary.normalise(value)) else {
                let near = nearestWords(to: value, in: words, limit: 3).joined(separator: ", ")
                return .error("unknown word '\(Self.shown(value))'; nearest known words: \(near)")
            }
            controls.set(p, rawValue: Float(index), vocabularyCount: words.count)
            return .changed("\(p.symbol) = \(words[index])")
        case .enumeration:
            guard let mode = EqualiserMode.allCases.first(where: { $0.label == value.lowercased() }) else {
                return .error("mode must be one of \(EqualiserMode.allCases.map(\.label).joined(separator: ", "))")
            }
            controls.mode = mode
            return .changed("mode = \(mode.label)")
        case .toggle:
            switch value.lowercased() {
            case "1", "on", "true", "yes": controls.set(p, rawValue: 1, vocabularyCount: words.count)
            case "0", "off", "false", "no": controls.set(p, rawValue: 0, vocabularyCount: words.count)
            default: return .error("\(p.symbol) must be on or off")
            }
            return .changed("\(p.symbol) = \(controls.rawValue(p) >= 0.5 ? "on" : "off")")
        case .continuous:
            guard let v = Float(value), v.isFinite, p.range.contains(v) else {
                return .error("\(p.symbol) must be a number in \(p.range.lowerBound)…\(p.range.upperBound)\(p.unit == .none ? "" : " " + p.unit.rawValue)")
            }
            controls.set(p, rawValue: v, vocabularyCount: words.count)
            return .changed("\(p.symbol) = \(v)\(p.unit == .none ? "" : " " + p.unit.rawValue)")
        }
    }
}

extension LiveCommandParser {
    /// Typed text as an error message quotes it: at most 40 characters, control characters
    /// and undecodable bytes escaped, so junk piped in stays one short line.
    static func shown(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(40) {
            if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{FFFD}" {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > 40 ? out + "…" : out
    }
}

extension String {
    func padded(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
