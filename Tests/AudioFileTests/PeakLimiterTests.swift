import AudioFile
import Foundation
import Testing

/// Runs `input` (interleaved) through a limiter and returns the output aligned with the
/// input, the way `HeadroomWriter` does (latency dropped at the start, silence pushed at the end).
private func limit(_ input: [Float], channels: Int, ceiling: Float = 0.9, rate: Int = 48_000) -> ([Float], PeakLimiter) {
    var limiter = PeakLimiter(ceiling: ceiling, channelCount: channels, sampleRateHz: rate)
    let padded = input + [Float](repeating: 0, count: limiter.lookaheadFrames * channels)
    var out = [Float](repeating: 0, count: padded.count)
    padded.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for f in 0..<(padded.count / channels) {
                limiter.process(src.baseAddress! + f * channels, into: dst.baseAddress! + f * channels)
            }
        }
    }
    return (Array(out.dropFirst(limiter.lookaheadFrames * channels)), limiter)
}

/// Largest sample difference (one number to print when a comparison fails).
private func maxDifference(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
    a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
}

/// A deterministic noise-like signal.
private func noise(_ count: Int, amplitude: Float, seed: UInt64 = 7) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return amplitude * (Float(state >> 40) / Float(1 << 24) * 2 - 1)
    }
}

@Suite struct PeakLimiterTests {
    @Test func audioWithinTheCeilingPassesBitForBit() {
        let x = noise(9_601 * 2, amplitude: 0.9)
        let (y, limiter) = limit(x, channels: 2)
        #expect(maxDifference(y[...], x[...]) == 0)
        #expect(limiter.smallestGain == 1)
    }

    @Test(arguments: [1, 2, 6])
    func noSampleExceedsTheCeiling(channels: Int) {
        // Bursts up to 4x over the ceiling, single-sample spikes and a long loud stretch.
        var x = noise(48_000 * channels, amplitude: 0.5)
        for i in stride(from: 1_000 * channels, to: 3_000 * channels, by: 1) { x[i] *= 6 }
        for i in [5_000, 5_003, 20_000, 47_999] { x[i * channels] = -3.6 }
        for i in stride(from: 30_000 * channels, to: 40_000 * channels, by: 1) { x[i] *= 2.5 }
        let (y, limiter) = limit(x, channels: channels, ceiling: 0.9)
        #expect(y.count == x.count)
        #expect(y.allSatisfy { abs($0) <= 0.9 * (1 + 1e-6) }, "peak \(y.map(abs).max()!)")
        #expect(y.allSatisfy { $0.isFinite })
        #expect(limiter.smallestGain > 0.9 / 3.7 && limiter.smallestGain < 0.9 / 3.5)
    }

    @Test func onlyTheNeighbourhoodOfAnOverIsTouched() {
        // One spike: frames before the look-ahead ramp and after the release pass unchanged.
        var x = noise(96_000, amplitude: 0.3)
        x[24_000] = 1.8
        let (y, limiter) = limit(x, channels: 1, ceiling: 0.9)
        let lookahead = limiter.lookaheadFrames  // 2 ms = 96 frames at 48 kHz
        #expect(lookahead == 96)
        #expect(maxDifference(y[..<(24_000 - lookahead)], x[..<(24_000 - lookahead)]) == 0)
        #expect(abs(y[24_000] - 0.9) < 1e-6)
        // The gain ramps down monotonically over the look-ahead and is back to exactly 1 within
        // 0.6 s (release time constant 50 ms; it snaps to 1 within 1e-5).
        let gains = (24_000 - lookahead...24_000).map { y[$0] / x[$0] }
        #expect(zip(gains, gains.dropFirst()).allSatisfy { $0 >= $1 - 1e-5 })
        #expect(maxDifference(y[(24_000 + 28_800)...], x[(24_000 + 28_800)...]) == 0)
    }

    @Test func channelsAreLimitedTogether() {
        // An over in one channel turns the other down by the same gain: the image stays.
        var x = [Float](repeating: 0, count: 4_000)
        for f in 0..<2_000 { x[2 * f] = 0.5; x[2 * f + 1] = 0.25 }
        x[2 * 1_000] = 1.5
        let (y, _) = limit(x, channels: 2, ceiling: 0.9)
        for f in 0..<2_000 where f != 1_000 { #expect(abs(y[2 * f] - 2 * y[2 * f + 1]) < 1e-6) }
    }
}
