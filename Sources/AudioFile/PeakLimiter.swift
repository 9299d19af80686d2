import Foundation

/// A look-ahead peak limiter for writing files: every output sample stays within `ceiling`,
/// and audio that never goes over passes bit for bit.
///
/// The gain each frame needs is `ceiling / peak` (1 when the frame's peak is within the
/// ceiling, the channels linked so the stereo image stays). Its minimum over the next
/// `lookaheadFrames` frames, averaged over the last `lookaheadFrames` frames, is a ramp
/// that reaches each over's gain exactly at the over and never exceeds the gain any frame
/// in reach needs; after an over the gain recovers with a one-pole release. The limiter
/// delays by `lookaheadFrames`: a file writer feeds that many frames of silence at the end
/// and drops as many at the start, so the file itself gains no latency.
///
/// Only ever run on a whole file offline (it allocates its rings once, at `init`).
public struct PeakLimiter {
    /// Largest absolute output sample (linear, full scale = 1).
    public let ceiling: Float
    /// Interleaved channels per frame (linked: one gain for all).
    public let channelCount: Int
    /// Look-ahead, and so the delay, in frames (at least 1).
    public let lookaheadFrames: Int
    /// Smallest gain applied so far (1 when nothing was limited).
    public private(set) var smallestGain: Float = 1

    private let releaseStep: Double
    private var time = 0
    /// In double precision so the release reaches 1 (in float it stalls a few ulps short).
    private var gain: Double = 1
    /// Frames waiting for their gain, `lookaheadFrames` of them, interleaved.
    private var delay: [Float]
    /// Frame gains needed in the look-ahead window, as a queue of (frame, gain) with rising gains.
    private var queueTime: [Int]
    private var queueGain: [Float]
    private var queueStart = 0, queueCount = 0
    /// The windowed minima of the last `lookaheadFrames + 1` frames, their sum and how many are below 1.
    private var minima: [Float]
    private var minimaSum: Double = 0
    private var minimaBelowOne = 0

    /// A limiter with `ceiling` (linear, > 0) for `channelCount` channels at `sampleRateHz`;
    /// the look-ahead and the one-pole release time constant are given in seconds. Allocates.
    public init(ceiling: Float, channelCount: Int, sampleRateHz: Int,
                lookaheadSeconds: Double = 0.002, releaseSeconds: Double = 0.05) {
        precondition(ceiling > 0 && channelCount > 0 && sampleRateHz > 0)
        self.ceiling = ceiling
        self.channelCount = channelCount
        lookaheadFrames = max(1, Int((lookaheadSeconds * Double(sampleRateHz)).rounded()))
        releaseStep = 1 - exp(-1 / (releaseSeconds * Double(sampleRateHz)))
        let window = lookaheadFrames + 1
        delay = [Float](repeating: 0, count: lookaheadFrames * channelCount)
        queueTime = [Int](repeating: 0, count: window)
        queueGain = [Float](repeating: 1, count: window)
        minima = [Float](repeating: 1, count: window)
        minimaSum = Double(window)
    }

    /// Takes one interleaved input frame and writes the frame `lookaheadFrames` earlier,
    /// limited, to `output` (silence for the first `lookaheadFrames` calls).
    public mutating func process(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        let window = lookaheadFrames + 1
        var peak: Float = 0
        for c in 0..<channelCount { peak = max(peak, abs(input[c])) }
        let needed: Float = peak > ceiling ? ceiling / peak : 1

        // Sliding minimum of the needed gain over frames time-L … time.
        if queueCount > 0 && queueTime[queueStart] < time - lookaheadFrames {
            queueStart = (queueStart + 1) % window; queueCount -= 1
        }
        while queueCount > 0 && queueGain[(queueStart + queueCount - 1) % window] >= needed { queueCount -= 1 }
        queueTime[(queueStart + queueCount) % window] = time
        queueGain[(queueStart + queueCount) % window] = needed
        queueCount += 1
        let minimum = queueGain[queueStart]

        // Its running mean over the last L + 1 frames: a ramp into every over.
        let slot = time % window
        let leaving = minima[slot]
        if leaving < 1 { minimaBelowOne -= 1 }
        if minimum < 1 { minimaBelowOne += 1 }
        minimaSum += Double(minimum) - Double(leaving)
        minima[slot] = minimum
        let ramp: Double = minimaBelowOne == 0 ? 1 : min(1, minimaSum / Double(window))

        if ramp <= gain {
            gain = ramp
        } else {
            gain += (ramp - gain) * releaseStep
            if ramp == 1 && gain > 0.999_99 { gain = 1 }  // back to an exact pass-through
        }
        let applied = Float(gain)
        smallestGain = min(smallestGain, applied)

        // Out goes the frame L frames back (its slot is the one the new frame takes).
        let base = (time % lookaheadFrames) * channelCount
        for c in 0..<channelCount {
            output[c] = gain == 1 ? delay[base + c] : delay[base + c] * applied
            delay[base + c] = input[c]
        }
        time += 1
    }
}
