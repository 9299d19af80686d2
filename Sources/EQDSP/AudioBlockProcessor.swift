@_exported import EQCore

/// Anything that filters blocks of non-interleaved channels in place (EQ chains, the adaptive
/// engine). Lets offline renderers and hosts drive every processor the same way.
public protocol AudioBlockProcessor: ~Copyable {
    /// Sets rate, channels and the longest block, and clears all state. Allocates.
    mutating func prepare(_ spec: ProcessSpec)
    /// Filters `frameCount` (0 … `spec.maximumBlockFrames`) frames of each channel in place.
    mutating func process(_ channels: UnsafePointer<UnsafeMutablePointer<Float>>, frameCount: Int)
}

extension EQProcessor: AudioBlockProcessor {
    /// Prepares for `spec`'s rate and channels; blocks of any length are accepted.
    public mutating func prepare(_ spec: ProcessSpec) {
        prepare(sampleRateHz: Float(spec.sampleRateHz), channelCount: spec.channelCount)
    }
}
