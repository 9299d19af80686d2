import CJackShim

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One connection to a JACK server: a client with the four ports registered, the callbacks
/// set and processing active. A session opens one at start and, when the server goes away,
/// closes it and opens another once the server is back.
@available(macOS 15.0, *)
struct LiveConnection {
    static let portNames = ["in_l", "in_r", "out_l", "out_r"]

    let client: OpaquePointer
    let name: String
    let sampleRateHz: Int
    let periodFrames: Int

    /// Opens a client on the server `options` name, without starting a server.
    static func open(_ options: LiveOptions) throws(LiveError) -> LiveConnection {
        var status: Int32 = 0
        guard let client = aeq_jack_client_open(options.clientName, options.serverName, &status) else {
            throw LiveError("cannot connect to the JACK server '\(serverName(options))' (status 0x\(String(status, radix: 16))); "
                + "start one (jackd, qjackctl) or run under PipeWire with pw-jack")
        }
        return LiveConnection(client: client, name: String(cString: aeq_jack_get_client_name(client)),
                              sampleRateHz: Int(aeq_jack_get_sample_rate(client)),
                              periodFrames: Int(aeq_jack_get_buffer_size(client)))
    }

    static func serverName(_ options: LiveOptions) -> String {
        options.serverName ?? getenv("JACK_DEFAULT_SERVER").map { String(cString: $0) } ?? "default"
    }

    /// Registers the ports into `state`, sets the callbacks and activates. The state must
    /// be prepared for this connection's sample rate and its audio thread idle.
    func start(_ state: UnsafeMutablePointer<LiveState>, connect: Bool, quiet: Bool) throws(LiveError) {
        let names = Self.portNames
        for c in 0..<LiveState.channelCount {
            guard let input = aeq_jack_port_register_audio(client, names[c], 1),
                  let output = aeq_jack_port_register_audio(client, names[2 + c], 0) else {
                throw LiveError("cannot register JACK ports")
            }
            state.pointee.inPorts[c] = input
            state.pointee.outPorts[c] = output
        }
        state.pointee.shutdown.pointee.store(false, ordering: .relaxed)
        let arg = UnsafeMutableRawPointer(state)
        guard aeq_jack_set_process_callback(client, liveProcessCallback, arg) == 0 else {
            throw LiveError("cannot set the JACK process callback")
        }
        _ = aeq_jack_set_xrun_callback(client, liveXrunCallback, arg)
        aeq_jack_on_shutdown(client, liveShutdownCallback, arg)
        guard aeq_jack_activate(client) == 0 else { throw LiveError("cannot activate the JACK client") }
        if connect { connectPhysicalPorts(client, state: state, quiet: quiet) }
    }

    /// Stops processing and closes the client. After the server went away libjack's
    /// complaints about the dead socket are not printed.
    func close(serverGone: Bool) {
        if serverGone { aeq_jack_set_quiet(1) }
        _ = aeq_jack_deactivate(client)
        _ = aeq_jack_client_close(client)
        if serverGone { aeq_jack_set_quiet(0) }
    }
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
