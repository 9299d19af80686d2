import CMallocCounter
import EQAnalysis
import EQInference
import Testing

/// The analysis and inference paths run on the audio thread, so after set-up they must not
/// allocate. Counts every allocator call the current thread makes inside each call.
@Suite(.enabled(if: aeq_allocation_counting_available() == 1, "allocator interposition needs glibc"))
struct AllocationTests {
    func allocations(_ body: () -> Void) -> UInt64 {
        let before = aeq_thread_allocation_count()
        body()
        return aeq_thread_allocation_count() - before
    }

    @Test func analysisAndInferenceAllocateNothing() throws {
        var writer = SafetensorsWriter()
        var r: UInt64 = 5
        func values(_ n: Int, _ scale: Float) -> [Float] {
            (0..<n).map { _ in
                r = r &* 6364136223846793005 &+ 1442695040888963407
                return (Float(r >> 40) / Float(1 << 23) - 1) * scale
            }
        }
        writer.metadata = [("format", "adaptive-eq-model"), ("version", "1"), ("sample_rate", "44100"),
                           ("n_fft", "1024"), ("hop", "512"), ("n_mels", "64"), ("fmin_hz", "20"),
                           ("fmax_hz", "16000"), ("frames", "176"), ("latent", "32"),
                           ("decoder_hidden", "128"), ("decoder_blocks", "1"), ("terms", "[\"warm\"]")]
        let shapes: [(String, [Int])] = [
            ("mel.filterbank", [64, 513]), ("mel.mean", [64]), ("audio.dw1.weight", [1, 1, 3, 3]),
            ("audio.dw1.bias", [1]), ("audio.pw1.weight", [32, 1, 1, 1]), ("audio.pw1.bias", [32]),
            ("audio.dw2.weight", [32, 1, 3, 3]), ("audio.dw2.bias", [32]), ("audio.pw2.weight", [64, 32, 1, 1]),
            ("audio.pw2.bias", [64]), ("audio.fc1.weight", [128, 1024]), ("audio.fc1.bias", [128]),
            ("audio.fc2.weight", [32, 128]), ("audio.fc2.bias", [32]), ("dec.in.weight", [128, 32]),
            ("dec.in.bias", [128]), ("dec.blocks.0.fc1.weight", [128, 128]), ("dec.blocks.0.fc1.bias", [128]),
            ("dec.blocks.0.fc2.weight", [128, 128]), ("dec.blocks.0.fc2.bias", [128]),
            ("dec.out.weight", [13, 128]), ("dec.out.bias", [13]), ("terms.z", [1, 32]), ("terms.support", [1, 3])]
        for (name, shape) in shapes { writer.add(name, shape: shape, values: values(shape.reduce(1, *), 0.3)) }
        writer.add("mel.std", shape: [64], values: [Float](repeating: 10, count: 64))
        let model = try AdaptiveEQModel(file: SafetensorsFile(bytes: writer.encode()))

        let ring = MelRing(analyzer: LogMelAnalyzer(sampleRateHz: 48000), capacity: 176)
        let stream = StreamingAudioEncoder(weights: model.encoder)
        let full = AudioEncoder(weights: model.encoder)
        let decoder = EQDecoder(weights: model.decoder)
        let audioCount = 512 * 200
        let audio = UnsafeMutablePointer<Float>.allocate(capacity: audioCount)
        defer { audio.deallocate() }
        let noise = values(audioCount, 0.5)
        for i in 0..<audioCount { audio[i] = noise[i] }
        let z = UnsafeMutablePointer<Float>.allocate(capacity: 32)
        let params = UnsafeMutablePointer<Float>.allocate(capacity: 13)
        let window = UnsafeMutablePointer<Float>.allocate(capacity: 64 * 176)
        defer { z.deallocate(); params.deallocate(); window.deallocate() }

        var position = 0
        var encodes = 0
        let count = allocations {
            while position + 2048 <= audioCount {
                ring.push(audio + position, count: 700)
                ring.push(audio + position + 700, count: 1348)
                position += 2048
                while stream.framesAppended < ring.framesProduced {
                    stream.append(logMelColumn: ring.column(frame: stream.framesAppended))
                }
                if stream.isWindowFull {
                    stream.encode(into: z)
                    decoder.decode(z, into: params)
                    encodes += 1
                }
            }
            ring.copyWindow(frameCount: 176, into: window)
            full.forward(logMel: window, into: z)
            stream.reset()
            ring.reset()
        }
        #expect(encodes > 0)
        #expect(count == 0, "\(count) allocations on the analysis path")
    }
}
