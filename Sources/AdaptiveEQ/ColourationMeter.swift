import EQCore
import EQInference

/// The colouration of a recording as the engine hears it while processing: the encoder's
/// `z_audio` averaged over every analysis (the engine runs at intensity 0, so nothing else is
/// computed differently). "Make it sound like this reference" uses it as the target.
/// Not for the render path (it runs a whole engine); the CLI and the studio feed it a file.
public struct ColourationMeter: ~Copyable {
    /// Frames handed to the engine at a time, as a typical host block.
    public static let blockFrames = 512

    private var engine: StreamingAdaptiveEQ
    private var sum: [Double]
    private var latent: [Float]
    private var seen = 0
    /// Analyses averaged so far.
    public private(set) var analyses = 0

    public init(model: AdaptiveEQModel, sampleRateHz: Double, channelCount: Int) {
        engine = StreamingAdaptiveEQ(model: model, target: AdaptiveTarget(term: 0, intensity: 0))
        engine.prepare(ProcessSpec(sampleRateHz: sampleRateHz, maximumBlockFrames: Self.blockFrames, channelCount: channelCount))
        sum = [Double](repeating: 0, count: model.latentCount)
        latent = [Float](repeating: 0, count: model.latentCount)
    }

    /// Listens to `frameCount` frames of each channel; the samples are overwritten (the
    /// engine processes in place).
    public mutating func add(_ channels: UnsafePointer<UnsafeMutablePointer<Float>>, channelCount: Int, frameCount: Int,
                             scratch: UnsafeMutablePointer<UnsafeMutablePointer<Float>>) {
        var offset = 0
        while offset < frameCount {
            let n = min(Self.blockFrames, frameCount - offset)
            for c in 0..<channelCount { scratch[c] = channels[c] + offset }
            engine.process(scratch, frameCount: n)
            offset += n
            if engine.analysisCount != seen {
                seen = engine.analysisCount
                latent.withUnsafeMutableBufferPointer { engine.copyAudioLatent(into: $0.baseAddress!) }
                for i in sum.indices { sum[i] += Double(latent[i]) }
                analyses += 1
            }
        }
    }

    /// The mean latent, or nil before the first analysis (a recording under about 0.1 s).
    public var meanLatent: [Float]? {
        analyses > 0 ? sum.map { Float($0 / Double(analyses)) } : nil
    }
}
