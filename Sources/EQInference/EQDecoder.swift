#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EQCore

/// How the decoder's 13 raw outputs map onto the parameter table (`EQParameter`, in its
/// order `[g1 f1 | g2 f2 q2 | g3 f3 q3 | g4 f4 q4 | g5 f5]`), with the table's ranges.
///
/// Gains are `12·tanh(u)` dB (the table's gain range is symmetric); frequencies and Qs are
/// a sigmoid placed on a log axis between the parameter's limits, so every output of the
/// network is a valid, in-range EQ.
public enum EQParameterMapping {
    // Literal-initialised (checked against the table in `slot`), so the per-analysis loop
    // reads constants rather than lazily initialised globals.
    public static let parameterCount = EQSettings.parameterCount
    public static let maximumGainDecibels: Float = 12
    /// Indices of the five gains.
    public static let gainIndices = EQParameter.allCases.filter { $0.unit == .decibels }.map(\.rawValue)
    /// Indices of the five frequencies and their (low, high) limits in Hz.
    public static let frequencyIndices = EQParameter.allCases.filter { $0.unit == .hertz }.map(\.rawValue)
    public static let frequencyRangesHz: [(low: Float, high: Float)] =
        EQParameter.allCases.filter { $0.unit == .hertz }.map { ($0.range.lowerBound, $0.range.upperBound) }
    /// Indices of the three peaking-band Qs.
    public static let qIndices = EQParameter.allCases.filter { $0.unit == .q }.map(\.rawValue)
    public static let qRange: (low: Float, high: Float) = (EQParameter.peak1Q.range.lowerBound,
                                                           EQParameter.peak1Q.range.upperBound)

    /// What slot `i` holds: a gain, or a log-axis quantity with its limits in Hz (or Q).
    @inline(__always)
    static func slot(_ i: Int) -> (isGain: Bool, low: Float, high: Float) {
        let p = EQParameter(rawValue: i)!
        assert(p.unit != .decibels || p.range == -maximumGainDecibels...maximumGainDecibels)
        return (p.unit == .decibels, p.range.lowerBound, p.range.upperBound)
    }

    /// Maps 13 raw outputs `u` to parameters (dB, Hz, Q). In place is allowed. Real-time safe.
    public static func map(raw u: UnsafePointer<Float>, into params: UnsafeMutablePointer<Float>) {
        for i in 0..<parameterCount {
            let e = slot(i)
            if e.isGain {
                params[i] = maximumGainDecibels * tanhf(u[i])
            } else {
                let s = 1 / (1 + expf(-u[i]))
                let lo = logf(e.low), hi = logf(e.high)
                params[i] = expf(lo + s * (hi - lo))
            }
        }
    }

    /// Parameters on a common 0…1-ish scale for comparisons: gains / 12, and frequencies and
    /// Qs as their position on the log axis between the limits (0 at low, 1 at high).
    public static func normalised(_ params: [Float]) -> [Float] {
        precondition(params.count == parameterCount)
        var out = params
        for i in 0..<parameterCount {
            let e = slot(i)
            if e.isGain {
                out[i] = params[i] / maximumGainDecibels
            } else {
                out[i] = (logf(params[i]) - logf(e.low)) / (logf(e.high) - logf(e.low))
            }
        }
        return out
    }
}

/// The EQ decoder's weights: a residual MLP 32 → 128 → (2 residual blocks) → 13.
public struct EQDecoderWeights: Sendable {
    public let input: Linear
    /// `(fc1, fc2)` of each residual block.
    public let blocks: [(fc1: Linear, fc2: Linear)]
    public let output: Linear

    /// Loads `dec.in`, `dec.blocks.i.fc1/fc2` and `dec.out`, checking every shape.
    public init(file: SafetensorsFile, latentCount: Int = 32, hiddenCount: Int = 128,
                blockCount: Int = 2) throws(ModelFileError) {
        input = try Linear(file, prefix: "dec.in", inputCount: latentCount, outputCount: hiddenCount)
        var list: [(fc1: Linear, fc2: Linear)] = []
        for i in 0..<blockCount {
            list.append((try Linear(file, prefix: "dec.blocks.\(i).fc1", inputCount: hiddenCount, outputCount: hiddenCount),
                         try Linear(file, prefix: "dec.blocks.\(i).fc2", inputCount: hiddenCount, outputCount: hiddenCount)))
        }
        blocks = list
        output = try Linear(file, prefix: "dec.out", inputCount: hiddenCount,
                            outputCount: EQParameterMapping.parameterCount)
    }

    public init(input: Linear, blocks: [(fc1: Linear, fc2: Linear)], output: Linear) {
        precondition(output.outputCount == EQParameterMapping.parameterCount)
        self.input = input
        self.blocks = blocks
        self.output = output
    }
}

/// Decodes a latent colouration `z` into the 13 SAFE-DB EQ parameters.
///
/// `h = relu(in(z))`; per block `h = relu(h + fc2(relu(fc1(h))))`; `u = out(h)`; then
/// `EQParameterMapping`. About 70 k multiply-adds. Scratch is allocated in `init`;
/// `decode` is allocation-free and real-time safe. One instance per thread.
public final class EQDecoder {
    public let weights: EQDecoderWeights
    public var latentCount: Int { weights.input.inputCount }
    private let hidden: UnsafeMutablePointer<Float>
    private let inner: UnsafeMutablePointer<Float>
    private let branch: UnsafeMutablePointer<Float>
    private let raw: UnsafeMutablePointer<Float>
    // The block layers are copied out of the array so decoding touches no array storage.
    private let blockCount: Int
    private let fc1s: UnsafeMutablePointer<Linear>
    private let fc2s: UnsafeMutablePointer<Linear>

    public init(weights: EQDecoderWeights) {
        self.weights = weights
        let h = weights.input.outputCount
        hidden = .allocate(capacity: h)
        inner = .allocate(capacity: h)
        branch = .allocate(capacity: h)
        raw = .allocate(capacity: EQParameterMapping.parameterCount)
        blockCount = weights.blocks.count
        fc1s = .allocate(capacity: max(blockCount, 1))
        fc2s = .allocate(capacity: max(blockCount, 1))
        for (i, b) in weights.blocks.enumerated() {
            (fc1s + i).initialize(to: b.fc1)
            (fc2s + i).initialize(to: b.fc2)
        }
    }

    deinit {
        hidden.deallocate(); inner.deallocate(); branch.deallocate(); raw.deallocate()
        fc1s.deinitialize(count: blockCount); fc1s.deallocate()
        fc2s.deinitialize(count: blockCount); fc2s.deallocate()
    }

    /// The 13 raw network outputs `u` (before the parameter mapping).
    public func forwardRaw(_ z: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let h = weights.input.outputCount
        weights.input.forward(z, into: hidden)
        NN.relu(hidden, count: h)
        for i in 0..<blockCount {
            fc1s[i].forward(hidden, into: inner)
            NN.relu(inner, count: h)
            fc2s[i].forward(inner, into: branch)
            for k in 0..<h {
                let v = hidden[k] + branch[k]
                hidden[k] = v > 0 ? v : 0
            }
        }
        weights.output.forward(hidden, into: u)
    }

    /// Decodes `z` (`latentCount` values) into 13 parameters: gains in dB, frequencies in Hz,
    /// Qs, in the SAFE-DB order.
    public func decode(_ z: UnsafePointer<Float>, into parameters: UnsafeMutablePointer<Float>) {
        forwardRaw(z, into: raw)
        EQParameterMapping.map(raw: raw, into: parameters)
    }
}
