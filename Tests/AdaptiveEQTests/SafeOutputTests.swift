import AEQTestSupport
import AdaptiveEQ
import EQAnalysis
import EQDSP
import EQInference
import Foundation
import Testing

/// Largest |response| in dB of `settings` over the span the limit bounds (20 Hz to 20 kHz,
/// at most 0.45 · rate) on a 1/48-octave grid, evaluated independently of the engine's own
/// (coarser) check grid.
func peakResponseDecibels(_ settings: EQSettings, sampleRate: Double = 44_100) -> Double {
    let top = min(20_000, 0.45 * sampleRate)
    return (0...480).map { i in
        abs(settings.magnitudeDecibels(atFrequency: 20 * pow(top / 20, Double(i) / 480), sampleRateHz: sampleRate))
    }.max()!
}

@Suite(.serialized) struct SafeOutputTests {
    /// The correction the engine applies never exceeds the limit, is not cut back further than
    /// needed, and at the edges is none at all (0 dB) or the full estimate (24 dB).
    @Test(arguments: [Float(0), 2, 6, 24])
    func correctionStaysWithinItsLimit(limit: Float) throws {
        let model = try requireModel()
        let x = try demoClip().map { Array($0.prefix(8 * 44_100)) }
        var engine = try makeEngine(model, word: "bright", intensity: 0.7)
        engine.correctionLimitDecibels = limit
        var checked = 0
        _ = run(&engine, x, blockSize: 4096) { e, _ in
            guard e.analysisCount > 0 else { return }
            let correction = peakResponseDecibels(e.correctionSettings)
            #expect(correction <= Double(limit) + 0.05, "correction peaks at \(correction) dB, limit \(limit)")
            if limit == 0 {
                let c = e.correctionSettings
                #expect([c.g1, c.g2, c.g3, c.g4, c.g5].allSatisfy { $0 == 0 })
            }
            checked += 1
        }
        #expect(checked > 50)
    }

    /// A limited correction still cancels exactly at intensity 0, loudness matching included.
    @Test(arguments: [Float(0), 3])
    func limitedCorrectionKeepsTheNullExact(limit: Float) throws {
        let model = try requireModel()
        let x = try demoClip().map { Array($0.prefix(6 * 44_100)) }
        var engine = try makeEngine(model, word: "warm", intensity: 0)
        engine.correctionLimitDecibels = limit
        let matching = engine.matchesLoudness
        #expect(matching)
        let y = run(&engine, x, blockSize: 333) { e, _ in
            #expect(e.loudnessGainTargetDecibels == 0 && e.loudnessGainDecibels == 0)
        }
        #expect(y == x, "intensity 0 must leave every sample as it was")
        #expect(engine.analysisCount > 100)
    }

    /// The loudness gain of white noise through an EQ equals the analytic K-weighted power
    /// ratio, −10·log10(∫K²|H|² / ∫K²), integrated from the bottom of the mel range to
    /// Nyquist (the top band's density stands for the range above 16 kHz).
    @Test(arguments: ["warm", "bright", "airy", "boomy"])
    func loudnessGainMatchesTheKWeightedPowerOfWhiteNoise(word: String) throws {
        let model = try requireModel()
        let fs = 44_100.0
        let config = model.melConfiguration
        let analyzer = LogMelAnalyzer(configuration: config, sampleRateHz: fs)
        var match = LoudnessMatch(configuration: config, sampleRateHz: fs, averageFrames: 176)
        var rng = SeededGenerator(seed: 11)
        let frame = UnsafeMutablePointer<Float>.allocate(capacity: analyzer.fftSize)
        let column = UnsafeMutablePointer<Float>.allocate(capacity: analyzer.melBandCount)
        defer { frame.deallocate(); column.deallocate() }
        for _ in 0..<400 {
            for i in 0..<analyzer.fftSize { frame[i] = Float.random(in: -0.5...0.5, using: &rng) }
            analyzer.analyze(frame: frame, into: column)
            match.listen(logMelColumn: column)
        }
        let parameters = UnsafeMutablePointer<Float>.allocate(capacity: EQSettings.parameterCount)
        defer { parameters.deallocate() }
        EQDecoder(weights: model.decoder).decode(model.terms.latent(at: try #require(model.terms.index(of: word))),
                                                into: parameters)
        let target = EQSettings { parameters[$0.rawValue] }.scaled(by: 0.7)
        let predicted = match.gainDecibels(target: target, correction: .flat)
        var num = 0.0, den = 0.0
        var f = config.minimumFrequencyHz + 1
        while f < fs / 2 {
            let k = KWeighting.powerGain(atFrequency: f, sampleRateHz: fs)
            num += k
            den += k * pow(10, target.magnitudeDecibels(atFrequency: f, sampleRateHz: fs) / 10)
            f += 2
        }
        let exact = 10 * log10(num / den)
        print("loudness gain for \(word) at 0.7 on white noise: \(predicted) dB (analytic \(exact) dB)")
        #expect(abs(Double(predicted) - exact) < 0.3)
        #expect(abs(exact) > 0.5, "the word's EQ should change the loudness of white noise")
    }

    /// Loudness matching switched off leaves the engine's output as the EQ makes it; on, the
    /// gain glides and the output is the same EQ render times that gain.
    @Test func matchingOffLeavesTheLevelToTheEQ() throws {
        let model = try requireModel()
        let x = try demoClip().map { Array($0.prefix(5 * 44_100)) }
        var on = try makeEngine(model, word: "bright", intensity: 0.8)
        var off = try makeEngine(model, word: "bright", intensity: 0.8)
        off.matchesLoudness = false
        let a = run(&on, x, blockSize: 512), b = run(&off, x, blockSize: 512)
        #expect(off.loudnessGainDecibels == 0)
        #expect(abs(on.loudnessGainDecibels) > 0.1, "bright should need a gain: \(on.loudnessGainDecibels) dB")
        // Near the end the two differ by the (slowly moving) gain alone.
        let tail = (x[0].count - 2048)..<x[0].count
        let ab = tail.reduce(0.0) { $0 + Double(a[0][$1] * b[0][$1]) }, bb = tail.reduce(0.0) { $0 + Double(b[0][$1] * b[0][$1]) }
        let fitted = ab / bb
        let residual = tail.reduce(0.0) { $0 + pow(Double(a[0][$1]) - fitted * Double(b[0][$1]), 2) }
        #expect(abs(20 * log10(fitted) - Double(on.loudnessGainDecibels)) < 0.05, "fitted gain \(20 * log10(fitted)) dB")
        let error = (residual / bb).squareRoot()
        #expect(error < 1e-3, "matched output is not the EQ output times the gain (relative error \(error))")
    }
}

