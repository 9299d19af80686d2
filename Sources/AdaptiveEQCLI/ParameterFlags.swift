import AdaptiveEQ
import ArgumentParser
import Foundation

// Command-line flags come from the parameter table: their names, help texts, ranges and
// error messages, so `--help`, the plugin and the README say the same thing.

extension ControlParameter {
    /// The command-line flag stem (`analysis_ms` → `analysis-ms`).
    var flagName: String { symbol.replacingOccurrences(of: "_", with: "-") }

    /// "5 … 1000 ms" (the table's range and unit).
    var rangeText: String {
        "\(formatted(range.lowerBound)) … \(formatted(range.upperBound))" + (unit == .none ? "" : " \(unit.rawValue)")
    }

    /// The table's summary and range, for `--help` (which adds the default).
    var flagHelp: ArgumentHelp { ArgumentHelp("\(summary) \(rangeText).") }

    /// Help for a word control: the summary (words are listed by `adaptive-eq terms`).
    var flagHelpWord: ArgumentHelp { ArgumentHelp("\(summary) See `adaptive-eq terms`.") }

    /// Help for a choice: the summary (`--help` lists the options and the default).
    var flagHelpChoice: ArgumentHelp { ArgumentHelp(summary) }

    /// `value` when it is a number inside the range, else the one-line error.
    func checked(_ value: Float) throws -> Float {
        guard value.isFinite, range.contains(value) else {
            throw CLIError("--\(flagName) must be \(rangeText), got \(value)")
        }
        return value
    }
}

/// What `--eq` takes, from the table: the 13 symbols in order with their ranges.
func manualEQHelp() -> String {
    let list = EQParameter.allCases.map(\.symbol).joined(separator: ",")
    let ranges = EQParameter.allCases.map { p in
        "\(p.symbol) \(formatted(p.range.lowerBound))…\(formatted(p.range.upperBound)) \(p.unit.rawValue)"
    }.joined(separator: ", ")
    return "--eq takes the \(EQParameter.allCases.count) parameters in order \(list): \(ranges)."
}

/// 46.4 → "46.4", 1000 → "1000".
func formatted(_ v: Float) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%g", v) }
