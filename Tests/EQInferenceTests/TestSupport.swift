import EQInference

/// Deterministic pseudo-random numbers (64-bit LCG) so tests need no seeds from the system.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24)
    }
    /// Uniform in `[-scale, scale)`.
    mutating func uniform(_ scale: Float) -> Float { (next() * 2 - 1) * scale }
    mutating func array(_ count: Int, scale: Float) -> [Float] { (0..<count).map { _ in uniform(scale) } }
}

/// A complete, valid model file with random weights and three terms.
func makeTestModelWriter(seed: UInt64 = 1, terms: [String] = ["warm", "bright", "air \"quoted\""]) -> SafetensorsWriter {
    var r = TestRandom(seed: seed)
    var w = SafetensorsWriter()
    let termsJSON = "[" + terms.map { SafetensorsWriter.quoted($0) }.joined(separator: ",") + "]"
    w.metadata = [("format", "adaptive-eq-model"), ("version", "1"), ("sample_rate", "44100"),
                  ("n_fft", "1024"), ("hop", "512"), ("n_mels", "64"), ("fmin_hz", "20"),
                  ("fmax_hz", "16000"), ("frames", "176"), ("latent", "32"),
                  ("decoder_hidden", "128"), ("decoder_blocks", "2"), ("terms", termsJSON),
                  ("neutral", "pink noise")]
    w.add("mel.filterbank", shape: [64, 513], values: r.array(64 * 513, scale: 1))
    w.add("mel.mean", shape: [64], values: r.array(64, scale: 30).map { $0 - 40 })
    w.add("mel.std", shape: [64], values: r.array(64, scale: 5).map { $0 + 12 })
    w.add("audio.dw1.weight", shape: [1, 1, 3, 3], values: r.array(9, scale: 0.6))
    w.add("audio.dw1.bias", shape: [1], values: r.array(1, scale: 0.1))
    w.add("audio.pw1.weight", shape: [32, 1, 1, 1], values: r.array(32, scale: 1))
    w.add("audio.pw1.bias", shape: [32], values: r.array(32, scale: 0.2))
    w.add("audio.dw2.weight", shape: [32, 1, 3, 3], values: r.array(32 * 9, scale: 0.5))
    w.add("audio.dw2.bias", shape: [32], values: r.array(32, scale: 0.1))
    w.add("audio.pw2.weight", shape: [64, 32, 1, 1], values: r.array(64 * 32, scale: 0.3))
    w.add("audio.pw2.bias", shape: [64], values: r.array(64, scale: 0.1))
    w.add("audio.fc1.weight", shape: [128, 1024], values: r.array(128 * 1024, scale: 0.05))
    w.add("audio.fc1.bias", shape: [128], values: r.array(128, scale: 0.1))
    w.add("audio.fc2.weight", shape: [32, 128], values: r.array(32 * 128, scale: 0.15))
    w.add("audio.fc2.bias", shape: [32], values: r.array(32, scale: 0.1))
    w.add("dec.in.weight", shape: [128, 32], values: r.array(128 * 32, scale: 0.3))
    w.add("dec.in.bias", shape: [128], values: r.array(128, scale: 0.1))
    for i in 0..<2 {
        w.add("dec.blocks.\(i).fc1.weight", shape: [128, 128], values: r.array(128 * 128, scale: 0.1))
        w.add("dec.blocks.\(i).fc1.bias", shape: [128], values: r.array(128, scale: 0.1))
        w.add("dec.blocks.\(i).fc2.weight", shape: [128, 128], values: r.array(128 * 128, scale: 0.1))
        w.add("dec.blocks.\(i).fc2.bias", shape: [128], values: r.array(128, scale: 0.1))
    }
    w.add("dec.out.weight", shape: [13, 128], values: r.array(13 * 128, scale: 0.2))
    w.add("dec.out.bias", shape: [13], values: r.array(13, scale: 0.1))
    w.add("terms.z", shape: [terms.count, 32], values: r.array(terms.count * 32, scale: 1))
    w.add("terms.support", shape: [terms.count, 3], values: (0..<terms.count * 3).map { Float($0) })
    return w
}

/// Random log-mel matrix in dB `[64, frames]`, roughly like music (−90 … −10 dB).
func randomLogMel(frames: Int, seed: UInt64) -> [Float] {
    var r = TestRandom(seed: seed)
    return (0..<(64 * frames)).map { _ in -50 + r.uniform(40) }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
    return m
}
