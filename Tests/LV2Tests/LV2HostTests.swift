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
                #expect(result.stdout.contains("Symbol:      \(p.targetSymbol)\n"))
                #expect(result.stdout.contains("Symbol:      \(p.correctionSymbol)\n"))
            }
            for band in 0..<PortLayout.responseBandCount {
                #expect(result.stdout.contains("Symbol:      \(PortLayout.responseSymbol(band))\n"))
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
        // The exact EQ is checked, so without the loudness-matching gain.
        let report = try checkJackHost(mode: "live", hostArguments: ["--mode", "static", "--term", "warm", "--intensity", "1",
                                                                     "--loudness-match", "off"],
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
