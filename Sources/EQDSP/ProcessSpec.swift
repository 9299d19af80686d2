/// What a processor is prepared for: the sample rate, the most frames one `process` call
/// may carry, and the channel count. Every processor prepares with one (allocating what a
/// block of `maximumBlockFrames` needs); hosts cut their blocks, of any length, into
/// chunks of at most `maximumBlockFrames` in one place (`HostEqualiser.process`).
public struct ProcessSpec: Sendable, Equatable {
    public var sampleRateHz: Double
    /// The longest block a `process` call may carry (≥ 1).
    public var maximumBlockFrames: Int
    /// 1 … `EQProcessor.maximumChannelCount`.
    public var channelCount: Int

    public init(sampleRateHz: Double, maximumBlockFrames: Int, channelCount: Int) {
        precondition(sampleRateHz.isFinite && sampleRateHz > 0, "sample rate must be positive")
        precondition(maximumBlockFrames >= 1, "a block holds at least one frame")
        precondition(channelCount >= 1 && channelCount <= EQProcessor.maximumChannelCount, "1…8 channels")
        self.sampleRateHz = sampleRateHz
        self.maximumBlockFrames = maximumBlockFrames
        self.channelCount = channelCount
    }

    /// The chunk a host layer renders in: long enough that per-chunk work is negligible,
    /// short enough that its scratch buffers stay in cache.
    public static let hostChunkFrames = 1024
}

/// Anything that filters blocks of non-interleaved channels in place (EQ chains, the adaptive
/// engine). Lets offline renderers and hosts drive every processor the same way.
public protocol AudioBlockProcessor: ~Copyable {
    /// Sets rate, channels and the longest block, and clears all state. Allocates.
    mutating func prepare(_ spec: ProcessSpec)
    /// Filters `frameCount` (0 … `spec.maximumBlockFrames`) frames of each channel in place.
    mutating func process(_ channels: UnsafePointer<UnsafeMutablePointer<Float>>, frameCount: Int)
}
