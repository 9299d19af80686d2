import AudioFile
import Foundation

/// A whole audio file decoded into memory (planar floats), as the studio plays it.
/// Immutable once made, so any number of requests may read it at once.
public final class StudioTrack: Sendable {
    /// Server-made identifier (never derived from request data).
    public let id: String
    /// Name shown in the page (the upload's name, reduced to safe characters).
    public let name: String
    public let sampleRateHz: Int
    public let format: AudioFormat
    /// One array per channel, all `frameCount` long.
    public let channels: [[Float]]

    public var channelCount: Int { channels.count }
    public var frameCount: Int { channels.first?.count ?? 0 }
    public var seconds: Double { Double(frameCount) / Double(sampleRateHz) }

    public init(id: String, name: String, sampleRateHz: Int, format: AudioFormat, channels: [[Float]]) {
        self.id = id
        self.name = name
        self.sampleRateHz = sampleRateHz
        self.format = format
        self.channels = channels
    }

    /// Decodes `path` (any format libsndfile reads; 1–8 channels, 8–192 kHz).
    public static func decode(path: String, id: String, name: String, maximumSamples: Int) throws(StudioError) -> StudioTrack {
        let reader: AudioFileReader
        do { reader = try AudioFileReader(path: path) } catch { throw .badAudio(error.userReason) }
        guard reader.frameCount <= maximumSamples / reader.channelCount else {
            let limit = Double(maximumSamples / reader.channelCount) / Double(reader.sampleRate)
            throw .tooLarge("the audio is longer than the studio's limit of \(Int(limit)) s at this rate and channel count")
        }
        let channels = reader.readAllPlanar()
        guard let first = channels.first, !first.isEmpty else { throw .badAudio("the file holds no audio frames") }
        // Non-finite samples would poison the meters; the engine treats them as silence too.
        let clean = channels.map { $0.map { $0.isFinite ? $0 : 0 } }
        return StudioTrack(id: id, name: name, sampleRateHz: reader.sampleRate, format: reader.format, channels: clean)
    }

    /// Decodes uploaded bytes: they go to a temporary file the server names itself (libsndfile
    /// reads from paths), which is removed before returning.
    public static func decode(bytes: UnsafeRawBufferPointer, id: String, name: String,
                              maximumSamples: Int, temporaryFolder: String) throws(StudioError) -> StudioTrack {
        let path = temporaryFolder + "/upload-\(id).audio"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw .server("cannot store the upload in a temporary file")
        }
        defer { unlink(path) }
        return try decode(path: path, id: id, name: name, maximumSamples: maximumSamples)
    }

    /// `name` reduced to letters, digits, space, `.`, `-` and `_` (at most 80 characters), for display only.
    public static func displayName(_ name: String) -> String {
        let kept = name.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || " .-_".unicodeScalars.contains($0) }
        let text = String(String.UnicodeScalarView(kept.prefix(80))).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "upload" : text
    }
}

/// A request the studio refuses, with the one-line message shown in the page.
public enum StudioError: Error, CustomStringConvertible, Equatable {
    case badRequest(String)
    case badAudio(String)
    case tooLarge(String)
    case notFound(String)
    case server(String)

    public var description: String {
        switch self {
        case let .badRequest(m), let .notFound(m), let .server(m): m
        case let .badAudio(m): "not a playable audio file: \(m)"
        case let .tooLarge(m): m
        }
    }
}

extension AudioFileError {
    /// The reason without the (server-side) path, for messages shown to the page.
    var userReason: String {
        switch self {
        case let .cannotOpen(_, reason), let .unsupported(_, reason), let .writeFailed(_, reason): reason
        case .outputExists: "output exists"
        case .outputIsInput: "output is the input"
        }
    }
}
