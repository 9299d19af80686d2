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

    /// The same with the default, for options declared optional (`--help` shows no default then).
    var flagHelpWithDefault: ArgumentHelp { ArgumentHelp("\(summary) \(rangeText). (default: \(formatted(defaultValue)))") }

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

// MARK: - Option groups

/// The second word, the blend and the intensity: what `process` and `live` take besides the
/// first word. Unconditional parsing lets negative numbers ("--intensity -0.5") reach the
/// range check and its clear message instead of being taken for a flag.
struct WordFlags: ParsableArguments {
    @Option(name: .customLong(ControlParameter.secondTerm.flagName), help: ControlParameter.secondTerm.flagHelpWord)
    var secondTerm: String?

    // Optional so a command can tell a given value from the default (`process --eq` refuses
    // them); `--help` shows the default through the help text.
    @Option(name: .customLong(ControlParameter.blend.flagName), parsing: .unconditional,
            help: ControlParameter.blend.flagHelpWithDefault)
    var blendGiven: Float?
    var blend: Float { blendGiven ?? ControlParameter.blend.defaultValue }

    @Option(name: .customLong(ControlParameter.intensity.flagName), parsing: .unconditional,
            help: ControlParameter.intensity.flagHelpWithDefault)
    var intensityGiven: Float?
    var intensity: Float { intensityGiven ?? ControlParameter.intensity.defaultValue }

    /// The flags given on the command line, as the user wrote them (for messages).
    var given: [String] {
        [(ControlParameter.secondTerm, secondTerm != nil), (.blend, blendGiven != nil), (.intensity, intensityGiven != nil)]
            .filter(\.1).map { "--" + $0.0.flagName }
    }

    func validate() throws {
        _ = try ControlParameter.blend.checked(blend)
        _ = try ControlParameter.intensity.checked(intensity)
    }
}

/// The engine's timing, gain and limit controls, shared by every command that runs the
/// engine over a stream (`process`, `live`), so each takes the same flags with the
/// same ranges and messages.
struct EngineFlags: ParsableArguments {
    @Option(name: .customLong(ControlParameter.analysisInterval.flagName), parsing: .unconditional,
            help: ControlParameter.analysisInterval.flagHelp)
    var analysisMilliseconds: Float = ControlParameter.analysisInterval.defaultValue

    @Option(name: .customLong(ControlParameter.smoothingTime.flagName), parsing: .unconditional,
            help: ControlParameter.smoothingTime.flagHelp)
    var smoothingMilliseconds: Float = ControlParameter.smoothingTime.defaultValue

    @Option(name: .customLong(ControlParameter.outputGain.flagName), parsing: .unconditional,
            help: ControlParameter.outputGain.flagHelp)
    var outputGainDecibels: Float = ControlParameter.outputGain.defaultValue

    @Option(name: .customLong(ControlParameter.correctionLimit.flagName), parsing: .unconditional,
            help: ControlParameter.correctionLimit.flagHelp)
    var correctionLimitDecibels: Float = ControlParameter.correctionLimit.defaultValue

    @Option(name: .customLong(ControlParameter.loudnessMatch.flagName), help: ControlParameter.loudnessMatch.flagHelpChoice)
    var loudnessMatch: Toggle = ControlParameter.loudnessMatch.defaultValue >= 0.5 ? .on : .off

    func validate() throws {
        for (parameter, value) in [(ControlParameter.analysisInterval, analysisMilliseconds),
                                   (.smoothingTime, smoothingMilliseconds), (.outputGain, outputGainDecibels),
                                   (.correctionLimit, correctionLimitDecibels)] {
            _ = try parameter.checked(value)
        }
    }

    /// Sets these controls; words, mode and intensity are the caller's.
    func apply(to controls: inout HostControls) {
        controls.analysisIntervalMilliseconds = analysisMilliseconds
        controls.smoothingTimeMilliseconds = smoothingMilliseconds
        controls.outputGainDecibels = outputGainDecibels
        controls.correctionLimitDecibels = correctionLimitDecibels
        controls.matchesLoudness = loudnessMatch == .on
    }
}
