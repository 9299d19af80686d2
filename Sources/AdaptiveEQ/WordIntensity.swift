import EQDSP
import EQInference

/// How far along its latent the word's EQ is taken at a given intensity.
///
/// The decoder saturates: `decoder(intensity · z_word)` gives moderate intensities most of the
/// word's full EQ ("boomy" at 0.7 peaked at 78 % of its full response, 9.8 dB instead of
/// 0.7 × 12.5). Intensity is meant to read as a fraction of the word's EQ, so the engine looks
/// for the latent scale λ at which the word's EQ peaks at `intensity` × its full peak (in dB,
/// 20 Hz–20 kHz): intensity 0.5 is then half the word's boost or cut, whatever the word.
///
/// λ is found by bisection (λ(0) = 0, λ(1) = 1, nondecreasing in intensity) and cached per
/// target, so it costs decodes only when the word, the blend or the intensity changes.
/// Real-time safe after `init`.
package struct WordIntensity: ~Copyable {
    /// Bisection steps: λ to within 2⁻¹¹.
    public static let steps = 11
    /// Words whose full EQ peaks below this (dB) keep λ = intensity: nothing to shape.
    public static let flatPeakDecibels = 0.75

    private let latentCount: Int
    private let zScaled: UnsafeMutablePointer<Float>
    private let parameters: UnsafeMutablePointer<Float>
    private var cachedTarget = AdaptiveTarget(term: -1, intensity: -1)
    private var cachedScale: Float = 0

    /// Scratch for a model with `latentCount` latent dimensions. Allocates.
    public init(latentCount: Int) {
        self.latentCount = latentCount
        zScaled = .allocate(capacity: latentCount)
        zScaled.initialize(repeating: 0, count: latentCount)
        parameters = .allocate(capacity: EQSettings.parameterCount)
        parameters.initialize(repeating: 0, count: EQSettings.parameterCount)
    }

    deinit { zScaled.deallocate(); parameters.deallocate() }

    /// Forgets the cached scale (the next call searches again).
    public mutating func reset() { cachedTarget = AdaptiveTarget(term: -1, intensity: -1) }

    /// λ for `target` (whose blended latent is `zTarget`) at `intensity` ∈ [0, 1].
    public mutating func latentScale(_ zTarget: UnsafePointer<Float>, target: AdaptiveTarget, intensity: Float,
                              decoder: EQDecoder, grid: borrowing FrequencyGrid) -> Float {
        guard intensity > 0, intensity < 1 else { return intensity }
        if target == cachedTarget { return cachedScale }
        let full = peakDecibels(zTarget, scale: 1, decoder: decoder, grid: grid)
        var scale = intensity
        if full >= Self.flatPeakDecibels {
            let wanted = Double(intensity) * full
            var low: Float = 0, high: Float = 1
            for _ in 0..<Self.steps {
                let mid = 0.5 * (low + high)
                if peakDecibels(zTarget, scale: mid, decoder: decoder, grid: grid) < wanted { low = mid } else { high = mid }
            }
            scale = 0.5 * (low + high)
        }
        cachedTarget = target
        cachedScale = scale
        return scale
    }

    private func peakDecibels(_ z: UnsafePointer<Float>, scale: Float, decoder: EQDecoder,
                              grid: borrowing FrequencyGrid) -> Double {
        for i in 0..<latentCount { zScaled[i] = scale * z[i] }
        decoder.decode(zScaled, into: parameters)
        return grid.peakMagnitudeDecibels(EQSettings { parameters[$0.rawValue] })
    }
}
