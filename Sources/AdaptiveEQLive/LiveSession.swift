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
    /// When the server goes away, wait for it and join it again (otherwise end the session).
    public var reconnect = true
    /// How often to try while waiting for the server.
    public var reconnectIntervalSeconds = 0.5

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
    /// The JACK server's DSP load (percent) last read while connected.
    public var jackDSPLoadPercent: Double
    /// How often the client joined the server again after it went away.
    public var reconnections: Int
    /// The session ended because the server went away (and reconnecting was off).
    public var serverLost: Bool
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
              reconnections:  \(reconnections)
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
/// When the server goes away the session waits for it (trying every
/// `reconnectIntervalSeconds`) and carries on with the same controls on the new server, or,
/// with `reconnect` off, ends with `LiveReport.serverLost` set.
@available(macOS 15.0, *)
public func runLiveSession(_ options: LiveOptions, vocabulary: Vocabulary) throws(LiveError) -> LiveReport {
    var message = [CChar](repeating: 0, count: 256)
    guard aeq_jack_load(&message, message.count) == 0 else {
        throw LiveError(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    var connection: LiveConnection? = try LiveConnection.open(options)
    var rate = connection!.sampleRateHz, period = connection!.periodFrames

    let parser = LiveCommandParser(words: vocabulary.words)
    var controls = options.controls
    let state = UnsafeMutablePointer<LiveState>.allocate(capacity: 1)
    state.initialize(to: LiveState(vocabulary: vocabulary, sampleRateHz: Double(rate), controls: controls))
    defer { state.deinitialize(count: 1); state.deallocate() }
    defer { connection?.close(serverGone: false) }  // (runs first: no callback outlives the state)
    state.pointee.post(controls)
    try connection!.start(state, connect: options.connect, quiet: options.quiet)
    aeq_install_stop_signals()  // after activate: JACK's threads keep the signals blocked
    let started = aeq_monotonic_ns()

    if !options.quiet {
        let word = vocabulary.words.isEmpty ? "-" : vocabulary.words[min(max(controls.term, 0), vocabulary.words.count - 1)]
        let name = connection!.name
        printError("adaptive-eq live: client '\(name)' at \(rate) Hz, \(period)-frame periods; "
            + "ports \(LiveConnection.portNames.map { "\(name):\($0)" }.joined(separator: " "))")
        printError("adaptive-eq live: \(controls.mode.label) mode\(controls.mode == .adaptive && vocabulary.model == nil ? " (no model: static EQ)" : ""), word '\(word)', intensity \(controls.intensity)"
            + (options.readCommands ? "; type commands (help) or press Ctrl-D to stop" : ""))
    }

    var reason = "stopped"
    var serverLost = false
    var reconnections = 0
    var load = 0.0
    var lastAttempt: UInt64 = 0
    var reading = options.readCommands
    var pending: [UInt8] = []
    let maximumLineBytes = 4096
    var discardingLongLine = false
    var buffer = [UInt8](repeating: 0, count: 4096)
    loop: while true {
        if aeq_stop_requested() != 0 { reason = "signal"; break }
        let now = aeq_monotonic_ns()
        if let duration = options.durationSeconds, Double(now - started) * 1e-9 >= duration {
            reason = "duration reached"; break
        }
        if let live = connection {
            if state.pointee.shutdown.pointee.load(ordering: .relaxed) {
                // The server is gone: its threads are, and after close no callback runs.
                live.close(serverGone: true)
                connection = nil
                guard options.reconnect else { reason = "JACK server shut down"; serverLost = true; break }
                printError("adaptive-eq live: the JACK server went away; waiting for it to come back (Ctrl-C stops)")
                lastAttempt = now
            } else {
                load = Double(aeq_jack_cpu_load(live.client))
            }
        } else if Double(now - lastAttempt) * 1e-9 >= options.reconnectIntervalSeconds {
            lastAttempt = now
            if let live = reconnect(options, state: state) {
                connection = live
                aeq_install_stop_signals()  // libjack puts back the mask it found when we started
                reconnections += 1
                rate = live.sampleRateHz; period = live.periodFrames
                printError("adaptive-eq live: reconnected as '\(live.name)' at \(rate) Hz, \(period)-frame periods")
            }
        }
        guard reading else { usleep(50_000); continue }
        var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        let ready = poll(&fds, 1, 50)
        if ready <= 0 { continue }
        let got = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if got <= 0 {
            reading = false
            if options.durationSeconds == nil { reason = "end of input"; break }
            continue
        }
        pending.append(contentsOf: buffer[0..<got])
        // A line longer than any command (junk piped in) is dropped up to its end, so the
        // search for the end of a line never rescans megabytes.
        if discardingLongLine || (pending.count > maximumLineBytes && !pending.contains(10)) {
            if !discardingLongLine { printError("error: a line of over \(maximumLineBytes) bytes was ignored") }
            guard let newline = pending.firstIndex(of: 10) else { discardingLongLine = true; pending.removeAll(keepingCapacity: true); continue }
            pending.removeSubrange(...newline)
            discardingLongLine = false
        }
        while let newline = pending.firstIndex(of: 10) {
            let line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeSubrange(...newline)
            switch parser.apply(line, to: &controls) {
            case .changed(let text):
                state.pointee.post(controls)
                if !options.quiet && !text.isEmpty { printError("ok: \(text)") }
            case .status:
                printOut(statusText(controls, applied: state.pointee.applied(), words: parser.words,
                                    periodsProcessed: state.pointee.stat(.callbacks) > 0))
            case .help:
                printOut(LiveCommandParser.helpText)
            case .quit:
                reason = "quit"; break loop
            case .error(let text):
                printError("error: \(text)")
            }
        }
    }

    connection?.close(serverGone: false)
    connection = nil
    let seconds = Double(aeq_monotonic_ns() - started) * 1e-9
    func stat(_ which: Stat) -> Int { state.pointee.stat(which) }
    let callbacks = stat(.callbacks)
    return LiveReport(
        sampleRateHz: rate, periodFrames: period, seconds: seconds,
        callbacks: callbacks, framesProcessed: stat(.frames), xruns: stat(.xruns),
        meanCallbackMicroseconds: callbacks > 0 ? Double(stat(.busyNanoseconds)) / Double(callbacks) / 1000 : 0,
        maxCallbackMicroseconds: Double(stat(.maxBusyNanoseconds)) / 1000,
        jackDSPLoadPercent: load, reconnections: reconnections, serverLost: serverLost, reason: reason)
}

/// One attempt to join the server again (quietly: it is usually not back yet). The state's
/// audio thread is gone, so the equaliser is prepared again here when the rate changed,
/// otherwise restarted; controls stay as they are in the mailbox.
@available(macOS 15.0, *)
private func reconnect(_ options: LiveOptions, state: UnsafeMutablePointer<LiveState>) -> LiveConnection? {
    aeq_jack_set_quiet(1)
    defer { aeq_jack_set_quiet(0) }
    guard let live = try? LiveConnection.open(options) else { return nil }
    if Double(live.sampleRateHz) != state.pointee.equaliser.sampleRateHz {
        state.pointee.equaliser.prepare(sampleRateHz: Double(live.sampleRateHz), channelCount: LiveState.channelCount)
    } else {
        state.pointee.equaliser.reset()
    }
    do {
        try live.start(state, connect: options.connect, quiet: options.quiet)
    } catch {
        live.close(serverGone: true)
        return nil
    }
    return live
}

func statusText(_ c: HostControls, applied: AppliedEQ, words: [String], periodsProcessed: Bool = true) -> String {
    func word(_ i: Int) -> String { words.isEmpty ? "-" : words[min(max(i, 0), words.count - 1)] }
    // Every control of the table, as `help` names them.
    let controls = ControlParameter.allCases.map { p -> String in
        let raw = c.rawValue(p)
        switch p.kind {
        case .vocabulary: return "\(p.symbol) \(word(Int(raw)))"
        case .enumeration: return "\(p.symbol) \(EqualiserMode(rawValue: Int(raw))?.label ?? "-")"
        case .toggle: return "\(p.symbol) \(raw >= 0.5 ? "on" : "off")"
        case .continuous: return "\(p.symbol) \(raw)"
        }
    }
    var lines = [controls.joined(separator: ", ")]
    guard periodsProcessed else {
        lines.append("EQ: none applied yet (no JACK period processed)")
        return lines.joined(separator: "\n")
    }
    // What the audio goes through: the target, then the inverse of the correction, then the gain.
    func eq(_ s: EQSettings) -> String { EQParameter.allCases.map { "\($0.symbol)=\(fixed(Double(s[$0]), 2))" }.joined(separator: " ") }
    lines.append("target: " + eq(applied.target))
    lines.append("correction (applied inverted): " + eq(applied.correction))
    lines.append("loudness gain: \(fixed(Double(applied.loudnessGainDecibels), 2)) dB")
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
