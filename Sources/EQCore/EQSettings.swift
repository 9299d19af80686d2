/// A complete setting of the 5-band equaliser: the 13 SAFE-DB parameters in table order
/// (`g1 f1 g2 f2 q2 g3 f3 q3 g4 f4 q4 g5 f5`; dB, Hz, Q).
public struct EQSettings: Sendable, Equatable {
    /// Number of parameters in the layout.
    public static let parameterCount = 13
    /// Number of bands (low shelf, three peaks, high shelf).
    public static let bandCount = 5

    // Stored inline (no heap) so settings can cross to the audio thread by value.
    /// Parameters 1–7 in table order (`EQParameter`): low shelf gain (dB) and frequency (Hz),
    /// peak 1 gain, frequency and Q, peak 2 gain and frequency.
    public var g1: Float, f1: Float, g2: Float, f2: Float, q2: Float, g3: Float, f3: Float
    /// Parameters 8–13 in table order: peak 2 Q, peak 3 gain, frequency and Q, high shelf
    /// gain (dB) and frequency (Hz).
    public var q3: Float, g4: Float, f4: Float, q4: Float, g5: Float, f5: Float

    /// All gains 0 dB with the table's default frequencies and Qs.
    public static let flat = EQSettings { $0.defaultValue }

    /// Builds settings by asking `value` for each parameter.
    @inlinable
    public init(_ value: (EQParameter) -> Float) {
        g1 = value(.lowShelfGain); f1 = value(.lowShelfFrequency)
        g2 = value(.peak1Gain); f2 = value(.peak1Frequency); q2 = value(.peak1Q)
        g3 = value(.peak2Gain); f3 = value(.peak2Frequency); q3 = value(.peak2Q)
        g4 = value(.peak3Gain); f4 = value(.peak3Frequency); q4 = value(.peak3Q)
        g5 = value(.highShelfGain); f5 = value(.highShelfFrequency)
    }

    /// Settings from 13 values in table order; nil unless there are exactly 13.
    public init?(values: [Float]) {
        guard values.count == Self.parameterCount else { return nil }
        self.init { values[$0.rawValue] }
    }

    /// The value of one parameter, in its unit.
    public subscript(parameter: EQParameter) -> Float {
        get {
            switch parameter {
            case .lowShelfGain: g1
            case .lowShelfFrequency: f1
            case .peak1Gain: g2
            case .peak1Frequency: f2
            case .peak1Q: q2
            case .peak2Gain: g3
            case .peak2Frequency: f3
            case .peak2Q: q3
            case .peak3Gain: g4
            case .peak3Frequency: f4
            case .peak3Q: q4
            case .highShelfGain: g5
            case .highShelfFrequency: f5
            }
        }
        set {
            switch parameter {
            case .lowShelfGain: g1 = newValue
            case .lowShelfFrequency: f1 = newValue
            case .peak1Gain: g2 = newValue
            case .peak1Frequency: f2 = newValue
            case .peak1Q: q2 = newValue
            case .peak2Gain: g3 = newValue
            case .peak2Frequency: f3 = newValue
            case .peak2Q: q3 = newValue
            case .peak3Gain: g4 = newValue
            case .peak3Frequency: f4 = newValue
            case .peak3Q: q4 = newValue
            case .highShelfGain: g5 = newValue
            case .highShelfFrequency: f5 = newValue
            }
        }
    }

    /// The 13 values in table order.
    public var values: [Float] { EQParameter.allCases.map { self[$0] } }

    /// The same setting with every gain multiplied by `factor` (0 = flat, 1 = unchanged).
    public func scaled(by factor: Float) -> EQSettings {
        var s = self
        s.g1 *= factor; s.g2 *= factor; s.g3 *= factor; s.g4 *= factor; s.g5 *= factor
        return s
    }

    /// The first parameter outside its range (NaN counts as outside), or nil if all are valid.
    public var firstInvalidParameter: EQParameter? {
        EQParameter.allCases.first { !self[$0].isFinite || !$0.range.contains(self[$0]) }
    }

    /// Every value clamped into its range (non-finite values become the default).
    public var clamped: EQSettings {
        EQSettings { p in
            let v = self[p]
            return v.isFinite ? min(max(v, p.range.lowerBound), p.range.upperBound) : p.defaultValue
        }
    }
}
