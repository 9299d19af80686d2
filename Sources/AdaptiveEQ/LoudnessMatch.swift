import EQAnalysis
import EQDSP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The K-weighting of ITU-R BS.1770: a +4 dB high shelf (head effects) followed by a
/// high-pass near 38 Hz (the RLB curve), as RBJ biquads at the stream's rate.
package enum KWeighting {
    /// The head-effect shelf: about +4 dB above 1.7 kHz (BS.1770's stage-1 filter as an RBJ shelf).
    public static let shelf = BandParameters(kind: .highShelf, frequencyHz: 1681.974450955533,
                                             gainDecibels: 3.999843853973347, q: 0.7071752369554196)
    /// Corner of the RLB high-pass (BS.1770's stage 2), in Hz.
    public static let highPassHz = 38.13547087602444
    /// Q of the RLB high-pass.
    public static let highPassQ = 0.5003270373238773

    /// |K(f)|² at `frequencyHz`.
    public static func powerGain(atFrequency frequencyHz: Double, sampleRateHz: Double) -> Double {
        let w0 = 2 * Double.pi * highPassHz / sampleRateHz
        let cw = cos(w0), alpha = sin(w0) / (2 * highPassQ), a0 = 1 + alpha
        let highPass = BiquadCoefficients(b0: (1 + cw) / 2 / a0, b1: -(1 + cw) / a0, b2: (1 + cw) / 2 / a0,
                                          a1: -2 * cw / a0, a2: (1 - alpha) / a0)
        let decibels = highPass.magnitudeDecibels(atFrequency: frequencyHz, sampleRateHz: sampleRateHz)
            + shelf.magnitudeDecibels(atFrequency: frequencyHz, sampleRateHz: sampleRateHz)
        return pow(10, decibels / 10)
    }
}

/// Keeps the output as loud as the input (BS.1770 loudness) with no lookahead: from the
/// spectrum the engine analyses anyway, it predicts how much the applied EQ changes the
/// K-weighted power and returns the gain that undoes that change,
///
///     gain = 10·log10( Σ P_m·K_m / Σ P_m·K_m·|H(f_m)|² )   dB,
///
/// with P_m the mel-band power averaged over about the analysis window (the triangular bands
/// of the log-mel front end sum to one across the spectrum, so Σ P_m·x(f_m) approximates the
/// integral of the spectrum times x), K_m the K-weighting and H the applied EQ at the band
/// centres. The level of the audio cancels out: only its spectral balance matters. Above the
/// mel range (16 kHz) up to Nyquist, where shelves still act on bright material, the top
/// band's power density is assumed to continue flat.
///
/// Allocates in `init`; `listen`, `reset` and `gainDecibels` are real-time safe.
package struct LoudnessMatch: ~Copyable {
    /// Largest correction in either direction.
    public static let maximumDecibels: Float = 24
    /// Mel bands the prediction weighs (those of the analysis configuration).
    public let bandCount: Int
    private let grid: FrequencyGrid
    private let weights: UnsafeMutablePointer<Double>
    private let spectrum: UnsafeMutablePointer<Double>
    private let response: UnsafeMutablePointer<Double>
    private let averageFrames: Int
    private var heard = 0

    /// A predictor for one stream. Allocates.
    ///
    /// - Parameters:
    ///   - configuration: the log-mel front end whose columns `listen` receives.
    ///   - sampleRateHz: the stream's rate (the K-weighting is evaluated at it).
    ///   - averageFrames: frames the spectrum is averaged over (one-pole time constant).
    public init(configuration: MelConfiguration, sampleRateHz: Double, averageFrames: Int) {
        let m = configuration.melBandCount
        bandCount = m
        let lo = htkMel(hz: configuration.minimumFrequencyHz), hi = htkMel(hz: configuration.maximumFrequencyHz)
        let points = (0..<(m + 2)).map { htkHz(mel: lo + Double($0) * (hi - lo) / Double(m + 1)) }
        let nyquist = 0.5 * sampleRateHz
        // The extra last point stands for fmax … Nyquist, fed by the top band's density.
        let above = max(nyquist - points[m + 1], 0)
        let centres = Array(points[1...m]) + [points[m + 1] + above / 2]
        grid = FrequencyGrid(frequenciesHz: centres, sampleRateHz: sampleRateHz)
        weights = .allocate(capacity: m + 1)
        for (i, f) in centres.enumerated() {
            // Bands above Nyquist hold no power; give them no weight either.
            weights[i] = f < nyquist ? KWeighting.powerGain(atFrequency: f, sampleRateHz: sampleRateHz) : 0
        }
        let topWidthHz = (points[m + 1] - points[m - 1]) / 2  // area of the top triangle
        weights[m] *= above / topWidthHz
        spectrum = .allocate(capacity: m)
        spectrum.initialize(repeating: 0, count: m)
        response = .allocate(capacity: m + 1)
        response.initialize(repeating: 1, count: m + 1)
        self.averageFrames = max(averageFrames, 1)
    }

    deinit { weights.deallocate(); spectrum.deallocate(); response.deallocate() }

    /// Forgets the spectrum heard so far.
    public mutating func reset() {
        spectrum.update(repeating: 0, count: bandCount)
        heard = 0
    }

    /// Adds one log-mel column (dB values, as `LogMelAnalyzer` writes them) to the average:
    /// the plain mean of the first `averageFrames` columns, then a one-pole average with that
    /// time constant (so the first frames do not dominate for long).
    public mutating func listen(logMelColumn column: UnsafePointer<Float>) {
        if heard < averageFrames { heard += 1 }
        let k = 1 / Double(heard)
        for m in 0..<bandCount {
            let p = Double(exp2f(column[m] * 0.332_192_81))  // 10^(dB/10)
            spectrum[m] += k * (p - spectrum[m])
        }
    }

    /// The gain in dB that keeps the K-weighted power of the heard spectrum unchanged through
    /// `target` followed by the inverse of `correction` (0 before anything is heard).
    public func gainDecibels(target: EQSettings, correction: EQSettings) -> Float {
        guard heard > 0 else { return 0 }
        response.update(repeating: 1, count: bandCount + 1)
        for b in 0..<EQSettings.bandCount {
            grid.accumulate(target.band(b), into: response)
            grid.accumulate(correction.band(b), inverse: true, into: response)
        }
        var before = 0.0, after = 0.0
        for m in 0...bandCount {
            let w = spectrum[min(m, bandCount - 1)] * weights[m]
            before += w
            after += w * response[m]
        }
        guard before > 0, after > 0, before.isFinite, after.isFinite else { return 0 }
        let g = Float(10 * log10(before / after))
        return min(max(g, -Self.maximumDecibels), Self.maximumDecibels)
    }
}
