import AdaptiveEQ
import AudioFile
import EQDSP
import EQInference

/// The colouration of a reference recording: the encoder's `z_audio` averaged over every
/// analysis of the file, exactly as the engine hears it while processing (intensity 0, so
/// nothing else is computed differently). "Make it sound like this" uses it as the target.
func referenceColouration(path: String, model: AdaptiveEQModel) throws -> [Float] {
    let reader = try AudioFileReader(path: path)
    let channels = reader.channelCount, chunk = 4096, block = 512
    var engine = StreamingAdaptiveEQ(model: model, target: AdaptiveTarget(term: 0, intensity: 0))
    engine.prepare(ProcessSpec(sampleRateHz: Double(reader.sampleRate), maximumBlockFrames: block, channelCount: channels))

    let interleaved = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
    let planar = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: channels)
    let z = UnsafeMutablePointer<Float>.allocate(capacity: model.latentCount)
    defer { interleaved.deallocate(); planar.deallocate(); pointers.deallocate(); z.deallocate() }
    var sum = [Double](repeating: 0, count: model.latentCount)
    var analyses = 0, seen = 0
    while true {
        let got = reader.readPlanar(into: planar, channelStride: chunk, frames: chunk, scratch: interleaved)
        if got <= 0 { break }
        var offset = 0
        while offset < got {
            let n = min(block, got - offset)
            for c in 0..<channels { pointers[c] = planar + c * chunk + offset }
            engine.process(pointers, frameCount: n)
            offset += n
            if engine.analysisCount != seen {
                seen = engine.analysisCount
                engine.copyAudioLatent(into: z)
                for i in 0..<model.latentCount { sum[i] += Double(z[i]) }
                analyses += 1
            }
        }
    }
    guard analyses > 0 else { throw CLIError("reference '\(path)' is too short to analyse (needs about 0.1 s)") }
    return sum.map { Float($0 / Double(analyses)) }
}
