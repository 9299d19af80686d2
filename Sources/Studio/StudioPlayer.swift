import AdaptiveEQ
import EQCore
import Foundation

/// What one rendered stretch of audio carries besides its samples: the state of the engine
/// when it ended, for the plots that follow playback.
public struct ChunkTelemetry: Sendable {
    public var position = 0
    public var frames = 0
    /// What the audio went through at the end of the chunk (`HostEqualiser.applied`).
    public var applied = AppliedEQ.flat
    /// The whole colouration the engine hears in the audio (adaptive mode only); only
    /// `applied.correction` of it is undone.
    public var colouration: EQSettings?
    /// Position of the audio on the latent map (adaptive mode with a model only).
    public var audioPosition: (x: Float, y: Float)?
    /// Processing time per 512-frame block, mean and worst, in microseconds.
    public var blockMicrosecondsMean = 0.0
    public var blockMicrosecondsMax = 0.0
    /// Mean square of the input and output over all channels (for loudness matching).
    public var inputMeanSquare = 0.0
    public var outputMeanSquare = 0.0
    /// True when this chunk did not continue the previous one (the engine started afresh).
    public var restarted = false
}

/// One listener's renderer: the host equaliser and where in which track it stands. Chunks
/// asked for in sequence continue the stream (glides and analysis carry on); any other
/// position is a seek and restarts the engine there, as a host does after a transport jump.
/// Requests for the same player are served one at a time.
public final class StudioPlayer: @unchecked Sendable {
    /// Frames per call to the equaliser, as a typical host block.
    public static let blockFrames = 512
    /// Largest chunk a request may ask for.
    public static let maximumChunkFrames = 16_384

    private let lock = NSLock()
    private var equaliser: HostEqualiser
    private let map: LatentMap?
    private var trackID: String?
    private var nextFrame = -1
    private var buffer: UnsafeMutablePointer<Float>
    private var pointers: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private var constPointers: UnsafeMutablePointer<UnsafePointer<Float>>
    private var latent: [Float]
    /// When the player last rendered (for dropping players of closed tabs).
    public private(set) var lastUse = ContinuousClock.now

    /// Words the player can address (the vocabulary it was made with).
    public let wordCount: Int

    public init(vocabulary: HostVocabulary, map: LatentMap?) {
        equaliser = HostEqualiser(vocabulary: vocabulary)
        wordCount = vocabulary.words.count
        self.map = map
        latent = [Float](repeating: 0, count: map?.latentCount ?? 1)
        buffer = .allocate(capacity: Self.maximumChunkFrames * 8)
        pointers = .allocate(capacity: 8)
        constPointers = .allocate(capacity: 8)
        for c in 0..<8 {
            pointers[c] = buffer + c * Self.maximumChunkFrames
            constPointers[c] = UnsafePointer(pointers[c])
        }
    }

    deinit { buffer.deallocate(); pointers.deallocate(); constPointers.deallocate() }

    /// Renders `frames` frames of `track` from `position` with `controls`, returning the
    /// processed samples (planar, `frames` per channel; fewer at the end of the track) and the
    /// telemetry.
    public func render(_ track: StudioTrack, from position: Int, frames requested: Int,
                       controls: HostControls) -> (output: [[Float]], telemetry: ChunkTelemetry) {
        lock.lock()
        defer { lock.unlock() }
        lastUse = .now
        var t = ChunkTelemetry()
        let start = min(max(position, 0), track.frameCount)
        let n = min(max(requested, 0), Self.maximumChunkFrames, track.frameCount - start)
        let channels = track.channelCount
        if trackID != track.id || equaliser.channelCount != channels || equaliser.sampleRateHz != Double(track.sampleRateHz) {
            equaliser.prepare(ProcessSpec(sampleRateHz: Double(track.sampleRateHz), maximumBlockFrames: Self.blockFrames,
                                          channelCount: channels))
            trackID = track.id
            nextFrame = -1
        }
        if start != nextFrame {
            equaliser.reset()
            t.restarted = true
        }
        var inputEnergy = 0.0, outputEnergy = 0.0
        for c in 0..<channels {
            track.channels[c].withUnsafeBufferPointer { src in
                pointers[c].update(from: src.baseAddress! + start, count: n)
            }
            for i in 0..<n { inputEnergy += Double(pointers[c][i] * pointers[c][i]) }
        }
        var done = 0, blocks = 0, total = Duration.zero, worst = Duration.zero
        let clock = ContinuousClock()
        while done < n {
            let m = min(Self.blockFrames, n - done)
            for c in 0..<channels {
                constPointers[c] = UnsafePointer(buffer + c * Self.maximumChunkFrames + done)
                pointers[c] = buffer + c * Self.maximumChunkFrames + done
            }
            let began = clock.now
            equaliser.process(inputs: constPointers, outputs: pointers, frameCount: m, controls: controls)
            let took = clock.now - began
            total += took
            worst = max(worst, took)
            blocks += 1
            done += m
        }
        var output: [[Float]] = []
        for c in 0..<channels {
            let base = buffer + c * Self.maximumChunkFrames
            pointers[c] = base
            for i in 0..<n { outputEnergy += Double(base[i] * base[i]) }
            output.append(Array(UnsafeBufferPointer(start: base, count: n)))
        }
        nextFrame = start + n
        t.position = start
        t.frames = n
        t.applied = equaliser.applied
        t.colouration = equaliser.colourationSettings
        if let map, t.colouration != nil, latent.withUnsafeMutableBufferPointer({ equaliser.copyAudioLatent(into: $0.baseAddress!) }) {
            t.audioPosition = latent.withUnsafeBufferPointer { map.position(of: $0.baseAddress!) }
        }
        if blocks > 0 {
            t.blockMicrosecondsMean = total.microseconds / Double(blocks)
            t.blockMicrosecondsMax = worst.microseconds
        }
        let count = Double(max(n * channels, 1))
        t.inputMeanSquare = inputEnergy / count
        t.outputMeanSquare = outputEnergy / count
        return (output, t)
    }
}

extension Duration {
    var microseconds: Double {
        let c = components
        return Double(c.seconds) * 1e6 + Double(c.attoseconds) * 1e-12
    }
}
