import EQAnalysis

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Measures how far `LoudnessMatch`'s predicted gain is off, from the audio itself.
///
/// The prediction reads the input's mel spectrum: bands too coarse in the bass, nothing
/// measured above 16 kHz, and a gain that follows a 2-s spectrum while the loudness meter
/// weighs the loudest moments most. Its error is small but not zero (up to about 1 LU on
/// dense or very dynamic recordings). This check runs beside it: at every analysis it takes
/// the newest frame (`fftSize` samples) of the input and of the equalised output (before the
/// loudness gain), and from each channel's spectrum the K-weighted power of each stream, the
/// channels' powers summed as BS.1770 does (its weighting evaluated per FFT bin). It keeps energy averages of both over about
/// `averageSeconds`, the output's weighted by the predicted gain in force at that frame, and
///
///     correction = 10·log10( mean P_in / mean (P_out · g_pred²) )   dB
///
/// is what the predicted gain lacks for the output to carry the input's K-weighted energy, so
/// the gain applied is prediction + correction. The correction depends only on the predicted
/// part, never on itself (no loop, nothing to oscillate), and it moves on the time scale of
/// the average: far too slow to pump. Both frames are measured the same way at the same
/// stream positions, so the coarse resolution that misleads the prediction cancels in the
/// ratio. Frames of the input below −70 LUFS (BS.1770's absolute gate) are not counted, nor
/// those of the first `warmUpSeconds`, while the analysis window first fills.
///
/// Allocates in `init`; `push`, `measure` and `reset` are real-time safe.
package final class LoudnessCheck {
    /// Largest correction in either direction, in dB.
    package static let maximumDecibels: Float = 6
    /// K-weighted power (channel mean squares summed) below which a frame is not counted (−70 LUFS).
    static let gatePower = pow(10, (-70 + 0.691) / 10)

    /// What the predicted gain lacks, in dB (0 until a frame above the gate was measured).
    package private(set) var correctionDecibels: Float = 0

    private let fft: RealFFT
    private let size: Int
    private let window: UnsafeMutablePointer<Float>
    private let windowed: UnsafeMutablePointer<Float>
    private let power: UnsafeMutablePointer<Float>
    // Per FFT bin: |K(f)|², doubled for the bins that stand for two (all but DC and Nyquist),
    // over N · Σ w², so that Σ weight · |X|² is the frame's mean square after K-weighting.
    private let weights: UnsafeMutablePointer<Double>
    // The last `size` samples of each channel of each stream, as rings (channel c at c·size),
    // and the samples each stream was given.
    private let channelCount: Int
    private let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<Float>
    private var inputWritten = 0, outputWritten = 0
    private let sampleRateHz: Double
    private let averageSeconds: Double
    // Samples before the first measurement that counts: while the engine's analysis window
    // first fills, its EQ and prediction still move, and the plain mean of the first frames
    // would carry that start into the next seconds.
    private let warmUpSamples: Int
    private var counted = 0
    private var meanInput = 0.0, meanOutput = 0.0

    /// A check for one stream at `sampleRateHz`, framing `fftSize` samples and averaging the
    /// frames of about `averageSeconds`. Allocates.
    package init(sampleRateHz: Double, channelCount: Int, fftSize: Int, averageSeconds: Double = 6,
                 warmUpSeconds: Double = 2) {
        warmUpSamples = Int(warmUpSeconds * sampleRateHz)
        self.sampleRateHz = sampleRateHz
        self.channelCount = max(channelCount, 1)
        self.averageSeconds = averageSeconds
        size = fftSize
        fft = RealFFT(size: fftSize)
        window = .allocate(capacity: fftSize)
        fillPeriodicHann(window, count: fftSize)
        windowed = .allocate(capacity: fftSize)
        power = .allocate(capacity: fftSize / 2 + 1)
        weights = .allocate(capacity: fftSize / 2 + 1)
        var energy = 0.0
        for i in 0..<fftSize { energy += Double(window[i]) * Double(window[i]) }
        let bins = fftSize / 2
        for k in 0...bins {
            let f = Double(k) * sampleRateHz / Double(fftSize)
            let both = k == 0 || k == bins ? 1.0 : 2.0
            weights[k] = both * KWeighting.powerGain(atFrequency: f, sampleRateHz: sampleRateHz)
                / (Double(fftSize) * energy)
        }
        input = .allocate(capacity: self.channelCount * fftSize)
        output = .allocate(capacity: self.channelCount * fftSize)
        reset()
    }

    deinit {
        window.deallocate(); windowed.deallocate(); power.deallocate(); weights.deallocate()
        input.deallocate(); output.deallocate()
    }

    /// Forgets both streams and the averages; the correction restarts at 0 dB.
    package func reset() {
        input.update(repeating: 0, count: channelCount * size)
        output.update(repeating: 0, count: channelCount * size)
        inputWritten = 0
        outputWritten = 0
        counted = 0
        meanInput = 0
        meanOutput = 0
        correctionDecibels = 0
    }

    /// Appends `count` samples of each input channel (`channel(c)` points at channel c's first).
    package func push(input channel: (Int) -> UnsafePointer<Float>, count: Int) {
        Self.append(channel, count: count, to: input, channelCount: channelCount, size: size, written: &inputWritten)
    }

    /// Appends `count` samples of each channel of the equalised output (before the loudness
    /// gain), at the stream positions of the input pushed before.
    package func push(output channel: (Int) -> UnsafePointer<Float>, count: Int) {
        Self.append(channel, count: count, to: output, channelCount: channelCount, size: size, written: &outputWritten)
    }

    private static func append(_ channel: (Int) -> UnsafePointer<Float>, count: Int,
                               to rings: UnsafeMutablePointer<Float>, channelCount: Int, size: Int,
                               written: inout Int) {
        var done = 0
        while done < count {
            let at = written % size
            let n = min(count - done, size - at)
            for c in 0..<channelCount {
                let x = channel(c) + done, ring = rings + c * size + at
                // Non-finite input counts as silence, as the engine hears it.
                for i in 0..<n { ring[i] = x[i].isFinite ? min(max(x[i], -16), 16) : 0 }
            }
            written += n
            done += n
        }
    }

    /// Measures the newest frame of both streams and updates the correction. `predictedDecibels`
    /// is the predicted gain the output of that frame was given; `intervalSamples` how far
    /// apart the measurements are (they average over about `averageSeconds`: the plain mean of
    /// the first ones, then a one-pole average).
    package func measure(predictedDecibels: Float, intervalSamples: Int) {
        // Only when both rings end on the same sample, a whole frame in.
        guard inputWritten == outputWritten, inputWritten >= max(size, warmUpSamples) else { return }
        // BS.1770 sums the channels' powers (a mono mix would weigh what the channels share,
        // mostly the bass, more than what differs between them).
        var heard = 0.0, equalised = 0.0
        for c in 0..<channelCount {
            heard += kWeightedPower(input + c * size)
            equalised += kWeightedPower(output + c * size)
        }
        guard heard.isFinite, heard >= Self.gatePower else { return }
        equalised *= pow(10, Double(predictedDecibels) / 10)
        guard equalised.isFinite, equalised > 0 else { return }
        let averageCount = max(1, Int((averageSeconds * sampleRateHz / Double(max(intervalSamples, 1))).rounded()))
        counted = min(counted + 1, averageCount)
        let k = 1 / Double(counted)
        meanInput += k * (heard - meanInput)
        meanOutput += k * (equalised - meanOutput)
        let c = Float(10 * log10(meanInput / meanOutput))
        correctionDecibels = c.isFinite ? min(max(c, -Self.maximumDecibels), Self.maximumDecibels) : 0
    }

    /// Mean square of the K-weighted frame in `ring` (its oldest sample at the write position).
    private func kWeightedPower(_ ring: UnsafePointer<Float>) -> Double {
        let start = inputWritten % size, first = size - start
        windowed.update(from: ring + start, count: first)
        (windowed + first).update(from: ring, count: start)
        // Content far below the first bins (the bass of brown noise, rumble) would leak into
        // them through the window's main lobe (±2 bins, ±86 Hz at 1024 points) and count with
        // their K-weighting, several dB more than BS.1770's high-pass lets through: the
        // frame's mean, most of it, is taken out first. (Taking out the least-squares line
        // as well removes too much: airy at full intensity on brown noise then ends 0.4 dB
        // down in K-weighted power, against +0.07 dB with the mean and +0.94 dB with nothing.)
        var sum: Float = 0
        for i in 0..<size { sum += windowed[i] }
        let mean = sum / Float(size)
        for i in 0..<size { windowed[i] = (windowed[i] - mean) * window[i] }
        fft.powerSpectrum(windowed, into: power)
        var total = 0.0
        for k in 0...(size / 2) { total += weights[k] * Double(power[k]) }
        return total
    }
}
