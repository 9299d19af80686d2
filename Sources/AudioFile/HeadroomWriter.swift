import CFileCleanup
import CKernels
import Foundation

/// Writes an output file so that a fixed-point file never clips.
///
/// Float outputs are written directly (they keep samples over full scale). A fixed-point
/// output is first written as a 32-bit float scratch file beside it while the peak is
/// tracked; `finish` then copies the scratch into the real format. When something went over
/// full scale the copy passes a look-ahead `PeakLimiter` with its ceiling at −0.1 dBFS, so
/// only the overs are turned down and the loudness stays; overs beyond `limitingRangeDecibels`
/// first lower the whole file by the excess, so the limiter never works harder than that.
/// Otherwise the copy is bit for bit the same conversion as a direct write. Memory stays one
/// block; the scratch file is deleted whatever happens.
public final class HeadroomWriter {
    /// Peak level of a fixed-point output that had to be limited.
    public static let ceiling: Float = 0.988_553  // −0.1 dBFS
    /// Most gain reduction the limiter applies; larger overs lower the whole file.
    public static let limitingRangeDecibels: Float = 6

    /// What `finish` did to fit the file.
    public struct Fit: Equatable, Sendable {
        /// Gain applied to the whole file (0 dB unless an over exceeded the limiting range).
        public var wholeFileDecibels: Float = 0
        /// Largest gain reduction of the limiter (0 dB when nothing was limited).
        public var largestLimitingDecibels: Float = 0

        /// A fit from its two gains (both 0 dB: nothing done).
        public init(wholeFileDecibels: Float = 0, largestLimitingDecibels: Float = 0) {
            self.wholeFileDecibels = wholeFileDecibels
            self.largestLimitingDecibels = largestLimitingDecibels
        }
    }

    /// True when the output stores floating point (written directly, overs kept).
    public let writesFloat: Bool
    /// Largest absolute sample written so far.
    public private(set) var peak: Float = 0
    /// Samples written beyond full scale.
    public private(set) var samplesOverFullScale = 0
    private let output: AudioFileWriter
    private let scratch: AudioFileWriter?
    private let scratchPath: String
    /// The scratch file's slot in the list deleted on a stop signal (it exists from the scratch
    /// writer's `finish` until this writer goes).
    private let scratchSlot: Int32
    private let channelCount: Int
    private let sampleRate: Int

    /// Opens a writer for `path` with the format `AudioFileWriter` chooses for `source`, and
    /// for a fixed-point output a 32-bit float scratch file beside it.
    public init(path: String, sampleRate: Int, channelCount: Int, like source: AudioFormat, overwrite: Bool) throws(AudioFileError) {
        output = try AudioFileWriter(path: path, sampleRate: sampleRate, channelCount: channelCount,
                                     like: source, overwrite: overwrite)
        writesFloat = output.writesFloat
        self.channelCount = channelCount
        self.sampleRate = sampleRate
        let folder = (path as NSString).deletingLastPathComponent
        scratchPath = (folder.isEmpty ? "." : folder) + "/.\((path as NSString).lastPathComponent).float-\(getpid()).w64"
        scratch = writesFloat ? nil
            : try AudioFileWriter(path: scratchPath, sampleRate: sampleRate, channelCount: channelCount,
                                  like: source, overwrite: true, scratch: true)
        scratchSlot = writesFloat ? -1 : aeq_cleanup_add(scratchPath)
    }

    deinit {
        unlink(scratchPath)
        aeq_cleanup_remove(scratchSlot)
    }

    /// Appends `frames` interleaved frames.
    public func write(_ buffer: UnsafePointer<Float>, frames: Int) throws(AudioFileError) {
        var peak = self.peak, over = samplesOverFullScale
        aeq_peak(buffer, frames * channelCount, &peak, &over)
        self.peak = peak
        samplesOverFullScale = over
        try (scratch ?? output).write(buffer, frames: frames)
    }

    /// Completes the output and says what was done to fit a fixed-point file.
    @discardableResult
    public func finish(blockFrames: Int) throws(AudioFileError) -> Fit {
        guard let scratch else {
            try output.finish()
            return Fit()
        }
        try scratch.finish()
        let reader = try AudioFileReader(path: scratchPath)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: blockFrames * channelCount)
        defer { buffer.deallocate() }
        guard samplesOverFullScale > 0 else {
            while true {
                let got = reader.read(into: buffer, frames: blockFrames)
                if got <= 0 { break }
                try output.write(buffer, frames: got)
            }
            try output.finish()
            return Fit()
        }
        let range = powf(10, Self.limitingRangeDecibels / 20)
        let gain: Float = peak > Self.ceiling * range ? Self.ceiling * range / peak : 1
        var limiter = PeakLimiter(ceiling: Self.ceiling, channelCount: channelCount, sampleRateHz: sampleRate)
        let limited = UnsafeMutablePointer<Float>.allocate(capacity: blockFrames * channelCount)
        defer { limited.deallocate() }
        // The limiter runs `lookaheadFrames` behind: drop that many frames at the start and
        // push as many frames of silence through at the end.
        var toSkip = limiter.lookaheadFrames
        func limitAndWrite(_ frames: Int) throws(AudioFileError) {
            var written = 0
            for f in 0..<frames {
                limiter.process(buffer + f * channelCount, into: limited + written * channelCount)
                if toSkip > 0 { toSkip -= 1 } else { written += 1 }
            }
            if written > 0 { try output.write(limited, frames: written) }
        }
        while true {
            let got = reader.read(into: buffer, frames: blockFrames)
            if got <= 0 { break }
            if gain != 1 { for i in 0..<(got * channelCount) { buffer[i] *= gain } }
            try limitAndWrite(got)
        }
        var silence = limiter.lookaheadFrames
        while silence > 0 {
            let n = min(silence, blockFrames)
            buffer.update(repeating: 0, count: n * channelCount)
            try limitAndWrite(n)
            silence -= n
        }
        try output.finish()
        return Fit(wholeFileDecibels: gain == 1 ? 0 : 20 * log10f(gain),
                   largestLimitingDecibels: -20 * log10f(limiter.smallestGain))
    }
}
