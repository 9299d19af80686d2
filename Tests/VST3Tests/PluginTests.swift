import AdaptiveEQ
import AdaptiveEQVST3
import AEQTestSupport
import CMallocCounter
import CVST3
import EQCore
import EQDSP
import Foundation
import Testing

/// The VST3 plugin driven in-process through its interfaces, as hosts drive it, against the
/// host layer (`HostEqualiser`) it renders with.
@Suite(.serialized) struct PluginTests {
    static let rate = 48_000.0
    // Parameter ids (VST3Parameter): controls by table index, manual EQ 100+, read-outs 200+.
    static let term: UInt32 = 0, intensity: UInt32 = 3, mode: UInt32 = 4, bypass: UInt32 = 8
    static let loudnessMatch: UInt32 = 10, appliedG1: UInt32 = 200, loudnessGain: UInt32 = 300

    static func music(channels: Int = 2, seconds: Double = 4, seed: UInt64 = 3) -> [[Float]] {
        var rng = SeededGenerator(seed: seed)
        let n = Int(seconds * rate)
        var out: [[Float]] = []
        for c in 0..<channels {
            let high = Double(2500 + 700 * c)
            var x = [Float](repeating: 0, count: n)
            for i in 0..<n {
                let t = Double(i) / rate
                let tones: Double = 0.2 * sin(2 * .pi * 110 * t) + 0.08 * sin(2 * .pi * high * t)
                x[i] = 0.05 * Float.random(in: -1...1, using: &rng) + Float(tones)
            }
            out.append(x)
        }
        return out
    }

    static func vocabulary() throws -> Vocabulary { try PluginResources.loadVocabulary(folder: resourceFolder) }

    static func defaults(_ v: Vocabulary) -> HostControls {
        var c = HostControls()
        c.term = v.words.firstIndex(of: "warm")!
        c.secondTerm = v.words.firstIndex(of: "bright")!
        return c
    }

    @Test func factoryDescribesOneEffect() {
        let factory = TestPlugin.factory()
        let f = aeq_vtable(factory).assumingMemoryBound(to: aeq_plugin_factory_vtbl.self).pointee
        #expect(f.count_classes(factory) == 1)
        var info = aeq_class_info2()
        #expect(f.get_class_info2(factory, 0, &info) == 0)
        let category = withUnsafeBytes(of: info.category) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let sub = withUnsafeBytes(of: info.sub_categories) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(category == "Audio Module Class" && sub == "Fx|EQ")
        #expect(f.get_class_info2(factory, 1, &info) != 0)
        var object: UnsafeMutableRawPointer? = UnsafeMutableRawPointer(bitPattern: 1)
        let foreign = [UInt8](repeating: 7, count: 16)
        #expect(f.create_instance(factory, foreign, foreign, &object) == -1 && object == nil)
        let plugin = TestPlugin(activate: false)
        var none: UnsafeMutableRawPointer? = UnsafeMutableRawPointer(bitPattern: 1)
        #expect(plugin.c.query_interface(plugin.component, foreign, &none) == -1 && none == nil)
        #expect(plugin.p.get_latency_samples(plugin.processor) == 0)
    }

    @Test func parametersComeFromTheTable() throws {
        let plugin = TestPlugin(activate: false)
        let v = try Self.vocabulary()
        let count = Int(plugin.e.get_parameter_count(plugin.controller))
        #expect(count == ControlParameter.allCases.count + 3 * EQSettings.parameterCount + VST3Parameter.responseBandCount + 1)
        for i in 0..<count {
            let info = try #require(plugin.parameterInfo(i))
            let p = try #require(VST3Parameter(id: info.id))
            #expect(p.index == i)
            // What stepCount says agrees with the table's kind (it avoids `kind` on the audio thread).
            if case .control(let c) = p {
                switch c.kind {
                case .vocabulary: #expect(info.step_count == Int32(v.words.count))  // learnt words + the typed slot
                case .enumeration: #expect(info.step_count == Int32(EqualiserMode.allCases.count - 1))
                case .toggle: #expect(info.step_count == 1)
                case .continuous: #expect(info.step_count == 0)
                }
            }
            #expect(p.isReadOnly == (info.flags & 2 != 0))
            #expect(p.isReadOnly || info.flags & 1 != 0, "Ardour drops parameters it cannot automate")
            // A default reads as the table writes it: hosts pass Float values, and unrounded
            // text showed "1000.00006" Hz or "7.1525574e-07" dB.
            if info.step_count == 0 && !p.isReadOnly {
                let text = try #require(plugin.text(id: info.id, normalized: Double(Float(info.default_normalized_value))))
                #expect(!text.contains("e") && !text.contains("0000"), "\(p.title): default reads '\(text)'")
            }
            // Text and value convert both ways; numbers are plain decimal text.
            for n in stride(from: 0.0, through: 1.0, by: 0.125) {
                let text = try #require(plugin.text(id: info.id, normalized: n))
                if info.step_count == 0 { #expect(Double(text) != nil, "\(text)") }
                guard !p.isReadOnly else { continue }
                let back = try #require(plugin.normalized(id: info.id, text: text), "\(p.title): '\(text)'")
                #expect(plugin.text(id: info.id, normalized: back) == text)
            }
        }
        #expect(plugin.text(id: Self.term, normalized: plugin.normalized(id: Self.term, text: "Bright")!) == "bright")
        #expect(plugin.normalized(id: Self.mode, text: "static") == 0.5)
        #expect(plugin.text(id: Self.bypass, normalized: 1) == "On")
        #expect(plugin.normalized(id: Self.intensity, text: "0.25") == 0.25)
        let gain = UInt32(ControlParameter.outputGain.rawValue)
        let minus3 = try #require(plugin.normalized(id: gain, text: "-3 dB"))
        #expect(plugin.text(id: gain, normalized: Double(Float(minus3))) == "-3")
        #expect(plugin.normalized(id: Self.intensity, text: "loud") == nil)
        #expect(plugin.normalized(id: Self.term, text: "xqzzv") == nil)
        let bypassInfo = try #require(plugin.parameterInfo(Int(Self.bypass)))
        #expect(bypassInfo.flags & (1 << 16) != 0)
    }

    /// Changes at sample offsets take effect at those samples: the plugin renders what the
    /// host layer renders with the blocks cut at the same samples.
    @Test func rendersLikeTheHostLayerWithChangesAtOffsets() throws {
        let input = Self.music()
        let v = try Self.vocabulary()
        let plugin = TestPlugin()
        let block = 512
        // (absolute sample, parameter id, normalised value)
        let bright = try #require(plugin.normalized(id: Self.term, text: "bright"))
        let changes: [(Int, UInt32, Double)] = [
            (20 * block + 100, Self.intensity, 1.0), (40 * block + 300, Self.term, bright),
            (60 * block, Self.mode, 0.5), (80 * block + 511, Self.bypass, 1), (90 * block + 5, Self.bypass, 0),
            (100 * block + 17, Self.mode, 0), (110 * block + 1, Self.intensity, 0.25),
        ]
        let out = Buffers(channels: 2, frames: input[0].count)
        let inBuffers = Buffers(input)
        var start = 0
        while start < input[0].count {
            let n = min(block, input[0].count - start)
            for (at, id, value) in changes where at >= start && at < start + n {
                plugin.input.add(id: id, offset: Int32(at - start), value: value)
            }
            #expect(plugin.process(inBuffers.offset(start), outputs: out.offset(start), frames: n).status == 0)
            start += n
        }
        // The host layer, cut at the change points.
        var host = HostEqualiser(vocabulary: v)
        host.prepare(ProcessSpec(sampleRateHz: Self.rate, maximumBlockFrames: block, channelCount: 2))
        var controls = Self.defaults(v)
        let reference = Buffers(input)
        var cuts = Set(changes.map(\.0))
        for b in stride(from: 0, to: input[0].count, by: block) { cuts.insert(b) }
        cuts.insert(input[0].count)
        let sorted = cuts.sorted()
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            for (at, id, value) in changes where at == a {
                let p = try #require(VST3Parameter(id: id))
                if case .control(.enabled) = p { controls.enabled = value < 0.5 }
                else if case .control(let c) = p {
                    controls.set(c, rawValue: Float(p.plain(value, wordCount: v.words.count + 1)), vocabularyCount: v.words.count)
                }
            }
            host.process(reference.offset(a), frameCount: b - a, controls: controls)
        }
        var largest: Float = 0
        for c in 0..<2 { for i in 0..<input[0].count { largest = max(largest, abs(out.channels[c][i] - reference.channels[c][i])) } }
        #expect(largest <= 1e-6, "largest difference \(largest)")
        // The read-outs follow what is applied.
        #expect(plugin.output.count(id: Self.loudnessGain) <= 1)
    }

    /// No allocation, no retain/release inside `process`, whatever changes: parameters at
    /// offsets, words, modes, bypass, a typed phrase arriving from the main thread.
    @Test func processAllocatesNothing() throws {
        guard aeq_allocation_counting_available() != 0 else { return }
        let plugin = TestPlugin()
        let input = Buffers(Self.music(seconds: 3))
        let words = ["bright", "airy", "boomy", "warm"].map { plugin.normalized(id: Self.term, text: $0)! }
        var start = 0, k = 0
        while start + 256 <= input.frames {
            plugin.input.add(id: Self.intensity, offset: 10, value: Double(k % 11) / 10)
            if k % 7 == 0 { plugin.input.add(id: Self.term, offset: 100, value: words[k / 7 % words.count]) }
            if k % 13 == 0 { plugin.input.add(id: Self.mode, offset: 50, value: k % 26 == 0 ? 0.5 : 0) }
            if k % 17 == 0 { plugin.input.add(id: Self.bypass, offset: 200, value: Double(k / 17 % 2)) }
            if k == 40 {
                // Main thread: a phrase goes into the typed-word slot; the processor takes it.
                let slot = try #require(plugin.normalized(id: Self.term, text: "a bit less muddy"))
                plugin.input.add(id: Self.term, offset: 0, value: slot)
            }
            #expect(plugin.process(input.offset(start), frames: 256).status == 0)
            start += 256
            k += 1
        }
        #expect(plugin.allocations == 0 && plugin.refcounts == 0,
                "process allocated \(plugin.allocations) times, \(plugin.refcounts) retain/release calls")
        for c in input.arrays { #expect(c.allSatisfy { $0.isFinite }) }
    }

    @Test func stateRoundTripsEveryControl() throws {
        let a = TestPlugin()
        let input = Buffers(Self.music(seconds: 1))
        let phrase = try #require(a.normalized(id: Self.term, text: "a bit less muddy"))
        for (id, value) in [(Self.term, phrase), (1, 0.3), (2, 0.4), (Self.intensity, 0.9), (Self.mode, 0.5), (5, 0.2),
                            (6, 0.7), (7, 0.1), (Self.bypass, 1.0), (9, 0.25), (Self.loudnessMatch, 0.0),
                            (100, 0.8), (104, 0.6), (112, 0.3)] as [(UInt32, Double)] {
            a.input.add(id: id, offset: 0, value: value)
        }
        a.process(input.offset(0), frames: 512)
        let saved = a.state()
        #expect(saved.count > 100)
        let decoded = try PluginState(decoding: saved)
        #expect(decoded.word == "a bit less muddy" && decoded.controls.mode == .static && !decoded.controls.enabled)

        let b = TestPlugin()
        #expect(b.setState(saved) == 0)
        #expect(b.state() == saved)
        #expect(b.text(id: Self.term, normalized: b.normalizedValue(id: Self.term)) == "a bit less muddy")
        for id: UInt32 in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 104, 112] {
            #expect(b.text(id: id, normalized: b.normalizedValue(id: id)) == a.text(id: id, normalized: a.normalizedValue(id: id)),
                    "parameter \(id)")
        }
        // Both render the same from the same start.
        for plugin in [a, b] {
            plugin.input.add(id: Self.bypass, offset: 0, value: 0)
            _ = plugin.c.set_active(plugin.component, 0)
            _ = plugin.c.set_active(plugin.component, 1)
        }
        let x = Buffers(Self.music(seconds: 1)), y = Buffers(Self.music(seconds: 1))
        a.process(x.offset(0), frames: 4096)
        b.process(y.offset(0), frames: 4096)
        #expect(x.arrays == y.arrays)
    }

    @Test func damagedOrForeignStateIsRefusedAndChangesNothing() throws {
        let plugin = TestPlugin()
        plugin.input.add(id: Self.intensity, offset: 0, value: 0.33)
        let input = Buffers(Self.music(seconds: 0.1))
        plugin.process(input.offset(0), frames: 256)
        let good = plugin.state()
        for n in 0..<good.count { #expect(plugin.setState(Array(good.prefix(n))) == 1, "prefix \(n)") }
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<300 {
            var bad = good
            let i = Int.random(in: 8..<bad.count, using: &rng)
            bad[i] = UInt8.random(in: 0...255, using: &rng)
            _ = plugin.setState(bad)  // may be valid (another value in range); must not crash
            _ = plugin.setState(good)
        }
        #expect(plugin.setState(Array("not a state at all".utf8)) == 1)
        var other = good
        other[4] = 2  // version 2
        #expect(plugin.setState(other) == 1)
        #expect(plugin.setState(good + [0]) == 1)
        #expect(plugin.state() == good)
        #expect(abs(plugin.normalizedValue(id: Self.intensity) - 0.33) < 1e-6)
    }

    @Test func callsOutOfOrderReturnCodes() throws {
        let idle = TestPlugin(activate: false)
        let x = Buffers(Self.music(seconds: 0.05))
        #expect(idle.process(x.offset(0), frames: 128).status == 5)  // before setActive: not initialised
        #expect(idle.p.can_process_sample_size(idle.processor, 1) == 1)  // 64-bit refused
        #expect(idle.p.can_process_sample_size(idle.processor, 0) == 0)
        var setup64 = aeq_process_setup(process_mode: 0, symbolic_sample_size: 1, max_samples_per_block: 512, sample_rate: 48_000)
        #expect(idle.p.setup_processing(idle.processor, &setup64) == 1)
        var badRate = aeq_process_setup(process_mode: 0, symbolic_sample_size: 0, max_samples_per_block: 512, sample_rate: .nan)
        #expect(idle.p.setup_processing(idle.processor, &badRate) != 0)
        var mono: UInt64 = 1 << 19, stereo: UInt64 = 0x3, five: UInt64 = 0x3F, fiveOut: UInt64 = 0x3F
        #expect(idle.p.set_bus_arrangements(idle.processor, &mono, 1, &stereo, 1) == 1)
        #expect(idle.p.set_bus_arrangements(idle.processor, &five, 1, &fiveOut, 1) == 1)
        var current: UInt64 = 0
        #expect(idle.p.get_bus_arrangement(idle.processor, 1, 0, &current) == 0 && current == stereo)

        let plugin = TestPlugin()
        let saved = plugin.state()
        _ = plugin.c.initialize(plugin.component, nil)  // a second initialize keeps everything
        _ = plugin.e.initialize(plugin.controller, nil)
        #expect(plugin.state() == saved)
        // A flush: no samples, no buses, one parameter change.
        plugin.input.add(id: Self.intensity, offset: 0, value: 0.125)
        var data = aeq_process_data(process_mode: 0, symbolic_sample_size: 0, num_samples: 0, num_inputs: 0,
                                    num_outputs: 0, inputs: nil, outputs: nil,
                                    input_parameter_changes: plugin.input.pointer, output_parameter_changes: nil,
                                    input_events: nil, output_events: nil, process_context: nil)
        #expect(plugin.p.process(plugin.processor, &data) == 0)
        let flushed = try PluginState(decoding: plugin.state())
        #expect(flushed.controls.intensity == 0.125)
        data.symbolic_sample_size = 1
        #expect(plugin.p.process(plugin.processor, &data) == 1)
    }

    @Test func monoInPlaceAndSilence() throws {
        let v = try Self.vocabulary()
        let input = Self.music(channels: 1, seconds: 1)
        let plugin = TestPlugin(channels: 1)
        plugin.input.add(id: Self.mode, offset: 0, value: 0.5)
        plugin.input.add(id: Self.intensity, offset: 0, value: 1)
        plugin.input.add(id: Self.loudnessMatch, offset: 0, value: 0)
        let inPlace = Buffers(input)
        for start in stride(from: 0, to: inPlace.frames, by: 512) {
            plugin.process(inPlace.offset(start), frames: min(512, inPlace.frames - start))
            if start == 0 { #expect(plugin.output.last(id: Self.appliedG1) != nil) }  // the read-outs are sent
        }
        var host = HostEqualiser(vocabulary: v)
        host.prepare(ProcessSpec(sampleRateHz: Self.rate, maximumBlockFrames: 512, channelCount: 1))
        var c = Self.defaults(v)
        c.mode = .static; c.intensity = 1; c.matchesLoudness = false
        let reference = Buffers(input)
        host.process(reference.offset(0), frameCount: reference.frames, controls: c)
        #expect(inPlace.arrays == reference.arrays)
        // The read-outs say what was applied: the static EQ as the target, no correction, and
        // its response at each octave band.
        let warm = v.settings[c.term]
        #expect(abs(plugin.normalizedValue(id: Self.appliedG1) - VST3Parameter.target(.lowShelfGain).normalized(Double(warm.g1), wordCount: 0)) < 1e-6)
        #expect(abs(plugin.normalizedValue(id: 220) - VST3Parameter.correction(.lowShelfGain).normalized(0, wordCount: 0)) < 1e-6)
        for band in 0..<VST3Parameter.responseBandCount {
            let f = VST3Parameter.responseFrequencyHz(band)
            let shown = -36 + 72 * plugin.normalizedValue(id: 240 + UInt32(band))
            #expect(abs(shown - warm.magnitudeDecibels(atFrequency: f, sampleRateHz: Self.rate)) < 1e-3, "\(f) Hz")
        }

        // An input flagged silent is silence, whatever its buffer holds; silent output is flagged.
        let silent = TestPlugin(channels: 1)
        silent.input.add(id: Self.mode, offset: 0, value: 0.5)
        let garbage = Buffers([[Float](repeating: 1, count: 512)])
        let out = Buffers(channels: 1, frames: 512)
        let result = silent.process(garbage.offset(0), outputs: out.offset(0), frames: 512, silenceFlags: 1)
        #expect(result.status == 0 && result.silence == 1)
        #expect(out.arrays[0].allSatisfy { $0 == 0 })
        // A bus whose channel count does not match is passed through, never left unwritten.
        let stereo = TestPlugin(channels: 2)
        let one = Buffers([[Float](repeating: 0.5, count: 64)])
        let dest = Buffers([[Float](repeating: .nan, count: 64)])
        var ins: [UnsafeMutableRawPointer?] = [UnsafeMutableRawPointer(one.channels[0])]
        var outs: [UnsafeMutableRawPointer?] = [UnsafeMutableRawPointer(dest.channels[0])]
        try ins.withUnsafeMutableBufferPointer { i in
            try outs.withUnsafeMutableBufferPointer { o in
                var inBus = aeq_audio_bus_buffers(num_channels: 1, silence_flags: 0, buffers: i.baseAddress)
                var outBus = aeq_audio_bus_buffers(num_channels: 1, silence_flags: 0, buffers: o.baseAddress)
                var data = aeq_process_data(process_mode: 0, symbolic_sample_size: 0, num_samples: 64, num_inputs: 1,
                                            num_outputs: 1, inputs: &inBus, outputs: &outBus, input_parameter_changes: nil,
                                            output_parameter_changes: nil, input_events: nil, output_events: nil,
                                            process_context: nil)
                #expect(stereo.p.process(stereo.processor, &data) == 0)
                _ = try #require(Optional(data))
            }
        }
        #expect(dest.arrays[0] == one.arrays[0])
    }
}

extension TestChanges {
    /// Points the plugin added for `id` in the last block.
    func count(id: UInt32) -> Int {
        for i in 0..<Int(object.pointee.count) where object.pointee.queues[i].id == id {
            return Int(object.pointee.queues[i].count)
        }
        return 0
    }
}

/// docs/VST3.md's parameter table is the one hosts see.
@Suite struct VST3DocsTests {
    static func table() throws -> String {
        let words = try PluginResources.loadVocabulary(folder: resourceFolder).words + ["(typed word)"]
        var lines = ["| id | title (pedalboard name) | units | steps | default | flags |", "|---|---|---|---|---|---|"]
        for p in VST3Parameter.all {
            let name = (p.title + (p.units.isEmpty ? "" : " " + p.units)).lowercased()
                .map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            var flags: [String] = []
            if p.flags & 1 != 0 { flags.append("automatable") }
            if p.flags & 2 != 0 { flags.append("read-only") }
            if p.flags & 8 != 0 { flags.append("list") }
            if p.flags & (1 << 16) != 0 { flags.append("bypass") }
            let steps = p.stepCount(wordCount: words.count)
            let d = p.defaultPlain(words: words)
            let shown = steps > 0 || p.isReadOnly ? (steps > 0 ? (Self.listText(p, d, words)) : "—") : String(Float(d))
            lines.append("| \(p.id) | \(p.title) (`\(name)`) | \(p.units.isEmpty ? "—" : p.units) | \(steps == 0 ? "continuous" : String(steps + 1) + " values") | \(shown) | \(flags.joined(separator: ", ")) |")
        }
        return lines.joined(separator: "\n")
    }

    static func listText(_ p: VST3Parameter, _ plain: Double, _ words: [String]) -> String {
        switch p {
        case .control(.term), .control(.secondTerm): words[Int(plain)]
        case .control(.mode): EqualiserMode(rawValue: Int(plain))!.label
        default: plain >= 0.5 ? "On" : "Off"
        }
    }

    @Test func docsShowTheParameterTable() throws {
        let doc = try String(contentsOfFile: repositoryRoot + "/docs/VST3.md", encoding: .utf8)
        let expected = try Self.table()
        let begin = "<!-- vst3-parameters:begin -->\n", end = "\n<!-- vst3-parameters:end -->"
        let start = try #require(doc.range(of: begin)), stop = try #require(doc.range(of: end))
        let shown = String(doc[start.upperBound..<stop.lowerBound])
        #expect(shown == expected, "docs/VST3.md's table is out of date; it should read:\n\(expected)")
    }
}
