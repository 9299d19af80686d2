/// One of the 13 parameters of the 5-band SAFE-DB equaliser layout. The raw value is the
/// parameter's index in every file, tensor, CLI list and plugin port group:
/// `g1 f1 | g2 f2 q2 | g3 f3 q3 | g4 f4 q4 | g5 f5` (low shelf, three peaks, high shelf).
///
/// This enum is the single parameter table of the product: the CLI, the plugin TTL, the
/// studio and the docs read their names, units, ranges and defaults from here.
public enum EQParameter: Int, CaseIterable, Sendable {
    /// `g1`: low shelf gain, dB.
    case lowShelfGain
    /// `f1`: low shelf frequency, Hz.
    case lowShelfFrequency
    /// `g2`: peak 1 gain, dB.
    case peak1Gain
    /// `f2`: peak 1 centre frequency, Hz.
    case peak1Frequency
    /// `q2`: peak 1 Q.
    case peak1Q
    /// `g3`: peak 2 gain, dB.
    case peak2Gain
    /// `f3`: peak 2 centre frequency, Hz.
    case peak2Frequency
    /// `q3`: peak 2 Q.
    case peak2Q
    /// `g4`: peak 3 gain, dB.
    case peak3Gain
    /// `f4`: peak 3 centre frequency, Hz.
    case peak3Frequency
    /// `q4`: peak 3 Q.
    case peak3Q
    /// `g5`: high shelf gain, dB.
    case highShelfGain
    /// `f5`: high shelf frequency, Hz.
    case highShelfFrequency

    /// The parameter at table index `rawValue` (inlinable, so per-sample and per-analysis
    /// code can walk the table by index at no cost).
    @inlinable
    public init?(rawValue: Int) {
        switch rawValue {
        case 0: self = .lowShelfGain
        case 1: self = .lowShelfFrequency
        case 2: self = .peak1Gain
        case 3: self = .peak1Frequency
        case 4: self = .peak1Q
        case 5: self = .peak2Gain
        case 6: self = .peak2Frequency
        case 7: self = .peak2Q
        case 8: self = .peak3Gain
        case 9: self = .peak3Frequency
        case 10: self = .peak3Q
        case 11: self = .highShelfGain
        case 12: self = .highShelfFrequency
        default: return nil
        }
    }

    /// Short identifier used for LV2 port symbols, JSON keys and CLI docs (`g1`, `f1`, `q2`, …).
    public var symbol: String {
        switch self {
        case .lowShelfGain: "g1"
        case .lowShelfFrequency: "f1"
        case .peak1Gain: "g2"
        case .peak1Frequency: "f2"
        case .peak1Q: "q2"
        case .peak2Gain: "g3"
        case .peak2Frequency: "f3"
        case .peak2Q: "q3"
        case .peak3Gain: "g4"
        case .peak3Frequency: "f4"
        case .peak3Q: "q4"
        case .highShelfGain: "g5"
        case .highShelfFrequency: "f5"
        }
    }

    /// Human-readable name ("Low shelf gain").
    public var name: String {
        let what: String
        switch unit {
        case .decibels: what = "gain"
        case .q: what = "Q"
        default: what = "frequency"
        }
        return "\(bandName) \(what)"
    }

    /// Index of the band (0 = low shelf … 4 = high shelf) this parameter belongs to.
    public var band: Int {
        switch self {
        case .lowShelfGain, .lowShelfFrequency: 0
        case .peak1Gain, .peak1Frequency, .peak1Q: 1
        case .peak2Gain, .peak2Frequency, .peak2Q: 2
        case .peak3Gain, .peak3Frequency, .peak3Q: 3
        case .highShelfGain, .highShelfFrequency: 4
        }
    }

    /// Name of the band the parameter belongs to ("Low shelf", "Peak 1", …).
    public var bandName: String {
        ["Low shelf", "Peak 1", "Peak 2", "Peak 3", "High shelf"][band]
    }

    /// dB for gains, Hz for frequencies, Q for bandwidths.
    @inlinable
    public var unit: ParameterUnit {
        switch self {
        case .lowShelfGain, .peak1Gain, .peak2Gain, .peak3Gain, .highShelfGain: .decibels
        case .peak1Q, .peak2Q, .peak3Q: .q
        default: .hertz
        }
    }

    /// Valid range, as in SAFE-DB (Stables et al., ISMIR 2014).
    @inlinable
    public var range: ClosedRange<Float> {
        switch self {
        case .lowShelfGain, .peak1Gain, .peak2Gain, .peak3Gain, .highShelfGain: -12...12
        case .lowShelfFrequency: 22...1000
        case .peak1Frequency: 82...3900
        case .peak2Frequency: 180...4700
        case .peak3Frequency: 220...10000
        case .highShelfFrequency: 580...20000
        case .peak1Q, .peak2Q, .peak3Q: 0.1...10
        }
    }

    /// Default: flat gain, a frequency spread sensibly over the band's range, Q 0.71.
    @inlinable
    public var defaultValue: Float {
        switch self {
        case .lowShelfFrequency: 100
        case .peak1Frequency: 300
        case .peak2Frequency: 1000
        case .peak3Frequency: 3000
        case .highShelfFrequency: 8000
        case .peak1Q, .peak2Q, .peak3Q: 0.71
        default: 0
        }
    }

    /// Gains glide in dB, frequencies and Q in the log domain.
    public var smoothing: SmoothingDomain { unit == .decibels ? .linear : .logarithmic }
}
