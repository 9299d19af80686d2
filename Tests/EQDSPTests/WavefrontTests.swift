import AEQTestSupport
import CKernels
import EQDSP
import Foundation
import Testing

/// The processor runs a chain as a wavefront with stages and channels packed into SIMD lanes
/// in a layout that depends on the channel count. These tests pin its output to a plain
/// stage-by-stage cascade and to itself across layouts.
@Suite struct WavefrontTests {
    static let kindsCycle: [FilterKind] = [.lowShelf, .peaking, .highShelf, .peaking]

    /// Plain per-channel, stage-after-stage SVF cascade with fixed coefficients (the processor
    /// at rest), through the same tick as the processor, one filter in one lane.
    static func reference(_ input: [Float], _ coefficients: [SVFCoefficients]) -> [Float] {
        var ic1 = [SIMD4<Float>](repeating: .zero, count: coefficients.count), ic2 = ic1
        return input.map { sample in
            var x = SIMD4<Float>(repeating: sample)
            for (s, k) in coefficients.enumerated() {
                let (v1, v2) = svfTick(x, ic1: &ic1[s], ic2: &ic2[s], a1: .init(repeating: k.a1),
                                       a2: .init(repeating: k.a2), a3: .init(repeating: k.a3))
                x = k.m0 * x + k.m1 * v1 + k.m2 * v2
            }
            return x[0]
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 8])
    func everyLayoutMatchesAPlainCascadeAtRest(channels: Int) {
        var rng = SeededGenerator(seed: UInt64(40 + channels))
        for stages in [1, 2, 3, 5, 6, 7, 10] {
            let kinds = (0..<stages).map { Self.kindsCycle[$0 % Self.kindsCycle.count] }
            let bands = kinds.map { kind in
                BandParameters(kind: kind, frequencyHz: exp(Float.random(in: log(40)...log(15_000), using: &rng)),
                               gainDecibels: Float.random(in: -12...12, using: &rng),
                               q: Float.random(in: 0.4...4, using: &rng))
            }
            var p = EQProcessor(kinds: kinds)
            p.prepare(sampleRateHz: 48_000, channelCount: channels)
            for (s, b) in bands.enumerated() { p.setTarget(b, stage: s) }
            p.snapToTargets()
            let inputs = (0..<channels).map { _ in (0..<3000).map { _ in Float.random(in: -1...1, using: &rng) } }
            var out = inputs
            render(&p, &out, blockSize: 37)
            // Designed from the parameters as the processor holds them (frequency and Q in log₂).
            let coefficients = (0..<stages).map { SVFCoefficients(p.currentBand(stage: $0), sampleRateHz: 48_000) }
            for c in 0..<channels {
                let expected = Self.reference(inputs[c], coefficients)
                let diff = zip(expected, out[c]).map { abs($0 - $1) }.max() ?? 1
                #expect(diff <= 1e-6, "\(channels) channels, \(stages) stages, channel \(c): differs by \(diff)")
            }
        }
    }

    /// While gliding (coefficients ramp per sample) and with inverse pairs switching between
    /// identity and active, each channel's output is the same whatever lane layout the
    /// channel count selects, and whatever the block sizes.
    @Test func glidingOutputIsTheSameInEveryLayout() {
        var rng = SeededGenerator(seed: 77)
        let kinds: [FilterKind] = [.lowShelf, .lowShelf, .peaking, .peaking, .peaking, .peaking,
                                   .peaking, .peaking, .highShelf, .highShelf]
        let frames = 9000
        let signal = (0..<frames).map { _ in Float.random(in: -1...1, using: &rng) }
        // Target changes at fixed positions: random settings, then mirrored pairs (identity).
        let changes: [(Int, [BandParameters])] = (0..<6).map { k in
            let mirrored = k % 2 == 1
            var bands: [BandParameters] = []
            for s in stride(from: 0, to: kinds.count, by: 2) {
                let b = BandParameters(kind: kinds[s], frequencyHz: exp(Float.random(in: log(60)...log(12_000), using: &rng)),
                                       gainDecibels: Float.random(in: -12...12, using: &rng), q: Float.random(in: 0.5...3, using: &rng))
                bands.append(b)
                bands.append(mirrored ? b.inverted : BandParameters(kind: kinds[s + 1], frequencyHz: b.frequencyHz * 1.5,
                                                                    gainDecibels: -b.gainDecibels / 2, q: b.q))
            }
            return (k * 1500, bands)
        }
        func run(channels: Int, blockSizes: [Int]) -> [[Float]] {
            var p = EQProcessor(kinds: kinds, cancelsInversePairs: true)
            p.prepare(sampleRateHz: 44_100, channelCount: channels)
            // Short glides, so mirrored pairs land (and pass audio through) within a segment.
            p.smoothingTimeMilliseconds = 1
            var x = (0..<channels).map { c in c % 2 == 0 ? signal : signal.map { -$0 } }
            var out = x.map { _ in [Float]() }
            var position = 0, block = 0, change = 0
            while position < frames {
                if change < changes.count, changes[change].0 == position {
                    for (s, b) in changes[change].1.enumerated() { p.setTarget(b, stage: s) }
                    change += 1
                }
                let next = change < changes.count ? changes[change].0 : frames
                let n = min(blockSizes[block % blockSizes.count], next - position)
                var part = x.map { Array($0[position..<(position + n)]) }
                render(&p, &part, blockSize: n)
                for c in 0..<channels { out[c] += part[c] }
                position += n
                block += 1
            }
            x = out
            return x
        }
        let mono = run(channels: 1, blockSizes: [512])[0]
        #expect(mono != signal, "the chain did nothing")
        // The last segment has every pair mirrored: once landed, the chain passes audio exactly.
        let leftOver = zip(mono[(frames - 600)...], signal[(frames - 600)...]).filter { $0 != $1 }.count
        #expect(leftOver == 0, "mirrored pairs did not pass audio through (\(leftOver) samples differ)")
        for (channels, sizes) in [(2, [1, 7, 300]), (3, [64]), (5, [4096, 5]), (8, [129, 33])] {
            let out = run(channels: channels, blockSizes: sizes)
            for c in 0..<channels {
                // Odd channels carry the negated signal: a linear filter in IEEE arithmetic
                // (rounding is symmetric) returns exactly the negated output.
                let expected = c % 2 == 0 ? mono : mono.map { -$0 }
                let differing = zip(out[c], expected).filter { $0 != $1 }.count
                #expect(differing == 0, "\(channels) channels: channel \(c) differs from mono in \(differing) samples")
            }
        }
    }

    /// The sample loop is built for baseline x86-64 and for AVX2 (chosen at start-up): both
    /// copies give the same bits, gliding, with inverse pairs, in every lane layout.
    @Test(.enabled(if: aeq_kernels_set_wide(1) == 1, "the processor has no AVX2"))
    func bothKernelCopiesGiveTheSameBits() {
        var rng = SeededGenerator(seed: 5)
        let kinds: [FilterKind] = [.lowShelf, .lowShelf, .peaking, .peaking, .peaking, .peaking,
                                   .peaking, .peaking, .highShelf, .highShelf]
        let frames = 6000
        for channels in [1, 2, 3, 8] {
            let input = (0..<channels).map { _ in (0..<frames).map { _ in Float.random(in: -1...1, using: &rng) } }
            let targets = (0..<3).map { _ in
                kinds.map { BandParameters(kind: $0, frequencyHz: exp(Float.random(in: log(60)...log(12_000), using: &rng)),
                                           gainDecibels: Float.random(in: -12...12, using: &rng),
                                           q: Float.random(in: 0.5...3, using: &rng)) }
            }
            func renderAll(wide: Int32) -> [[Float]] {
                #expect(aeq_kernels_set_wide(wide) == wide)
                defer { aeq_kernels_set_wide(1) }
                var p = EQProcessor(kinds: kinds, cancelsInversePairs: true)
                p.prepare(sampleRateHz: 48_000, channelCount: channels)
                var out = input.map { _ in [Float]() }
                for (k, bands) in targets.enumerated() {
                    for (s, b) in bands.enumerated() { p.setTarget(k == 1 && s % 2 == 1 ? bands[s - 1].inverted : b, stage: s) }
                    var part = input.map { Array($0[(k * 2000)..<((k + 1) * 2000)]) }
                    render(&p, &part, blockSize: 300)
                    for c in 0..<channels { out[c] += part[c] }
                }
                return out
            }
            let baseline = renderAll(wide: 0), wide = renderAll(wide: 1)
            for c in 0..<channels {
                let differing = zip(baseline[c], wide[c]).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "\(channels) channels, channel \(c): \(differing) samples differ")
                #expect(baseline[c] != input[c], "the chain did nothing")
            }
        }
    }
}
