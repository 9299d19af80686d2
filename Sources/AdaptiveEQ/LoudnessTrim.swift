import EQDSP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Corrects the loudness prediction of `LoudnessMatch` by what the output measures, with no
/// lookahead and no feedback loop.
///
/// The prediction reads the EQ's effect off a coarse spectrum averaged over ≈2 s (64 mel
/// bands from a 1024-point FFT: a few bands below 100 Hz), so a bass-heavy EQ on dynamic or
/// bass-heavy music can be off by most of a decibel. Here both sides are measured as BS.1770
/// does, K-weighted in the time domain (mono mix), in the stretches between two analyses:
/// the input, times the power change the prediction expects (`10^(−gain/10)`), and the
/// equalised output before the gain. The trim is the ratio of their sums over a leaky window
/// of `averagingSeconds`, in dB. The gain being applied enters neither side, so the trim
/// cannot oscillate; and a ratio of ten-second sums moves by fractions of a decibel per
/// second: no pumping.
///
/// As in BS.1770's integrated loudness, quiet stretches are left out: a stretch counts only
/// if its input is louder than −70 LUFS and no more than 10 dB below the mean of the
/// stretches counted so far (a fade or a pause would otherwise weigh in with errors the
/// loudness of the whole never sees). Gating each side on its own, stretch by stretch, as a
/// loudness meter gates 400 ms blocks, did worse on the real test clips (max 0.93 LU against
/// 0.66 LU, float renders): a 46 ms stretch often falls on one side of the gate in the input
/// and on the other in the output.
///
/// Sums run sample by sample in stream order and are folded in at the analyses (fixed stream
/// positions), so the trim does not depend on the host's block sizes. A plain value (no
/// heap); every method is real-time safe.
public struct LoudnessTrim: Sendable {
    /// Time constant of the window the trim is measured over.
    public static let averagingSeconds = 10.0
    /// Largest trim in either direction: the prediction is rarely off by more than a decibel;
    /// a larger measured difference is content the mono mix misjudges, not the EQ.
    public static let maximumDecibels: Float = 3
    /// −70 LUFS as a K-weighted mean square (L = −0.691 + 10·log10 z).
    static let absoluteGate = pow(10, (-70 + 0.691) / 10)
    /// The relative gate: 10 dB below the mean of the stretches counted.
    static let relativeGate = 0.1

    private var inputFilter = KWeightingFilter(), outputFilter = KWeightingFilter()
    /// The power change the predicted gain in force expects from the EQ: 10^(−gain/10).
    private var expectedFactor = 1.0
    /// K-weighted energy since the last fold.
    private var inputNow = 0.0, outputNow = 0.0, framesNow = 0
    /// Leaky sums over the counted stretches: expected and measured output energy, and the
    /// input's energy and length (for the relative gate).
    private var expected = 0.0, measured = 0.0, gatedEnergy = 0.0, gatedFrames = 0.0
    private var sampleRateHz = 44_100.0

    /// A trim that measures nothing yet; `prepare` before use.
    public init() {}

    /// Designs the K-weighting for `sampleRateHz` and clears all state.
    public mutating func prepare(sampleRateHz: Double) {
        self.sampleRateHz = sampleRateHz
        inputFilter = KWeightingFilter(sampleRateHz: sampleRateHz)
        outputFilter = inputFilter
        reset()
    }

    /// Forgets everything measured; the trim restarts at 0 dB.
    public mutating func reset() {
        inputFilter.reset(); outputFilter.reset()
        expectedFactor = 1
        inputNow = 0; outputNow = 0; framesNow = 0
        expected = 0; measured = 0; gatedEnergy = 0; gatedFrames = 0
    }

    /// Measures `count` samples of the input's mono mix (finite, as the analysis hears it).
    public mutating func listen(input mono: UnsafePointer<Float>, count: Int) {
        var sum = inputNow
        for i in 0..<count {
            let k = inputFilter.process(Double(mono[i]))
            sum += k * k
        }
        inputNow = sum
    }

    /// Measures the same `count` frames of the equalised output before the gain (channel `c`
    /// at `channels[c] + offset`), mixed to mono as the input was; `scratch` holds `count` floats.
    public mutating func measure(output channels: UnsafePointer<UnsafeMutablePointer<Float>>, channelCount: Int,
                                 offset: Int, count: Int, scratch: UnsafeMutablePointer<Float>) {
        scratch.update(repeating: 0, count: count)
        for c in 0..<channelCount {
            let x = channels[c] + offset
            for i in 0..<count { scratch[i] += x[i] }
        }
        let scale = 1 / Float(channelCount)
        var sum = outputNow
        for i in 0..<count {
            let k = outputFilter.process(Double(scratch[i] * scale))
            sum += k * k
        }
        outputNow = sum
        framesNow += count
    }

    /// Folds what was measured since the last call into the window, takes `gainDecibels` as
    /// the predicted gain from now on, and returns the trim in dB to add to it (0 until a
    /// stretch has counted).
    public mutating func update(predictedGainDecibels gainDecibels: Float) -> Float {
        let leak = exp(-Double(framesNow) / (Self.averagingSeconds * sampleRateHz))
        expected *= leak; measured *= leak; gatedEnergy *= leak; gatedFrames *= leak
        let n = Double(framesNow), power = inputNow / max(n, 1)
        if power > Self.absoluteGate && power * gatedFrames >= Self.relativeGate * gatedEnergy {
            expected += inputNow * expectedFactor
            measured += outputNow
            gatedEnergy += inputNow
            gatedFrames += n
        }
        inputNow = 0; outputNow = 0; framesNow = 0
        expectedFactor = pow(10, -Double(gainDecibels) / 10)
        guard expected > 0, measured > 0, expected.isFinite, measured.isFinite else { return 0 }
        let trim = Float(10 * log10(expected / measured))
        return min(max(trim, -Self.maximumDecibels), Self.maximumDecibels)
    }
}

/// The K-weighting of ITU-R BS.1770 as two biquads in series (transposed direct form II,
/// in double precision: the high-pass sits at 38 Hz, far below the rate).
struct KWeightingFilter: Sendable {
    private var shelf = BiquadCoefficients(b0: 1, b1: 0, b2: 0, a1: 0, a2: 0)
    private var highPass = BiquadCoefficients(b0: 1, b1: 0, b2: 0, a1: 0, a2: 0)
    private var s1 = 0.0, s2 = 0.0, t1 = 0.0, t2 = 0.0

    init() {}

    init(sampleRateHz: Double) {
        shelf = BiquadCoefficients(KWeighting.shelf, sampleRateHz: sampleRateHz)
        highPass = KWeighting.highPass(sampleRateHz: sampleRateHz)
    }

    mutating func reset() { s1 = 0; s2 = 0; t1 = 0; t2 = 0 }

    /// A constant far below any signal keeps the states off subnormal numbers in silence
    /// (the high-pass removes it from the output).
    private static let antiSubnormal = 1e-25

    @inline(__always)
    mutating func process(_ input: Double) -> Double {
        let x = input + Self.antiSubnormal
        let y = shelf.b0 * x + s1
        s1 = shelf.b1 * x - shelf.a1 * y + s2
        s2 = shelf.b2 * x - shelf.a2 * y
        let z = highPass.b0 * y + t1
        t1 = highPass.b1 * y - highPass.a1 * z + t2
        t2 = highPass.b2 * y - highPass.a2 * z
        return z
    }
}
