#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Log-mel spectrum of single STFT frames, exactly as the model was trained:
/// periodic Hann, `|FFT|²`, HTK mel filterbank, `10·log10(max(M, 1e-10))` dB.
///
/// All memory is allocated in `init`; `analyze(frame:into:)` is real-time safe.
/// An instance owns scratch memory: use one instance per thread.
public final class LogMelAnalyzer {
    /// FFT length in samples at `sampleRateHz` (1024 at 44.1/48 kHz, 256 … 4096 elsewhere).
    public let fftSize: Int
    /// Hop between frames in samples at `sampleRateHz`.
    public let hopSize: Int
    public let melBandCount: Int
    public let sampleRateHz: Double
    /// Floor applied to the mel power before the logarithm (1e-10, i.e. −100 dB).
    public static let powerFloor: Float = 1e-10

    public let fft: RealFFT
    public let filterbank: MelFilterbank
    private let window: UnsafeMutablePointer<Float>
    private let windowed: UnsafeMutablePointer<Float>
    private let power: UnsafeMutablePointer<Float>

    /// Prepares the analyser for `sampleRateHz` (8 kHz … 192 kHz) with the scaling rule of
    /// `MelConfiguration`. Allocates; call outside the audio thread.
    public init(configuration: MelConfiguration = MelConfiguration(), sampleRateHz: Double) {
        let sizes = configuration.scaledSizes(sampleRateHz: sampleRateHz)
        fftSize = sizes.fftSize
        hopSize = sizes.hopSize
        melBandCount = configuration.melBandCount
        self.sampleRateHz = sampleRateHz
        fft = RealFFT(size: sizes.fftSize)
        filterbank = MelFilterbank(bandCount: configuration.melBandCount, fftSize: sizes.fftSize,
                                   sampleRateHz: sampleRateHz,
                                   minimumFrequencyHz: configuration.minimumFrequencyHz,
                                   maximumFrequencyHz: configuration.maximumFrequencyHz)
        window = .allocate(capacity: sizes.fftSize)
        fillPeriodicHann(window, count: sizes.fftSize)
        windowed = .allocate(capacity: sizes.fftSize)
        windowed.initialize(repeating: 0, count: sizes.fftSize)
        power = .allocate(capacity: sizes.fftSize / 2 + 1)
        power.initialize(repeating: 0, count: sizes.fftSize / 2 + 1)
    }

    deinit {
        window.deallocate()
        windowed.deallocate()
        power.deallocate()
    }

    /// Log-mel of one frame.
    /// - Parameters:
    ///   - frame: `fftSize` consecutive mono samples.
    ///   - logMel: receives `melBandCount` values in dB (≥ −100).
    public func analyze(frame: UnsafePointer<Float>, into logMel: UnsafeMutablePointer<Float>) {
        let n = fftSize
        let w = window, x = windowed
        for i in 0..<n { x[i] = frame[i] * w[i] }
        fft.powerSpectrum(x, into: power)
        filterbank.apply(power: power, into: logMel)
        let floor = LogMelAnalyzer.powerFloor
        let ceiling = Float.greatestFiniteMagnitude
        for m in 0..<melBandCount {
            let v = logMel[m]
            // NaN (from NaN/Inf samples) reads as the floor and overflow as the largest finite
            // power, so one bad sample cannot put a non-finite value into the ring.
            let clamped = v > floor ? (v < ceiling ? v : ceiling) : floor
            logMel[m] = 10 * log10f(clamped)
        }
    }
}
