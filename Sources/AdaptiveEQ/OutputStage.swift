#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The weight of a crossfade at linear phase `m` (0 … 1): smoothstep, whose slope is zero at
/// both ends, so a fade adds no corner (a linear fade's corners splatter up to the treble when
/// the two signals differ a lot). The bypass and the mode crossfades both use it.
@inline(__always)
func crossfadeWeight(_ m: Float) -> Float { m * m * (3 - 2 * m) }

/// The last step of a host's render: the click-free bypass crossfade (`crossfadeWeight`)
/// between the equalised and the dry signal, then the output gain with its ramp. Both are
/// skipped entirely while settled at "enabled, 0 dB", so the equalised samples pass untouched.
struct OutputStage {
    /// 1 = equalised, 0 = dry (bypassed).
    private var mix: Float = 1, mixStep: Float = 0
    private var gain: Float = 1, gainTarget: Float = 1, gainStep: Float = 0

    /// Whether the next chunk needs the dry input (a bypass crossfade runs or is bypassed).
    var needsDry: Bool { mixStep != 0 || mix < 1 }

    /// Starts settled on `enabled` and `gainDecibels` (a fresh stream).
    mutating func settle(enabled: Bool, gainDecibels: Float) {
        mix = enabled ? 1 : 0
        mixStep = 0
        gain = Self.linear(gainDecibels)
        gainTarget = gain
        gainStep = 0
    }

    /// Starts a bypass crossfade over `fadeFrames`.
    mutating func fade(toEnabled enabled: Bool, fadeFrames: Float) {
        mixStep = (enabled ? 1 : -1) / max(fadeFrames, 1)
    }

    /// Ramps to `gainDecibels` over `rampFrames` (nothing when already heading there).
    mutating func ramp(toGainDecibels gainDecibels: Float, rampFrames: Float) {
        let target = Self.linear(gainDecibels)
        guard target != gainTarget else { return }
        gainTarget = target
        gainStep = (target - gain) / max(rampFrames, 1)
    }

    static func linear(_ decibels: Float) -> Float { powf(10, decibels / 20) }

    /// Crossfades `work` (the equalised chunk) with `dry` (channel `c` at `dry + c·stride`)
    /// and applies the gain, in place. Non-finite dry samples count as silence, as they do in
    /// the equaliser, so bypass never passes NaN or Inf on.
    mutating func apply(_ work: UnsafePointer<UnsafeMutablePointer<Float>>, dry: UnsafePointer<Float>,
                        dryStride: Int, channelCount: Int, frames n: Int) {
        if mixStep != 0 {
            var m = mix
            for c in 0..<channelCount {
                m = mix
                let d = dry + c * dryStride, w = work[c]
                for i in 0..<n {
                    m = min(max(m + mixStep, 0), 1)
                    let x = d[i].isFinite ? d[i] : 0
                    w[i] = x + crossfadeWeight(m) * (w[i] - x)
                }
            }
            mix = m
            if mix <= 0 || mix >= 1 { mixStep = 0 }
        } else if mix <= 0 {
            for c in 0..<channelCount {
                let d = dry + c * dryStride, w = work[c]
                for i in 0..<n { w[i] = d[i].isFinite ? d[i] : 0 }
            }
        }
        if gainStep != 0 {
            var g = gain
            for c in 0..<channelCount {
                g = gain
                let w = work[c]
                for i in 0..<n {
                    g += gainStep
                    if (gainStep > 0 && g > gainTarget) || (gainStep < 0 && g < gainTarget) { g = gainTarget }
                    w[i] *= g
                }
            }
            gain = g
            if gain == gainTarget { gainStep = 0 }
        } else if gain != 1 {
            for c in 0..<channelCount {
                let w = work[c]
                for i in 0..<n { w[i] *= gain }
            }
        }
    }
}
