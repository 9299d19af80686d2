#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streaming log-mel: takes mono samples in chunks of any size and computes each STFT frame
/// once, at the moment its last sample arrives, into a ring of the most recent columns.
///
/// Frame t covers samples `[t·hop, t·hop + n_fft)` of the stream since the last `reset()`
/// (no centre padding), the same framing as the training pipeline, so the columns do not
/// depend on how the audio was chunked. Each column holds `melBandCount` dB values,
/// contiguous. `push` is real-time safe (no allocation, no locks); everything is allocated in
/// `init`. Not thread-safe: one producer thread.
public final class MelRing {
    public let analyzer: LogMelAnalyzer
    /// Number of most recent columns kept.
    public let capacity: Int
    public var melBandCount: Int { analyzer.melBandCount }
    /// Total frames computed since `reset()`; column `framesProduced − 1` is the newest.
    public private(set) var framesProduced: Int = 0

    private let fftSize: Int
    private let hopSize: Int
    /// The last `filled` samples of the stream (at most `fftSize`).
    private let pending: UnsafeMutablePointer<Float>
    private var filled: Int = 0
    private let columns: UnsafeMutablePointer<Float>

    /// - Parameters:
    ///   - analyzer: the frame analyser (its FFT/hop sizes decide the framing).
    ///   - capacity: columns to keep (at least the analysis window, e.g. 176).
    public init(analyzer: LogMelAnalyzer, capacity: Int) {
        precondition(capacity > 0)
        precondition(analyzer.hopSize <= analyzer.fftSize, "hop larger than the frame is not supported")
        self.analyzer = analyzer
        self.capacity = capacity
        fftSize = analyzer.fftSize
        hopSize = analyzer.hopSize
        pending = .allocate(capacity: analyzer.fftSize)
        pending.initialize(repeating: 0, count: analyzer.fftSize)
        columns = .allocate(capacity: capacity * analyzer.melBandCount)
        columns.initialize(repeating: LogMelAnalyzer.floorDecibels, count: capacity * analyzer.melBandCount)
    }

    deinit {
        pending.deallocate()
        columns.deallocate()
    }

    /// Forgets all samples and columns; the next pushed sample is sample 0 of frame 0.
    public func reset() {
        filled = 0
        framesProduced = 0
        columns.update(repeating: LogMelAnalyzer.floorDecibels, count: capacity * melBandCount)
    }

    /// Appends `count` mono samples, computing every frame that completes.
    /// Cost: one `LogMelAnalyzer.analyze` per completed frame. Real-time safe.
    public func push(_ samples: UnsafePointer<Float>, count: Int) {
        var consumed = 0
        while consumed < count {
            let take = min(count - consumed, fftSize - filled)
            (pending + filled).update(from: samples + consumed, count: take)
            filled += take
            consumed += take
            if filled == fftSize {
                let slot = framesProduced % capacity
                analyzer.analyze(frame: pending, into: columns + slot * melBandCount)
                framesProduced += 1
                let keep = fftSize - hopSize
                if keep > 0 { pending.update(from: pending + hopSize, count: keep) }
                filled = keep
            }
        }
    }

    /// Samples still needed before the next frame completes.
    public var samplesUntilNextFrame: Int { fftSize - filled }

    /// The column of absolute frame `frame` (`framesProduced − capacity ≤ frame < framesProduced`).
    public func column(frame: Int) -> UnsafePointer<Float> {
        precondition(frame >= 0 && frame < framesProduced && frame >= framesProduced - capacity,
                     "frame \(frame) not in the ring")
        return UnsafePointer(columns + (frame % capacity) * melBandCount)
    }

    /// Copies the newest `frameCount` columns as a `[melBandCount, frameCount]` row-major
    /// matrix (mel-major, the encoder's input layout), oldest first. Missing frames (before
    /// the stream started) read as the −100 dB floor.
    public func copyWindow(frameCount: Int, into matrix: UnsafeMutablePointer<Float>) {
        precondition(frameCount <= capacity)
        let bands = melBandCount
        let start = framesProduced - frameCount
        for w in 0..<frameCount {
            let t = start + w
            if t < 0 {
                for m in 0..<bands { matrix[m * frameCount + w] = LogMelAnalyzer.floorDecibels }
            } else {
                let col = columns + (t % capacity) * bands
                for m in 0..<bands { matrix[m * frameCount + w] = col[m] }
            }
        }
    }
}

extension LogMelAnalyzer {
    /// The dB value of an empty band, `10·log10(1e-10)`.
    public static let floorDecibels: Float = -100
}
