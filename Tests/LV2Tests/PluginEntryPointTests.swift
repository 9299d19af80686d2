import AdaptiveEQ
import AdaptiveEQLV2
import AdaptiveEQLive
import CLV2
import CMallocCounter
import EQDSP
import Foundation
import Testing

/// The plugin driven in-process through its descriptor, as a host would.
@Suite struct PluginEntryPointTests {
    final class Instance {
        let descriptor: UnsafePointer<LV2_Descriptor>
        let handle: LV2_Handle
        let layout: PortLayout
        /// Port values (control inputs and outputs), by port index.
        let ports: UnsafeMutablePointer<Float>

        init(variant: PluginVariant, sampleRate: Double = 48_000) throws {
            descriptor = try #require(lv2Descriptor(UInt32(variant.rawValue)))
            #expect(String(cString: descriptor.pointee.URI) == "\(variant.uri)")
            let features = UnsafeMutablePointer<UnsafePointer<LV2_Feature>?>.allocate(capacity: 1)
            features.initialize(to: nil)
            defer { features.deallocate() }
            let resources = repositoryRoot + "/Sources/AdaptiveEQResources/Resources/"
            handle = try #require(descriptor.pointee.instantiate(descriptor, sampleRate, resources, features))
            layout = variant.layout
            ports = .allocate(capacity: layout.portCount)
            ports.initialize(repeating: -1, count: layout.portCount)
            for i in 0..<layout.portCount {
                switch layout.role(at: i)! {
                case .control(let p): ports[i] = p.defaultValue
                case .manualEQ(let p): ports[i] = p.defaultValue
                default: break
                }
                switch layout.role(at: i)! {
                case .audioInput, .audioOutput: break
                default: descriptor.pointee.connect_port(handle, UInt32(i), ports + i)
                }
            }
            descriptor.pointee.activate(handle)
        }

        deinit {
            descriptor.pointee.deactivate(handle)
            descriptor.pointee.cleanup(handle)
            ports.deallocate()
        }

        func set(_ p: ControlParameter, _ v: Float) { ports[layout.index(of: .control(p))] = v }
        func set(_ p: EQParameter, _ v: Float) { ports[layout.index(of: .manualEQ(p))] = v }

        /// Runs `input` through in blocks of `block` (in place when `inPlace`).
        func render(_ input: [[Float]], block: Int, inPlace: Bool, between: ((Int) -> Void)? = nil) -> [[Float]] {
            let n = input[0].count, channels = input.count
            let ins = input.map { c -> UnsafeMutablePointer<Float> in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(from: c, count: n); return p
            }
            let outs = inPlace ? ins : input.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: n) }
            var done = 0
            while done < n {
                let m = min(block, n - done)
                for c in 0..<channels {
                    descriptor.pointee.connect_port(handle, UInt32(layout.index(of: .audioInput(channel: c))), ins[c] + done)
                    descriptor.pointee.connect_port(handle, UInt32(layout.index(of: .audioOutput(channel: c))), outs[c] + done)
                }
                between?(done)
                descriptor.pointee.run(handle, UInt32(m))
                done += m
            }
            descriptor.pointee.run(handle, 0)
            let result = outs.map { Array(UnsafeBufferPointer(start: $0, count: n)) }
            ins.forEach { $0.deallocate() }
            if !inPlace { outs.forEach { $0.deallocate() } }
            return result
        }

        func output(_ role: PortRole) -> Float { ports[layout.index(of: role)] }
    }

    /// Index of `word` in the vocabulary the in-process plugin loads.
    static func index(_ word: String) throws -> Int {
        let vocabulary = try #require(loadVocabulary(bundlePath: repositoryRoot + "/Sources/AdaptiveEQResources/Resources/"))
        return try #require(vocabulary.words.firstIndex(of: word))
    }

    @Test(arguments: [EqualiserMode.static, .adaptive])
    func anyBlockSizeInPlaceOrNotGivesTheSameOutput(mode: EqualiserMode) throws {
        let input = Audio.testSignal(sampleRate: 48_000, channels: 2, seconds: 0.6, seed: 3).channels
        var reference: [[Float]]?
        for (block, inPlace) in [(1, false), (37, true), (512, false), (4096, true), (24_000, false), (30_000, true)] {
            let plugin = try Instance(variant: .stereo)
            plugin.set(.mode, Float(mode.rawValue)); plugin.set(.term, Float(try Self.index("bright")))
            plugin.set(.intensity, 0.8)
            let out = plugin.render(input, block: block, inPlace: inPlace)
            if let reference {
                let error = zip(out, reference).map { maxAbsDifference($0, $1) }.max()!
                #expect(error <= 1e-6, "\(mode.label), block \(block), in place \(inPlace): differs by \(error)")
            } else {
                reference = out
                let change = zip(out, input).map { maxAbsDifference($0, $1) }.max()!
                #expect(change > 1e-3, "\(mode.label) should change the signal")
            }
            #expect(plugin.output(.latency) == 0)
        }
    }

    @Test func outputPortsReportTheAppliedEQ() throws {
        let plugin = try Instance(variant: .mono)
        plugin.set(.mode, 2)
        var manual = EQSettings.flat
        manual.g2 = 4; manual.f2 = 440; manual.q2 = 2; manual.g5 = -3; manual.f5 = 6000
        for p in EQParameter.allCases { plugin.set(p, manual[p]) }
        _ = plugin.render([[Float](repeating: 0, count: 64)], block: 64, inPlace: false)
        for p in EQParameter.allCases {
            #expect(abs(plugin.output(.targetEQ(p)) - manual[p]) <= 1e-3 * max(1, abs(manual[p])), "\(p.symbol)")
            #expect(plugin.output(.correctionEQ(p)) == EQSettings.flat[p], "\(p.symbol)")
        }
        for band in 0..<PortLayout.responseBandCount {
            let f = PortLayout.responseFrequencyHz(band)
            let expected = manual.magnitudeDecibels(atFrequency: f, sampleRateHz: 48_000)
            #expect(abs(Double(plugin.output(.appliedResponse(band: band))) - expected) < 0.01, "\(f) Hz")
        }
        #expect(plugin.output(.latency) == 0)
    }

    /// Adaptive mode: the correction read-outs carry the share of the colouration being
    /// undone, and the response read-outs the target followed by its inverse.
    @Test func adaptiveReadOutsSeparateTargetAndCorrection() throws {
        // The response read-outs are re-evaluated every 2048 frames: end on a block that
        // re-evaluates them (blocks 0, 8, 16, … of 256 frames), so they and the EQ read-outs
        // describe the same moment.
        let frames = 256 * (8 * 35 + 1)
        let input = Audio.testSignal(sampleRate: 48_000, channels: 2, seconds: 2, seed: 3).channels.map { Array($0[..<frames]) }
        let plugin = try Instance(variant: .stereo)
        plugin.set(.mode, 0); plugin.set(.intensity, 1)
        _ = plugin.render(input, block: 256, inPlace: false)
        var target = EQSettings.flat, correction = EQSettings.flat
        for p in EQParameter.allCases {
            target[p] = plugin.output(.targetEQ(p))
            correction[p] = plugin.output(.correctionEQ(p))
        }
        #expect(correction != .flat, "at intensity 1 the engine undoes some colouration")
        for band in 0..<PortLayout.responseBandCount {
            let f = PortLayout.responseFrequencyHz(band)
            let expected = target.magnitudeDecibels(atFrequency: f, sampleRateHz: 48_000)
                - correction.magnitudeDecibels(atFrequency: f, sampleRateHz: 48_000)
            #expect(abs(Double(plugin.output(.appliedResponse(band: band))) - expected) < 0.01, "\(f) Hz")
        }
    }

    @Test func intensityZeroIsAnExactNull() throws {
        let input = Audio.testSignal(sampleRate: 44_100, channels: 2, seconds: 0.3, seed: 5).channels
        let plugin = try Instance(variant: .stereo)
        plugin.set(.mode, 1); plugin.set(.intensity, 0)
        let out = plugin.render(input, block: 256, inPlace: false)
        #expect(zip(out, input).map { maxAbsDifference($0, $1) }.max()! == 0)
    }

    /// Toggling `enabled` and jumping the output gain crossfade smoothly: on a slow sine the
    /// output never moves between samples by more than the louder of the equalised and the
    /// dry sine does on its own (a step would show as a jump far above both).
    @Test func bypassAndGainChangesAreClickFree() throws {
        let rate = 48_000, n = rate / 2
        let sine = (0..<n).map { Float(0.5 * sin(2 * Double.pi * 100 * Double($0) / Double(rate))) }
        func largestStep(_ x: [Float]) -> Float {
            var worst: Float = 0
            for i in 1..<x.count { worst = max(worst, abs(x[i] - x[i - 1])) }
            return worst
        }
        func configured() throws -> Instance {
            let plugin = try Instance(variant: .mono)
            plugin.set(.mode, 1); plugin.set(.intensity, 1)
            plugin.set(.term, Float(try PluginEntryPointTests.index("boomy")))  // a strong low boost
            return plugin
        }
        let steady = try configured().render([sine], block: 128, inPlace: false)[0]
        let plugin = try configured()
        let out = plugin.render([sine], block: 128, inPlace: false) { offset in
            if offset == 128 * 40 { plugin.set(.enabled, 0) }
            if offset == 128 * 90 { plugin.set(.enabled, 1) }
            if offset == 128 * 140 { plugin.set(.outputGain, -12) }
        }[0]
        let worstStep = largestStep(out), bound = max(largestStep(steady), largestStep(sine))
        print("bypass/gain changes: largest sample-to-sample step \(worstStep) (equalised or dry sine alone: \(bound))")
        #expect(worstStep <= bound * 1.05)
        // While bypassed the output is the input.
        #expect(maxAbsDifference(Array(out[128 * 70..<128 * 85]), Array(sine[128 * 70..<128 * 85])) == 0)
    }

    /// Switching between adaptive and static mode crossfades: around each switch the output's
    /// second difference (which a click or step would spike) stays within what the
    /// equalised sines show elsewhere.
    @Test func modeSwitchesAreClickFree() throws {
        let rate = 44_100, n = 3 * rate
        let x = (0..<n).map { i -> Float in
            let t = Double(i) / Double(rate)
            return Float(0.25 * sin(2 * .pi * 100 * t) + 0.25 * sin(2 * .pi * 1000 * t))
        }
        let plugin = try Instance(variant: .mono, sampleRate: Double(rate))
        plugin.set(.mode, 1); plugin.set(.intensity, 1); plugin.set(.term, Float(try Self.index("bright")))
        let switches = [rate, 2 * rate]  // static → adaptive at 1 s, back at 2 s
        let out = plugin.render([x], block: 441, inPlace: false) { offset in
            if offset == switches[0] { plugin.set(.mode, 0) }
            if offset == switches[1] { plugin.set(.mode, 1) }
        }[0]
        func second(_ i: Int) -> Float { abs(out[i] - 2 * out[i - 1] + out[i - 2]) }
        let window = rate / 20
        var near: Float = 0, elsewhere: Float = 0
        for i in (rate / 10)..<n {
            let close = switches.contains { abs(i - $0) < window }
            if close { near = max(near, second(i)) } else if switches.allSatisfy({ abs(i - $0) > 2 * window }) {
                elsewhere = max(elsewhere, second(i))
            }
        }
        print("mode switches: largest second difference near a switch \(near), elsewhere \(elsewhere)")
        #expect(near <= 1.5 * elsewhere)
    }

    /// `run` never allocates: after the first block, render with every kind of change
    /// (words, intensity, mode switches with their crossfades, bypass, gain, odd and huge
    /// blocks, frame count 0) and count the allocator calls on this thread.
    @Test(.enabled(if: aeq_allocation_counting_available() != 0))
    func runDoesNotAllocate() throws {
        let input = Audio.testSignal(sampleRate: 44_100, channels: 2, seconds: 1.5, seed: 11).channels
        let plugin = try Instance(variant: .stereo, sampleRate: 44_100)
        let bright = Float(try Self.index("bright"))
        _ = plugin.render(input.map { Array($0.prefix(512)) }, block: 512, inPlace: false)
        var allocations: UInt64 = 0
        var last: UInt64 = 0
        var perBlock = [UInt64](repeating: 0, count: input[0].count / 300 + 2)
        _ = plugin.render(input, block: 300, inPlace: true) { offset in
            if offset == 0 { last = aeq_thread_allocation_count() }
            switch offset / 300 {
            case 20: plugin.set(.term, bright)
            case 40: plugin.set(.mode, 1)
            case 50: plugin.set(.loudnessMatch, 0)
            case 55: plugin.set(.loudnessMatch, 1)
            case 60: plugin.set(.enabled, 0)
            case 80: plugin.set(.enabled, 1); plugin.set(.outputGain, -6)
            case 100: plugin.set(.mode, 2); plugin.set(EQParameter.lowShelfGain, -6)
            case 120: plugin.set(.mode, 0); plugin.set(.intensity, 0.3); plugin.set(.analysisInterval, 20)
            case 130: plugin.set(.correctionLimit, 0); plugin.set(.loudnessMatch, 0)
            default: break
            }
            let now = aeq_thread_allocation_count()
            allocations += now - last
            perBlock[offset / 300] = now - last  // (the array is written, never grown)
            last = now
        }
        // The render helper allocates its own buffers only before the first and after the
        // last callback, so every counted call came from `run`.
        let where_ = perBlock.enumerated().filter { $0.1 > 0 }.map { "before block \($0.0): \($0.1)" }
        #expect(allocations == 0, "run allocated \(allocations) times (\(where_.joined(separator: ", ")))")
    }

    @Test func generatedTTLCoversEveryPort() throws {
        let words = try staticTerms().terms.map(\.word)
        let ttl = PluginTTL.plugins(vocabulary: words)
        for variant in PluginVariant.allCases {
            #expect(ttl.contains("<\(variant.uri)>"))
            for i in 0..<variant.layout.portCount { #expect(ttl.contains("lv2:index \(i) ;")) }
        }
        for word in words { #expect(ttl.contains("rdfs:label \"\(word)\"")) }
        #expect(ttl.contains("lv2:designation lv2:enabled"))
        #expect(ttl.contains("lv2:designation lv2:latency"))
        #expect(!ttl.contains("AtomPort"))
    }
}
