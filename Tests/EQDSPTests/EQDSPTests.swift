import AEQTestSupport
import CMallocCounter
import CRetainCounter
import EQDSP
import Foundation
import Testing

@Suite struct CoefficientDesignTests {
    @Test func analyticResponseMatchesScipyGoldens() throws {
        var worst = 0.0
        for c in try RBJGolden.load().cases {
            let settings = try #require(EQSettings(values: c.parameters))
            for (f, expected) in zip(c.frequencies, c.magnitudeDecibels) {
                worst = max(worst, abs(settings.magnitudeDecibels(atFrequency: f, sampleRateHz: c.sampleRate) - expected))
            }
        }
        // Parameters pass through Float, so allow a few micro-decibels.
        #expect(worst < 1e-4, "analytic RBJ response differs from scipy by \(worst) dB")
    }

    @Test func zeroGainBandsAreExactIdentity() {
        for kind in FilterKind.allCases {
            let band = BandParameters(kind: kind, frequencyHz: 1234, gainDecibels: 0, q: 2)
            let k = SVFCoefficients(band, sampleRateHz: 48_000)
            #expect(k.m0 == 1 && k.m1 == 0 && k.m2 == 0)
            #expect(abs(band.magnitudeDecibels(atFrequency: 300, sampleRateHz: 48_000)) < 1e-12)
        }
    }

    @Test func shelvesReachTheirGainAtTheExtremes() {
        let fs = 48_000.0
        let low = BandParameters(kind: .lowShelf, frequencyHz: 200, gainDecibels: 9, q: BandParameters.shelfQ)
        let high = BandParameters(kind: .highShelf, frequencyHz: 2000, gainDecibels: -7, q: BandParameters.shelfQ)
        let peak = BandParameters(kind: .peaking, frequencyHz: 1000, gainDecibels: 6, q: 1)
        #expect(abs(low.magnitudeDecibels(atFrequency: 1, sampleRateHz: fs) - 9) < 0.01)
        #expect(abs(low.magnitudeDecibels(atFrequency: 23_999, sampleRateHz: fs)) < 0.01)
        #expect(abs(high.magnitudeDecibels(atFrequency: 23_999, sampleRateHz: fs) + 7) < 0.01)
        #expect(abs(peak.magnitudeDecibels(atFrequency: 1000, sampleRateHz: fs) - 6) < 1e-9)
        #expect(abs(peak.magnitudeDecibels(atFrequency: 1, sampleRateHz: fs)) < 0.001)
    }

    @Test func negatedGainIsTheExactInverse() {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<50 {
            let s = randomSettings(&rng)
            for b in 0..<5 {
                let band = s.band(b)
                for f in [30.0, 200, 1000, 5000, 15_000] {
                    let sum = band.magnitudeDecibels(atFrequency: f, sampleRateHz: 44_100)
                        + band.inverted.magnitudeDecibels(atFrequency: f, sampleRateHz: 44_100)
                    #expect(abs(sum) < 1e-9)
                }
            }
        }
    }
}

@Suite struct ProcessorTests {
    func impulseResponse(_ settings: EQSettings, sampleRate: Float, frames: Int, blockSize: Int = 512) -> [Float] {
        var p = EQProcessor()
        p.prepare(sampleRateHz: sampleRate, channelCount: 1)
        p.setTargets(settings)
        p.snapToTargets()
        var x = [[Float](repeating: 0, count: frames)]
        x[0][0] = 1
        render(&p, &x, blockSize: blockSize)
        return x[0]
    }

    @Test func impulseMatchesAnalyticRBJWithinATenthOfADecibel() throws {
        var worst = 0.0
        for c in try RBJGolden.load().cases {
            let settings = try #require(EQSettings(values: c.parameters))
            let h = impulseResponse(settings, sampleRate: Float(c.sampleRate), frames: Int(c.sampleRate / 2))
            for (f, expected) in zip(c.frequencies, c.magnitudeDecibels) where f >= 20 {
                worst = max(worst, abs(dtftMagnitudeDecibels(h, frequencyHz: f, sampleRateHz: c.sampleRate) - expected))
            }
        }
        #expect(worst <= 0.1, "processed impulse deviates from the RBJ response by \(worst) dB")
    }

    @Test func flatSettingsPassAudioBitExactly() {
        var rng = SeededGenerator(seed: 1)
        let input = (0..<5000).map { _ in Float.random(in: -1...1, using: &rng) }
        var p = EQProcessor()
        p.prepare(sampleRateHz: 44_100, channelCount: 1)
        p.setTargets(.flat)
        p.snapToTargets()
        var x = [input]
        render(&p, &x, blockSize: 333)
        #expect(x[0] == input)
    }

    /// Output must not depend on the host's block size, even while parameters glide.
    @Test func blockSizeInvariance() {
        var rng = SeededGenerator(seed: 2)
        let input = (0..<20_000).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        let a = randomSettings(&rng), b = randomSettings(&rng)
        func run(_ blockSize: Int) -> [Float] {
            var p = EQProcessor()
            p.prepare(sampleRateHz: 48_000, channelCount: 2)
            p.setTargets(a)
            p.snapToTargets()
            var x = [input, input.reversed()]
            // Change targets at a fixed stream position (split the render there).
            var first = [Array(x[0][..<7_001]), Array(x[1][..<7_001])]
            var second = [Array(x[0][7_001...]), Array(x[1][7_001...])]
            render(&p, &first, blockSize: blockSize)
            p.setTargets(b)
            render(&p, &second, blockSize: blockSize)
            x = [first[0] + second[0], first[1] + second[1]]
            return x[0] + x[1]
        }
        let reference = run(1)
        for size in [64, 512, 4096] {
            let out = run(size)
            let diff = zip(reference, out).map { abs($0 - $1) }.max() ?? 1
            #expect(diff <= 1e-6, "block size \(size) differs from block size 1 by \(diff)")
        }
    }

    @Test func resetReproducesOutput() {
        var rng = SeededGenerator(seed: 5)
        let input = (0..<4000).map { _ in Float.random(in: -1...1, using: &rng) }
        var p = EQProcessor()
        p.prepare(sampleRateHz: 44_100, channelCount: 1)
        p.setTargets(randomSettings(&rng))
        p.snapToTargets()
        var first = [input], second = [input]
        render(&p, &first, blockSize: 256)
        p.reset()
        render(&p, &second, blockSize: 256)
        #expect(first == second)
    }

    @Test func channelsKeepSeparateState() {
        let frames = 4096
        var rng = SeededGenerator(seed: 9)
        let settings = randomSettings(&rng)
        let inputs = (0..<8).map { c in (0..<frames).map { i in c == 3 ? 0 : sinf(Float(i) * 0.01 * Float(c + 1)) } }
        var p = EQProcessor()
        p.prepare(sampleRateHz: 44_100, channelCount: 8)
        p.setTargets(settings)
        p.snapToTargets()
        var all = inputs
        render(&p, &all, blockSize: 100)
        #expect(all[3].allSatisfy { $0 == 0 }, "a silent channel picked up another channel's signal")
        for c in [0, 5, 7] {
            var mono = EQProcessor()
            mono.prepare(sampleRateHz: 44_100, channelCount: 1)
            mono.setTargets(settings)
            mono.snapToTargets()
            var one = [inputs[c]]
            render(&mono, &one, blockSize: 100)
            #expect(one[0] == all[c], "channel \(c) differs from the same signal processed alone")
        }
    }

    @Test(arguments: [8_000.0, 22_050, 44_100, 96_000, 192_000])
    func randomParameterSweepsStayFiniteAndBounded(sampleRate: Double) {
        var rng = SeededGenerator(seed: UInt64(sampleRate))
        var p = EQProcessor()
        p.prepare(sampleRateHz: Float(sampleRate), channelCount: 2)
        p.smoothingTimeMilliseconds = 5
        var peak: Float = 0
        for _ in 0..<60 {
            p.setTargets(randomSettings(&rng))
            var x = (0..<2).map { _ in (0..<1500).map { _ in Float.random(in: -1...1, using: &rng) } }
            render(&p, &x, blockSize: Int.random(in: 1...700, using: &rng))
            peak = max(peak, x.joined().map(abs).max()!)
            #expect(x.joined().allSatisfy { $0.isFinite })
        }
        // Five bands of at most +12 dB each cannot exceed +60 dB on a full-scale input.
        #expect(peak < 1000)
    }

    @Test func nonFiniteInputIsContained() {
        var p = EQProcessor()
        p.prepare(sampleRateHz: 44_100, channelCount: 1)
        var rng = SeededGenerator(seed: 4)
        p.setTargets(randomSettings(&rng))
        p.snapToTargets()
        var x = [(0..<2048).map { i -> Float in
            switch i % 300 { case 7: .nan; case 8: .infinity; case 9: -.infinity; case 10: 1e30; default: 0.1 }
        }]
        render(&p, &x, blockSize: 512)
        #expect(x[0].allSatisfy { $0.isFinite })
    }

    @Test func frequenciesAboveNyquistAreDesignedSafely() {
        let settings = EQSettings { $0 == .highShelfFrequency ? 20_000 : ($0 == .highShelfGain ? 12 : $0.defaultValue) }
        let h = impulseResponse(settings, sampleRate: 8_000, frames: 8_000)
        #expect(h.allSatisfy { $0.isFinite })
        // Designed at 0.48·fs = 3840 Hz: check the response there.
        let band = BandParameters(kind: .highShelf, frequencyHz: 20_000, gainDecibels: 12, q: BandParameters.shelfQ)
        let expected = band.magnitudeDecibels(atFrequency: 3_000, sampleRateHz: 8_000)
        #expect(abs(dtftMagnitudeDecibels(h, frequencyHz: 3_000, sampleRateHz: 8_000) - expected) < 0.1)
    }

    /// EVALUATION.md's click measurement applied to a parameter jump: sines at 100 Hz and
    /// 1 kHz (−12 dBFS each), the whole EQ jumps between two very different settings.
    @Test func parameterJumpsDoNotClick() {
        let fs = 44_100.0
        let n = Int(fs)
        let sine = (0..<n).map { i in
            Float(0.25 * sin(2 * .pi * 100 * Double(i) / fs) + 0.25 * sin(2 * .pi * 1000 * Double(i) / fs))
        }
        let warm = EQSettings(values: [6, 150, 4, 350, 0.9, -2, 1000, 0.7, -4, 3200, 0.8, -8, 7000])!
        let bright = EQSettings(values: [-6, 120, -3, 300, 0.9, 2, 900, 0.8, 8, 2800, 0.9, 10, 5000])!
        var p = EQProcessor()
        p.prepare(sampleRateHz: Float(fs), channelCount: 1)
        p.setTargets(warm)
        p.snapToTargets()
        var a = [Array(sine[..<(n / 2)])], b = [Array(sine[(n / 2)...])]
        render(&p, &a, blockSize: 512)
        p.setTargets(bright)
        render(&p, &b, blockSize: 512)
        let hp = butterworthHighPass4(a[0] + b[0], cutoffHz: 8000, sampleRateHz: fs)
        // Skip the high-pass's own start-up transient; look from 0.1 s to the end.
        let peak = hp[Int(0.1 * fs)...].map(abs).max()!
        let dbfs = 20 * log10(peak)
        #expect(dbfs <= -80, "high-passed peak around the jump is \(dbfs) dBFS")
    }

    @Test func processAllocatesNothingAfterPrepare() throws {
        try #require(aeq_allocation_counting_available() == 1, "allocation counting needs glibc")
        var p = EQProcessor(kinds: [.lowShelf, .peaking, .peaking, .peaking, .highShelf,
                                    .lowShelf, .peaking, .peaking, .peaking, .highShelf])
        p.prepare(sampleRateHz: 44_100, channelCount: 8)
        let frames = 512
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: frames * 8)
        storage.initialize(repeating: 0.1, count: frames * 8)
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: 8)
        for c in 0..<8 { pointers[c] = storage + c * frames }
        defer { storage.deallocate(); pointers.deallocate() }
        var rng = SeededGenerator(seed: 8)
        let targets = (0..<4).map { _ in randomSettings(&rng) }
        // One warm-up pass: the Swift runtime instantiates type metadata lazily on first use.
        for b in 0..<10 { p.setTarget(targets[0].band(b % 5), stage: b) }
        p.process(pointers, frameCount: frames)
        // Count only around the calls under test (the test's own arrays are retained and
        // released around them, e.g. `targets` is released after its last use).
        var allocations: UInt64 = 0, refcount: UInt64 = 0
        for i in 0..<200 {
            let s = targets[i % 4]
            let a0 = aeq_thread_allocation_count(), r0 = aeq_thread_refcount_operations()
            for b in 0..<10 { p.setTarget(s.band(b % 5), stage: b) }
            p.process(pointers, frameCount: frames)
            p.reset()
            allocations += aeq_thread_allocation_count() - a0
            refcount += aeq_thread_refcount_operations() - r0
        }
        #expect(allocations == 0, "process/setTarget/reset allocated \(allocations) times")
        #expect(refcount == 0, "process/setTarget/reset made \(refcount) retain/release calls")
    }
}

/// The retain/release counter used to prove the render path ARC-free must itself work.
@Suite struct RefcountCounterTests {
    final class Box { var value = 0 }

    @inline(never) func keep(_ b: Box, in list: inout [Box]) { list.append(b) }

    @Test func counterSeesRetainsAndReleases() {
        let before = aeq_thread_refcount_operations()
        var list: [Box] = []
        for _ in 0..<10 { keep(Box(), in: &list) }
        list.removeAll()
        #expect(aeq_thread_refcount_operations() - before > 0)
    }
}
