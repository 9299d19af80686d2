#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The log-mel constants that define the analysis front end (see `docs/MODEL_FORMAT.md`).
///
/// The values are those the model was trained with at `referenceSampleRateHz`; `scaled(to:)`
/// applies the rule for other rates: `n_fft` and `hop` are multiplied by
/// `2^round(log2(fs / 44100))`, so each frame spans about the same time at any rate, and the
/// filterbank is rebuilt in Hz from the same formula.
public struct MelConfiguration: Sendable, Equatable {
    public var referenceSampleRateHz: Double
    public var fftSize: Int
    public var hopSize: Int
    public var melBandCount: Int
    public var minimumFrequencyHz: Double
    public var maximumFrequencyHz: Double

    public init(referenceSampleRateHz: Double = 44100, fftSize: Int = 1024, hopSize: Int = 512,
                melBandCount: Int = 64, minimumFrequencyHz: Double = 20,
                maximumFrequencyHz: Double = 16000) {
        self.referenceSampleRateHz = referenceSampleRateHz
        self.fftSize = fftSize
        self.hopSize = hopSize
        self.melBandCount = melBandCount
        self.minimumFrequencyHz = minimumFrequencyHz
        self.maximumFrequencyHz = maximumFrequencyHz
    }

    /// The power-of-two factor by which `n_fft` and `hop` grow at `sampleRateHz`:
    /// `2^round(log2(fs / reference))` (¼ at 8–11 kHz, 1 at 32–48 kHz, 4 at 176–192 kHz).
    /// Rates that are not finite and positive use factor 1; the factor is kept within
    /// 1/64 … 64 so a nonsensical rate cannot ask for a giant or empty transform.
    public func scaleFactor(sampleRateHz: Double) -> Double {
        guard sampleRateHz.isFinite, sampleRateHz > 0, referenceSampleRateHz > 0 else { return 1 }
        let octaves = (log2(sampleRateHz / referenceSampleRateHz)).rounded()
        return exp2(min(max(octaves, -6), 6))
    }

    /// The FFT and hop sizes to use at `sampleRateHz` (never below 16 / 8 samples).
    public func scaledSizes(sampleRateHz: Double) -> (fftSize: Int, hopSize: Int) {
        let factor = scaleFactor(sampleRateHz: sampleRateHz)
        let fft = max(16, Int((Double(fftSize) * factor).rounded()))
        let hop = max(8, Int((Double(hopSize) * factor).rounded()))
        return (fft, hop)
    }
}

/// HTK mel scale, `mel(f) = 2595·log10(1 + f/700)`.
@inlinable public func htkMel(hz: Double) -> Double { 2595.0 * log10(1.0 + hz / 700.0) }

/// Inverse of `htkMel(hz:)`.
@inlinable public func htkHz(mel: Double) -> Double { 700.0 * (pow(10.0, mel / 2595.0) - 1.0) }

/// Periodic Hann window `w[n] = 0.5 − 0.5·cos(2πn/N)` (the STFT convention, not the
/// symmetric filter-design one), computed in `Double` and written as `Float`.
public func fillPeriodicHann(_ window: UnsafeMutablePointer<Float>, count: Int) {
    for n in 0..<count {
        window[n] = Float(0.5 - 0.5 * cos(2.0 * Double.pi * Double(n) / Double(count)))
    }
}

/// The HTK triangular mel filterbank, stored sparsely (each filter keeps only its non-zero
/// span of FFT bins), so applying it costs about two multiply-adds per bin.
///
/// Filter m rises linearly from mel point m to m+1 and falls to m+2, where the `bands + 2`
/// points are equally spaced in HTK mel between the minimum and maximum frequency; the peak
/// is 1 (no area normalisation). Bins sit at `k·fs/n_fft`. Filters entirely above fs/2 are
/// empty, so their power is 0 and their log-mel is the −100 dB floor.
public final class MelFilterbank {
    public let bandCount: Int
    public let binCount: Int
    public let sampleRateHz: Double
    public let fftSize: Int
    /// First non-zero bin of each filter.
    private let firstBin: UnsafeMutablePointer<Int32>
    /// Number of non-zero bins of each filter (0 for empty filters).
    private let binSpan: UnsafeMutablePointer<Int32>
    /// Offset of each filter's weights in `weights`.
    private let weightOffset: UnsafeMutablePointer<Int32>
    private let weights: UnsafeMutablePointer<Float>

    /// Builds the filterbank. Allocates; call outside the audio thread.
    public init(bandCount: Int, fftSize: Int, sampleRateHz: Double,
                minimumFrequencyHz: Double, maximumFrequencyHz: Double) {
        precondition(bandCount > 0 && fftSize >= 4)
        self.bandCount = bandCount
        self.fftSize = fftSize
        self.binCount = fftSize / 2 + 1
        self.sampleRateHz = sampleRateHz
        let points = MelFilterbank.pointsHz(bandCount: bandCount, minimumFrequencyHz: minimumFrequencyHz,
                                            maximumFrequencyHz: maximumFrequencyHz)
        firstBin = .allocate(capacity: bandCount)
        binSpan = .allocate(capacity: bandCount)
        weightOffset = .allocate(capacity: bandCount)
        var packed: [Float] = []
        let bins = fftSize / 2 + 1
        let binsPerHz = Double(fftSize) / sampleRateHz
        for m in 0..<bandCount {
            let left = points[m], centre = points[m + 1], right = points[m + 2]
            // Only bins strictly between the outer corners can be non-zero: look there (one
            // bin of margin each side), not at every bin of every filter (the same weights,
            // a fraction of the set-up cost each file pays).
            var from = 0, to = bins - 1
            if left < centre && centre < right && right.isFinite {
                from = Int(min(max((left * binsPerHz).rounded(.down), 0), Double(bins)))
                to = Int(min(max((right * binsPerHz).rounded(.up), -1), Double(bins - 1)))
            }
            var lo = bins, hi = -1
            var span: [Float] = []
            if from <= to {
                span = (from...to).map { MelFilterbank.triangle(bin: $0, left, centre, right,
                                                                sampleRateHz: sampleRateHz, fftSize: fftSize) }
                for (i, w) in span.enumerated() where w != 0 {
                    lo = min(lo, from + i)
                    hi = max(hi, from + i)
                }
            }
            weightOffset[m] = Int32(packed.count)
            if hi < lo {
                firstBin[m] = 0
                binSpan[m] = 0
            } else {
                firstBin[m] = Int32(lo)
                binSpan[m] = Int32(hi - lo + 1)
                packed += span[(lo - from)...(hi - from)]
            }
        }
        weights = .allocate(capacity: max(packed.count, 1))
        weights.initialize(repeating: 0, count: max(packed.count, 1))
        for (i, w) in packed.enumerated() { weights[i] = w }
    }

    /// Convenience: the filterbank of `configuration` at `sampleRateHz` (scaled FFT size).
    public convenience init(configuration: MelConfiguration, sampleRateHz: Double) {
        let sizes = configuration.scaledSizes(sampleRateHz: sampleRateHz)
        self.init(bandCount: configuration.melBandCount, fftSize: sizes.fftSize,
                  sampleRateHz: sampleRateHz,
                  minimumFrequencyHz: configuration.minimumFrequencyHz,
                  maximumFrequencyHz: configuration.maximumFrequencyHz)
    }

    deinit {
        firstBin.deallocate()
        binSpan.deallocate()
        weightOffset.deallocate()
        weights.deallocate()
    }

    /// The full `[bands, n_fft/2 + 1]` weight matrix, row-major, computed in `Double`.
    /// Used to build the sparse form and by tests comparing with the stored `mel.filterbank`.
    public static func denseWeights(bandCount: Int, fftSize: Int, sampleRateHz: Double,
                                    minimumFrequencyHz: Double,
                                    maximumFrequencyHz: Double) -> [Float] {
        let bins = fftSize / 2 + 1
        let points = pointsHz(bandCount: bandCount, minimumFrequencyHz: minimumFrequencyHz,
                              maximumFrequencyHz: maximumFrequencyHz)
        var out = [Float](repeating: 0, count: bandCount * bins)
        for m in 0..<bandCount {
            for k in 0..<bins {
                out[m * bins + k] = triangle(bin: k, points[m], points[m + 1], points[m + 2],
                                             sampleRateHz: sampleRateHz, fftSize: fftSize)
            }
        }
        return out
    }

    /// The `bandCount + 2` filter corners in Hz, equally spaced in HTK mel.
    static func pointsHz(bandCount: Int, minimumFrequencyHz: Double, maximumFrequencyHz: Double) -> [Double] {
        let melLo = htkMel(hz: minimumFrequencyHz)
        let melHi = htkMel(hz: maximumFrequencyHz)
        let pointCount = bandCount + 2
        return (0..<pointCount).map {
            htkHz(mel: melLo + Double($0) * (melHi - melLo) / Double(pointCount - 1))
        }
    }

    /// Weight at FFT bin `bin` of the filter rising from `left` to `centre` and falling to `right` (Hz).
    @inline(__always)
    static func triangle(bin k: Int, _ left: Double, _ centre: Double, _ right: Double,
                         sampleRateHz: Double, fftSize: Int) -> Float {
        let f = Double(k) * sampleRateHz / Double(fftSize)
        let rising = (f - left) / (centre - left)
        let falling = (right - f) / (right - centre)
        return Float(max(0.0, min(rising, falling)))
    }

    /// Weight of filter `band` at FFT bin `bin` (0 outside the filter's span).
    public func weight(band: Int, bin: Int) -> Float {
        let first = Int(firstBin[band]), span = Int(binSpan[band])
        guard bin >= first && bin < first + span else { return 0 }
        return weights[Int(weightOffset[band]) + bin - first]
    }

    /// `mel[m] = Σ_k fb[m,k]·power[k]` for every band. Real-time safe.
    /// - Parameters:
    ///   - power: `binCount` power values.
    ///   - mel: receives `bandCount` mel powers.
    public func apply(power: UnsafePointer<Float>, into mel: UnsafeMutablePointer<Float>) {
        let fb = firstBin, sp = binSpan, off = weightOffset, w = weights
        for m in 0..<bandCount {
            let first = Int(fb[m]), span = Int(sp[m])
            let wm = w + Int(off[m])
            let pm = power + first
            var acc: Float = 0
            var k = 0
            while k < span {
                acc += wm[k] * pm[k]
                k += 1
            }
            mel[m] = acc
        }
    }
}
