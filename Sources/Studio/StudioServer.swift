import AdaptiveEQ
import AudioFile
import EQCore
import EQDSP
import Foundation
import Hummingbird
import Logging

/// The studio's HTTP interface: the page and its files, track upload, chunked rendering for
/// playback, export, and the blind test. See docs/STUDIO.md for the API.
public enum StudioServer {
    /// The application serving `state` at its configured host and port.
    public static func application(_ state: StudioState, logLevel: Logger.Level = .warning,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var logger = Logger(label: "adaptive-eq studio")
        logger.logLevel = logLevel
        return Application(router: router(state),
                           configuration: .init(address: .hostname(state.configuration.host, port: state.configuration.port),
                                                serverName: "adaptive-eq studio"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
                           logger: logger)
    }

    public static func router(_ state: StudioState) -> Router<StudioRequestContext> {
        let router = Router(context: StudioRequestContext.self)
        router.middlewares.add(StudioAccessMiddleware(access: StudioAccess(configuration: state.configuration)))
        let files = StudioWebFiles.load()
        router.get("/") { _, _ in files.response("index.html") }
        router.get("/static/:file") { _, context in files.response(context.parameters.get("file") ?? "") }
        router.get("/api/info") { _, _ in respond { json(info(state)) } }
        router.post("/api/tracks") { request, _ in
            await respondAsync {
                if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > state.configuration.maximumUploadBytes {
                    throw StudioError.tooLarge(uploadLimitMessage(state))
                }
                let body: ByteBuffer
                do { body = try await request.body.collect(upTo: state.configuration.maximumUploadBytes) } catch {
                    throw StudioError.tooLarge(uploadLimitMessage(state))
                }
                let field = request.headers.first { $0.name.canonicalName == "x-file-name" }
                let name = field.flatMap { $0.value.removingPercentEncoding } ?? "upload"
                let bytes = Array(body.readableBytesView)
                let track = try bytes.withUnsafeBytes { try state.addUpload($0, name: name) }
                return json(trackInfo(track), status: .created)
            }
        }
        router.get("/api/word") { request, _ in
            respond {
                guard let text = request.uri.queryParameters["text"].map(String.init) else { throw StudioError.badRequest("text: missing") }
                return json(["index": try state.wordIndex(text), "words": state.wordRows])
            }
        }
        router.post("/api/reference") { request, _ in
            respond { json(["index": try state.addReference(track: track(request, state).id), "words": state.wordRows]) }
        }
        router.get("/api/chunk") { request, _ in respond { try chunk(request, state) } }
        router.get("/api/export") { request, _ in await respondAsync { try await onOwnThread { try export(request, state) } } }
        router.post("/api/blind") { request, _ in
            await respondAsync {
                let body: ByteBuffer
                do { body = try await request.body.collect(upTo: maximumAnswerBytes) } catch {
                    throw StudioError.tooLarge("an answer is at most \(maximumAnswerBytes) bytes of JSON")
                }
                return try blindAnswer(body, state)
            }
        }
        router.get("/api/blind/summary") { _, _ in
            respond {
                let rows = state.blindTest.summary.map { r -> [String: Any] in
                    ["word": r.word, "trials": r.trials, "correct": r.correct, "pValue": r.pValue]
                }
                return json(["words": rows, "answers": state.blindTest.all.count])
            }
        }
        router.get("/api/blind/results.csv") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                            .contentDisposition: "attachment; filename=\"blind-test.csv\""],
                     body: .init(byteBuffer: ByteBuffer(string: state.blindTest.csv)))
        }
        return router
    }

    // MARK: - handlers

    static func info(_ state: StudioState) -> [String: Any] {
        return [
            "words": state.wordRows, "openVocabulary": state.openVocabulary != nil, "controls": StudioControls.table, "tracks": state.trackList.map(trackInfo),
            "adaptive": state.vocabulary.model != nil, "latencySamples": state.measuredLatencySamples,
            "maximumUploadBytes": state.configuration.maximumUploadBytes,
            "blockFrames": StudioPlayer.blockFrames, "maximumChunkFrames": StudioPlayer.maximumChunkFrames,
            "curveFrequencies": curveFrequencies,
        ]
    }

    static func trackInfo(_ t: StudioTrack) -> [String: Any] {
        ["id": t.id, "name": t.name, "sampleRate": t.sampleRateHz, "channels": t.channelCount,
         "frames": t.frameCount, "seconds": t.seconds]
    }

    static func uploadLimitMessage(_ state: StudioState) -> String {
        "the file is larger than the upload limit of \(state.configuration.maximumUploadBytes >> 20) MB"
    }

    static func track(_ request: Request, _ state: StudioState) throws(StudioError) -> StudioTrack {
        guard let id = request.uri.queryParameters["track"].map(String.init) else { throw .badRequest("track: missing") }
        guard let track = state.track(id) else { throw .notFound("track: no such track (it may have been replaced by newer uploads)") }
        return track
    }

    /// The controls of a request. A word not listed yet (any word or phrase) is looked up and
    /// added first; a phrase's intensity factor ("a bit", "very") scales the intensity.
    static func controls(_ request: Request, _ state: StudioState, track: StudioTrack) throws(StudioError) -> HostControls {
        let query = request.uri.queryParameters
        let words = [ControlParameter.term.symbol, ControlParameter.secondTerm.symbol]
        // A form-encoded space arrives as "+" (no word contains one): "a+bit+bright".
        func value(_ symbol: String) -> String? {
            let text = query[symbol[...]].map(String.init)
            return words.contains(symbol) ? text?.replacingOccurrences(of: "+", with: " ") : text
        }
        // Each word as its row, looked up as `/api/word` does ("warmer" is the row of "warm").
        // A word still to be added ("a bit nasal") stands as row 0 while every other control
        // is checked, so a refused request adds nothing.
        var rows: [String: String] = [:]
        var toAdd: [(symbol: String, text: String)] = []
        for symbol in words {
            guard let text = value(symbol) else { continue }
            if Int(text) != nil {
                rows[symbol] = text
            } else if let row = try state.existingWordIndex(text, field: symbol) {
                rows[symbol] = String(row)
            } else {
                rows[symbol] = "0"
                toAdd.append((symbol, text))
            }
        }
        var controls = try StudioControls.parse({ rows[$0] ?? value($0) }, words: state.vocabulary.words)
        if !toAdd.isEmpty {
            for (symbol, text) in toAdd { rows[symbol] = String(try state.wordIndex(text, field: symbol)) }
            controls = try StudioControls.parse({ rows[$0] ?? value($0) }, words: state.vocabulary.words)
        }
        controls.intensity = min(max(controls.intensity * state.intensityScale(at: controls.term), 0), 1)
        return state.matchingControls(controls, track: track)
    }

    static func integer(_ request: Request, _ name: String, in range: ClosedRange<Int>) throws(StudioError) -> Int {
        guard let text = request.uri.queryParameters[name[...]], let v = Int(text), range.contains(v) else {
            throw .badRequest("\(name): expected a whole number in \(range.lowerBound) … \(range.upperBound)")
        }
        return v
    }

    /// Frequencies of the EQ curves sent with each chunk: 20 Hz … 20 kHz, 10 per octave.
    static let curveFrequencies: [Double] = (0...99).map { 20 * pow(2, Double($0) / 10) }

    /// One stretch of playback: a little-endian UInt32 length, that many bytes of JSON
    /// telemetry, padding to 4 bytes, then Float32 samples: every input channel, then every
    /// output channel, `frames` each.
    static func chunk(_ request: Request, _ state: StudioState) throws(StudioError) -> Response {
        guard let playerID = request.uri.queryParameters["player"].map(String.init) else { throw .badRequest("player: missing") }
        _ = try state.player(playerID)  // the id's check, before anything is added
        let track = try track(request, state)
        let position = try integer(request, "pos", in: 0...track.frameCount)
        let frames = try integer(request, "frames", in: 1...StudioPlayer.maximumChunkFrames)
        let controls = try controls(request, state, track: track)
        // Fetched after the controls: a word they added makes the listener's player anew.
        let player = try state.player(playerID)
        let (output, t) = player.render(track, from: position, frames: frames, controls: controls)
        let rate = Double(track.sampleRateHz)
        func curve(_ response: (Double) -> Double) -> [Double] {
            curveFrequencies.map { f in f < rate / 2 ? (response(f) * 100).rounded() / 100 : 0 }
        }
        func curve(_ s: EQSettings) -> [Double] { curve { s.magnitudeDecibels(atFrequency: $0, sampleRateHz: rate) } }
        var telemetry: [String: Any] = [
            "position": t.position, "frames": t.frames, "restarted": t.restarted,
            "applied": curve { t.applied.magnitudeDecibels(atFrequency: $0, sampleRateHz: rate) },
            "target": curve(t.applied.target), "targetParameters": t.applied.target.values.map(Double.init),
            "correction": curve(t.applied.correction),
            "loudnessGainDecibels": (Double(t.applied.loudnessGainDecibels) * 100).rounded() / 100,
            "blockMicrosecondsMean": t.blockMicrosecondsMean, "blockMicrosecondsMax": t.blockMicrosecondsMax,
            // Finite for any track (squares of float samples beyond 1.8e19 overflow), or the
            // JSON could not be written at all.
            "inputMeanSquare": finite(t.inputMeanSquare), "outputMeanSquare": finite(t.outputMeanSquare),
            "latencySamples": state.measuredLatencySamples,
        ]
        if let c = t.colouration { telemetry["colouration"] = curve(c) }
        if let p = t.audioPosition { telemetry["audio"] = [Double(p.x), Double(p.y)] }
        let header = (try? JSONSerialization.data(withJSONObject: telemetry)) ?? Data("{}".utf8)
        let padded = (header.count + 3) / 4 * 4
        var buffer = ByteBuffer()
        buffer.reserveCapacity(4 + padded + 8 * t.frames * track.channelCount)
        buffer.writeInteger(UInt32(padded), endianness: .little)
        buffer.writeBytes(header)
        buffer.writeRepeatingByte(UInt8(ascii: " "), count: padded - header.count)
        for c in 0..<track.channelCount {
            track.channels[c][t.position..<(t.position + t.frames)].withUnsafeBytes { _ = buffer.writeBytes($0) }
        }
        for c in output { c.withUnsafeBytes { _ = buffer.writeBytes($0) } }
        return Response(status: .ok, headers: [.contentType: "application/octet-stream", .cacheControl: "no-store"],
                        body: .init(byteBuffer: buffer))
    }

    /// The whole track rendered with the given controls, as a WAV file in the track's encoding.
    static func export(_ request: Request, _ state: StudioState) throws(StudioError) -> Response {
        let track = try track(request, state)
        let controls = try controls(request, state, track: track)
        let player = StudioPlayer(vocabulary: state.vocabulary, map: nil)
        let path = state.temporaryFolder + "/export-\(StudioState.newID()).wav"
        defer { unlink(path) }
        do {
            // Fixed-point tracks export like the CLI's files: overs limited, never clipped.
            let writer = try HeadroomWriter(path: path, sampleRate: track.sampleRateHz, channelCount: track.channelCount,
                                            like: track.format, overwrite: false)
            var position = 0
            var interleaved = [Float](repeating: 0, count: StudioPlayer.maximumChunkFrames * track.channelCount)
            while position < track.frameCount {
                let (out, t) = player.render(track, from: position, frames: StudioPlayer.maximumChunkFrames, controls: controls)
                for (c, samples) in out.enumerated() {
                    for i in 0..<t.frames { interleaved[i * out.count + c] = samples[i] }
                }
                try writer.write(interleaved, frames: t.frames)
                position += t.frames
            }
            try writer.finish(blockFrames: StudioPlayer.maximumChunkFrames)
        } catch { throw .server("export failed: \(error.userReason)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw .server("export failed: cannot read the rendered file") }
        let word = state.vocabulary.words.indices.contains(controls.term) ? state.vocabulary.words[controls.term] : "eq"
        let name = "\(StudioTrack.displayName(track.name).replacingOccurrences(of: " ", with: "_"))-\(word).wav"
        return Response(status: .ok, headers: [.contentType: "audio/wav",
                                               .contentDisposition: "attachment; filename=\"\(name)\""],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A blind-test answer is a few short fields.
    static let maximumAnswerBytes = 4096

    /// What the page sends for an answer; typed, so `true` is no intensity and `5` no track.
    struct AnswerRequest: Decodable {
        var word: String
        var intensity: Float
        var processed: String
        var chosen: String
        var mode: String?
        var track: String?
    }

    static func blindAnswer(_ body: ByteBuffer, _ state: StudioState) throws -> Response {
        let request: AnswerRequest
        do { request = try JSONDecoder().decode(AnswerRequest.self, from: Data(body.readableBytesView)) } catch {
            throw StudioError.badRequest("expected a JSON object with word, intensity (a number), processed and chosen (\"A\" or \"B\"), and optionally mode and track (strings)")
        }
        guard state.vocabulary.words.contains(request.word) else { throw StudioError.badRequest("word: not in the vocabulary") }
        guard request.intensity.isFinite, (0...1).contains(request.intensity) else {
            throw StudioError.badRequest("intensity: expected a number in 0 … 1")
        }
        let sides = ["A", "B"]
        guard sides.contains(request.processed), sides.contains(request.chosen) else {
            throw StudioError.badRequest("processed and chosen: expected \"A\" or \"B\"")
        }
        let mode = request.mode ?? "adaptive"
        guard ["adaptive", "static"].contains(mode) else { throw StudioError.badRequest("mode: expected adaptive or static") }
        var trackName = ""
        if let id = request.track {
            guard let track = state.track(id) else { throw StudioError.badRequest("track: no such track") }
            trackName = track.name
        }
        let answer = BlindAnswer(word: request.word, intensity: request.intensity, mode: mode, track: trackName,
                                 processed: request.processed, chosen: request.chosen, time: Date().timeIntervalSince1970)
        try state.blindTest.record(answer)
        return json(["stored": true, "correct": answer.correct], status: .created)
    }

    /// `v`, or the largest finite double for +∞ and 0 for NaN.
    static func finite(_ v: Double) -> Double { v.isNaN ? 0 : min(max(v, -.greatestFiniteMagnitude), .greatestFiniteMagnitude) }

    // MARK: - responses

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func failure(_ error: any Error) -> Response {
        guard let e = error as? StudioError else { return json(["error": "bad request"], status: .badRequest) }
        let status: HTTPResponse.Status = switch e {
        case .badRequest, .badAudio: .badRequest
        case .tooLarge: .contentTooLarge
        case .notFound: .notFound
        case .server: .internalServerError
        }
        return json(["error": e.description], status: status)
    }

    static func respond(_ body: () throws -> Response) -> Response {
        do { return try body() } catch { return failure(error) }
    }

    static func respondAsync(_ body: () async throws -> Response) async -> Response {
        do { return try await body() } catch { return failure(error) }
    }

    /// Runs `work` on a thread of its own at a lower priority (nice 10): a whole-track render
    /// would otherwise hold one of the few threads (one per core) that serve every request,
    /// and two exports stalled playback for seconds.
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                #if canImport(Glibc)
                // Linux keeps the nice value per thread; 0 names the calling one.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
                #endif
                continuation.resume(with: Result { try work() })
            }.start()
        }
    }
}
