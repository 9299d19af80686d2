/// What a processor is prepared for: the sample rate, the most frames one `process` call
/// may carry, and the channel count. Every processor prepares with one (allocating what a
/// block of `maximumBlockFrames` needs); hosts cut their blocks, of any length, into
/// chunks of at most `maximumBlockFrames` in one place (`HostEqualiser.process`).
public struct ProcessSpec: Sendable, Equatable {
    /// Most channels a processor handles.
    public static let maximumChannelCount = 8
    /// Sample rates the product documents and tests (processors accept any positive rate).
    public static let sampleRateRangeHz: ClosedRange<Double> = 8_000...192_000
    /// Host block lengths `adaptive-eq process --block-size` accepts.
    public static let blockFrameRange: ClosedRange<Int> = 1...65_536
    /// The chunk a host layer renders in: long enough that per-chunk work is negligible,
    /// short enough that its scratch buffers stay in cache.
    public static let hostChunkFrames = 1024

    /// Frames per second (> 0).
    public var sampleRateHz: Double
    /// The longest block a `process` call may carry (≥ 1).
    public var maximumBlockFrames: Int
    /// 1 … `maximumChannelCount`.
    public var channelCount: Int

    /// A spec; traps on a non-positive rate, an empty block or a channel count outside 1…8.
    public init(sampleRateHz: Double, maximumBlockFrames: Int, channelCount: Int) {
        precondition(sampleRateHz.isFinite && sampleRateHz > 0, "sample rate must be positive")
        precondition(maximumBlockFrames >= 1, "a block holds at least one frame")
        precondition(channelCount >= 1 && channelCount <= Self.maximumChannelCount, "1…8 channels")
        self.sampleRateHz = sampleRateHz
        self.maximumBlockFrames = maximumBlockFrames
        self.channelCount = channelCount
    }
}
