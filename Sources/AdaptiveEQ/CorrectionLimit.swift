import EQDSP

/// Bounds the part of the adaptive EQ that undoes the audio's own colouration.
///
/// The engine applies `target` followed by the inverse of `colouration` (= decoder(z_audio)).
/// Music the encoder hears as strongly coloured would otherwise get up to ±12 dB per band of
/// "correction" on top of the word. The limit scales the colouration's gains down uniformly
/// (its shape is kept) until its response stays within ±limit dB from 20 Hz to 20 kHz,
/// and the target is moved by the same amount, fading from the full shift at intensity 0 to
/// none at intensity 1:
///
///     limited target gain = limited gain + (target gain − colouration gain)
///                           + intensity · (colouration gain − limited gain)
///
/// so at intensity 0 the target equals the limited colouration exactly (the pairs cancel: the
/// null stays exact), and at intensity 1 the word's EQ is reached as before; what is left of
/// the audio's colouration beyond the limit is kept, not corrected. Pure functions.
package enum CorrectionLimit {
    /// Where the correction's response is bounded: the audible range (a shelf reaches its
    /// full gain at the ends, so a narrower span would let shelves exceed the limit).
    public static let spanHz: ClosedRange<Double> = 20...20_000
    /// Evaluation points per octave (peak centres are checked as well).
    public static let pointsPerOctave = 12.0

    /// The evaluation grid for `sampleRateHz` (allocates; build it in `prepare`).
    public static func grid(sampleRateHz: Double) -> FrequencyGrid {
        FrequencyGrid(logSpacedFrom: spanHz.lowerBound, to: min(spanHz.upperBound, 0.45 * sampleRateHz),
                      pointsPerOctave: pointsPerOctave, sampleRateHz: sampleRateHz)
    }

    /// `colouration` with its gains scaled so that its response peaks at no more than
    /// `limitDecibels` on `grid`; returned unchanged (bit for bit) when it already does.
    /// Real-time safe.
    public static func bounded(_ colouration: EQSettings, limitDecibels: Float,
                               grid: borrowing FrequencyGrid) -> EQSettings {
        let limit = Double(max(limitDecibels, 0))
        var peak = grid.peakMagnitudeDecibels(colouration)
        guard peak > limit else { return colouration }
        // The response in dB is close to proportional to the gains; a few corrections
        // absorb the rest.
        var scale = limit / peak
        for _ in 0..<6 {
            peak = grid.peakMagnitudeDecibels(colouration.scaled(by: Float(scale)))
            guard peak > limit * (1 + 1e-4) else { break }
            scale *= limit / peak
        }
        return colouration.scaled(by: Float(scale))
    }

    /// The target EQ to pair with a limited colouration (see the type's description);
    /// `target` itself when the colouration was not limited.
    public static func target(_ target: EQSettings, colouration: EQSettings, limited: EQSettings,
                              intensity: Float) -> EQSettings {
        guard limited != colouration else { return target }
        func gain(_ l: Float, _ t: Float, _ c: Float) -> Float { l + (t - c) + intensity * (c - l) }
        var t = target
        t.g1 = gain(limited.g1, target.g1, colouration.g1)
        t.g2 = gain(limited.g2, target.g2, colouration.g2)
        t.g3 = gain(limited.g3, target.g3, colouration.g3)
        t.g4 = gain(limited.g4, target.g4, colouration.g4)
        t.g5 = gain(limited.g5, target.g5, colouration.g5)
        return t
    }
}
