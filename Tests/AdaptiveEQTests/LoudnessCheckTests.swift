import AEQTestSupport
import AdaptiveEQ
import EQDSP
import Foundation
import Testing

/// Mean square of `x` through BS.1770's K-weighting (its two filters as RBJ biquads, run in
/// the time domain in Double: independent of the check's per-bin spectra).
private func kWeightedMeanSquare(_ x: [Float], sampleRateHz fs: Double) -> Double {
    let w0 = 2 * Double.pi * KWeighting.highPassHz / fs
    let cw = cos(w0), alpha = sin(w0) / (2 * KWeighting.highPassQ), a0 = 1 + alpha
    let stages = [BiquadCoefficients(KWeighting.shelf, sampleRateHz: fs),
                  BiquadCoefficients(b0: (1 + cw) / 2 / a0, b1: -(1 + cw) / a0, b2: (1 + cw) / 2 / a0,
                                     a1: -2 * cw / a0, a2: (1 - alpha) / a0)]
    var y = x.map(Double.init)
    for s in stages {
        var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0
        for i in y.indices {
            let v = s.b0 * y[i] + s.b1 * x1 + s.b2 * x2 - s.a1 * y1 - s.a2 * y2
            x2 = x1; x1 = y[i]; y2 = y1; y1 = v
            y[i] = v
        }
    }
    return y.reduce(0) { $0 + $1 * $1 } / Double(y.count)
}

@Suite struct LoudnessCheckTests {
    /// Feeds `input` and `output` (per channel) in blocks, measuring every 2048 samples with
    /// the prediction `predicted`; returns the correction.
    private func correction(input: [[Float]], output: [[Float]], predicted: Float) -> Float {
        let check = LoudnessCheck(sampleRateHz: 44_100, channelCount: input.count, fftSize: 1024)
        let n = input[0].count, interval = 2048
        let x: [UnsafeMutablePointer<Float>] = input.map { _ in .allocate(capacity: n) }
        let y: [UnsafeMutablePointer<Float>] = output.map { _ in .allocate(capacity: n) }
        defer { for p in x + y { p.deallocate() } }
        for c in input.indices {
            x[c].initialize(from: input[c], count: n)
            y[c].initialize(from: output[c], count: n)
        }
        var done = 0
        while done < n {
            let k = min(interval, n - done)
            check.push(input: { UnsafePointer(x[$0] + done) }, count: k)
            check.push(output: { UnsafePointer(y[$0] + done) }, count: k)
            done += k
            if k == interval { check.measure(predictedDecibels: predicted, intervalSamples: interval) }
        }
        return check.correctionDecibels
    }

    /// The output 3 dB down and a predicted +1 dB: the check asks for the 2 dB that lack. In
    /// anti-phase stereo too, where a mono mix would hear nothing: the channels' powers add.
    @Test(arguments: [false, true])
    func correctionIsWhatThePredictionLacks(antiPhase: Bool) {
        var rng = SeededGenerator(seed: 5)
        let left = (0..<(10 * 44_100)).map { _ in Float.random(in: -0.3...0.3, using: &rng) }
        let right = antiPhase ? left.map { -$0 } : (0..<left.count).map { _ in Float.random(in: -0.3...0.3, using: &rng) }
        let down = powf(10, -3 / 20)
        let c = correction(input: [left, right], output: [left.map { $0 * down }, right.map { $0 * down }], predicted: 1)
        #expect(abs(c - 2) < 0.01, "correction \(c) dB, expected 2 dB")
    }

    /// Below BS.1770's absolute gate (−70 LUFS) nothing is counted, whatever the output does.
    @Test func framesBelowTheGateAreNotCounted() {
        var rng = SeededGenerator(seed: 6)
        let quiet = (0..<(5 * 44_100)).map { _ in Float.random(in: -1e-5...1e-5, using: &rng) }
        #expect(correction(input: [quiet], output: [quiet.map { $0 * 4 }], predicted: 0) == 0)
    }

    /// The check's K-weighted powers agree with a time-domain K-weighting: an EQ'd noise's
    /// loss measured both ways.
    @Test func agreesWithATimeDomainKWeighting() {
        var rng = SeededGenerator(seed: 7)
        let x = (0..<(8 * 44_100)).map { _ in Float.random(in: -0.3...0.3, using: &rng) }
        // A fixed EQ: −9 dB low shelf at 200 Hz, +6 dB high shelf at 6 kHz.
        let shelves = [BiquadCoefficients(BandParameters(kind: .lowShelf, frequencyHz: 200, gainDecibels: -9, q: 0.71),
                                          sampleRateHz: 44_100),
                       BiquadCoefficients(BandParameters(kind: .highShelf, frequencyHz: 6000, gainDecibels: 6, q: 0.71),
                                          sampleRateHz: 44_100)]
        var y = x.map(Double.init)
        for s in shelves {
            var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0
            for i in y.indices {
                let v = s.b0 * y[i] + s.b1 * x1 + s.b2 * x2 - s.a1 * y1 - s.a2 * y2
                x2 = x1; x1 = y[i]; y2 = y1; y1 = v
                y[i] = v
            }
        }
        let out = y.map(Float.init)
        let expected = 10 * log10(kWeightedMeanSquare(x, sampleRateHz: 44_100) / kWeightedMeanSquare(out, sampleRateHz: 44_100))
        let c = correction(input: [x], output: [out], predicted: 0)
        #expect(abs(Double(c) - expected) < 0.05, "check \(c) dB, time-domain K-weighting \(expected) dB")
        #expect(abs(expected) > 1, "the EQ should change the loudness: \(expected) dB")
    }

    /// In the engine, a word whose loudness change the prediction misjudges (airy at full
    /// intensity on brown noise: energy far below where the mel bands resolve it) still keeps
    /// the K-weighted power: over the last 8 s of 16 within 0.25 dB.
    @Test func engineKeepsTheKWeightedPowerOfBrownNoise() throws {
        let model = try requireModel()
        var rng = SeededGenerator(seed: 8)
        let n = 16 * 44_100
        var x: [[Float]] = []
        for _ in 0..<2 {
            // Brown noise: white noise through a one-pole low-pass at 20 Hz (−6 dB per octave
            // above, flat below, as eval/test_safe_output.py makes it), about −20 dBFS.
            var level: Float = 0
            let a = 1 - expf(-2 * Float.pi * 20 / 44_100)
            var channel = (0..<n).map { _ -> Float in
                level += a * (Float.random(in: -1...1, using: &rng) - level)
                return level
            }
            let rms = (channel.reduce(0) { $0 + $1 * $1 } / Float(n)).squareRoot()
            channel = channel.map { $0 * 0.1 / rms }
            x.append(channel)
        }
        var engine = try makeEngine(model, word: "airy", intensity: 1)
        let y = run(&engine, x, blockSize: 512)
        let tail = (n / 2)..<n
        var before = 0.0, after = 0.0
        for c in 0..<2 {
            before += kWeightedMeanSquare(Array(x[c][tail]), sampleRateHz: 44_100)
            after += kWeightedMeanSquare(Array(y[c][tail]), sampleRateHz: 44_100)
        }
        let change = 10 * log10(after / before)
        print("airy at 1 on brown noise: K-weighted power change \(change) dB")
        #expect(abs(change) < 0.25, "K-weighted power moved by \(change) dB")
    }
}

