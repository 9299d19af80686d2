#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The three filter shapes of the equaliser.
public enum FilterKind: Int, Sendable, CaseIterable {
    /// RBJ low shelf: `gainDecibels` below `frequencyHz` (the half-gain point), 0 dB above.
    case lowShelf
    /// RBJ peaking bell: `gainDecibels` at `frequencyHz`, bandwidth set by `q`.
    case peaking
    /// RBJ high shelf: `gainDecibels` above `frequencyHz` (the half-gain point), 0 dB below.
    case highShelf
}

/// One band of the equaliser: shape, corner/centre frequency, gain and Q.
public struct BandParameters: Sendable, Equatable {
    /// The filter shape.
    public var kind: FilterKind
    /// Centre (peaking) or half-gain (shelves) frequency in Hz; designed at most at
    /// `maximumFrequencyRatio` × the sample rate.
    public var frequencyHz: Float
    /// Gain in dB at the centre (peaking) or on the shelf; 0 dB is the identity.
    public var gainDecibels: Float
    /// Quality factor (RBJ's Q; `shelfQ` for the shelves of the SAFE-DB layout).
    public var q: Float

    /// Shelf Q of the SAFE-DB layout (Butterworth-like, no overshoot).
    public static let shelfQ: Float = 0.71

    /// A band from its four values (not clamped: the parameter table's ranges apply upstream).
    public init(kind: FilterKind, frequencyHz: Float, gainDecibels: Float, q: Float) {
        self.kind = kind
        self.frequencyHz = frequencyHz
        self.gainDecibels = gainDecibels
        self.q = q
    }

    /// The same band with its gain negated: for RBJ peaking and shelving filters this is the
    /// exact inverse (the transfer function becomes 1/H).
    public var inverted: BandParameters {
        BandParameters(kind: kind, frequencyHz: frequencyHz, gainDecibels: -gainDecibels, q: q)
    }

    /// Highest design frequency as a fraction of the sample rate. Bands set above it (for
    /// example a 16 kHz shelf at 22.05 kHz) are designed at this frequency instead, which
    /// keeps the bilinear transform well away from its singularity at Nyquist.
    public static let maximumFrequencyRatio: Float = 0.48

    /// Frequency actually designed at `sampleRate`.
    public func designFrequencyHz(sampleRate: Float) -> Float {
        min(max(frequencyHz, 1), sampleRate * Self.maximumFrequencyRatio)
    }
}

/// Normalised biquad coefficients (a0 = 1): `y = b0·x + b1·x₁ + b2·x₂ − a1·y₁ − a2·y₂`.
///
/// Designed with the formulas of R. Bristow-Johnson, "Cookbook formulae for audio EQ
/// biquad filter coefficients". Used for analytic responses and as the reference the
/// state-variable implementation is tested against.
public struct BiquadCoefficients: Sendable, Equatable {
    /// The coefficients of `y = b0·x + b1·x₁ + b2·x₂ − a1·y₁ − a2·y₂` (a0 normalised to 1).
    public var b0: Double, b1: Double, b2: Double, a1: Double, a2: Double

    /// Coefficients given directly (a0 = 1).
    public init(b0: Double, b1: Double, b2: Double, a1: Double, a2: Double) {
        (self.b0, self.b1, self.b2, self.a1, self.a2) = (b0, b1, b2, a1, a2)
    }

    /// RBJ cookbook design of `band` at `sampleRateHz` (computed in Double).
    public init(_ band: BandParameters, sampleRateHz: Double) {
        let f = Double(band.designFrequencyHz(sampleRate: Float(sampleRateHz)))
        let a = pow(10.0, Double(band.gainDecibels) / 40.0)
        let w0 = 2.0 * Double.pi * f / sampleRateHz
        let cosw = cos(w0), alpha = sin(w0) / (2.0 * Double(band.q))
        var b0, b1, b2, a0, a1, a2: Double
        switch band.kind {
        case .peaking:
            (b0, b1, b2) = (1 + alpha * a, -2 * cosw, 1 - alpha * a)
            (a0, a1, a2) = (1 + alpha / a, -2 * cosw, 1 - alpha / a)
        case .lowShelf:
            let s = 2 * a.squareRoot() * alpha
            b0 = a * ((a + 1) - (a - 1) * cosw + s)
            b1 = 2 * a * ((a - 1) - (a + 1) * cosw)
            b2 = a * ((a + 1) - (a - 1) * cosw - s)
            a0 = (a + 1) + (a - 1) * cosw + s
            a1 = -2 * ((a - 1) + (a + 1) * cosw)
            a2 = (a + 1) + (a - 1) * cosw - s
        case .highShelf:
            let s = 2 * a.squareRoot() * alpha
            b0 = a * ((a + 1) + (a - 1) * cosw + s)
            b1 = -2 * a * ((a - 1) + (a + 1) * cosw)
            b2 = a * ((a + 1) + (a - 1) * cosw - s)
            a0 = (a + 1) - (a - 1) * cosw + s
            a1 = 2 * ((a - 1) - (a + 1) * cosw)
            a2 = (a + 1) - (a - 1) * cosw - s
        }
        self.init(b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0)
    }

    /// |H(e^{jω})| in decibels at `frequencyHz`.
    public func magnitudeDecibels(atFrequency frequencyHz: Double, sampleRateHz: Double) -> Double {
        let w = 2.0 * Double.pi * frequencyHz / sampleRateHz
        let c1 = cos(w), s1 = sin(w), c2 = cos(2 * w), s2 = sin(2 * w)
        let nr = b0 + b1 * c1 + b2 * c2, ni = -(b1 * s1 + b2 * s2)
        let dr = 1 + a1 * c1 + a2 * c2, di = -(a1 * s1 + a2 * s2)
        let power = (nr * nr + ni * ni) / max(dr * dr + di * di, 1e-300)
        return 10.0 * log10(max(power, 1e-300))
    }
}

extension BandParameters {
    /// Analytic magnitude response of this band in dB.
    public func magnitudeDecibels(atFrequency frequencyHz: Double, sampleRateHz: Double) -> Double {
        BiquadCoefficients(self, sampleRateHz: sampleRateHz)
            .magnitudeDecibels(atFrequency: frequencyHz, sampleRateHz: sampleRateHz)
    }
}
