#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The long-term tonal balance of a stream: a Welch power average (Hann frames of about
/// 93 ms, half overlapping, mono mix of the channels, frames quieter than −60 dBFS RMS left
/// out) summed into one-third-octave bands, in dB. It is the project's tonal balance curve
/// (`python/aeq/tonal.py`, the TBC of EVALUATION.md) computed incrementally, so a file of any
/// length is measured in constant memory.
///
/// Not for the render path: `add` takes any number of frames and runs FFTs as frames fill.
public final class LongTermSpectrum {
    /// One-third-octave band centres, `1 kHz · 2^(k/3)` for k = −15 … 12 (31.25 Hz … 16 kHz).
    public static let bandCentresHz: [Double] = (-15...12).map { 1000 * pow(2, Double($0) / 3) }
    /// Frames whose RMS is below this level are left out (pauses do not count).
    public static let gateDecibelsFullScale = -60.0

    public let sampleRateHz: Double
    public let fftSize: Int
    private let fft: RealFFT
    private let window: UnsafeMutablePointer<Float>
    private let ring: UnsafeMutablePointer<Float>
    private let frame: UnsafeMutablePointer<Float>
    private let power: UnsafeMutablePointer<Float>
    private let sums: UnsafeMutablePointer<Double>
    private var filled = 0
    /// Frames analysed (above the gate) and frames heard in all.
    public private(set) var framesKept = 0
    public private(set) var samplesHeard = 0

    /// An FFT of 4096 points at 44.1/48 kHz (about 93 ms), scaled with the rate so the band
    /// resolution is the same at every rate.
    public init(sampleRateHz: Double) {
        self.sampleRateHz = sampleRateHz
        let octaves = sampleRateHz.isFinite && sampleRateHz > 0 ? log2(sampleRateHz / 44_100).rounded() : 0
        fftSize = 1024 << Int(min(max(octaves + 2, 0), 4))
        fft = RealFFT(size: fftSize)
        window = .allocate(capacity: fftSize)
        for i in 0..<fftSize {
            window[i] = Float(0.5 - 0.5 * cos(2 * Double.pi * Double(i) / Double(fftSize)))  // periodic Hann
        }
        ring = .allocate(capacity: fftSize)
        frame = .allocate(capacity: fftSize)
        power = .allocate(capacity: fftSize / 2 + 1)
        sums = .allocate(capacity: fftSize / 2 + 1)
        sums.initialize(repeating: 0, count: fftSize / 2 + 1)
    }

    deinit {
        window.deallocate(); ring.deallocate(); frame.deallocate(); power.deallocate(); sums.deallocate()
    }

    /// Listens to `frameCount` frames of `channelCount` planar channels (non-finite samples
    /// count as silence).
    public func add(_ channels: UnsafePointer<UnsafeMutablePointer<Float>>, channelCount: Int, frameCount: Int) {
        let scale = 1 / Float(max(channelCount, 1))
        for i in 0..<frameCount {
            var s: Float = 0
            for c in 0..<channelCount { let v = channels[c][i]; s += v.isFinite ? v : 0 }
            ring[filled] = s * scale
            filled += 1
            if filled == fftSize { analyseFrame() }
        }
        samplesHeard += frameCount
    }

    /// One full frame: gate, window, power, then keep the second half for the next frame.
    private func analyseFrame() {
        var energy = 0.0
        for i in 0..<fftSize { energy += Double(ring[i]) * Double(ring[i]) }
        if 10 * log10(max(energy / Double(fftSize), 1e-30)) >= Self.gateDecibelsFullScale {
            for i in 0..<fftSize { frame[i] = ring[i] * window[i] }
            fft.powerSpectrum(frame, into: power)
            for k in 0...(fftSize / 2) { sums[k] += Double(power[k]) }
            framesKept += 1
        }
        let hop = fftSize / 2
        ring.update(from: ring + hop, count: fftSize - hop)
        filled = fftSize - hop
    }

    /// Band levels in dB (unnormalised) at `bandCentresHz`, or nil when no frame passed the
    /// gate. A band reaching above 0.45 × the rate (where the converter's filter acts) is NaN.
    /// A band narrower than one bin gets the power density at its centre times its width.
    public var bandLevelsDecibels: [Double]? {
        guard framesKept > 0 else { return nil }
        let step = sampleRateHz / Double(fftSize), half = pow(2, 1.0 / 6)
        return Self.bandCentresHz.map { centre in
            let low = centre / half, high = centre * half
            guard high <= 0.45 * sampleRateHz else { return .nan }
            let first = Int((low / step).rounded(.up)), last = Int((high / step).rounded(.up)) - 1
            var p = 0.0
            if first <= last {
                for k in first...last { p += sums[k] }
            } else {
                let x = centre / step, k = Int(x), t = x - Double(k)
                p = (sums[k] * (1 - t) + sums[k + 1] * t) * (high - low) / step
            }
            return 10 * log10(p / Double(framesKept) + 1e-30)
        }
    }
}
