import EQDSP

/// What the equaliser applies to the audio at one moment, in the terms every front end shows
/// it (the studio's plot, the plugins' read-outs, `adaptive-eq analyze`): the `target` EQ,
/// followed by the inverse of `correction`, followed by the reference-matching `detail`, then
/// the `loudnessGainDecibels`. The values are those of the running filters (mid-glide while
/// they move), so the response is the one the audio goes through, not a goal.
///
/// In adaptive mode the correction is the part of the audio's own colouration the engine
/// takes on — `StreamingAdaptiveEQ.ownColourationShare(intensity)` of it (0.28 at the default
/// 0.7), within the correction limit — not the whole colouration it hears; in static and
/// manual modes the correction is flat and the target is the whole 5-band EQ.
///
/// A fixed-size value (no heap): reading and evaluating it is real-time safe.
public struct AppliedEQ: Sendable, Equatable {
    /// The EQ the audio is moved to: in adaptive mode `decoder(z_final)` (shifted as the
    /// correction limit requires); in static and manual modes the whole 5-band EQ.
    public var target: EQSettings
    /// The colouration being undone, as an EQ: the filters run its inverse after `target`.
    /// Flat outside adaptive mode.
    public var correction: EQSettings
    /// The one-third-octave detail stage of reference matching (manual mode); flat otherwise.
    public var detail: MatchingDetail
    /// The loudness-matching gain after the EQ, in dB: a level, kept out of `magnitudeDecibels`.
    public var loudnessGainDecibels: Float

    /// What is applied, from its parts (each flat, and the gain 0 dB, unless given).
    public init(target: EQSettings = .flat, correction: EQSettings = .flat, detail: MatchingDetail = .flat,
                loudnessGainDecibels: Float = 0) {
        self.target = target
        self.correction = correction
        self.detail = detail
        self.loudnessGainDecibels = loudnessGainDecibels
    }

    /// Nothing applied.
    public static let flat = AppliedEQ()

    /// The applied response at `frequencyHz` in dB: target − correction + detail, without the
    /// loudness gain. Real-time safe.
    public func magnitudeDecibels(atFrequency frequencyHz: Double, sampleRateHz: Double) -> Double {
        target.magnitudeDecibels(atFrequency: frequencyHz, sampleRateHz: sampleRateHz)
            - correction.magnitudeDecibels(atFrequency: frequencyHz, sampleRateHz: sampleRateHz)
            + detail.magnitudeDecibels(atFrequency: frequencyHz, sampleRateHz: sampleRateHz)
    }
}

extension EQSettings {
    /// The 5-band setting that stages `first`, `first + stride`, … of `processor` hold now
    /// (mid-glide values), with gains negated when those stages run the inverse of the bands.
    init(currentBandsOf processor: borrowing EQProcessor, first: Int, stride: Int, inverted: Bool) {
        self = .flat
        for b in 0..<Self.bandCount {
            let band = processor.currentBand(stage: first + b * stride)
            let gain = inverted ? 0 - band.gainDecibels : band.gainDecibels  // no −0 in read-outs
            switch b {
            case 0: g1 = gain; f1 = band.frequencyHz
            case 1: g2 = gain; f2 = band.frequencyHz; q2 = band.q
            case 2: g3 = gain; f3 = band.frequencyHz; q3 = band.q
            case 3: g4 = gain; f4 = band.frequencyHz; q4 = band.q
            default: g5 = gain; f5 = band.frequencyHz
            }
        }
    }
}
