/// The audio encoder's weights (format version 1, `docs/MODEL_FORMAT.md`), validated on load.
///
/// The architecture is fixed by the file format: log-mel `[64 mel, frames]` → depthwise 3×3 +
/// pointwise 1→32, ReLU, 2×2 average pool → depthwise 3×3 (groups 32) + pointwise 32→64, ReLU,
/// average pool to 4×4 cells → linear 1024→128, ReLU → linear 128→32.
public struct AudioEncoderWeights: @unchecked Sendable {
    public static let melBandCount = 64
    public static let channels1 = 32
    public static let channels2 = 64
    public static let cellRows = 4
    public static let cellColumns = 4
    public static let hiddenCount = 128
    public static let latentCount = 32
    /// Flattened pooled features, `channels2 · cellRows · cellColumns` = 1024.
    public static let flatCount = channels2 * cellRows * cellColumns

    public let melMean: FloatBuffer
    public let melStd: FloatBuffer
    public let dw1Weight: FloatBuffer, dw1Bias: FloatBuffer
    public let pw1Weight: FloatBuffer, pw1Bias: FloatBuffer
    public let dw2Weight: FloatBuffer, dw2Bias: FloatBuffer
    public let pw2Weight: FloatBuffer, pw2Bias: FloatBuffer
    public let fc1: Linear
    public let fc2: Linear

    /// Loads and validates every encoder tensor (name, dtype F32, exact shape, finite values).
    /// `mel.std` must also be strictly positive, since the encoder divides by it.
    public init(file: SafetensorsFile) throws(ModelFileError) {
        typealias W = AudioEncoderWeights
        let m = W.melBandCount, c1 = W.channels1, c2 = W.channels2
        let std = try file.floats("mel.std", shape: [m])
        if let bad = std.firstIndex(where: { !($0 > 0) }) {
            throw .invalidMetadata(key: "mel.std[\(bad)]", value: "\(std[bad])", expected: "a positive standard deviation")
        }
        try self.init(
            melMean: file.floats("mel.mean", shape: [m]), melStd: std,
            dw1Weight: file.floats("audio.dw1.weight", shape: [1, 1, 3, 3]),
            dw1Bias: file.floats("audio.dw1.bias", shape: [1]),
            pw1Weight: file.floats("audio.pw1.weight", shape: [c1, 1, 1, 1]),
            pw1Bias: file.floats("audio.pw1.bias", shape: [c1]),
            dw2Weight: file.floats("audio.dw2.weight", shape: [c1, 1, 3, 3]),
            dw2Bias: file.floats("audio.dw2.bias", shape: [c1]),
            pw2Weight: file.floats("audio.pw2.weight", shape: [c2, c1, 1, 1]),
            pw2Bias: file.floats("audio.pw2.bias", shape: [c2]),
            fc1: Linear(file, prefix: "audio.fc1", inputCount: W.flatCount, outputCount: W.hiddenCount),
            fc2: Linear(file, prefix: "audio.fc2", inputCount: W.hiddenCount, outputCount: W.latentCount))
    }

    /// Builds weights from flat row-major arrays (sizes as in the file; checked).
    public init(melMean: [Float], melStd: [Float], dw1Weight: [Float], dw1Bias: [Float],
                pw1Weight: [Float], pw1Bias: [Float], dw2Weight: [Float], dw2Bias: [Float],
                pw2Weight: [Float], pw2Bias: [Float], fc1: Linear, fc2: Linear) {
        typealias W = AudioEncoderWeights
        precondition(melMean.count == W.melBandCount && melStd.count == W.melBandCount)
        precondition(dw1Weight.count == 9 && dw1Bias.count == 1)
        precondition(pw1Weight.count == W.channels1 && pw1Bias.count == W.channels1)
        precondition(dw2Weight.count == 9 * W.channels1 && dw2Bias.count == W.channels1)
        precondition(pw2Weight.count == W.channels1 * W.channels2 && pw2Bias.count == W.channels2)
        precondition(fc1.inputCount == W.flatCount && fc1.outputCount == W.hiddenCount)
        precondition(fc2.inputCount == W.hiddenCount && fc2.outputCount == W.latentCount)
        self.melMean = FloatBuffer(melMean)
        self.melStd = FloatBuffer(melStd)
        self.dw1Weight = FloatBuffer(dw1Weight)
        self.dw1Bias = FloatBuffer(dw1Bias)
        self.pw1Weight = FloatBuffer(pw1Weight)
        self.pw1Bias = FloatBuffer(pw1Bias)
        self.dw2Weight = FloatBuffer(dw2Weight)
        self.dw2Bias = FloatBuffer(dw2Bias)
        self.pw2Weight = FloatBuffer(pw2Weight)
        self.pw2Bias = FloatBuffer(pw2Bias)
        self.fc1 = fc1
        self.fc2 = fc2
    }
}

/// Reference (whole-window) forward pass of the audio encoder, layer by layer.
///
/// Computes `z_audio` from a log-mel window exactly as the PyTorch model does. It costs about
/// 7 M multiply-adds per call, so the real-time engine uses `StreamingAudioEncoder`, which is
/// tested against this type. Scratch memory is allocated in `init`; `forward` is
/// allocation-free. One instance per thread.
public final class AudioEncoder {
    public let weights: AudioEncoderWeights
    /// Window length in STFT frames (176 in format version 1; any even count ≥ 16 works
    /// because the last pooling is adaptive).
    public let frameCount: Int
    private let pooledWidth: Int
    private let x: UnsafeMutablePointer<Float>      // [64, F] normalised
    private let d1: UnsafeMutablePointer<Float>     // [64, F]
    private let a1: UnsafeMutablePointer<Float>     // [32, 64, F]
    private let p1: UnsafeMutablePointer<Float>     // [32, 32, F/2]
    private let d2: UnsafeMutablePointer<Float>     // [32, 32, F/2]
    private let a2: UnsafeMutablePointer<Float>     // [64, 32, F/2]
    private let cells: UnsafeMutablePointer<Float>  // [1024]
    private let hidden: UnsafeMutablePointer<Float> // [128]

    public init(weights: AudioEncoderWeights, frameCount: Int = 176) {
        precondition(frameCount >= 16 && frameCount % 2 == 0, "frameCount must be even and ≥ 16")
        typealias W = AudioEncoderWeights
        self.weights = weights
        self.frameCount = frameCount
        pooledWidth = frameCount / 2
        let m = W.melBandCount
        x = .allocate(capacity: m * frameCount)
        d1 = .allocate(capacity: m * frameCount)
        a1 = .allocate(capacity: W.channels1 * m * frameCount)
        p1 = .allocate(capacity: W.channels1 * (m / 2) * pooledWidth)
        d2 = .allocate(capacity: W.channels1 * (m / 2) * pooledWidth)
        a2 = .allocate(capacity: W.channels2 * (m / 2) * pooledWidth)
        cells = .allocate(capacity: W.flatCount)
        hidden = .allocate(capacity: W.hiddenCount)
    }

    deinit {
        x.deallocate(); d1.deallocate(); a1.deallocate(); p1.deallocate()
        d2.deallocate(); a2.deallocate(); cells.deallocate(); hidden.deallocate()
    }

    /// Encodes one window.
    /// - Parameters:
    ///   - logMel: `[64, frameCount]` row-major log-mel in dB (before normalisation), i.e.
    ///     mel band m of frame t at `m·frameCount + t`, oldest frame first.
    ///   - z: receives the 32-D latent.
    public func forward(logMel: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>) {
        typealias W = AudioEncoderWeights
        let m = W.melBandCount, f = frameCount, pw = pooledWidth
        let mean = weights.melMean.pointer, std = weights.melStd.pointer
        for band in 0..<m {
            let scale = 1 / std[band], offset = mean[band]
            for t in 0..<f { x[band * f + t] = (logMel[band * f + t] - offset) * scale }
        }
        NN.depthwiseConv3x3(x, channels: 1, height: m, width: f,
                            weight: weights.dw1Weight.pointer, bias: weights.dw1Bias.pointer, into: d1)
        NN.pointwiseConv(d1, inputChannels: 1, pixels: m * f, weight: weights.pw1Weight.pointer,
                         bias: weights.pw1Bias.pointer, outputChannels: W.channels1, into: a1)
        NN.relu(a1, count: W.channels1 * m * f)
        NN.averagePool2x2(a1, channels: W.channels1, height: m, width: f, into: p1)
        NN.depthwiseConv3x3(p1, channels: W.channels1, height: m / 2, width: pw,
                            weight: weights.dw2Weight.pointer, bias: weights.dw2Bias.pointer, into: d2)
        NN.pointwiseConv(d2, inputChannels: W.channels1, pixels: (m / 2) * pw,
                         weight: weights.pw2Weight.pointer, bias: weights.pw2Bias.pointer,
                         outputChannels: W.channels2, into: a2)
        NN.relu(a2, count: W.channels2 * (m / 2) * pw)
        NN.adaptiveAveragePool(a2, channels: W.channels2, height: m / 2, width: pw,
                               outputHeight: W.cellRows, outputWidth: W.cellColumns, into: cells)
        weights.fc1.forward(cells, into: hidden)
        NN.relu(hidden, count: W.hiddenCount)
        weights.fc2.forward(hidden, into: z)
    }
}
