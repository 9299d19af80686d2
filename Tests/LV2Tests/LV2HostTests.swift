import AdaptiveEQ
import AdaptiveEQLV2
import AdaptiveEQLive
import AudioFile
import CLV2
import CMallocCounter
import EQDSP
import Foundation
import Testing

// Host tests start real programs: lv2_validate, lv2info, lv2apply, jackd (dummy driver),
// jalv, jack_simple_client, jack_rec and `adaptive-eq live`. Each is enabled only when its
// host programs are installed (scripts/setup.sh installs them all), and they run one at a
// time so JACK timing is not disturbed by a sibling test.

private let jackTools = ["jackd", "jack_wait", "jack_lsp", "jack_connect", "jack_simple_client", "jack_rec"]
private let haveJalv = (jackTools + ["jalv"]).allSatisfy(hostAvailable)
private let haveJack = jackTools.allSatisfy(hostAvailable)

/// The manual EQ the JACK tests apply: low shelf −6 dB at 1 kHz, everything else flat.
private let manualLowShelf: EQSettings = {
    var s = EQSettings.flat
    s.g1 = -6
    s.f1 = 1000
    return s
}()

@Suite(.serialized) struct LV2HostTests {
    func bundle() throws -> String {
        switch lv2BundleFolder {
        case .success(let folder): return folder
        case .failure(let error): throw error
        }
    }

    @Test(.enabled(if: hostAvailable("lv2_validate") && hostAvailable("sord_validate")))
    func generatedTTLValidates() throws {
        let folder = try bundle() + "/adaptive-eq.lv2"
        let result = try run("lv2_validate", [folder + "/manifest.ttl", folder + "/adaptive-eq.ttl"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Found 0 errors"), "\(result.stdout)")
    }

    @Test(.enabled(if: hostAvailable("lv2info")))
    func lv2infoListsThePortsOfTheTables() throws {
        let folder = try bundle()
        for variant in PluginVariant.allCases {
            let result = try run("lv2info", ["\(variant.uri)"], environment: ["LV2_PATH": lv2Path(folder)])
            #expect(result.status == 0, "\(result.stderr)")
            let layout = variant.layout
            #expect(result.stdout.contains("Port \(layout.portCount - 1):"))
            #expect(!result.stdout.contains("Port \(layout.portCount):"))
            #expect(result.stdout.contains("reported by port \(layout.latency)"))
            for p in ControlParameter.allCases { #expect(result.stdout.contains("Symbol:      \(p.symbol)\n")) }
            for p in EQParameter.allCases {
                #expect(result.stdout.contains("Symbol:      \(p.symbol)\n"))
                #expect(result.stdout.contains("Symbol:      \(p.appliedSymbol)\n"))
            }
            #expect(result.stdout.contains("lv2core#enabled"))
        }
    }

    /// lv2apply (which runs the plugin one frame per `run`) against `adaptive-eq process`.
    @Test(.enabled(if: hostAvailable("lv2apply")), arguments: [44_100, 96_000])
    func lv2applyMatchesProcess(sampleRate: Int) throws {
        let folder = try bundle()
        let vocabulary = try #require(loadVocabulary(bundlePath: folder + "/adaptive-eq.lv2"))
        let dir = NSTemporaryDirectory() + "aeq-lv2apply-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/in.wav"
        try Audio.testSignal(sampleRate: sampleRate, channels: 2, seconds: 1.5, seed: UInt64(sampleRate)).write(input)

        let bright = try #require(vocabulary.words.firstIndex(of: "bright"))
        let warm = try #require(vocabulary.words.firstIndex(of: "warm"))
        let manual = "-4.5,180,3,450,1.4,-2,1200,0.9,5,5000,2.5,2,9000"
        var cases: [(String, [String], [String])] = [
            ("static", ["-c", "mode", "1", "-c", "term", "\(bright)", "-c", "intensity", "0.6"],
             ["--mode", "static", "--term", "bright", "--intensity", "0.6"]),
            ("manual", ["-c", "mode", "2"] + zip(EQParameter.allCases, manual.split(separator: ","))
                .flatMap { ["-c", $0.symbol, String($1)] },
             ["--eq", manual]),
        ]
        let airy = try #require(vocabulary.words.firstIndex(of: "airy"))
        cases.append(("static blend", ["-c", "mode", "1", "-c", "term", "\(bright)", "-c", "term_b", "\(airy)",
                                       "-c", "blend", "0.3", "-c", "intensity", "0.9"],
                      ["--mode", "static", "--term", "bright", "--term-b", "airy", "--blend", "0.3", "--intensity", "0.9"]))
        if vocabulary.model != nil {
            // The bundle ships the model: adaptive mode runs the streaming engine.
            cases.append(("adaptive", ["-c", "mode", "0", "-c", "term", "\(warm)", "-c", "intensity", "0.8"],
                          ["--mode", "adaptive", "--term", "warm", "--intensity", "0.8"]))
            cases.append(("adaptive blend", ["-c", "mode", "0", "-c", "term", "\(warm)", "-c", "term_b", "\(airy)",
                                             "-c", "blend", "0.5", "-c", "intensity", "0.8"],
                          ["--mode", "adaptive", "--term", "warm", "--term-b", "airy", "--blend", "0.5", "--intensity", "0.8"]))
            // A word without a SAFE-DB setting: static mode applies its decoded EQ in both.
            let table = try staticTerms()
            let decodedWord = try #require(vocabulary.words.first { table.term($0) == nil })
            let decodedIndex = try #require(vocabulary.words.firstIndex(of: decodedWord))
            cases.append(("static decoded word", ["-c", "mode", "1", "-c", "term", "\(decodedIndex)", "-c", "intensity", "1"],
                          ["--mode", "static", "--term", decodedWord, "--intensity", "1"]))
        }
        for (name, pluginArgs, cliArgs) in cases {
            let viaPlugin = dir + "/\(name)-lv2.wav", viaCLI = dir + "/\(name)-cli.wav"
            let host = try run("lv2apply", ["-i", input, "-o", viaPlugin] + pluginArgs + ["urn:adaptive-eq:stereo"],
                               environment: ["LV2_PATH": lv2Path(folder)])
            try #require(host.status == 0, "lv2apply: \(host.stderr)")
            let cli = try run(cliPath, ["process", input, viaCLI] + cliArgs)
            try #require(cli.status == 0, "adaptive-eq: \(cli.stderr)")
            let a = try Audio(path: viaPlugin), b = try Audio(path: viaCLI), original = try Audio(path: input)
            try #require(a.channels.count == 2 && a.frameCount == b.frameCount)
            let error = zip(a.channels, b.channels).map { maxAbsDifference($0, $1) }.max()!
            let change = zip(a.channels, original.channels).map { maxAbsDifference($0, $1) }.max()!
            print("lv2apply vs process, \(name), \(sampleRate) Hz: max |difference| \(error) (EQ changes samples by up to \(change))")
            #expect(error <= 1e-5)
            #expect(change > 0.01, "the EQ should audibly change the signal")
        }
    }

    @Test(.enabled(if: hostAvailable("lv2apply")))
    func monoVariantMatchesProcess() throws {
        let folder = try bundle()
        let dir = NSTemporaryDirectory() + "aeq-lv2mono-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/in.wav"
        try Audio.testSignal(sampleRate: 48_000, channels: 1, seconds: 1, seed: 7).write(input)
        let host = try run("lv2apply", ["-i", input, "-o", dir + "/lv2.wav", "-c", "mode", "1", "-c", "intensity", "1",
                                        "urn:adaptive-eq:mono"],
                           environment: ["LV2_PATH": lv2Path(folder)])
        try #require(host.status == 0, "lv2apply: \(host.stderr)")
        // The TTL's default word is "warm".
        let cli = try run(cliPath, ["process", input, dir + "/cli.wav", "--mode", "static", "--term", "warm", "--intensity", "1"])
        try #require(cli.status == 0, "adaptive-eq: \(cli.stderr)")
        let error = maxAbsDifference(try Audio(path: dir + "/lv2.wav").channels[0], try Audio(path: dir + "/cli.wav").channels[0])
        print("lv2apply mono vs process: max |difference| \(error)")
        #expect(error <= 1e-5)
    }

    /// jackd (dummy driver) + jalv hosting the plugin: a sine source through the plugin into
    /// jack_rec. The recording must show the manual low shelf exactly and no xruns.
    @Test(.enabled(if: haveJalv))
    func jalvUnderJackDummy() throws {
        let folder = try bundle()
        let args = ["-c", "mode=2", "-c", "g1=-6", "-c", "f1=1000"]
        try checkJackHost(mode: "jalv", hostArguments: args, environment: ["AEQ_LV2_BUNDLE": folder],
                          expected: manualLowShelf)
    }

    /// jackd (dummy driver) + `adaptive-eq live`, same graph and checks, with a word.
    @Test(.enabled(if: haveJack))
    func liveClientUnderJackDummy() throws {
        let warm = try #require(try staticTerms().term("warm"))
        let report = try checkJackHost(mode: "live", hostArguments: ["--mode", "static", "--term", "warm", "--intensity", "1"],
                                       environment: ["AEQ_BIN": cliPath], expected: warm.settings)
        print(report)
        #expect(report.contains("xruns:          0\n"), "\(report)")
    }

    /// Runs scripts/jack-host-test.sh and checks the 4-channel recording (source L/R, host
    /// out L/R): output equals the source rendered offline with `expected` (after 0.5 s, when
    /// the recorder's start no longer matters), the sines' gains match the analytic
    /// response, and nobody reported an xrun. Returns the script's output.
    @discardableResult
    func checkJackHost(mode: String, hostArguments: [String], environment: [String: String],
                       expected: EQSettings) throws -> String {
        let seconds = 6
        let out = NSTemporaryDirectory() + "aeq-jack-\(mode)-\(UUID().uuidString).wav"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try run(repositoryRoot + "/scripts/jack-host-test.sh", [mode, out, "\(seconds)", "--"] + hostArguments,
                             environment: environment, timeout: 90)
        try #require(result.status == 0, "jack-host-test.sh \(mode): \(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("server_xruns=0\n"), "\(result.stdout)")
        #expect(result.stdout.contains("recorder_overruns=0\n"), "\(result.stdout)")

        let audio = try Audio(path: out)
        try #require(audio.channels.count == 4)
        let rate = audio.sampleRate
        #expect(audio.frameCount >= (seconds - 1) * rate, "recorded only \(audio.frameCount) frames")
        let skip = rate / 2
        try #require(audio.frameCount > skip + rate)
        let source = Array(audio.channels[0..<2])
        let offline = equalise(source, sampleRate: rate, settings: expected)
        for c in 0..<2 {
            let recorded = Array(audio.channels[2 + c][skip...]), reference = Array(offline[c][skip...])
            let error = maxAbsDifference(recorded, reference)
            // jack_simple_client: left advances its 200-sample table by 1, right by 3.
            let frequency = Double(rate) / 200 * (c == 0 ? 1 : 3)
            let measured = 20 * log10(rms(audio.channels[2 + c][skip...]) / rms(audio.channels[c][skip...]))
            let analytic = expected.magnitudeDecibels(atFrequency: frequency, sampleRateHz: Double(rate))
            print("\(mode) under JACK, channel \(c): \(frequency) Hz gain \(measured) dB (analytic \(analytic) dB), "
                  + "max |output − offline| \(error)")
            #expect(rms(audio.channels[c][skip...]) > 0.05, "the source is silent")
            #expect(error <= 1e-5)
            #expect(abs(measured - analytic) < 0.05)
        }
        return result.stdout
    }
}

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
            #expect(abs(plugin.output(.appliedEQ(p)) - manual[p]) <= 1e-3 * max(1, abs(manual[p])), "\(p.symbol)")
        }
        #expect(plugin.output(.latency) == 0)
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
            case 60: plugin.set(.enabled, 0)
            case 80: plugin.set(.enabled, 1); plugin.set(.outputGain, -6)
            case 100: plugin.set(.mode, 2); plugin.set(EQParameter.lowShelfGain, -6)
            case 120: plugin.set(.mode, 0); plugin.set(.intensity, 0.3); plugin.set(.analysisInterval, 20)
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

@Suite struct LiveCommandTests {
    @Test func commandsChangeTheControls() throws {
        let words = try staticTerms().terms.map(\.word)
        let parser = LiveCommandParser(words: words)
        var c = HostControls()
        #expect(parser.apply("term bright", to: &c) == .changed("term = bright"))
        #expect(c.term == words.firstIndex(of: "bright"))
        _ = parser.apply("intensity 0.25", to: &c)
        #expect(c.intensity == 0.25)
        _ = parser.apply("mode static", to: &c)
        #expect(c.mode == .static)
        _ = parser.apply("enabled off", to: &c)
        #expect(!c.enabled)
        _ = parser.apply("eq -6,100,0,300,0.71,0,1000,0.71,0,3000,0.71,2,8000", to: &c)
        #expect(c.mode == .manual && c.manual.g1 == -6 && c.manual.g5 == 2)
        _ = parser.apply("g2 3.5", to: &c)
        #expect(c.manual.g2 == 3.5)
        #expect(parser.apply("status", to: &c) == .status)
        #expect(parser.apply("quit", to: &c) == .quit)
        guard case .error(let message) = parser.apply("term brigth", to: &c) else { Issue.record("no error"); return }
        #expect(message.contains("bright"))
        guard case .error = parser.apply("intensity 2", to: &c) else { Issue.record("no error"); return }
        #expect(c.intensity == 0.25)
    }
}
