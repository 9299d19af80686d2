import AdaptiveEQ
import AdaptiveEQResources
import ArgumentParser
import EQInference
import Foundation
import Studio

struct StudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studio",
        abstract: "Serve the studio: a local web page to hear, compare and see the equaliser.",
        discussion: """
            Opens on FILE (or the bundled demo clip). In the page: pick a word (or type any
            word or phrase, or use a track as the reference) and an intensity, play, switch A (original) / B (processed) at the same position,
            export the processed file, drop in your own file, and run a blind listening
            test whose answers are appended to RESULTS/blind-test.jsonl.
            Binds to 127.0.0.1 unless --host says otherwise. Only the studio's own page may
            call it: requests naming another Host, and cross-origin requests, are refused.
            On any other address (or with --token) every request needs the random token in
            the printed URL; the page keeps it in a cookie.

            Examples:
              adaptive-eq studio                      then open http://127.0.0.1:8080/
              adaptive-eq studio song.flac --port 9000
            """)

    @Argument(help: "Audio file to open (default: the bundled demo clip).")
    var file: String?

    @Option(help: "TCP port (0 picks a free one).")
    var port = 8080

    @Option(help: "Address to listen on; anything but 127.0.0.1/::1/localhost is reachable from other machines and needs the token.")
    var host = "127.0.0.1"

    @Flag(help: "Require a random token (printed in the URL) on loopback too; always required on other addresses.")
    var token = false

    @Option(name: .customLong("max-upload-mb"), help: "Largest upload accepted, in megabytes (1…2048).")
    var maximumUploadMegabytes = 200

    @Option(help: "Folder for the blind test's answers.")
    var results = "studio-results"

    @Option(help: "Model file for adaptive mode (default: the bundled model).")
    var model: String?

    func validate() throws {
        guard (0...65_535).contains(port) else { throw CLIError("--port must be between 0 and 65535, got \(port)") }
        guard (1...2048).contains(maximumUploadMegabytes) else {
            throw CLIError("--max-upload-mb must be between 1 and 2048, got \(maximumUploadMegabytes)")
        }
        guard !host.isEmpty else { throw CLIError("--host must not be empty") }
    }

    func run() throws {
        var configuration = StudioConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maximumUploadBytes = maximumUploadMegabytes << 20
        configuration.resultsFolder = results
        let exposed = !StudioAccess.isLoopback(host)
        if exposed || token { configuration.token = StudioAccess.newToken() }
        let table = try loadStaticTerms()
        let loaded: AdaptiveEQModel? = model != nil || BundledResources.modelPath != nil ? try loadModel(path: model) : nil
        let vocabulary = HostVocabulary(staticTerms: table, model: loaded)
        guard let path = file ?? BundledResources.demoClipPath else {
            throw CLIError("the bundled demo clip is missing (resource bundle not found beside the executable); pass FILE")
        }
        let track: StudioTrack
        do {
            track = try StudioTrack.decode(path: path, id: "opening", name: (path as NSString).lastPathComponent,
                                           maximumSamples: configuration.maximumSamples)
        } catch { throw CLIError("'\(path)': \(error.description)") }
        let state: StudioState
        let open = try loaded.flatMap { try loadOpenVocabulary(for: $0) }
        do {
            state = try StudioState(configuration: configuration, vocabulary: vocabulary, staticTerms: table,
                                    openVocabulary: open, openingTrack: track)
        }
        catch { throw CLIError(error.description) }
        if exposed {
            FileHandle.standardError.write(Data("adaptive-eq: warning: serving on \(host): other machines can reach the studio (with the token; plain HTTP, so use a network you trust)\n".utf8))
        }
        let urlToken = configuration.token
        let app = StudioServer.application(state) { port in
            let shown = StudioAccess.urlHost(host)
            let query = urlToken.map { "?\(StudioAccess.tokenParameter)=\($0)" } ?? ""
            FileHandle.standardOutput.write(Data("adaptive-eq studio: serving http://\(shown):\(port)/\(query) (Ctrl-C stops)\n".utf8))
        }
        let finished = DispatchSemaphore(value: 0)
        let outcome = ServerOutcome()
        Task {
            do { try await app.runService() } catch { outcome.error = error }
            finished.signal()
        }
        // The server stops gracefully on SIGINT/SIGTERM, waiting for open requests; one whose
        // client stopped sending mid-body would hold it forever, so the stop is bounded.
        let folder = state.temporaryFolder
        let watchdogs = [SIGINT, SIGTERM].map { signal -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Self.stopSeconds)) {
                    FileHandle.standardError.write(Data("adaptive-eq: studio stopped with a request still open after \(Self.stopSeconds) s\n".utf8))
                    try? FileManager.default.removeItem(atPath: folder)
                    Foundation.exit(0)
                }
            }
            source.resume()
            return source
        }
        finished.wait()
        watchdogs.forEach { $0.cancel() }
        // Removed here, not only when the state goes: the process may end first.
        try? FileManager.default.removeItem(atPath: folder)
        if let error = outcome.error { throw CLIError("studio server on \(host):\(port): \(error)") }
    }
}

extension StudioCommand {
    /// How long a stop may wait for open requests.
    static let stopSeconds = 3
}

/// How the server's run ended (written by the server task, read after it signals).
private final class ServerOutcome: @unchecked Sendable {
    var error: (any Error)?
}
