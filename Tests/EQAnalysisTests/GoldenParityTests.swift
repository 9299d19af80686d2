import EQAnalysis
import EQInference
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parity with the Python reference (`Tests/Fixtures/golden.safetensors`, written by the
/// training export together with the model). `AEQ_TEST_MODEL` / `AEQ_TEST_GOLDEN` point the
/// suite at another exported pair. Skipped while either file is missing.
enum GoldenFiles {
    static var modelPath: String {
        if let p = getenv("AEQ_TEST_MODEL") { return String(cString: p) }
        return testsPath("../Sources/AdaptiveEQResources/Resources/AdaptiveEQModel.safetensors")
    }
    static var goldenPath: String {
        if let p = getenv("AEQ_TEST_GOLDEN") { return String(cString: p) }
        return testsPath("Fixtures/golden.safetensors")
    }
    static var available: Bool { fileExists(modelPath) && fileExists(goldenPath) }
}

@Suite(.enabled(if: GoldenFiles.available, "golden.safetensors and the model are not exported yet"))
struct GoldenParityTests {
    let model: AdaptiveEQModel
    let golden: SafetensorsFile
    let frames: Int

    init() throws {
        model = try AdaptiveEQModel(path: GoldenFiles.modelPath)
        golden = try SafetensorsFile(path: GoldenFiles.goldenPath)
        frames = model.frameCount
    }

    func goldenLogMel() throws -> [Float] { try golden.floats("logmel", shape: [64, frames]) }

    /// Streams the golden audio through `MelRing` in uneven chunks; the 176 columns must match
    /// the reference log-mel within 1e-4 relative (dB values, relative to max(|L|, 1)).
    @Test func logMelMatchesReference() throws {
        let (audio, shape) = try golden.floats("audio")
        #expect(shape == [(frames - 1) * model.hopSize + model.fftSize])
        let ring = MelRing(analyzer: LogMelAnalyzer(sampleRateHz: model.referenceSampleRateHz), capacity: frames)
        var pos = 0
        let chunks = [333, 512, 1, 4096, 77]
        var i = 0
        audio.withUnsafeBufferPointer { b in
            while pos < audio.count {
                let n = min(chunks[i % chunks.count], audio.count - pos)
                ring.push(b.baseAddress! + pos, count: n)
                pos += n
                i += 1
            }
        }
        #expect(ring.framesProduced == frames)
        var ours = [Float](repeating: 0, count: 64 * frames)
        ring.copyWindow(frameCount: frames, into: &ours)
        let reference = try goldenLogMel()
        var worst: Float = 0
        for k in 0..<ours.count { worst = max(worst, abs(ours[k] - reference[k]) / max(abs(reference[k]), 1)) }
        #expect(worst < 1e-4, "max relative log-mel error \(worst)")
    }

    @Test func encoderMatchesReference() throws {
        let reference = try golden.floats("z_audio", shape: [32])
        let logMel = try goldenLogMel()
        var zFull = [Float](repeating: 0, count: 32), zStream = zFull
        AudioEncoder(weights: model.encoder, frameCount: frames).forward(logMel: logMel, into: &zFull)
        let stream = StreamingAudioEncoder(weights: model.encoder, frameCount: frames)
        stream.append(logMelMatrix: logMel, frames: frames)
        stream.encode(into: &zStream)
        #expect(maxAbsDifference(zFull, reference) < 1e-4, "full: \(maxAbsDifference(zFull, reference))")
        #expect(maxAbsDifference(zStream, reference) < 1e-4, "streaming: \(maxAbsDifference(zStream, reference))")
    }

    /// Audio → MelRing → streaming encoder, the engine's path end to end.
    @Test func audioToLatentEndToEnd() throws {
        let reference = try golden.floats("z_audio", shape: [32])
        let (audio, _) = try golden.floats("audio")
        let ring = MelRing(analyzer: LogMelAnalyzer(sampleRateHz: model.referenceSampleRateHz), capacity: frames)
        let stream = StreamingAudioEncoder(weights: model.encoder, frameCount: frames)
        ring.push(audio, count: audio.count)
        while stream.framesAppended < ring.framesProduced {
            stream.append(logMelColumn: ring.column(frame: stream.framesAppended))
        }
        var z = [Float](repeating: 0, count: 32)
        stream.encode(into: &z)
        #expect(maxAbsDifference(z, reference) < 1e-4, "end to end: \(maxAbsDifference(z, reference))")
    }

    @Test func decoderMatchesReference() throws {
        let decoder = EQDecoder(weights: model.decoder)
        var p = [Float](repeating: 0, count: 13)
        let z = try golden.floats("z_audio", shape: [32])
        let expected = try golden.floats("params_audio", shape: [13])
        decoder.decode(z, into: &p)
        let e = maxAbsDifference(EQParameterMapping.normalised(p), EQParameterMapping.normalised(expected))
        #expect(e < 1e-4, "params_audio normalised error \(e)")
        let probes = try golden.floats("z_probe", shape: [4, 32])
        let probeParams = try golden.floats("params_probe", shape: [4, 13])
        for r in 0..<4 {
            decoder.decode(Array(probes[(r * 32)..<(r * 32 + 32)]), into: &p)
            let want = Array(probeParams[(r * 13)..<(r * 13 + 13)])
            let err = maxAbsDifference(EQParameterMapping.normalised(p), EQParameterMapping.normalised(want))
            #expect(err < 1e-4, "probe \(r): normalised error \(err)")
        }
    }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
    return m
}
