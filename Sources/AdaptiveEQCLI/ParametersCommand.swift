import AdaptiveEQ
import ArgumentParser
import EQDSP
import Foundation

/// Prints the parameter tables (`EQParameter`, `ControlParameter`) — the same tables that
/// generate the plugin's ports and the studio's sliders — so docs never drift from code.
struct ParametersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parameters",
        abstract: "Print the parameter table (Markdown by default, or JSON).")

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        if json {
            let data = try JSONSerialization.data(withJSONObject: parameterTableJSON(),
                                                  options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(markdownParameterTable())
    }
}

/// The table as JSON objects (what `parameters --json` prints for other tools, which keep a
/// copy of it: python/aeq/parameters.json).
func parameterTableJSON() -> [String: Any] {
    let eq = EQParameter.allCases.map { p -> [String: Any] in
        ["symbol": p.symbol, "name": p.name, "unit": p.unit.rawValue, "minimum": p.range.lowerBound,
         "maximum": p.range.upperBound, "default": p.defaultValue,
         "smoothing": p.smoothing == .linear ? "linear" : "logarithmic"]
    }
    let controls = ControlParameter.allCases.map { p -> [String: Any] in
        ["symbol": p.symbol, "name": p.name, "unit": p.unit.rawValue, "minimum": p.range.lowerBound,
         "maximum": p.range.upperBound, "default": p.defaultValue, "summary": p.summary]
    }
    return ["eq": eq, "controls": controls]
}

func markdownParameterTable() -> String {
    let number = formatted
    var lines = ["| # | symbol | parameter | unit | range | default | glides in |", "|---|---|---|---|---|---|---|"]
    for p in EQParameter.allCases {
        lines.append("| \(p.rawValue + 1) | `\(p.symbol)` | \(p.name) | \(p.unit.rawValue) | "
                     + "\(number(p.range.lowerBound)) … \(number(p.range.upperBound)) | \(number(p.defaultValue)) | "
                     + (p.smoothing == .linear ? "dB" : "log") + " |")
    }
    lines += ["", "| control | name | unit | range | default | meaning |", "|---|---|---|---|---|---|"]
    for p in ControlParameter.allCases {
        let range: String
        switch p.kind {
        case .vocabulary: range = "word"
        case .enumeration(let options): range = options.joined(separator: " / ")
        case .toggle: range = "on / off"
        case .continuous: range = "\(number(p.range.lowerBound)) … \(number(p.range.upperBound))"
        }
        let def: String
        switch p.kind {
        case .vocabulary: def = p == .term ? "warm" : "—"
        case .enumeration(let options): def = options[Int(p.defaultValue)]
        case .toggle: def = p.defaultValue >= 0.5 ? "on" : "off"
        case .continuous: def = number(p.defaultValue)
        }
        lines.append("| `\(p.symbol)` | \(p.name) | \(p.unit == .none ? "—" : p.unit.rawValue) | \(range) | \(def) | \(p.summary) |")
    }
    return lines.joined(separator: "\n")
}
