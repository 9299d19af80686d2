import EQDSP

/// The control values a real-time host feeds `HostEqualiser` each block, already in their
/// units. Plain values, so a host can fill them from plugin ports or from atomics.
public struct HostControls: Sendable, Equatable {
    /// Index into the vocabulary.
    public var term = 0
    /// Index into the vocabulary of the word blended in by `blend`.
    public var secondTerm = 0
    /// 0 = first word only … 1 = second word only.
    public var blend: Float = 0
    /// 0 = no change (exact null) … 1 = all the way to the word.
    public var intensity: Float = ControlParameter.intensity.defaultValue
    /// Adaptive (listens and corrects), static (the word's fixed EQ) or manual (`manual`).
    public var mode = EqualiserMode.adaptive
    /// How often the adaptive engine re-analyses the audio, in milliseconds.
    public var analysisIntervalMilliseconds: Float = ControlParameter.analysisInterval.defaultValue
    /// Time constant of EQ glides, in milliseconds.
    public var smoothingTimeMilliseconds: Float = ControlParameter.smoothingTime.defaultValue
    /// Gain after the equaliser, in dB.
    public var outputGainDecibels: Float = ControlParameter.outputGain.defaultValue
    /// Off = bypass (with a short crossfade).
    public var enabled = true
    /// Largest response of the adaptive correction of the audio's own colouration, in dB.
    public var correctionLimitDecibels: Float = ControlParameter.correctionLimit.defaultValue
    /// Word modes: keep the output as loud as the input.
    public var matchesLoudness = ControlParameter.loudnessMatch.defaultValue >= 0.5
    /// The EQ applied in `manual` mode.
    public var manual = EQSettings.flat
    /// The one-third-octave stage applied after `manual` in manual mode (reference matching;
    /// each gain within ±`MatchingDetail.maximumGainDecibels`; flat, and then free, otherwise).
    public var matchingDetail = MatchingDetail.flat

    /// Every control at the parameter table's default.
    public init() {}

    /// Sets one control from a raw host value (an LV2 port value or a number typed by the
    /// user): non-finite values are ignored, others clamped into the table's range, indices
    /// and toggles rounded. `vocabularyCount` bounds the word indices. Real-time safe.
    public mutating func set(_ parameter: ControlParameter, rawValue: Float, vocabularyCount: Int) {
        guard rawValue.isFinite else { return }
        let v = min(max(rawValue, parameter.range.lowerBound), parameter.range.upperBound)
        let lastWord = Float(max(vocabularyCount - 1, 0))
        switch parameter {
        case .term: term = Int(min(v, lastWord).rounded())
        case .secondTerm: secondTerm = Int(min(v, lastWord).rounded())
        case .blend: blend = v
        case .intensity: intensity = v
        case .mode:
            // The mode port also carries `manual`, one past the table's options.
            let m = Int(min(max(rawValue, 0), Float(EqualiserMode.manual.rawValue)).rounded())
            mode = EqualiserMode(rawValue: m) ?? .adaptive
        case .analysisInterval: analysisIntervalMilliseconds = v
        case .smoothingTime: smoothingTimeMilliseconds = v
        case .outputGain: outputGainDecibels = v
        case .enabled: enabled = v >= 0.5
        case .correctionLimit: correctionLimitDecibels = v
        case .loudnessMatch: matchesLoudness = v >= 0.5
        }
    }

    /// The raw host value of one control (the inverse of `set`): indices and toggles as
    /// numbers, everything else in its unit.
    public func rawValue(_ parameter: ControlParameter) -> Float {
        switch parameter {
        case .term: Float(term)
        case .secondTerm: Float(secondTerm)
        case .blend: blend
        case .intensity: intensity
        case .mode: Float(mode.rawValue)
        case .analysisInterval: analysisIntervalMilliseconds
        case .smoothingTime: smoothingTimeMilliseconds
        case .outputGain: outputGainDecibels
        case .enabled: enabled ? 1 : 0
        case .correctionLimit: correctionLimitDecibels
        case .loudnessMatch: matchesLoudness ? 1 : 0
        }
    }

    /// Sets one manual EQ parameter, clamped into its range (non-finite values ignored).
    public mutating func setManual(_ parameter: EQParameter, rawValue: Float) {
        guard rawValue.isFinite else { return }
        manual[parameter] = min(max(rawValue, parameter.range.lowerBound), parameter.range.upperBound)
    }
}
