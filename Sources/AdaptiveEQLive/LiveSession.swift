import AdaptiveEQ
import CJackShim
import EQDSP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How to run the live client.
public struct LiveOptions: Sendable {
    /// JACK client name (JACK appends a number if it is taken).
    public var clientName = "adaptive-eq"
    /// JACK server to join; nil = the default server ($JACK_DEFAULT_SERVER or "default").
    public var serverName: String?
    /// Connect the inputs to the first physical capture ports and the outputs to the first
    /// physical playback ports.
    public var connect = false
    /// Stop after this many seconds (nil = until quit, EOF on stdin, SIGINT or SIGTERM).
    public var durationSeconds: Double?
    /// Read commands from stdin. When off (or with a duration), EOF does not stop the session.
    public var readCommands = true
    /// Controls at start.
    public var controls = HostControls()
    /// Print nothing but errors and the final report.
    public var quiet = false

    public init() {}
}

/// What a live session measured.
public struct LiveReport: Sendable, CustomStringConvertible {
    public var sampleRateHz: Int
    public var periodFrames: Int
    public var seconds: Double
    public var callbacks: Int
    public var framesProcessed: Int
    public var xruns: Int
    public var meanCallbackMicroseconds: Double
    public var maxCallbackMicroseconds: Double
    /// The JACK server's DSP load (percent) just before the client stopped.
    public var jackDSPLoadPercent: Double
    /// Why the session ended.
    public var reason: String

    public var periodMicroseconds: Double { Double(periodFrames) / Double(max(sampleRateHz, 1)) * 1e6 }

    public var description: String {
        let period = periodMicroseconds
        return """
            adaptive-eq live report (\(reason))
              duration:       \(fixed(seconds, 2)) s, \(framesProcessed) frames at \(sampleRateHz) Hz
              period:         \(periodFrames) frames (\(fixed(period / 1000, 2)) ms)
              callbacks:      \(callbacks)
              xruns:          \(xruns)
              callback time:  mean \(fixed(meanCallbackMicroseconds, 1)) µs, max \(fixed(maxCallbackMicroseconds, 1)) µs \
            (\(fixed(100 * meanCallbackMicroseconds / period, 2)) % / \(fixed(100 * maxCallbackMicroseconds / period, 2)) % of the period)
              JACK DSP load:  \(fixed(jackDSPLoadPercent, 1)) %
            """
    }
}

/// A failure to start or keep the session; `description` is one line.
public struct LiveError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Runs the live client: registers `in_l in_r out_l out_r`, equalises in the JACK process
/// callback, takes commands from stdin (see `LiveCommandParser`) and returns the report.
@available(macOS 15.0, *)
public func runLiveSession(_ options: LiveOptions, vocabulary: Vocabulary) throws(LiveError) -> LiveReport {
    var message = [CChar](repeating: 0, count: 256)
    guard aeq_jack_load(&message, message.count) == 0 else {
        throw LiveError(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    var status: Int32 = 0
    guard let client = aeq_jack_client_open(options.clientName, options.serverName, &status) else {
        let server = options.serverName ?? getenv("JACK_DEFAULT_SERVER").map { String(cString: $0) } ?? "default"
        throw LiveError("cannot connect to the JACK server '\(server)' (status 0x\(String(status, radix: 16))); "
            + "start one (jackd, qjackctl) or run under PipeWire with pw-jack")
    }
    defer { _ = aeq_jack_client_close(client) }

    let sampleRate = Int(aeq_jack_get_sample_rate(client))
    let parser = LiveCommandParser(words: vocabulary.words)
    var controls = options.controls
    let state = UnsafeMutablePointer<LiveState>.allocate(capacity: 1)
    state.initialize(to: LiveState(vocabulary: vocabulary, sampleRateHz: Double(sampleRate), controls: controls))
    defer { state.deinitialize(count: 1); state.deallocate() }
    state.pointee.post(controls)

    let names = ["in_l", "in_r", "out_l", "out_r"]
    for c in 0..<LiveState.channelCount {
        guard let input = aeq_jack_port_register_audio(client, names[c], 1),
              let output = aeq_jack_port_register_audio(client, names[2 + c], 0) else {
            throw LiveError("cannot register JACK ports")
        }
        state.pointee.inPorts[c] = input
        state.pointee.outPorts[c] = output
    }
    let arg = UnsafeMutableRawPointer(state)
    guard aeq_jack_set_process_callback(client, liveProcessCallback, arg) == 0 else {
        throw LiveError("cannot set the JACK process callback")
    }
    _ = aeq_jack_set_xrun_callback(client, liveXrunCallback, arg)
    aeq_jack_on_shutdown(client, liveShutdownCallback, arg)
    guard aeq_jack_activate(client) == 0 else { throw LiveError("cannot activate the JACK client") }
    aeq_install_stop_signals()  // after activate: JACK's threads keep the signals blocked
    let started = aeq_monotonic_ns()
    let clientName = String(cString: aeq_jack_get_client_name(client))

    if options.connect { connectPhysicalPorts(client, state: state, quiet: options.quiet) }
    if !options.quiet {
        let word = vocabulary.words.isEmpty ? "-" : vocabulary.words[min(max(controls.term, 0), vocabulary.words.count - 1)]
        printError("adaptive-eq live: client '\(clientName)' at \(sampleRate) Hz, "
            + "\(aeq_jack_get_buffer_size(client))-frame periods; ports \(names.map { "\(clientName):\($0)" }.joined(separator: " "))")
        printError("adaptive-eq live: \(controls.mode.label) mode\(controls.mode == .adaptive && vocabulary.model == nil ? " (no model: static EQ)" : ""), word '\(word)', intensity \(controls.intensity)"
            + (options.readCommands ? "; type commands (help) or press Ctrl-D to stop" : ""))
    }

    var reason = "stopped"
    var reading = options.readCommands
    var pending: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    loop: while true {
        if aeq_stop_requested() != 0 { reason = "signal"; break }
        if state.pointee.shutdown.pointee.load(ordering: .relaxed) { reason = "JACK server shut down"; break }
        if let duration = options.durationSeconds, Double(aeq_monotonic_ns() - started) * 1e-9 >= duration {
            reason = "duration reached"; break
        }
        guard reading else { usleep(50_000); continue }
        var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        let ready = poll(&fds, 1, 100)
        if ready <= 0 { continue }
        let got = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if got <= 0 {
            reading = false
            if options.durationSeconds == nil { reason = "end of input"; break }
            continue
        }
        pending.append(contentsOf: buffer[0..<got])
        while let newline = pending.firstIndex(of: 10) {
            let line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeSubrange(...newline)
            switch parser.apply(line, to: &controls) {
            case .changed(let text):
                state.pointee.post(controls)
                if !options.quiet && !text.isEmpty { printError("ok: \(text)") }
            case .status:
                printOut(statusText(controls, applied: state.pointee.appliedSettings(), words: parser.words))
            case .help:
                printOut(LiveCommandParser.helpText)
            case .quit:
                reason = "quit"; break loop
            case .error(let text):
                printError("error: \(text)")
            }
        }
    }

    let load = Double(aeq_jack_cpu_load(client))
    _ = aeq_jack_deactivate(client)
    let seconds = Double(aeq_monotonic_ns() - started) * 1e-9
    func stat(_ which: Stat) -> Int { state.pointee.stat(which) }
    let callbacks = stat(.callbacks)
    return LiveReport(
        sampleRateHz: sampleRate, periodFrames: Int(aeq_jack_get_buffer_size(client)), seconds: seconds,
        callbacks: callbacks, framesProcessed: stat(.frames), xruns: stat(.xruns),
        meanCallbackMicroseconds: callbacks > 0 ? Double(stat(.busyNanoseconds)) / Double(callbacks) / 1000 : 0,
        maxCallbackMicroseconds: Double(stat(.maxBusyNanoseconds)) / 1000,
        jackDSPLoadPercent: load, reason: reason)
}

@available(macOS 15.0, *)
private func connectPhysicalPorts(_ client: OpaquePointer, state: UnsafeMutablePointer<LiveState>, quiet: Bool) {
    for (capture, ports) in [(1, state.pointee.inPorts), (0, state.pointee.outPorts)] {
        guard let physical = aeq_jack_physical_ports(client, Int32(capture)) else {
            printError("warning: no physical \(capture == 1 ? "capture" : "playback") ports to connect")
            continue
        }
        defer { aeq_jack_free_ports(physical) }
        var available: [String] = []
        var i = 0
        while let name = physical[i] { available.append(String(cString: name)); i += 1 }
        guard !available.isEmpty else { continue }
        for c in 0..<LiveState.channelCount {
            let mine = String(cString: aeq_jack_port_name(ports[c]))
            let theirs = available[min(c, available.count - 1)]
            let ok = capture == 1 ? aeq_jack_connect(client, theirs, mine) : aeq_jack_connect(client, mine, theirs)
            if ok != 0 && ok != EEXIST { printError("warning: cannot connect \(capture == 1 ? "\(theirs) → \(mine)" : "\(mine) → \(theirs)")") }
            else if !quiet { printError("connected \(capture == 1 ? "\(theirs) → \(mine)" : "\(mine) → \(theirs)")") }
        }
    }
}

func statusText(_ c: HostControls, applied: EQSettings, words: [String]) -> String {
    func word(_ i: Int) -> String { words.isEmpty ? "-" : words[min(max(i, 0), words.count - 1)] }
    var lines = ["mode \(c.mode.label), term \(word(c.term)), term_b \(word(c.secondTerm)), blend \(c.blend), "
        + "intensity \(c.intensity), smoothing_ms \(c.smoothingTimeMilliseconds), output_gain_db \(c.outputGainDecibels), "
        + "enabled \(c.enabled ? "on" : "off")"]
    lines.append("applied: " + EQParameter.allCases.map { "\($0.symbol)=\(fixed(Double(applied[$0]), 2))" }.joined(separator: " "))
    return lines.joined(separator: "\n")
}

/// `x` with `digits` decimals (no Foundation).
func fixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(x) * scale).rounded()
    let whole = Int(scaled / scale)
    var frac = String(Int(scaled - Double(whole) * scale))
    while frac.count < digits { frac = "0" + frac }
    return (x < 0 && scaled > 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
}

func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func printOut(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
}
