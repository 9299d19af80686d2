import EQInference

/// A 2-D picture of the model's latent space: the plane of the two principal components of
/// the words' latents, each axis scaled so the words fill −1 … 1.
public struct LatentMap: Sendable {
    public let latentCount: Int
    let mean: [Float]
    /// Two unit axes, `latentCount` values each.
    let axes: [[Float]]
    let scale: [Float]
    /// Each word's position, in vocabulary order.
    public let wordPositions: [(x: Float, y: Float)]

    public init(terms: TermTable) {
        let n = terms.count, d = terms.latentCount
        latentCount = d
        let rows: [[Float]] = (0..<n).map { Array(UnsafeBufferPointer(start: terms.latent(at: $0), count: d)) }
        var mean = [Float](repeating: 0, count: d)
        for r in rows { for j in 0..<d { mean[j] += r[j] / Float(max(n, 1)) } }
        let centred = rows.map { r in (0..<d).map { r[$0] - mean[$0] } }
        var axes: [[Float]] = []
        for _ in 0..<2 { axes.append(Self.principalAxis(centred, orthogonalTo: axes, dimension: d)) }
        let raw = centred.map { r in axes.map { a in zip(r, a).reduce(0) { $0 + $1.0 * $1.1 } } }
        let scale = (0..<2).map { k in max(raw.map { abs($0[k]) }.max() ?? 1, 1e-6) }
        self.mean = mean
        self.axes = axes
        self.scale = scale
        wordPositions = raw.map { (x: $0[0] / scale[0], y: $0[1] / scale[1]) }
    }

    /// Position of a latent vector (`latentCount` values) on the map.
    public func position(of z: UnsafePointer<Float>) -> (x: Float, y: Float) {
        var p: [Float] = [0, 0]
        for k in 0..<2 {
            for j in 0..<latentCount { p[k] += (z[j] - mean[j]) * axes[k][j] }
            p[k] /= scale[k]
        }
        return (p[0], p[1])
    }

    /// The direction of largest variance of `rows` orthogonal to `previous` (power iteration on
    /// the covariance, from a fixed start so the map is the same on every run).
    static func principalAxis(_ rows: [[Float]], orthogonalTo previous: [[Float]], dimension d: Int) -> [Float] {
        var v = (0..<d).map { Float(1) + Float($0) * 0.01 }
        func normalise(_ x: inout [Float]) {
            for p in previous {
                let dot = zip(x, p).reduce(0) { $0 + $1.0 * $1.1 }
                for j in 0..<d { x[j] -= dot * p[j] }
            }
            let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { for j in 0..<d { x[j] /= norm } }
        }
        normalise(&v)
        for _ in 0..<200 {
            var next = [Float](repeating: 0, count: d)
            for r in rows {
                let dot = zip(r, v).reduce(0) { $0 + $1.0 * $1.1 }
                for j in 0..<d { next[j] += dot * r[j] }
            }
            normalise(&next)
            v = next
        }
        return v
    }
}
