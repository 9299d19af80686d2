import EQCore
import EQInference

/// A bad automation file: the 1-based line it was found on and what is wrong there.
public struct AutomationError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The 1-based line of the file (0 when the problem is not on one line).
    public let line: Int
    /// What is wrong there, for the user.
    public let message: String
    /// An error at `line`.
    public init(line: Int, _ message: String) { self.line = line; self.message = message }
    /// `line N: message`.
    public var description: String { "line \(line): \(message)" }
}

/// Control changes at times in seconds, for offline renders: `adaptive-eq process
/// --automation FILE`. Keys are the symbols of the parameter table (`term`, `term_b`,
/// `blend`, `intensity`, `mode`, `analysis_ms`, `smoothing_ms`, `output_gain_db`, `enabled`,
/// and the manual EQ's `g1` … `f5`); values are in the table's units, words by name, `mode`
/// as `adaptive`, `static` or `manual`, `enabled` as `on`/`off`.
///
/// CSV: a header line `time,KEY,…`, then one line per point; an empty cell leaves that
/// control as it was; blank lines and lines starting with `#` are ignored; no quoting.
/// JSON: an array of objects `{"time": 1.5, "term": "bright", "intensity": 1}`.
/// Times are seconds from the start of the file, ≥ 0 and non-decreasing.
public struct Automation: Equatable, Sendable {
    /// One control value as written in the file.
    public struct Setting: Equatable, Sendable {
        /// The control's symbol in the parameter table (`intensity`, `g1`, …).
        public var key: String
        /// The value as written (a number in the table's unit, a word, `on`/`off`).
        public var text: String
    }

    /// The controls that change at one time.
    public struct Point: Equatable, Sendable {
        /// Seconds from the start of the file (≥ 0, non-decreasing along `points`).
        public var timeSeconds: Double
        /// Line of the file the point was written on (for error messages).
        public var line: Int
        /// The controls set at this time, in the order written.
        public var settings: [Setting]
    }

    /// The points in time order.
    public private(set) var points: [Point]

    /// Every key a file may use: the control table, then the manual EQ parameters.
    public static let keys: [String] = ControlParameter.allCases.map(\.symbol) + EQParameter.allCases.map(\.symbol)

    /// Parses CSV or JSON (JSON when the first non-blank character is `[`).
    public init(text: String) throws(AutomationError) {
        let first = text.utf8.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        points = first == UInt8(ascii: "[") ? try Self.parseJSON(text) : try Self.parseCSV(text)
        var previous = 0.0
        for point in points {
            guard point.timeSeconds.isFinite, point.timeSeconds >= 0, point.timeSeconds <= 1e7 else {
                throw AutomationError(line: point.line, "time must be a number of seconds from 0, got \(point.timeSeconds)")
            }
            guard point.timeSeconds >= previous else {
                throw AutomationError(line: point.line, "time \(point.timeSeconds) s comes before the previous point's \(previous) s")
            }
            previous = point.timeSeconds
        }
    }

    // MARK: - CSV

    static func parseCSV(_ text: String) throws(AutomationError) -> [Point] {
        var header: [String]?
        var result: [Point] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {  // "\r\n" is one Character
            lineNumber += 1
            let line = rawLine.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") { continue }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingSpaces) }
            guard let columns = header else {
                guard cells.first?.lowercased() == "time" else {
                    throw AutomationError(line: lineNumber, "the first line must be a header starting with 'time' (e.g. time,term,intensity)")
                }
                var seen: [String] = []
                for key in cells.dropFirst() {
                    try checkKey(key, line: lineNumber)
                    guard !seen.contains(key) else { throw AutomationError(line: lineNumber, "column '\(key)' appears twice") }
                    seen.append(key)
                }
                header = seen
                continue
            }
            guard cells.count == columns.count + 1 else {
                throw AutomationError(line: lineNumber, "\(cells.count) cells, the header has \(columns.count + 1)")
            }
            guard let time = Double(cells[0]) else {
                throw AutomationError(line: lineNumber, "time '\(cells[0])' is not a number of seconds")
            }
            let settings = zip(columns, cells.dropFirst()).filter { !$0.1.isEmpty }.map { Setting(key: $0.0, text: $0.1) }
            result.append(Point(timeSeconds: time, line: lineNumber, settings: settings))
        }
        guard header != nil else { throw AutomationError(line: max(lineNumber, 1), "no header line (time,KEY,…)") }
        return result
    }

    // MARK: - JSON

    static func parseJSON(_ text: String) throws(AutomationError) -> [Point] {
        let bytes = Array(text.utf8)
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch {
            throw AutomationError(line: lineOf(offset: error.offset, in: bytes), "invalid JSON: \(error.reason)")
        }
        guard case let .array(items) = value else { throw AutomationError(line: 1, "JSON automation must be an array of objects") }
        let starts = elementStarts(bytes)
        var result: [Point] = []
        for (i, item) in items.enumerated() {
            let line = i < starts.count ? lineOf(offset: starts[i], in: bytes) : 1
            guard case let .object(members) = item else {
                throw AutomationError(line: line, "point \(i + 1) is a \(item.kindName), not an object")
            }
            var time: Double?
            var settings: [Setting] = []
            for (key, member) in members {
                let text: String
                switch member {
                case let .string(s): text = s
                case let .integer(n): text = String(n)
                case let .number(x): text = String(x)
                case let .bool(b): text = b ? "on" : "off"
                default: throw AutomationError(line: line, "'\(key)' is a \(member.kindName), not a number, word or true/false")
                }
                if key == "time" {
                    guard time == nil else { throw AutomationError(line: line, "'time' appears twice") }
                    guard let t = Double(text) else { throw AutomationError(line: line, "time '\(text)' is not a number of seconds") }
                    time = t
                    continue
                }
                try checkKey(key, line: line)
                guard !settings.contains(where: { $0.key == key }) else { throw AutomationError(line: line, "'\(key)' appears twice") }
                settings.append(Setting(key: key, text: text))
            }
            guard let time else { throw AutomationError(line: line, "point \(i + 1) has no 'time'") }
            result.append(Point(timeSeconds: time, line: line, settings: settings))
        }
        return result
    }

    /// Byte offsets where the elements of the top-level array begin (for line numbers).
    static func elementStarts(_ bytes: [UInt8]) -> [Int] {
        var starts: [Int] = []
        var depth = 0, inString = false, escaped = false, expectValue = false
        for (i, b) in bytes.enumerated() {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if depth == 1 && expectValue { starts.append(i) }
                depth += 1
                expectValue = depth == 1
                continue
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            case UInt8(ascii: ","): if depth == 1 { expectValue = true; continue }
            case UInt8(ascii: "\""):
                if depth == 1 && expectValue { starts.append(i) }
                inString = true
            default:
                if depth == 1 && expectValue { starts.append(i) }
            }
            expectValue = false
        }
        return starts
    }

    static func lineOf(offset: Int, in bytes: [UInt8]) -> Int {
        1 + bytes.prefix(min(max(offset, 0), bytes.count)).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    static func checkKey(_ key: String, line: Int) throws(AutomationError) {
        guard keys.contains(key) else {
            throw AutomationError(line: line, "unknown control '\(key)' (known: time, \(keys.joined(separator: ", ")))")
        }
    }
}

extension Automation {
    /// The controls in force from each point's time on, starting from `base` (the controls
    /// before the first point). Words are looked up in `vocabulary`; values are checked
    /// against the parameter table, and anything wrong is reported with its line.
    public func controlSteps(from base: HostControls, vocabulary: HostVocabulary?) throws(AutomationError)
        -> [(timeSeconds: Double, controls: HostControls)] {
        var controls = base
        var steps: [(timeSeconds: Double, controls: HostControls)] = []
        for point in points {
            for setting in point.settings {
                try Self.apply(setting, to: &controls, vocabulary: vocabulary, line: point.line)
            }
            if let last = steps.last, last.timeSeconds == point.timeSeconds {
                steps[steps.count - 1].controls = controls
            } else {
                steps.append((point.timeSeconds, controls))
            }
        }
        return steps
    }

    static func apply(_ setting: Setting, to controls: inout HostControls, vocabulary: HostVocabulary?,
                      line: Int) throws(AutomationError) {
        let text = setting.text
        if let p = EQParameter.allCases.first(where: { $0.symbol == setting.key }) {
            guard let v = Float(text), v.isFinite, p.range.contains(v) else {
                throw AutomationError(line: line, "\(p.symbol) (\(p.name)) must be a number in \(p.range.lowerBound) … \(p.range.upperBound) \(p.unit.rawValue), got '\(text)'")
            }
            controls.manual[p] = v
            return
        }
        guard let parameter = ControlParameter.allCases.first(where: { $0.symbol == setting.key }) else {
            throw AutomationError(line: line, "unknown control '\(setting.key)'")
        }
        switch parameter.kind {
        case .vocabulary:
            guard let vocabulary else { throw AutomationError(line: line, "\(parameter.symbol) needs a vocabulary (no model loaded)") }
            guard let index = vocabulary.index(of: text) else {
                let near = vocabulary.suggestions(for: text).joined(separator: ", ")
                throw AutomationError(line: line, "unknown word '\(text)'; nearest known words: \(near)")
            }
            if parameter == .term { controls.term = index } else { controls.secondTerm = index }
        case .enumeration:
            guard let mode = EqualiserMode.allCases.first(where: { $0.label == text.lowercased() }) else {
                let options = EqualiserMode.allCases.map(\.label).joined(separator: ", ")
                throw AutomationError(line: line, "mode must be one of \(options), got '\(text)'")
            }
            controls.mode = mode
        case .toggle:
            switch text.lowercased() {
            case "on", "true", "1", "yes": controls.enabled = true
            case "off", "false", "0", "no": controls.enabled = false
            default: throw AutomationError(line: line, "\(parameter.symbol) must be on or off, got '\(text)'")
            }
        case .continuous:
            let r = parameter.range
            guard let v = Float(text), v.isFinite, r.contains(v) else {
                throw AutomationError(line: line, "\(parameter.symbol) must be a number in \(r.lowerBound) … \(r.upperBound)\(parameter.unit.rawValue.isEmpty ? "" : " " + parameter.unit.rawValue), got '\(text)'")
            }
            controls.set(parameter, rawValue: v, vocabularyCount: vocabulary?.words.count ?? 1)
        }
    }
}
