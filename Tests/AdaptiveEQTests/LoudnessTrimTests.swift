import AEQTestSupport
import AdaptiveEQ
import Foundation
import Testing

/// `LoudnessTrim` on synthetic streams whose loudness error is known: the output is the input
/// times a fixed gain, and the prediction says another.
struct LoudnessTrimTests {
    static let rate = 44_100.0
    /// Frames between two analyses (the engine's default interval).
    static let interval = 2048

    /// White noise at `rmsDecibels` (seeded).
    static func noise(seconds: Double, rmsDecibels: Float, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        let a = pow(10, rmsDecibels / 20) * Float(3).squareRoot()  // uniform ±a has RMS a/√3
        return (0..<Int(seconds * rate)).map { _ in Float.random(in: -1...1, using: &g) * a }
    }

    /// Feeds `input` and `input · 10^(outputGain/20)` in `block`-frame pieces, folding at every
    /// `interval` with `predicted` dB, and returns the last trim.
    static func run(_ trim: inout LoudnessTrim, _ input: [Float], outputGainDecibels: (Int) -> Float,
                    predicted: Float, block: Int = 512) -> Float {
        var out = [Float](repeating: 0, count: block)
        var scratch = [Float](repeating: 0, count: block)
        var last: Float = 0, sinceFold = 0, done = 0
        while done < input.count {
            let n = min(block, input.count - done, interval - sinceFold)
            let g = pow(10, outputGainDecibels(done) / 20)
            for i in 0..<n { out[i] = input[done + i] * g }
            input.withUnsafeBufferPointer { trim.listen(input: $0.baseAddress! + done, count: n) }
            out.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { s in
                    var channel = o.baseAddress!
                    trim.measure(output: &channel, channelCount: 1, offset: 0, count: n, scratch: s.baseAddress!)
                }
            }
            done += n
            sinceFold += n
            if sinceFold == interval {
                last = trim.update(predictedGainDecibels: predicted)
                sinceFold = 0
            }
        }
        return last
    }

    @Test func aMisjudgedGainIsMeasuredAndTrimmed() {
        let x = Self.noise(seconds: 3, rmsDecibels: -20, seed: 1)
        // The EQ made the output 2 dB louder and the prediction said nothing: trim −2 dB.
        var trim = LoudnessTrim()
        trim.prepare(sampleRateHz: Self.rate)
        _ = trim.update(predictedGainDecibels: 0)
        let t = Self.run(&trim, x, outputGainDecibels: { _ in 2 }, predicted: 0)
        #expect(abs(t + 2) < 0.02, "trim \(t) dB")
        // A prediction that was right leaves nothing to trim: the EQ took 3 dB, the gain gives them back.
        var right = LoudnessTrim()
        right.prepare(sampleRateHz: Self.rate)
        _ = right.update(predictedGainDecibels: 3)
        let r = Self.run(&right, x, outputGainDecibels: { _ in -3 }, predicted: 3)
        #expect(abs(r) < 0.02, "trim \(r) dB")
    }

    @Test func quietStretchesAreGatedOut() {
        // 2 s at −20 dBFS off by +2 dB, then 2 s at −45 dBFS off by +8 dB: a loudness meter
        // leaves the quiet stretch out (more than 10 dB below), and so does the trim.
        let x = Self.noise(seconds: 2, rmsDecibels: -20, seed: 2) + Self.noise(seconds: 2, rmsDecibels: -45, seed: 3)
        let split = Int(2 * Self.rate)
        var trim = LoudnessTrim()
        trim.prepare(sampleRateHz: Self.rate)
        let t = Self.run(&trim, x, outputGainDecibels: { $0 < split ? 2 : 8 }, predicted: 0)
        #expect(abs(t + 2) < 0.05, "trim \(t) dB")
        // Silence counts for nothing either.
        var silent = LoudnessTrim()
        silent.prepare(sampleRateHz: Self.rate)
        #expect(Self.run(&silent, [Float](repeating: 0, count: split), outputGainDecibels: { _ in 6 }, predicted: 0) == 0)
    }

    @Test func theTrimDoesNotDependOnBlockSizes() {
        let x = Self.noise(seconds: 1, rmsDecibels: -18, seed: 4)
        let trims = [1, 37, 512].map { block -> Float in
            var trim = LoudnessTrim()
            trim.prepare(sampleRateHz: Self.rate)
            return Self.run(&trim, x, outputGainDecibels: { _ in 1.5 }, predicted: 0.5, block: block)
        }
        #expect(trims[0].bitPattern == trims[1].bitPattern && trims[1].bitPattern == trims[2].bitPattern, "\(trims)")
        #expect(abs(trims[0] + 2) < 0.05, "\(trims[0]) dB")
    }

    @Test func theTrimStaysWithinItsBound() {
        let x = Self.noise(seconds: 1, rmsDecibels: -20, seed: 5)
        var trim = LoudnessTrim()
        trim.prepare(sampleRateHz: Self.rate)
        let t = Self.run(&trim, x, outputGainDecibels: { _ in 10 }, predicted: 0)
        #expect(t == -LoudnessTrim.maximumDecibels)
    }
}
