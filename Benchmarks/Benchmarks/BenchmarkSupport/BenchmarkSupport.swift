// Fixtures shared by the benchmark executables: a deterministic noise source and host-style
// block buffers fed from a long pre-generated signal.

/// Deterministic pseudo-random numbers (64-bit LCG), uniform in [-1, 1].
public struct Noise {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max)
    }

    public mutating func array(_ count: Int, scale: Float, offset: Float = 0) -> [Float] {
        (0..<count).map { _ in offset + scale * next() }
    }
}

/// Host-style block buffers (planar, `blockFrames` per channel) fed from `source`, so each
/// benchmark iteration sees fresh audio; `next()` copies the next block outside the
/// measured region.
public final class BlockFeeder {
    public let source: [[Float]]
    public let blockFrames: Int
    public let channels: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private var position = 0

    public init(source: [[Float]], blockFrames: Int) {
        self.source = source
        self.blockFrames = blockFrames
        channels = .allocate(capacity: source.count)
        for c in 0..<source.count {
            channels[c] = .allocate(capacity: blockFrames)
            channels[c].initialize(repeating: 0, count: blockFrames)
        }
    }

    deinit {
        for c in 0..<source.count { channels[c].deallocate() }
        channels.deallocate()
    }

    /// Copies the next block of the source into the channel buffers (wrapping at the end).
    public func next() {
        if position + blockFrames > source[0].count { position = 0 }
        for c in 0..<source.count {
            source[c].withUnsafeBufferPointer { channels[c].update(from: $0.baseAddress! + position, count: blockFrames) }
        }
        position += blockFrames
    }
}
