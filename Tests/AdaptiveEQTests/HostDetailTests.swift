import AEQTestSupport
import AdaptiveEQ
import CKernels
import CMallocCounter
import CRetainCounter
import EQDSP
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The reference-matching detail stage in the host layer: applies the designed response,
/// costs nothing and changes nothing while flat, renders the same for every block size, and
/// neither allocates nor retains.
@Suite struct HostDetailTests {
    static let eq = EQSettings(values: [3, 120, -4, 400, 1.2, 2, 1500, 0.8, -3, 4000, 2, 4, 9000])!
    /// Jagged gains over 100 Hz … 10 kHz (filters 4 … 24).
    static let detail = MatchingDetail(gainsDecibels: SIMD32((0..<32).map { b in
        (4...24).contains(b) ? Float([5, -4, 3, -6, 2, 0, -3][b % 7]) : 0
    }))

    func controls(_ detail: MatchingDetail, eq: EQSettings = eq) -> HostControls {
        var c = HostControls()
        c.mode = .manual
        c.manual = eq
        c.matchingDetail = detail
        return c
    }

    /// Renders mono `x` through `host` in blocks of `blockSize`, with `controlsAt(frame)` for
    /// the block starting at each frame.
    func render(_ host: inout HostEqualiser, _ x: [Float], blockSize: Int, controlsAt: (Int) -> HostControls) -> [Float] {
        var y = x
        y.withUnsafeMutableBufferPointer { b in
            var p = b.baseAddress!
            var position = 0
            while position < x.count {
                let n = min(blockSize, x.count - position)
                var channel = p
                withUnsafePointer(to: &channel) { host.process($0, frameCount: n, controls: controlsAt(position)) }
                p += n
                position += n
            }
        }
        return y
    }

    /// Subnormal input (a tail fading out upstream) is read as zero while the host renders, so
    /// it neither costs the slow path per sample nor comes out subnormal; the caller's thread
    /// gets its floating-point state back.
    @Test func subnormalInputComesOutAsZerosAndTheThreadStateIsKept() {
        var rng = SeededGenerator(seed: 7)
        let x = (0..<48_000).map { _ in Float.random(in: -1...1, using: &rng) * 1e-39 }
        #expect(x.contains { $0 != 0 && $0.isSubnormal })
        let stateBefore = aeq_denormals_off()
        aeq_denormals_restore(stateBefore)
        var host = HostEqualiser(vocabulary: [])
        host.prepare(sampleRateHz: 48_000, channelCount: 1)
        let y = render(&host, x, blockSize: 512) { _ in controls(.flat) }
        let stateAfter = aeq_denormals_off()
        aeq_denormals_restore(stateAfter)
        #expect(stateAfter == stateBefore)
        let subnormal = y.filter { $0 != 0 && $0.isSubnormal }.count
        #expect(subnormal == 0, "\(subnormal) subnormal output samples")
    }

    @Test(arguments: [44_100.0, 48_000, 96_000])
    func appliesTheProductOfThePeakingResponses(sampleRateHz fs: Double) {
        var host = HostEqualiser(vocabulary: [])
        host.prepare(sampleRateHz: fs, channelCount: 1)
        var impulse = [Float](repeating: 0, count: 1 << 15)
        impulse[0] = 1
        let y = render(&host, impulse, blockSize: 512) { _ in controls(Self.detail) }
        for k in 0..<60 {
            let f = 30 * pow(600, Double(k) / 59)  // 30 Hz … 18 kHz
            let analytic = (0..<MatchingDetail.bandCount).reduce(Self.eq.magnitudeDecibels(atFrequency: f, sampleRateHz: fs)) {
                $0 + Self.detail.band($1).magnitudeDecibels(atFrequency: f, sampleRateHz: fs)
            }
            let measured = dtftMagnitudeDecibels(y, frequencyHz: f, sampleRateHz: fs)
            #expect(abs(measured - analytic) < 0.1, "\(f) Hz at \(fs): measured \(measured), analytic \(analytic) dB")
        }
    }

    /// With a flat detail the host renders exactly what the 5-band processor alone does; and
    /// once a detail has glided back to flat, the output is again bit for bit that render.
    @Test func aFlatDetailIsBitIdentical() {
        var rng = SeededGenerator(seed: 5)
        let x = (0..<60_000).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        var plain = EQProcessor()
        plain.prepare(sampleRateHz: 44_100, channelCount: 1)
        plain.setTargets(Self.eq)
        plain.snapToTargets()
        var expected = x
        expected.withUnsafeMutableBufferPointer { b in
            var p = b.baseAddress!
            withUnsafePointer(to: &p) { plain.process($0, frameCount: x.count) }
        }
        var host = HostEqualiser(vocabulary: [])
        host.prepare(sampleRateHz: 44_100, channelCount: 1)
        let same = render(&host, x, blockSize: 441) { _ in controls(.flat) } == expected
        #expect(same)

        // On from 0.1 s to 0.3 s (20 ms glides, which land within 0.25 s), flat again by 1 s.
        var other = HostEqualiser(vocabulary: [])
        other.prepare(sampleRateHz: 44_100, channelCount: 1)
        let y = render(&other, x, blockSize: 441) {
            var c = controls($0 >= 4410 && $0 < 13_230 ? Self.detail : .flat)
            c.smoothingTimeMilliseconds = 20
            return c
        }
        let before = y[0..<4410] == expected[0..<4410], during = y[4410..<13_230] != expected[4410..<13_230]
        let firstDifference = (44_100..<x.count).first { y[$0] != expected[$0] }
        #expect(before && during)
        #expect(firstDifference == nil, "differs at frame \(firstDifference ?? 0): \(y[firstDifference ?? 0]) vs \(expected[firstDifference ?? 0])")
    }

    /// The same output for blocks of 1, 64, 96, 512 and 4096 frames, with the detail coming
    /// in mid-stream, moving, leaving (gliding back and stopping) and coming in again; the
    /// controls change every 12 288 frames, where every block size starts a block. (96 does
    /// not divide the 256-frame smoothing grid: a stage that stopped off the grid and
    /// restarted there would glide on a different grid than with the other sizes.)
    @Test func blockSizeInvariance() {
        var rng = SeededGenerator(seed: 9)
        let segment = 12_288
        let x = (0..<(segment * 6)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        let other = Self.detail.scaled(by: -0.7)
        // 20 ms glides land within 10 240 frames: flat from segment 3 on, the stage has
        // stopped before it starts again in segment 4.
        func controlsAt(_ frame: Int) -> HostControls {
            var c: HostControls
            switch frame / segment {
            case 0: c = controls(.flat)
            case 1: c = controls(Self.detail)
            case 2: c = controls(other)
            case 3: c = controls(.flat)
            default: c = controls(Self.detail, eq: .flat)
            }
            c.smoothingTimeMilliseconds = 20
            return c
        }
        let sizes = [1, 64, 96, 512, 4096]
        var outputs: [[Float]] = []
        for blockSize in sizes {
            var host = HostEqualiser(vocabulary: [])
            host.prepare(sampleRateHz: 48_000, channelCount: 1)
            outputs.append(render(&host, x, blockSize: blockSize, controlsAt: controlsAt))
        }
        for (i, y) in outputs.enumerated().dropFirst() {
            let first = y.indices.first { y[$0] != outputs[0][$0] }
            #expect(first == nil, "block size \(sizes[i]) differs from frame \(first ?? 0)")
        }
    }

    @Test func renderingWithADetailNeitherAllocatesNorRetains() throws {
        try #require(aeq_allocation_counting_available() == 1, "allocation counting needs glibc")
        var host = HostEqualiser(vocabulary: [])
        host.prepare(ProcessSpec(sampleRateHz: 48_000, maximumBlockFrames: 512, channelCount: 2))
        let frames = 512
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: 2 * frames)
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: 2)
        pointers[0] = storage; pointers[1] = storage + frames
        defer { storage.deallocate(); pointers.deallocate() }
        var rng = SeededGenerator(seed: 3)
        var allocations: UInt64 = 0, refcount: UInt64 = 0
        for block in 0..<400 {
            for i in 0..<(2 * frames) { storage[i] = Float.random(in: -0.5...0.5, using: &rng) }
            // On, moving, off (gliding back to flat and stopping), on again, bypassed, reset.
            let detail = block < 50 ? MatchingDetail.flat : block < 150 ? Self.detail
                : block < 200 ? Self.detail.scaled(by: 0.3) : block < 300 ? .flat : Self.detail
            var c = controls(detail)
            c.enabled = block < 350 || block > 370
            let a0 = aeq_thread_allocation_count(), r0 = aeq_thread_refcount_operations()
            host.process(pointers, frameCount: frames, controls: c)
            if block == 390 { host.reset() }
            allocations += aeq_thread_allocation_count() - a0
            refcount += aeq_thread_refcount_operations() - r0
        }
        #expect(allocations == 0, "process allocated \(allocations) times with a detail")
        #expect(refcount == 0, "process made \(refcount) retain/release calls with a detail")
    }
}
