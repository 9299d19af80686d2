import AEQTestSupport
import AdaptiveEQ
import EQDSP
import Foundation
import Testing

// `adaptive-eq live` in real use under a private `jackd -d dummy` (scripts/jack-host-test.sh):
// the server going away and coming back, and a control change every millisecond. Part of
// the serialized LV2HostTests suite, so no two JACK graphs run at once.
private let jackInstalled = ["jackd", "jack_wait", "jack_lsp", "jack_connect", "jack_simple_client", "jack_rec", "python3"]
    .allSatisfy(hostAvailable)

extension LV2HostTests {
    /// The arguments every live test starts with: warm's static EQ at full intensity, the
    /// exact EQ (no loudness-matching gain).
    static let liveStaticWarm = ["--mode", "static", "--term", "warm", "--intensity", "1", "--loudness-match", "off"]

    /// jackd is killed (SIGKILL) under a running client and started again: the client waits,
    /// joins the new server by itself, and then equalises exactly as before (the recording
    /// on the new server equals the offline rendering, no xruns on it).
    @Test(.enabled(if: jackInstalled))
    func liveClientReconnectsWhenTheServerComesBack() throws {
        let warm = try #require(try staticTerms().term("warm"))
        let output = try checkJackHost(mode: "live", hostArguments: Self.liveStaticWarm,
                                       environment: ["AEQ_BIN": cliPath, "AEQ_JACK_RESTART": "1"], expected: warm.settings)
        print(output)
        #expect(output.contains("the JACK server went away; waiting for it to come back"), "\(output)")
        #expect(output.contains("adaptive-eq live: reconnected as 'aeqhost'"), "\(output)")
        #expect(output.contains("reconnections:  1\n"), "\(output)")
    }

    /// With --no-reconnect the client ends when the server goes away: status 1, the report,
    /// and one error line of its own.
    @Test(.enabled(if: jackInstalled))
    func liveClientWithoutReconnectExitsWithOneLine() throws {
        let out = NSTemporaryDirectory() + "aeq-jack-noreconnect-\(UUID().uuidString).wav"
        let result = try run(repositoryRoot + "/scripts/jack-host-test.sh",
                             ["live", out, "2", "--"] + Self.liveStaticWarm + ["--no-reconnect"],
                             environment: ["AEQ_BIN": cliPath, "AEQ_JACK_RESTART": "1"], timeout: 60)
        print(result.stdout)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("host_status=1\n"), "\(result.stdout)")
        #expect(result.stdout.contains("adaptive-eq live report (JACK server shut down)"), "\(result.stdout)")
        let ours = result.stdout.split(separator: "\n").filter { $0.hasPrefix("adaptive-eq: error:") }
        #expect(ours == ["adaptive-eq: error: the JACK server went away (live was started with --no-reconnect)"], "\(ours)")
    }

    /// 1502 commands on stdin, one per millisecond (the word flips warm/bright, the intensity
    /// jumps around 0…1), while a sine pair plays through the client: no xruns anywhere, no
    /// click (the outputs high-passed at 8 kHz stay at or below −80 dBFS, as for automated
    /// jumps in files), the changes are heard, and in static mode the last command's EQ is
    /// exactly what plays once the burst is over.
    @Test(.enabled(if: jackInstalled), arguments: [EqualiserMode.static, .adaptive])
    func liveClientTakesAControlChangeEveryMillisecond(mode: EqualiserMode) throws {
        var lines: [String] = []
        var random = SeededGenerator(seed: 14)
        for i in 0..<750 {
            lines.append("term \(i % 2 == 0 ? "bright" : "warm")")
            lines.append("intensity \(Float(Int.random(in: 0...100, using: &random)) / 100)")
        }
        lines += ["term bright", "intensity 0.8"]
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let commands = dir + "/commands.txt", out = dir + "/rec.wav"
        try (lines.joined(separator: "\n") + "\n").write(toFile: commands, atomically: true, encoding: .utf8)
        var arguments = ["--mode", mode.label, "--term", "warm", "--intensity", "0", "--quiet"]
        if mode == .static { arguments += ["--loudness-match", "off"] }
        let seconds = 5
        // 1024-frame periods (21 ms): about 21 commands arrive per period.
        let result = try run(repositoryRoot + "/scripts/jack-host-test.sh", ["live", out, "\(seconds)", "--"] + arguments,
                             environment: ["AEQ_BIN": cliPath, "AEQ_LIVE_COMMANDS": commands, "AEQ_JACK_PERIOD": "1024"],
                             timeout: 90)
        print(result.stdout)
        try #require(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("commands_sent=\(lines.count) "), "\(result.stdout)")
        #expect(result.stdout.contains("server_xruns=0\n"), "\(result.stdout)")
        #expect(result.stdout.contains("recorder_overruns=0\n"), "\(result.stdout)")
        #expect(result.stdout.contains("xruns:          0\n"), "\(result.stdout)")
        #expect(!result.stdout.contains("error:"), "\(result.stdout)")

        let audio = try Audio(path: out)
        try #require(audio.channels.count == 4 && audio.frameCount >= (seconds - 1) * audio.sampleRate)
        let rate = audio.sampleRate, skip = rate / 2
        for c in 0..<2 {
            let hp = butterworthHighPass4(audio.channels[2 + c], cutoffHz: 8000, sampleRateHz: Double(rate))
            let peak = 20 * log10(hp[skip...].map(abs).max()! + 1e-30)
            print("\(mode) mode, channel \(c): high-passed peak \(peak) dBFS")
            #expect(peak <= -80, "channel \(c): high-passed peak \(peak) dBFS")
        }
        // The burst starts 1 s into the recording and lasts 1.5 s: the gains at the sines
        // (fs/200 left, 3 fs/200 right) move while it plays.
        let window = rate / 20
        let swing = (0..<2).map { c in
            let gains = stride(from: rate, to: rate * 5 / 2, by: window).map { start in
                20 * log10(rms(audio.channels[2 + c][start..<(start + window)]) / rms(audio.channels[c][start..<(start + window)]))
            }
            return gains.max()! - gains.min()!
        }.max()!
        print("\(mode) mode: the gain at the sines swings by up to \(swing) dB over the burst")
        #expect(swing > 0.5, "the changes were not heard (swing \(swing) dB)")
        if mode == .static {
            let last = try #require(try staticTerms().term("bright")).settings.scaled(by: 0.8)
            let tail = (audio.frameCount - rate)...
            for c in 0..<2 {
                let frequency = Double(rate) / 200 * (c == 0 ? 1 : 3)
                let measured = 20 * log10(rms(audio.channels[2 + c][tail]) / rms(audio.channels[c][tail]))
                let analytic = last.magnitudeDecibels(atFrequency: frequency, sampleRateHz: Double(rate))
                #expect(abs(measured - analytic) < 0.05, "channel \(c): \(measured) dB, last command asks for \(analytic) dB")
            }
        }
    }
}
