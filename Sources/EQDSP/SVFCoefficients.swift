#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Coefficients of a linear trapezoidal state-variable filter (A. Simper, "Linear Trap
/// Integrated SVF", Cytomic technical paper, 2013), set up so that its response equals the
/// RBJ cookbook peaking / shelving biquad exactly (same analog prototype, same
/// pre-warped bilinear transform). The SVF is used for processing because its state stays
/// well-behaved while coefficients move, which a direct-form biquad does not guarantee.
///
/// Per sample: `v3 = x − ic2; v1 = a1·ic1 + a2·v3; v2 = ic2 + a2·ic1 + a3·v3;
/// ic1 = 2v1 − ic1; ic2 = 2v2 − ic2; y = m0·x + m1·v1 + m2·v2`.
/// (`v2 = ic2 + g·v1` is algebraically the same, but while coefficients are interpolated
/// during a glide, a1, a2, a3 stay bounded in [0, 1] whereas g reaches 60 near Nyquist, so
/// this form keeps interpolation errors, and the filter, tame.)
/// Peaking filters always have m0 = 1 and m2 = 0, low shelves m0 = 1; the processor uses
/// that to skip work.
public struct SVFCoefficients: Sendable, Equatable {
    /// The state update's coefficients (each in [0, 1] for any band below Nyquist).
    public var a1: Float, a2: Float, a3: Float
    /// The output mix of input, band-pass (`v1`) and low-pass (`v2`) that sets the shape.
    public var m0: Float, m1: Float, m2: Float

    /// The identity (0 dB): output equals input, state still runs so later changes are smooth.
    public static let identity = SVFCoefficients(a1: 1, a2: 0, a3: 0, m0: 1, m1: 0, m2: 0)
    /// All zero (a ramp step that does not move).
    public static let zero = SVFCoefficients(a1: 0, a2: 0, a3: 0, m0: 0, m1: 0, m2: 0)

    /// Coefficients given directly (as interpolated between two designs).
    public init(a1: Float, a2: Float, a3: Float, m0: Float, m1: Float, m2: Float) {
        (self.a1, self.a2, self.a3, self.m0, self.m1, self.m2) = (a1, a2, a3, m0, m1, m2)
    }

    /// Design `band` at `sampleRateHz`. Pure; a few transcendental calls, no allocation.
    @inlinable
    public init(_ band: BandParameters, sampleRateHz: Float) {
        let f = band.designFrequencyHz(sampleRate: sampleRateHz)
        let a = exp2f(band.gainDecibels * (3.321928094887362 / 40))  // 10^(dB/40)
        let g0 = tanf(Float.pi * f / sampleRateHz)
        let g: Float, k: Float
        switch band.kind {
        case .peaking:
            g = g0
            k = 1 / (band.q * a)
            (m0, m1, m2) = (1, k * (a * a - 1), 0)
        case .lowShelf:
            g = g0 / a.squareRoot()
            k = 1 / band.q
            (m0, m1, m2) = (1, k * (a - 1), a * a - 1)
        case .highShelf:
            g = g0 * a.squareRoot()
            k = 1 / band.q
            (m0, m1, m2) = (a * a, k * (1 - a) * a, 1 - a * a)
        }
        a1 = 1 / (1 + g * (g + k))
        a2 = g * a1
        a3 = g * a2
    }
}

/// One sample of the SVF above on SIMD lanes (one filter per lane): advances the state
/// (`ic1`, `ic2`) and returns the taps `v1`, `v2` that the output mixes with `m0·x`. The
/// processor's wavefront and the tests' plain cascade both run this one function.
@inlinable @inline(__always)
public func svfTick<V: SIMD>(_ x: V, ic1: inout V, ic2: inout V, a1: V, a2: V, a3: V) -> (v1: V, v2: V)
where V.Scalar == Float {
    let v3 = x - ic2
    let v1 = a1 * ic1 + a2 * v3
    let v2 = ic2 + a2 * ic1 + a3 * v3
    ic1 = v1 + v1 - ic1
    ic2 = v2 + v2 - ic2
    return (v1, v2)
}
