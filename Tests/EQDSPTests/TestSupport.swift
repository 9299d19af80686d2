import AEQTestSupport
import EQDSP
import Foundation

/// Runs `processor` over `channels` (planar, in place) in blocks of `blockSize`.
func render(_ processor: inout EQProcessor, _ channels: inout [[Float]], blockSize: Int) {
    let frames = channels[0].count
    let count = channels.count
    let buffers = channels.map { c -> UnsafeMutablePointer<Float> in
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(c.count, 1))
        p.initialize(from: c, count: c.count)
        return p
    }
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: count)
    var offset = 0
    while offset < frames {
        let n = min(blockSize, frames - offset)
        for c in 0..<count { pointers[c] = buffers[c] + offset }
        processor.process(pointers, frameCount: n)
        offset += n
    }
    for c in 0..<count {
        channels[c] = Array(UnsafeBufferPointer(start: buffers[c], count: frames))
        buffers[c].deallocate()
    }
    pointers.deallocate()
}

struct RBJGolden: Decodable {
    struct Case: Decodable {
        let sampleRate: Double
        let parameters: [Float]
        let frequencies: [Double]
        let magnitudeDecibels: [Double]
    }
    let cases: [Case]

    static func load() throws -> RBJGolden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Goldens/rbj_responses.json")
        return try JSONDecoder().decode(RBJGolden.self, from: Data(contentsOf: url))
    }
}

/// A random valid setting (frequencies and Qs log-uniform).
func randomSettings(_ rng: inout SeededGenerator) -> EQSettings {
    EQSettings { p in
        let r = p.range
        switch p.unit {
        case .decibels: return Float.random(in: r, using: &rng)
        default: return exp(Float.random(in: log(r.lowerBound)...log(r.upperBound), using: &rng))
        }
    }
}

