#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed set of frequencies at which responses are evaluated many times (the correction
/// limit's check grid, the loudness weighting's band centres). `cos ω` and `cos 2ω` are
/// computed once here, so evaluating a biquad at every point needs no trigonometry.
///
/// Allocates in `init`; evaluation is real-time safe.
public struct FrequencyGrid: ~Copyable {
    /// Number of points.
    public let count: Int
    /// The rate the points' angular frequencies were computed for.
    public let sampleRateHz: Double
    private let frequencies: UnsafeMutablePointer<Double>
    private let cos1: UnsafeMutablePointer<Double>
    private let cos2: UnsafeMutablePointer<Double>

    /// Points at `frequenciesHz`, each kept below Nyquist (at most 0.499 · rate).
    public init(frequenciesHz: [Double], sampleRateHz: Double) {
        count = frequenciesHz.count
        self.sampleRateHz = sampleRateHz
        frequencies = .allocate(capacity: max(count, 1))
        cos1 = .allocate(capacity: max(count, 1))
        cos2 = .allocate(capacity: max(count, 1))
        for (i, f) in frequenciesHz.enumerated() {
            let hz = min(max(f, 0), 0.499 * sampleRateHz)
            let w = 2 * Double.pi * hz / sampleRateHz
            frequencies[i] = hz
            cos1[i] = cos(w)
            cos2[i] = cos(2 * w)
        }
    }

    /// `pointsPerOctave` log-spaced points from `lowHz` to `highHz` (both included).
    public init(logSpacedFrom lowHz: Double, to highHz: Double, pointsPerOctave: Double, sampleRateHz: Double) {
        let n = max(2, Int((log2(highHz / lowHz) * pointsPerOctave).rounded(.up)) + 1)
        self.init(frequenciesHz: (0..<n).map { lowHz * pow(highHz / lowHz, Double($0) / Double(n - 1)) },
                  sampleRateHz: sampleRateHz)
    }

    deinit { frequencies.deallocate(); cos1.deallocate(); cos2.deallocate() }

    /// Frequency of point `i` in Hz (after the clamp below Nyquist).
    public func frequencyHz(_ i: Int) -> Double { frequencies[i] }

    /// |H|² of `c` at point `i`.
    @inline(__always)
    public func powerGain(_ c: BiquadCoefficients, at i: Int) -> Double {
        Self.powerGain(c, cos1: cos1[i], cos2: cos2[i])
    }

    /// Multiplies `power[i]` by |H|² of `band` at every point (divides, with `inverse`).
    public func accumulate(_ band: BandParameters, inverse: Bool = false, into power: UnsafeMutablePointer<Double>) {
        guard band.gainDecibels != 0 else { return }
        let c = BiquadCoefficients(band, sampleRateHz: sampleRateHz)
        if inverse {
            for i in 0..<count { power[i] /= max(powerGain(c, at: i), 1e-300) }
        } else {
            for i in 0..<count { power[i] *= powerGain(c, at: i) }
        }
    }

    /// Largest |response| in dB of a 5-band setting over the grid and at the centres of its
    /// peaks inside the grid's span (where a narrow peak between grid points has its maximum).
    /// Real-time safe.
    public func peakMagnitudeDecibels(_ settings: EQSettings) -> Double {
        var designs = (BiquadCoefficients.unity, BiquadCoefficients.unity, BiquadCoefficients.unity,
                       BiquadCoefficients.unity, BiquadCoefficients.unity)
        withUnsafeMutableBytes(of: &designs) { raw in
            let c = raw.baseAddress!.assumingMemoryBound(to: BiquadCoefficients.self)
            for b in 0..<EQSettings.bandCount { c[b] = BiquadCoefficients(settings.band(b), sampleRateHz: sampleRateHz) }
        }
        // |10·log10 p| is largest at the largest or the smallest power (log10 is monotonic),
        // so two logarithms serve every point.
        var largest = 1.0, smallest = 1.0
        withUnsafeBytes(of: &designs) { raw in
            let c = raw.baseAddress!.assumingMemoryBound(to: BiquadCoefficients.self)
            for i in 0..<count {
                var p = 1.0
                for b in 0..<EQSettings.bandCount { p *= powerGain(c[b], at: i) }
                largest = max(largest, p)
                smallest = min(smallest, p)
            }
            let low = frequencies[0], high = frequencies[count - 1]
            for b in 1...3 {
                let f = Double(settings.band(b).frequencyHz)
                guard f > low && f < high else { continue }
                let w = 2 * Double.pi * f / sampleRateHz
                let c1 = cos(w), c2 = cos(2 * w)
                var p = 1.0
                for k in 0..<EQSettings.bandCount { p *= Self.powerGain(c[k], cos1: c1, cos2: c2) }
                largest = max(largest, p)
                smallest = min(smallest, p)
            }
        }
        return max(abs(10 * log10(max(largest, 1e-300))), abs(10 * log10(max(smallest, 1e-300))))
    }

    @inline(__always)
    static func powerGain(_ c: BiquadCoefficients, cos1 c1: Double, cos2 c2: Double) -> Double {
        let n = c.b0 * c.b0 + c.b1 * c.b1 + c.b2 * c.b2 + 2 * c.b1 * (c.b0 + c.b2) * c1 + 2 * c.b0 * c.b2 * c2
        let d = 1 + c.a1 * c.a1 + c.a2 * c.a2 + 2 * c.a1 * (1 + c.a2) * c1 + 2 * c.a2 * c2
        return n / max(d, 1e-300)
    }
}

extension BiquadCoefficients {
    /// The identity filter.
    public static let unity = BiquadCoefficients(b0: 1, b1: 0, b2: 0, a1: 0, a2: 0)
}
