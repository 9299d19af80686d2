import AdaptiveEQ
import EQCore

/// One VST3 parameter, derived from the parameter table (`ControlParameter`, `EQParameter`),
/// so what hosts see cannot drift from the CLI, the LV2 ports and the docs.
///
/// Ids are stable across versions (hosts store automation by id): a control is its table
/// index, a manual EQ parameter 100 + its index, a read-out of the EQ being applied 200 + its
/// index, the loudness-matching gain read-out 300.
public enum VST3Parameter: Equatable, Sendable {
    /// A control; `enabled` is offered as the host's bypass switch (inverted).
    case control(ControlParameter)
    /// One of the 13 EQ parameters of manual mode.
    case manual(EQParameter)
    /// Read-only: the target EQ the audio goes through now (`HostEqualiser.applied.target`).
    case target(EQParameter)
    /// Read-only: the correction whose inverse follows the target (`applied.correction`;
    /// flat outside adaptive mode).
    case correction(EQParameter)
    /// Read-only: the applied response (target, inverse correction, detail) at octave band
    /// `band` (`VST3Parameter.responseFrequencyHz`), in dB.
    case response(band: Int)
    /// Read-only: the loudness-matching gain applied now, in dB.
    case loudnessGain

    // VST3 ParameterInfo flags.
    static let canAutomate: Int32 = 1
    static let isReadOnly: Int32 = 2
    static let isList: Int32 = 8
    static let isBypass: Int32 = 1 << 16

    /// Range of the loudness-gain read-out, in dB.
    static let loudnessGainRange: ClosedRange<Float> = -24...24
    /// Octave bands of the response read-outs: 31.25 Hz … 16 kHz.
    public static let responseBandCount = 10
    /// Range of the response read-outs, in dB (the target and the correction add up).
    static let responseRange: ClosedRange<Float> = -36...36
    /// Centre of response band `index`: 1 kHz · 2^(index − 5).
    public static func responseFrequencyHz(_ index: Int) -> Double { 1000 * exp2(Double(index - 5)) }

    /// Every parameter, in the order hosts list them.
    public static let all: [VST3Parameter] =
        ControlParameter.allCases.map { .control($0) } + EQParameter.allCases.map { .manual($0) }
            + EQParameter.allCases.map { .target($0) } + EQParameter.allCases.map { .correction($0) }
            + (0..<responseBandCount).map { .response(band: $0) } + [.loudnessGain]

    public var id: UInt32 {
        switch self {
        case let .control(p): UInt32(p.rawValue)
        case let .manual(p): 100 + UInt32(p.rawValue)
        case let .target(p): 200 + UInt32(p.rawValue)
        case let .correction(p): 220 + UInt32(p.rawValue)
        case let .response(band): 240 + UInt32(band)
        case .loudnessGain: 300
        }
    }

    /// The parameter with `id`, or nil.
    public init?(id: UInt32) {
        switch id {
        case 0..<100: guard let p = ControlParameter(rawValue: Int(id)) else { return nil }; self = .control(p)
        case 100..<200: guard let p = EQParameter(rawValue: Int(id) - 100) else { return nil }; self = .manual(p)
        case 200..<220: guard let p = EQParameter(rawValue: Int(id) - 200) else { return nil }; self = .target(p)
        case 220..<240: guard let p = EQParameter(rawValue: Int(id) - 220) else { return nil }; self = .correction(p)
        case 240..<300:
            guard Int(id) - 240 < Self.responseBandCount else { return nil }
            self = .response(band: Int(id) - 240)
        case 300: self = .loudnessGain
        default: return nil
        }
    }

    /// Index in `all` (what `getParameterInfo` takes).
    public var index: Int {
        switch self {
        case let .control(p): p.rawValue
        case let .manual(p): Self.controlCount + p.rawValue
        case let .target(p): Self.controlCount + EQSettings.parameterCount + p.rawValue
        case let .correction(p): Self.controlCount + 2 * EQSettings.parameterCount + p.rawValue
        case let .response(band): Self.controlCount + 3 * EQSettings.parameterCount + band
        case .loudnessGain: Self.controlCount + 3 * EQSettings.parameterCount + Self.responseBandCount
        }
    }

    /// "31 Hz" … "16 kHz".
    static func bandLabel(_ band: Int) -> String {
        let f = responseFrequencyHz(band)
        return f >= 1000 ? "\(Int((f / 1000).rounded())) kHz" : "\(Int(f.rounded(.down))) Hz"
    }

    /// Number of controls in the table (a constant, so the audio thread never builds
    /// `allCases`).
    static let controlCount = ControlParameter.allCases.count

    public var isReadOnly: Bool {
        switch self {
        case .target, .correction, .response, .loudnessGain: true
        default: false
        }
    }

    /// Title hosts show (pedalboard names a parameter from title + units: `output_gain_db`).
    public var title: String {
        switch self {
        case .control(.enabled): "Bypass"
        case let .control(p): p.name
        case let .manual(p): p.name
        case let .target(p): "Target \(p.name.prefix(1).lowercased() + p.name.dropFirst())"
        case let .correction(p): "Correction \(p.name.prefix(1).lowercased() + p.name.dropFirst())"
        case let .response(band): "Applied response " + Self.bandLabel(band)
        case .loudnessGain: "Applied loudness gain"
        }
    }

    /// Units (Q has none: the title says it).
    public var units: String {
        switch self {
        case let .control(p): p.unit.rawValue
        case let .manual(p), let .target(p), let .correction(p): p.unit == .q ? "" : p.unit.rawValue
        case .response, .loudnessGain: ParameterUnit.decibels.rawValue
        }
    }

    public var flags: Int32 {
        switch self {
        case .control(.enabled): Self.canAutomate | Self.isBypass
        case let .control(p):
            switch p.kind {
            case .vocabulary, .enumeration: Self.canAutomate | Self.isList
            default: Self.canAutomate
            }
        case .manual: Self.canAutomate
        case .target, .correction, .response, .loudnessGain: Self.isReadOnly
        }
    }

    /// Number of steps (0 = continuous) for a vocabulary of `wordCount` entries.
    public func stepCount(wordCount: Int) -> Int32 {
        switch self {
        // By case rather than through `ControlParameter.kind`, which builds the mode's labels:
        // this runs on the audio thread. `ParameterTableTests` checks the two agree.
        case .control(.term), .control(.secondTerm): Int32(max(wordCount - 1, 0))
        case .control(.mode): Int32(EqualiserMode.manual.rawValue)  // adaptive, static, manual
        case .control(.enabled), .control(.loudnessMatch): 1
        default: 0
        }
    }

    /// The plain range of a continuous parameter.
    var range: ClosedRange<Float> {
        switch self {
        case let .control(p): p.range
        case let .manual(p), let .target(p), let .correction(p): p.range
        case .response: Self.responseRange
        case .loudnessGain: Self.loudnessGainRange
        }
    }

    /// Frequencies and Q move on a log scale (as they are smoothed), the rest linearly.
    var isLogarithmic: Bool {
        switch self {
        case let .manual(p), let .target(p), let .correction(p): p.smoothing == .logarithmic
        default: false
        }
    }

    /// Plain value (the table's unit; an index for words and modes; 1 = bypassed for bypass)
    /// of a normalised value in 0…1.
    public func plain(_ normalized: Double, wordCount: Int) -> Double {
        let n = normalized.isFinite ? min(max(normalized, 0), 1) : 0
        let steps = stepCount(wordCount: wordCount)
        if steps > 0 { return min((n * Double(steps)).rounded(), Double(steps)) }
        let r = range
        let lo = Double(r.lowerBound), hi = Double(r.upperBound)
        if isLogarithmic { return lo * pow(hi / lo, n) }
        return lo + n * (hi - lo)
    }

    /// Normalised value of a plain one (clamped into range; the inverse of `plain`).
    public func normalized(_ plain: Double, wordCount: Int) -> Double {
        guard plain.isFinite else { return 0 }
        let steps = stepCount(wordCount: wordCount)
        if steps > 0 { return min(max(plain.rounded(), 0), Double(steps)) / Double(steps) }
        let r = range
        let lo = Double(r.lowerBound), hi = Double(r.upperBound)
        let v = min(max(plain, lo), hi)
        if isLogarithmic { return log(v / lo) / log(hi / lo) }
        return (v - lo) / (hi - lo)
    }

    /// Default plain value; words default to "warm" and "bright" as in the LV2 plugin.
    public func defaultPlain(words: [String]) -> Double {
        switch self {
        case .control(.term): Double(words.firstIndex(of: "warm") ?? 0)
        case .control(.secondTerm): Double(words.firstIndex(of: "bright") ?? 0)
        case .control(.enabled): ControlParameter.enabled.defaultValue >= 0.5 ? 0 : 1
        case let .control(p): Double(p.defaultValue)
        case let .manual(p), let .target(p), let .correction(p): Double(p.defaultValue)
        case .response, .loudnessGain: 0
        }
    }

    /// Sets this parameter's plain value on `controls` (read-outs change nothing). The word
    /// index is clamped into `wordCount`. Real-time safe.
    @inline(__always)
    func apply(plain v: Double, to controls: inout HostControls, wordCount: Int) {
        switch self {
        case .control(.enabled): controls.enabled = v < 0.5
        case let .control(p): controls.set(p, rawValue: Float(v), vocabularyCount: wordCount)
        case let .manual(p): controls.setManual(p, rawValue: Float(v))
        case .target, .correction, .response, .loudnessGain: break
        }
    }

    /// The plain value `controls` hold for this parameter (read-outs: 0).
    func plain(of controls: HostControls) -> Double {
        switch self {
        case .control(.enabled): controls.enabled ? 0 : 1
        case let .control(p): Double(controls.rawValue(p))
        case let .manual(p): Double(controls.manual[p])
        case .target, .correction, .response, .loudnessGain: 0
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
