import AdaptiveEQ
import AdaptiveEQResources
import AudioFile
import EQInference
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Studio
import AEQTestSupport

/// The bundled vocabulary and model, loaded once for all studio tests.
let studioVocabulary: (HostVocabulary, StaticTermTable) = {
    let table = try! StaticTermTable(tsv: String(contentsOfFile: BundledResources.staticTermsPath!, encoding: .utf8))
    let model = try! AdaptiveEQModel(path: BundledResources.modelPath!)
    return (HostVocabulary(staticTerms: table, model: model), table)
}()

/// The bundled open vocabulary (every English word), loaded once.
let studioOpenVocabulary = try! OpenVocabulary(path: BundledResources.vocabularyPath!)

/// Two seconds of seeded stereo noise at 44.1 kHz, in a float WAV's format so exports are exact.
func noiseTrack(id: String = "opening", seconds: Double = 2, seed: UInt64 = 7) -> StudioTrack {
    var rng = SeededGenerator(seed: seed)
    let n = Int(44_100 * seconds)
    let channels = (0..<2).map { _ in (0..<n).map { _ in Float.random(in: -0.3...0.3, using: &rng) } }
    return StudioTrack(id: id, name: "noise", sampleRateHz: 44_100,
                       format: AudioFormat(container: .wav, encoding: .float32), channels: channels)
}

/// A studio over the noise track with small limits and its own results folder.
func makeStudio(_ change: (inout StudioConfiguration) -> Void = { _ in }) throws -> (StudioState, String) {
    var configuration = StudioConfiguration()
    configuration.port = 0
    configuration.maximumUploadBytes = 1 << 20
    let results = temporaryFolder()
    configuration.resultsFolder = results
    change(&configuration)
    let state = try StudioState(configuration: configuration, vocabulary: studioVocabulary.0,
                                staticTerms: studioVocabulary.1, openVocabulary: studioOpenVocabulary,
                                openingTrack: noiseTrack())
    return (state, results)
}

/// A reply from the studio server.
struct Reply: Sendable {
    var status: Int
    var body: Data
    var headers: [String: String]
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
    var error: String { json["error"] as? String ?? "" }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Talks HTTP to a studio server on a loopback port.
struct StudioClient: Sendable {
    let port: Int
    /// Long timeouts: the server answers from the shared Swift concurrency pool, which other
    /// suites running in parallel may keep busy for a while on a 2-core machine.
    let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 900
        configuration.timeoutIntervalForResource = 900
        return URLSession(configuration: configuration)
    }()
    var base: String { "http://127.0.0.1:\(port)" }

    func send(_ path: String, method: String = "GET", body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.httpBody = body
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, body: data, headers: fields)
    }

    func get(_ path: String) async throws -> Reply { try await send(path) }
}

/// Runs `state`'s server on a free loopback port for the duration of `body`.
func withStudio(_ state: StudioState, _ body: (StudioClient) async throws -> Void) async throws {
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    // Stopping the server by cancelling its task logs its aborted connections; keep the output clean.
    let app = StudioServer.application(state, logLevel: .critical) { continuation.yield($0) }
    let server = Task { try await app.runService(gracefulShutdownSignals: []) }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw CocoaError(.fileReadUnknown) }
    do { try await body(StudioClient(port: port)) } catch {
        server.cancel()
        throw error
    }
    server.cancel()
    _ = await server.result
}

/// A decoded chunk reply.
struct Chunk {
    var telemetry: [String: Any]
    var input: [[Float]]
    var output: [[Float]]
}

func decodeChunk(_ body: Data, channels: Int) -> Chunk? {
    guard body.count >= 4 else { return nil }
    let bytes = [UInt8](body)
    let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
    guard bytes.count >= 4 + length,
          let telemetry = try? JSONSerialization.jsonObject(with: Data(bytes[4..<(4 + length)])) as? [String: Any],
          let frames = telemetry["frames"] as? Int else { return nil }
    let samples = Array(bytes[(4 + length)...])
    guard samples.count == 2 * channels * frames * 4 else { return nil }
    let floats: [Float] = samples.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    let planes = (0..<(2 * channels)).map { Array(floats[($0 * frames)..<(($0 + 1) * frames)]) }
    return Chunk(telemetry: telemetry, input: Array(planes[0..<channels]), output: Array(planes[channels...]))
}

/// A float WAV file's bytes (written by the project's writer).
func wavBytes(frames: Int, channels: Int = 1, rate: Int = 48_000) throws -> Data {
    let path = temporaryFolder() + "/tone.wav"
    let writer = try AudioFileWriter(path: path, sampleRate: rate, channelCount: channels,
                                     like: AudioFormat(container: .wav, encoding: .float32), overwrite: true)
    let samples = (0..<(frames * channels)).map { Float(sin(Double($0 / channels) * 0.05) * 0.5) }
    try writer.write(samples, frames: frames)
    try writer.finish()
    return FileManager.default.contents(atPath: path)!
}
