import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A gain that glides in dB exactly as `EQProcessor` glides its band gains: one step of a
/// one-pole towards the target every `EQProcessor.subBlockFrames` samples of the stream,
/// landing exactly once the rest is below 1e-4 dB, with the linear gain interpolated per
/// sample in between. Started together with an `EQProcessor` (same `reset` points), it
/// follows that processor's glides step for step, and its output does not depend on how
/// the stream is cut into blocks.
///
/// At 0 dB, settled, it leaves the samples untouched (bit for bit). Real-time safe.
public struct GainGlide: Sendable {
    /// Where the gain is heading, in dB; read at the next grid point.
    public var targetDecibels: Float = 0
    /// The gain reached at the end of the current grid step, in dB.
    public private(set) var currentDecibels: Float = 0
    private var startGain: Float = 1, stepGain: Float = 0
    private var phase = 0
    private var coefficient: Float = 1

    /// A glide resting at 0 dB (unity gain).
    public init() {}

    /// The one-pole time constant in milliseconds at `sampleRateHz` (0 = jump).
    public mutating func setSmoothing(milliseconds: Float, sampleRateHz: Float) {
        let tau = max(milliseconds, 0) * 0.001 * sampleRateHz
        coefficient = tau > 0 ? 1 - expf(-Float(EQProcessor.subBlockFrames) / tau) : 1
    }

    /// Restarts the grid and jumps to the target.
    public mutating func reset() {
        phase = 0
        currentDecibels = targetDecibels
        startGain = Self.linear(targetDecibels)
        stepGain = 0
    }

    /// Multiplies `frameCount` samples of `channelCount` channels by the gliding gain.
    public mutating func process(_ channels: UnsafePointer<UnsafeMutablePointer<Float>>, channelCount: Int,
                                 frameCount: Int, offset: Int = 0) {
        var done = 0
        let grid = EQProcessor.subBlockFrames
        while done < frameCount {
            if phase == 0 { beginStep() }
            let n = min(grid - phase, frameCount - done)
            if stepGain != 0 {
                // x[i] *= startGain + stepGain · (phase + i), eight samples at a time.
                for c in 0..<channelCount {
                    aeq_gain_ramp(channels[c] + offset + done, Int32(n), startGain, stepGain, Int32(phase))
                }
            } else if startGain != 1 {
                for c in 0..<channelCount {
                    let x = channels[c] + offset + done
                    for i in 0..<n { x[i] *= startGain }
                }
            }
            phase += n
            if phase == grid { phase = 0 }
            done += n
        }
    }

    private mutating func beginStep() {
        startGain = Self.linear(currentDecibels)
        stepGain = 0
        let diff = targetDecibels - currentDecibels
        guard diff != 0, diff.isFinite else { return }
        var next = currentDecibels + coefficient * diff
        if abs(targetDecibels - next) < 1e-4 { next = targetDecibels }
        stepGain = (Self.linear(next) - startGain) / Float(EQProcessor.subBlockFrames)
        currentDecibels = next
    }

    @inline(__always)
    static func linear(_ decibels: Float) -> Float { decibels == 0 ? 1 : powf(10, decibels / 20) }
}
