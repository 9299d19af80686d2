import CKernels
import EQInference
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct ModelTests {
    static let model: AdaptiveEQModel = {
        try! AdaptiveEQModel(file: SafetensorsFile(bytes: makeTestModelWriter().encode()))
    }()

    @Test func loadsValidModel() {
        let m = ModelTests.model
        #expect(m.frameCount == 176 && m.fftSize == 1024 && m.hopSize == 512 && m.melBandCount == 64)
        #expect(m.terms.names == ["warm", "bright", "air \"quoted\""])
        #expect(m.terms.index(of: " Bright ") == 1)
        #expect(m.terms.index(of: "nonsense") == nil)
        #expect(m.terms.supportCounts(at: 1) == (3, 4, 5))
        #expect(m.decoder.blocks.count == 2)
    }

    /// Replaces one tensor's shape in an otherwise valid model and expects the loader to name it.
    @Test(arguments: [("audio.pw2.weight", [64, 32, 1, 1], [32, 64, 1, 1]),
                      ("dec.blocks.1.fc2.bias", [128], [127]),
                      ("terms.z", [3, 32], [3, 31]),
                      ("mel.std", [64], [65])])
    func rejectsWrongShape(name: String, expected: [Int], wrong: [Int]) {
        var w = makeTestModelWriter()
        let i = w.tensors.firstIndex { $0.name == name }!
        let count = wrong.reduce(1, *)
        w.tensors[i] = SafetensorsWriter.Tensor(name: name, shape: wrong, values: [Float](repeating: 1, count: count))
        expectModelError(.shapeMismatch(tensor: name, expected: expected, found: wrong), mentioning: name) {
            _ = try AdaptiveEQModel(file: SafetensorsFile(bytes: w.encode()))
        }
    }

    /// `colouration_gain` is optional (1 when absent), read when given, refused out of range.
    @Test func colourationGainIsOptionalAndBounded() throws {
        #expect(try AdaptiveEQModel(file: SafetensorsFile(bytes: makeTestModelWriter().encode())).colourationGain == 1)
        var w = makeTestModelWriter()
        w.metadata.append(("colouration_gain", "1.35"))
        #expect(try AdaptiveEQModel(file: SafetensorsFile(bytes: w.encode())).colourationGain == 1.35)
        for bad in ["0.1", "5", "nan", "loud"] {
            var v = makeTestModelWriter()
            v.metadata.append(("colouration_gain", bad))
            do {
                _ = try AdaptiveEQModel(file: SafetensorsFile(bytes: v.encode()))
                Issue.record("colouration_gain \(bad) was accepted")
            } catch {
                #expect("\(error)".contains("colouration_gain"), "\(error)")
            }
        }
    }

    @Test func rejectsMissingTensorAndBadMetadata() {
        var w = makeTestModelWriter()
        w.tensors.removeAll { $0.name == "dec.out.weight" }
        expectModelError(.missingTensor(name: "dec.out.weight"), mentioning: "dec.out.weight") {
            _ = try AdaptiveEQModel(file: SafetensorsFile(bytes: w.encode()))
        }
        var v = makeTestModelWriter()
        v.metadata = v.metadata.map { $0.key == "version" ? ($0.key, "2") : $0 }
        expectModelError(.invalidMetadata(key: "version", value: "2", expected: "1"), mentioning: "version") {
            _ = try AdaptiveEQModel(file: SafetensorsFile(bytes: v.encode()))
        }
        var t = makeTestModelWriter()
        t.metadata = t.metadata.map { $0.key == "terms" ? ($0.key, "[\"a\", 3]") : $0 }
        do {
            _ = try AdaptiveEQModel(file: SafetensorsFile(bytes: t.encode()))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("terms"))
        }
    }

    @Test func rejectsWrongDTypeInModel() {
        // Re-label one tensor F16 with a consistent byte count: the loader must name it.
        var w = makeTestModelWriter()
        w.tensors.removeAll { $0.name == "audio.dw1.bias" }
        let base = w.headerJSON()
        let extraOffset = w.dataBytes().count
        let header = String(base.dropLast()) + #","audio.dw1.bias":{"dtype":"F16","shape":[1],"data_offsets":["# +
            "\(extraOffset),\(extraOffset + 2)]}}"
        let bytes = SafetensorsWriter.image(header: header, data: w.dataBytes() + [0, 0])
        expectModelError(.unsupportedDType(tensor: "audio.dw1.bias", expected: "F32", found: "F16"),
                         mentioning: "audio.dw1.bias") {
            _ = try AdaptiveEQModel(file: SafetensorsFile(bytes: bytes))
        }
    }

    @Test func fullEncoderIsDeterministicAndFinite() {
        let enc = AudioEncoder(weights: ModelTests.model.encoder)
        let mel = randomLogMel(frames: 176, seed: 3)
        var z1 = [Float](repeating: 0, count: 32), z2 = z1
        enc.forward(logMel: mel, into: &z1)
        enc.forward(logMel: mel, into: &z2)
        #expect(z1 == z2)
        #expect(z1.allSatisfy { $0.isFinite })
        #expect(z1.contains { $0 != 0 })
    }

    /// The encoder's and decoder's kernels are built for baseline x86-64 and for AVX2 (chosen
    /// at start-up): both copies give the same bits.
    @Test(.enabled(if: aeq_kernels_set_wide(1) == 1, "the processor has no AVX2"))
    func bothKernelCopiesGiveTheSameBits() {
        let model = ModelTests.model
        var r = TestRandom(seed: 31)
        let columns = (0..<200).map { _ in (0..<64).map { _ in -50 + r.uniform(40) } }
        func encodeAndDecode(wide: Int32) -> [Float] {
            #expect(aeq_kernels_set_wide(wide) == wide)
            defer { aeq_kernels_set_wide(1) }
            let stream = StreamingAudioEncoder(weights: model.encoder, eagerColumnParity: nil)
            let decoder = EQDecoder(weights: model.decoder)
            var out: [Float] = []
            var z = [Float](repeating: 0, count: 32), p = [Float](repeating: 0, count: 13)
            for (t, column) in columns.enumerated() {
                stream.append(logMelColumn: column)
                guard stream.isWindowFull, t % 4 == 3 else { continue }
                stream.encode(into: &z)
                decoder.decode(z, into: &p)
                out += z + p
            }
            return out
        }
        let baseline = encodeAndDecode(wide: 0), wide = encodeAndDecode(wide: 1)
        #expect(baseline.count == 7 * 45)
        #expect(baseline.map(\.bitPattern) == wide.map(\.bitPattern))
    }

    /// Streams a long random log-mel sequence and compares every analysis with the full pass
    /// over the same window, for several analysis intervals including odd ones.
    @Test(arguments: [4, 1, 3, 2, 7, 176, 200], [nil, 0, 1] as [Int?])
    func streamingEqualsFull(interval: Int, eager: Int?) {
        let model = ModelTests.model
        let frames = 176
        let total = frames + 60
        let full = AudioEncoder(weights: model.encoder)
        let stream = StreamingAudioEncoder(weights: model.encoder, eagerColumnParity: eager)
        var r = TestRandom(seed: UInt64(interval))
        var columns: [[Float]] = []
        for _ in 0..<(total + 400) { columns.append((0..<64).map { _ in -50 + r.uniform(40) }) }
        var window = [Float](repeating: 0, count: 64 * frames)
        var zs = [Float](repeating: 0, count: 32), zf = zs
        var worst: Float = 0
        var checks = 0
        var t = 0
        while t < columns.count {
            stream.append(logMelColumn: columns[t])
            t += 1
            guard stream.isWindowFull, (t - frames) % interval == 0 else { continue }
            stream.encode(into: &zs)
            for w in 0..<frames { for m in 0..<64 { window[m * frames + w] = columns[t - frames + w][m] } }
            full.forward(logMel: window, into: &zf)
            worst = max(worst, maxAbsDifference(zs, zf))
            checks += 1
            if checks >= 12 { break }
        }
        #expect(checks >= 2)
        #expect(worst < 1e-5, "max |z_stream − z_full| = \(worst)")
    }

    /// Window lengths other than the trained 176 frames (uneven adaptive-pool cells).
    @Test(arguments: [16, 100, 258])
    func streamingEqualsFullForOtherWindowLengths(frames: Int) {
        let enc = ModelTests.model.encoder
        let total = frames + 9
        let mel = randomLogMel(frames: total, seed: UInt64(frames))
        let stream = StreamingAudioEncoder(weights: enc, frameCount: frames)
        let full = AudioEncoder(weights: enc, frameCount: frames)
        var zs = [Float](repeating: 0, count: 32), zf = zs
        var column = [Float](repeating: 0, count: 64)
        var window = [Float](repeating: 0, count: 64 * frames)
        for t in 0..<total {
            for m in 0..<64 { column[m] = mel[m * total + t] }
            stream.append(logMelColumn: column)
            guard t + 1 >= frames, (t + 1 - frames) % 3 == 0 else { continue }
            stream.encode(into: &zs)
            for w in 0..<frames { for m in 0..<64 { window[m * frames + w] = mel[m * total + t + 1 - frames + w] } }
            full.forward(logMel: window, into: &zf)
            #expect(maxAbsDifference(zs, zf) < 1e-5, "frames \(frames) at \(t)")
        }
    }

    @Test(arguments: [nil, 0, 1] as [Int?])
    func streamingComputesOnlyNewColumns(eager: Int?) {
        let stream = StreamingAudioEncoder(weights: ModelTests.model.encoder, eagerColumnParity: eager)
        let full = AudioEncoder(weights: ModelTests.model.encoder)
        let mel = randomLogMel(frames: 176 + 8, seed: 9)
        var z = [Float](repeating: 0, count: 32), zf = z
        var column = [Float](repeating: 0, count: 64)
        var window = [Float](repeating: 0, count: 64 * 176)
        for t in 0..<(176 + 8) {
            for m in 0..<64 { column[m] = mel[m * (176 + 8) + t] }
            stream.append(logMelColumn: column)
            guard t == 175 || t == 179 || t == 183 else { continue }
            stream.encode(into: &z)
            switch (eager, t) {
            case (nil, 175), (1, 175): #expect(stream.columnsComputedInLastEncode == 88)
            case (nil, _), (1, _): #expect(stream.columnsComputedInLastEncode == 6)
            default: #expect(stream.columnsComputedInLastEncode == 4)
            }
            for w in 0..<176 { for m in 0..<64 { window[m * 176 + w] = mel[m * (176 + 8) + t - 175 + w] } }
            full.forward(logMel: window, into: &zf)
            #expect(maxAbsDifference(z, zf) < 1e-5)
        }
    }

    @Test func resetRestartsTheStream() {
        let enc = ModelTests.model.encoder
        let stream = StreamingAudioEncoder(weights: enc)
        let mel = randomLogMel(frames: 176, seed: 4)
        var a = [Float](repeating: 0, count: 32), b = a, c = a
        stream.append(logMelMatrix: mel, frames: 176)
        stream.encode(into: &a)
        stream.append(logMelMatrix: randomLogMel(frames: 176, seed: 5), frames: 50)
        stream.reset()
        #expect(!stream.isWindowFull)
        stream.append(logMelMatrix: mel, frames: 176)
        stream.encode(into: &b)
        AudioEncoder(weights: enc).forward(logMel: mel, into: &c)
        #expect(a == b)
        #expect(maxAbsDifference(a, c) < 1e-5)
    }

    @Test func decoderOutputsAreInRange() {
        let dec = EQDecoder(weights: ModelTests.model.decoder)
        var r = TestRandom(seed: 11)
        var p = [Float](repeating: 0, count: 13)
        for _ in 0..<50 {
            let z = r.array(32, scale: 20)
            dec.decode(z, into: &p)
            for i in EQParameterMapping.gainIndices { #expect(abs(p[i]) <= 12) }
            for (band, i) in EQParameterMapping.frequencyIndices.enumerated() {
                let range = EQParameterMapping.frequencyRangesHz[band]
                #expect(p[i] >= range.low * 0.9999 && p[i] <= range.high * 1.0001)
            }
            for i in EQParameterMapping.qIndices { #expect(p[i] >= 0.09999 && p[i] <= 10.0001) }
        }
    }

    @Test func decoderMatchesHandWrittenResidualMLP() {
        let w = ModelTests.model.decoder
        let dec = EQDecoder(weights: w)
        var zr = TestRandom(seed: 2)
        let z = zr.array(32, scale: 1)
        func apply(_ l: Linear, _ x: [Float]) -> [Float] {
            let weight = l.weight, bias = l.bias.array
            return (0..<l.outputCount).map { o in
                var s = Double(bias[o])
                for i in 0..<l.inputCount { s += Double(weight[o * l.inputCount + i]) * Double(x[i]) }
                return Float(s)
            }
        }
        var h = apply(w.input, z).map { max($0, 0) }
        for b in w.blocks {
            let inner = apply(b.fc1, h).map { max($0, 0) }
            let branch = apply(b.fc2, inner)
            h = zip(h, branch).map { max($0 + $1, 0) }
        }
        let u = apply(w.output, h)
        var raw = [Float](repeating: 0, count: 13)
        dec.forwardRaw(z, into: &raw)
        #expect(maxAbsDifference(raw, u) < 1e-4)
        // Mapping: gain 12·tanh, frequency/Q as sigmoid on a log axis.
        var mapped = [Float](repeating: 0, count: 13)
        EQParameterMapping.map(raw: [Float](repeating: 0, count: 13), into: &mapped)
        #expect(mapped[0] == 0)
        #expect(abs(mapped[1] - (22 * 1000).squareRoot()) < 1e-2)
        #expect(abs(mapped[4] - 1) < 1e-5)
        let n = EQParameterMapping.normalised(mapped)
        #expect(abs(n[1] - 0.5) < 1e-5 && abs(n[4] - 0.5) < 1e-5)
    }
}
