import CKernels

/// The audio encoder run incrementally over a sliding window of log-mel frames.
///
/// Every convolution in the encoder is 3 wide in time and the pooling is local, so a feature
/// column depends only on a few neighbouring frames. This type keeps per-frame and
/// per-column intermediate results keyed by absolute frame index and, on each `encode`,
/// computes only what the window shift made new:
///
/// - on `append`: the frame's normalised column and its first-stage features (depthwise 3×3,
///   pointwise 1→32, ReLU, summed over mel pairs) as an interior frame;
/// - on `encode`: the two edge frames again with the zero padding of the window's first and
///   last frame, the second-stage column summaries (depthwise 3×3, pointwise 32→64, ReLU,
///   summed over the 8 mel rows of each cell) for the four edge columns touched by that
///   padding and for every interior column not already cached, then the 4×4 cell means and
///   the two linear layers.
///
/// With an analysis every 4 frames that is 6 of the 88 second-stage columns, about a tenth of
/// the full pass. With `eagerColumnParity` set, the 2 interior ones are computed during
/// `append` as soon as their frames are complete, leaving 4 edge columns and the linear
/// layers to `encode`; with nil (what the adaptive engine uses) `encode` computes all 6, so
/// the blocks between analyses carry no encoder work. Windows may
/// move by any number of frames (odd shifts pair frames differently; the cache is keyed by
/// the pair's first frame, so both pairings coexist). The result equals
/// `AudioEncoder.forward` on the same window to float rounding (tested within 1e-5).
///
/// Typical use, with a `MelRing` fed by the mono mix:
///
///     ring.push(mono, count: n)
///     while encoder.framesAppended < ring.framesProduced {
///         encoder.append(logMelColumn: ring.column(frame: encoder.framesAppended))
///     }
///     if encoder.isWindowFull && due { encoder.encode(into: zAudio) }
///
/// All memory is allocated in `init`; `append`, `encode` and `reset` are
/// real-time safe.
/// One instance per thread.
public final class StreamingAudioEncoder {
    public let weights: AudioEncoderWeights
    /// Window length in frames (176 in format version 1; even, ≥ 16).
    public let frameCount: Int
    /// Frame pairing computed on `append` (see `init`).
    public let eagerColumnParity: Int?
    /// Frames appended since `reset()`.
    public private(set) var framesAppended = 0
    /// True once a whole window of frames has been appended, i.e. `encode` may be called.
    public var isWindowFull: Bool { framesAppended >= frameCount }
    /// Second-stage columns computed by the last `encode` (4 for a 4-frame shift with eager
    /// columns, 6 without; for tests and benchmarks).
    public private(set) var columnsComputedInLastEncode = 0

    private static let mel = AudioEncoderWeights.melBandCount
    private static let rows = AudioEncoderWeights.melBandCount / 2         // 32 pooled mel rows
    private static let c1 = AudioEncoderWeights.channels1
    private static let c2 = AudioEncoderWeights.channels2
    /// Each channel's 32 pooled mel rows are stored with a zero row above and below, so the
    /// second depthwise convolution needs no boundary tests and runs on unaligned vector loads.
    private static let paddedRows = rows + 2
    private static let featureCount = c1 * paddedRows                    // 1088 per frame / column
    private static let summaryCount = c2 * AudioEncoderWeights.cellRows  // 256 per column

    private let pooledWidth: Int
    private let frameCapacity: Int
    private let columnCapacity: Int
    /// Normalised log-mel, `[frameCapacity][64]`.
    private let xRing: UnsafeMutablePointer<Float>
    /// Interior first-stage features `F[t][c][i] = Σ_{mel pair} relu(pw1(dw1(X)))`,
    /// `[frameCapacity][32 channels][34 padded rows]`.
    private let fRing: UnsafeMutablePointer<Float>
    /// Cached interior column summaries `[columnCapacity][256]`, keyed by pair-start frame.
    private let gCache: UnsafeMutablePointer<Float>
    private let gTag: UnsafeMutablePointer<Int>
    private let gEdge: UnsafeMutablePointer<Float>          // [4][256]
    private let gColumn: UnsafeMutablePointer<UnsafePointer<Float>>  // [pooledWidth]
    private let fEdgeLeft: UnsafeMutablePointer<Float>      // [featureCount]
    private let fEdgeRight: UnsafeMutablePointer<Float>
    private let p1Left: UnsafeMutablePointer<Float>         // pooled column 0 of the window
    private let p1Right: UnsafeMutablePointer<Float>        // pooled column W−1
    private let p1Scratch: UnsafeMutablePointer<Float>      // [3][featureCount]
    private let zeros: UnsafeMutablePointer<Float>          // [featureCount]
    private let d1: UnsafeMutablePointer<Float>             // [64]
    private let columnScratch: UnsafeMutablePointer<Float>  // [64]
    private let d2: UnsafeMutablePointer<Float>             // [32 channels][32 rows]
    private let cellAccumulator: UnsafeMutablePointer<Float> // [256]
    private let cells: UnsafeMutablePointer<Float>          // [1024]
    private let hidden: UnsafeMutablePointer<Float>         // [128]
    private let inverseStd: UnsafeMutablePointer<Float>     // [64]

    /// - Parameters:
    ///   - weights: the encoder.
    ///   - frameCount: window length in frames (even, ≥ 16).
    ///   - eagerColumnParity: which frame pairing to compute as frames arrive, so `encode`
    ///     only finishes the window edges and the first `encode` has no start-up burst.
    ///     0 suits encodes after an even number of frames (the default 4-frame analysis
    ///     hop), 1 after an odd number, nil computes everything lazily in `encode`. Any
    ///     choice gives the same result; it only moves work.
    public init(weights: AudioEncoderWeights, frameCount: Int = 176, eagerColumnParity: Int? = 0) {
        precondition(frameCount >= 16 && frameCount % 2 == 0, "frameCount must be even and ≥ 16")
        precondition(eagerColumnParity == nil || eagerColumnParity == 0 || eagerColumnParity == 1)
        typealias S = StreamingAudioEncoder
        self.eagerColumnParity = eagerColumnParity
        self.weights = weights
        self.frameCount = frameCount
        pooledWidth = frameCount / 2
        frameCapacity = frameCount + 4
        columnCapacity = frameCount + 8
        func zeroed(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        xRing = zeroed(frameCapacity * S.mel)
        fRing = zeroed(frameCapacity * S.featureCount)
        gCache = zeroed(columnCapacity * S.summaryCount)
        gTag = .allocate(capacity: columnCapacity)
        gTag.initialize(repeating: -1, count: columnCapacity)
        gEdge = zeroed(4 * S.summaryCount)
        gColumn = .allocate(capacity: frameCount / 2)
        gColumn.initialize(repeating: UnsafePointer(gEdge), count: frameCount / 2)
        fEdgeLeft = zeroed(S.featureCount)
        fEdgeRight = zeroed(S.featureCount)
        p1Left = zeroed(S.featureCount)
        p1Right = zeroed(S.featureCount)
        p1Scratch = zeroed(3 * S.featureCount)
        zeros = zeroed(S.featureCount)
        d1 = zeroed(S.mel)
        columnScratch = zeroed(S.mel)
        d2 = zeroed(S.c1 * S.rows)
        cellAccumulator = zeroed(S.summaryCount)
        cells = zeroed(AudioEncoderWeights.flatCount)
        hidden = zeroed(AudioEncoderWeights.hiddenCount)
        inverseStd = zeroed(S.mel)
        for m in 0..<S.mel { inverseStd[m] = 1 / weights.melStd.pointer[m] }
    }

    deinit {
        xRing.deallocate(); fRing.deallocate(); gCache.deallocate(); gTag.deallocate()
        gEdge.deallocate(); gColumn.deallocate(); fEdgeLeft.deallocate(); fEdgeRight.deallocate()
        p1Left.deallocate(); p1Right.deallocate(); p1Scratch.deallocate(); zeros.deallocate()
        d1.deallocate(); columnScratch.deallocate(); d2.deallocate(); cellAccumulator.deallocate(); cells.deallocate()
        hidden.deallocate(); inverseStd.deallocate()
    }

    /// Forgets all frames and cached features. Real-time safe.
    public func reset() {
        framesAppended = 0
        columnsComputedInLastEncode = 0
        gTag.update(repeating: -1, count: columnCapacity)
    }

    /// Appends the next log-mel frame.
    /// - Parameter logMelColumn: 64 values in dB (before normalisation), band 0 first.
    public func append(logMelColumn: UnsafePointer<Float>) {
        typealias S = StreamingAudioEncoder
        let t = framesAppended
        let x = xRing + (t % frameCapacity) * S.mel
        let mean = weights.melMean.pointer
        for m in 0..<S.mel { x[m] = (logMelColumn[m] - mean[m]) * inverseStd[m] }
        framesAppended = t + 1
        // Frame t − 1 now has both neighbours: its interior features are final.
        if t >= 2 {
            computeFirstStage(frame: t - 1, zeroLeft: false, zeroRight: false,
                              into: fRing + ((t - 1) % frameCapacity) * S.featureCount)
        }
        // The interior column of pair p needs frames p−2 … p+3: pair t − 4 just became final.
        let p = t - 4
        if let parity = eagerColumnParity, p >= 3, p & 1 == parity {
            let slot = p % columnCapacity
            computeColumnSummary(windowStart: p - 4, column: 2, into: gCache + slot * S.summaryCount)
            gTag[slot] = p
        }
    }

    /// Appends `frameCount` columns stored as a `[64, frameCount]` mel-major matrix (the
    /// layout `AudioEncoder.forward` takes), e.g. to prime the window in one go.
    public func append(logMelMatrix: UnsafePointer<Float>, frames: Int) {
        typealias S = StreamingAudioEncoder
        for t in 0..<frames {
            for m in 0..<S.mel { columnScratch[m] = logMelMatrix[m * frames + t] }
            append(logMelColumn: columnScratch)
        }
    }

    /// Encodes the window made of the last `frameCount` appended frames.
    /// - Precondition: `isWindowFull`.
    /// - Parameter z: receives the 32-D latent.
    public func encode(into z: UnsafeMutablePointer<Float>) {
        typealias S = StreamingAudioEncoder
        precondition(isWindowFull, "encode needs \(frameCount) frames, have \(framesAppended)")
        let f = frameCount, w = pooledWidth, n = S.featureCount
        let s = framesAppended - f
        var computed = 0

        // Window edges: the first and last frame see zero padding instead of a neighbour.
        computeFirstStage(frame: s, zeroLeft: true, zeroRight: false, into: fEdgeLeft)
        computeFirstStage(frame: s + f - 1, zeroLeft: false, zeroRight: true, into: fEdgeRight)
        pairMean(fEdgeLeft, interiorFeatures(frame: s + 1), into: p1Left, count: n)
        pairMean(interiorFeatures(frame: s + f - 2), fEdgeRight, into: p1Right, count: n)

        for j in 0..<w {
            let isEdge = j < 2 || j >= w - 2
            if isEdge {
                let slot = j < 2 ? j : j - (w - 4)
                let g = gEdge + slot * S.summaryCount
                computeColumnSummary(windowStart: s, column: j, into: g)
                gColumn[j] = UnsafePointer(g)
                computed += 1
            } else {
                let pairStart = s + 2 * j
                let slot = pairStart % columnCapacity
                let g = gCache + slot * S.summaryCount
                if gTag[slot] != pairStart {
                    computeColumnSummary(windowStart: s, column: j, into: g)
                    gTag[slot] = pairStart
                    computed += 1
                }
                gColumn[j] = UnsafePointer(g)
            }
        }
        columnsComputedInLastEncode = computed

        // Adaptive pooling over time onto 4 cell columns, rows already summed per cell.
        let cellColumns = AudioEncoderWeights.cellColumns
        let rowsPerCell = S.rows / AudioEncoderWeights.cellRows
        let acc = cellAccumulator
        for q in 0..<cellColumns {
            let x0 = (q * w) / cellColumns
            let x1 = ((q + 1) * w + cellColumns - 1) / cellColumns
            let scale = 1 / Float(rowsPerCell * (x1 - x0))
            let columns = UnsafeRawPointer(gColumn + x0).assumingMemoryBound(to: UnsafePointer<Float>?.self)
            aeq_cell_column(columns, Int32(x1 - x0), scale, acc, cells, Int32(q))
        }
        weights.fc1.forward(cells, into: hidden)
        NN.relu(hidden, count: AudioEncoderWeights.hiddenCount)
        weights.fc2.forward(hidden, into: z)
    }

    // MARK: - Stages

    @inline(__always)
    private func interiorFeatures(frame t: Int) -> UnsafePointer<Float> {
        UnsafePointer(fRing + (t % frameCapacity) * StreamingAudioEncoder.featureCount)
    }

    @inline(__always)
    private func pairMean(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                          into out: UnsafeMutablePointer<Float>, count: Int) {
        aeq_pair_mean(a, b, out, Int32(count))
    }

    /// Pooled first-stage column `j` of the window starting at frame `s` (`[32][34]`,
    /// channel-major, zero rows at both ends).
    @inline(__always)
    private func pooledColumn(windowStart s: Int, column j: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        if j < 0 || j >= pooledWidth { return UnsafePointer(zeros) }
        if j == 0 { return UnsafePointer(p1Left) }
        if j == pooledWidth - 1 { return UnsafePointer(p1Right) }
        pairMean(interiorFeatures(frame: s + 2 * j), interiorFeatures(frame: s + 2 * j + 1),
                 into: scratch, count: StreamingAudioEncoder.featureCount)
        return UnsafePointer(scratch)
    }

    /// dw1 (3×3 over mel × time, zero padded) → pw1 (1→32) → ReLU → sum over mel pairs,
    /// for one frame. `zeroLeft`/`zeroRight` replace the neighbouring frame with padding.
    private func computeFirstStage(frame t: Int, zeroLeft: Bool, zeroRight: Bool,
                                   into out: UnsafeMutablePointer<Float>) {
        typealias S = StreamingAudioEncoder
        let m = S.mel
        let cur = UnsafePointer(xRing + (t % frameCapacity) * m)
        let prev = zeroLeft ? UnsafePointer(zeros) : UnsafePointer(xRing + ((t - 1) % frameCapacity) * m)
        let next = zeroRight ? UnsafePointer(zeros) : UnsafePointer(xRing + ((t + 1) % frameCapacity) * m)
        aeq_first_stage(prev, cur, next, weights.dw1Weight.pointer, weights.dw1Bias.pointer[0],
                        weights.pw1Weight.pointer, weights.pw1Bias.pointer, d1, out)
    }

    /// dw2 (3×3, groups 32, zero padded) → pw2 (32→64) → ReLU → sum over each cell's 8 mel
    /// rows, for pooled column `j`: 256 values `[64 channels][4 cell rows]` (`aeq_column_summary`).
    private func computeColumnSummary(windowStart s: Int, column j: Int, into g: UnsafeMutablePointer<Float>) {
        let n = StreamingAudioEncoder.featureCount
        aeq_column_summary(pooledColumn(windowStart: s, column: j - 1, scratch: p1Scratch),
                           pooledColumn(windowStart: s, column: j, scratch: p1Scratch + n),
                           pooledColumn(windowStart: s, column: j + 1, scratch: p1Scratch + 2 * n),
                           weights.dw2Weight.pointer, weights.dw2Bias.pointer,
                           weights.pw2Weight.pointer, weights.pw2Bias.pointer, d2, g)
    }
}
