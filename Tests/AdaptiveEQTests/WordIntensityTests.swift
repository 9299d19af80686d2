import AdaptiveEQ
import EQDSP
import EQInference
import Testing

/// Intensity reads as a fraction of the word's EQ: at intensity i the word's part of the
/// adaptive EQ, decoder(λ · z_word), peaks at i × the word's full peak, whatever the word.
@Suite struct WordIntensityTests {
    @Test(arguments: ["warm", "bright", "airy", "boomy", "muddy"])
    func wordPeakIsProportionalToIntensity(word: String) throws {
        let model = try requireModel()
        let term = try #require(model.terms.index(of: word))
        let z = model.terms.latent(at: term)
        let decoder = EQDecoder(weights: model.decoder)
        let grid = CorrectionLimit.grid(sampleRateHz: 44_100)
        var scales = WordIntensity(latentCount: model.latentCount)
        let parameters = UnsafeMutablePointer<Float>.allocate(capacity: EQSettings.parameterCount)
        let scaled = UnsafeMutablePointer<Float>.allocate(capacity: model.latentCount)
        defer { parameters.deallocate(); scaled.deallocate() }
        func peak(_ scale: Float) -> Double {
            for i in 0..<model.latentCount { scaled[i] = scale * z[i] }
            decoder.decode(scaled, into: parameters)
            return peakResponseDecibels(EQSettings { parameters[$0.rawValue] })
        }
        let full = peak(1), floor = peak(0)
        #expect(full > 2, "\(word) peaks at \(full) dB")
        var previous: Float = 0
        for intensity: Float in [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1] {
            let target = AdaptiveTarget(term: term, intensity: intensity)
            let lambda = scales.latentScale(z, target: target, intensity: intensity, decoder: decoder, grid: grid)
            #expect(lambda >= previous && lambda <= 1, "\(word): λ(\(intensity)) = \(lambda) after \(previous)")
            previous = lambda
            // The cached answer is the same answer.
            #expect(scales.latentScale(z, target: target, intensity: intensity, decoder: decoder, grid: grid) == lambda)
            let wanted = Double(intensity) * full
            // Below the flat latent's own ripple the scale bottoms out at 0.
            guard wanted > floor + 0.1 else { continue }
            #expect(abs(peak(lambda) - wanted) < 0.2, "\(word) at \(intensity): peak \(peak(lambda)) dB, wanted \(wanted)")
        }
        #expect(scales.latentScale(z, target: AdaptiveTarget(term: term, intensity: 0), intensity: 0,
                                   decoder: decoder, grid: grid) == 0)
    }

    /// The share of the audio's own colouration: none at 0 (the null), all of it at 1, rising
    /// at every step in between.
    @Test func ownColourationShareRisesFromNoneToAll() {
        #expect(StreamingAdaptiveEQ.ownColourationShare(0) == 0)
        #expect(StreamingAdaptiveEQ.ownColourationShare(1) == 1)
        var previous: Float = 0
        for step in 1...100 {
            let share = StreamingAdaptiveEQ.ownColourationShare(Float(step) / 100)
            #expect(share > previous, "share at \(step) % is \(share) after \(previous)")
            previous = share
        }
        #expect(abs(StreamingAdaptiveEQ.ownColourationShare(0.7) - 0.28) < 0.01)
    }
}
