import AdaptiveEQ
import AdaptiveEQLive
import AdaptiveEQResources
import ArgumentParser
import EQDSP
import EQInference

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Equalise live audio as a JACK client (JACK2 or PipeWire's JACK).",
        discussion: """
            Registers the ports in_l, in_r, out_l, out_r and equalises in real time
            with zero latency. Change settings while it runs by typing lines on stdin:
              term bright        term_b airy         blend 0.3
              intensity 0.5      mode static         smoothing_ms 200
              output_gain_db -3  enabled off         g1 -6
              correction_limit_db 9                  loudness_match off
              eq -6,100,0,300,0.71,0,1000,0.71,0,3000,0.71,0,8000
              status             help                quit
            Stops on quit, end of input (unless --duration is given), Ctrl-C or
            SIGTERM, then prints a report: callbacks, xruns, time spent in the audio
            callback, the JACK DSP load and how often it reconnected. When the JACK
            server goes away the client waits for it and joins it again with the same
            controls (with --no-reconnect it exits with status 1 instead).

            Examples:
              adaptive-eq live --term warm --intensity 0.7 --connect
              adaptive-eq live --eq -6,100,0,300,0.71,0,1000,0.71,0,3000,0.71,0,8000
              pw-jack adaptive-eq live --term bright --connect
            """)

    @Option(help: "Word to move the sound towards (see `adaptive-eq terms`).")
    var term = "warm"

    @OptionGroup var word: WordFlags

    @Option(help: "adaptive, static or manual (manual is implied by --eq).")
    var mode: String?

    @Option(parsing: .unconditional, help: "Manual EQ: 13 comma-separated parameters g1,f1,…,f5 (as in `process --eq`).")
    var eq: String?

    @OptionGroup var engine: EngineFlags

    @Option(help: "Model file for adaptive mode (default: the bundled model, if any).")
    var model: String?

    @Option(help: "JACK client name.")
    var name = "adaptive-eq"

    @Option(help: "JACK server name (default: $JACK_DEFAULT_SERVER or the default server).")
    var server: String?

    @Flag(help: "Connect to the first two physical capture and playback ports.")
    var connect = false

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Flag(name: .customLong("no-stdin"), help: "Do not read commands from stdin (run until a signal or --duration).")
    var noStdin = false

    @Flag(help: "Print only errors and the final report.")
    var quiet = false

    @Flag(name: .customLong("no-reconnect"),
          help: "Exit with status 1 when the JACK server goes away (default: wait for it and reconnect).")
    var noReconnect = false

    func validate() throws {
        if let duration, !(duration.isFinite && duration > 0) { throw CLIError("--duration must be a positive number of seconds") }
    }

    func run() throws {
        let table = try loadStaticTerms()
        let loaded: AdaptiveEQModel? = model != nil || BundledResources.modelPath != nil ? try loadModel(path: model) : nil
        let vocabulary = Vocabulary(staticTerms: table, model: loaded)
        var controls = HostControls()
        controls.term = try vocabulary.termIndex(term)
        controls.secondTerm = try word.secondTerm.map { try vocabulary.termIndex($0) } ?? controls.term
        controls.blend = word.blend
        controls.intensity = word.intensity
        engine.apply(to: &controls)
        if let mode {
            guard let m = EqualiserMode.allCases.first(where: { $0.label == mode.lowercased() }) else {
                throw CLIError("--mode must be one of \(EqualiserMode.allCases.map(\.label).joined(separator: ", ")), got '\(mode)'")
            }
            controls.mode = m
        }
        if let eq {
            controls.manual = try parseManualEQ(eq)
            if mode == nil { controls.mode = .manual }
        }
        var options = LiveOptions()
        options.clientName = name
        options.serverName = server
        options.connect = connect
        options.durationSeconds = duration
        options.readCommands = !noStdin
        options.controls = controls
        options.quiet = quiet
        options.reconnect = !noReconnect
        guard #available(macOS 15.0, *) else { throw CLIError("live mode needs macOS 15 or later") }
        let report: LiveReport
        do { report = try runLiveSession(options, vocabulary: vocabulary) } catch { throw CLIError(error.description) }
        print(report.description)
        if report.serverLost { throw CLIError("the JACK server went away (live was started with --no-reconnect)") }
    }
}
