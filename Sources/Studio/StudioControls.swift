import AdaptiveEQ
import EQCore

/// Reads the equaliser's controls from request parameters named by the parameter table's
/// symbols (`term`, `intensity`, …), so every control in the table reaches the engine and the
/// page without a hand-written list.
public enum StudioControls {
    /// The controls for `query` (missing ones keep their defaults). Words may be given by
    /// index or by name; options by index or label; toggles as 1/0/on/off/true/false.
    public static func parse(_ query: (String) -> String?, words: [String]) throws(StudioError) -> HostControls {
        var controls = HostControls()
        for parameter in ControlParameter.allCases {
            guard let text = query(parameter.symbol) else { continue }
            let raw = try rawValue(text, for: parameter, words: words)
            controls.set(parameter, rawValue: raw, vocabularyCount: words.count)
        }
        return controls
    }

    static func rawValue(_ text: String, for parameter: ControlParameter, words: [String]) throws(StudioError) -> Float {
        let key = text.lowercased()
        switch parameter.kind {
        case .vocabulary:
            if let i = words.firstIndex(of: key) { return Float(i) }
            if let i = Int(key), words.indices.contains(i) { return Float(i) }
            throw .badRequest("\(parameter.symbol): unknown word '\(text.prefix(40))'")
        case let .enumeration(options):
            if let i = options.firstIndex(of: key) { return Float(i) }
            if let i = Int(key), options.indices.contains(i) { return Float(i) }
            throw .badRequest("\(parameter.symbol): expected one of \(options.joined(separator: ", "))")
        case .toggle:
            switch key {
            case "1", "on", "true": return 1
            case "0", "off", "false": return 0
            default: throw .badRequest("\(parameter.symbol): expected on or off")
            }
        case .continuous:
            guard let v = Float(key), v.isFinite else { throw .badRequest("\(parameter.symbol): expected a number") }
            guard parameter.range.contains(v) else {
                throw .badRequest("\(parameter.symbol): \(v) is outside \(parameter.range.lowerBound) … \(parameter.range.upperBound)")
            }
            return v
        }
    }

    /// The table as the page builds its controls from it (JSON-ready values).
    public static var table: [[String: Any]] {
        ControlParameter.allCases.map { p in
            var row: [String: Any] = [
                "symbol": p.symbol, "name": p.name, "unit": p.unit.rawValue, "summary": p.summary,
                "min": Double(p.range.lowerBound), "max": Double(p.range.upperBound),
                "default": Double(p.defaultValue),
            ]
            switch p.kind {
            case .continuous: row["kind"] = "continuous"
            case .vocabulary: row["kind"] = "vocabulary"
            case .toggle: row["kind"] = "toggle"
            case let .enumeration(options): row["kind"] = "enumeration"; row["options"] = options
            }
            return row
        }
    }
}
