import AdaptiveEQ
import EQCore
import EQInference
import Foundation

/// Limits and places of a studio server. Every path here comes from the command line.
public struct StudioConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Largest upload accepted, in bytes.
    public var maximumUploadBytes = 200 << 20
    /// Largest decoded track, in samples over all channels (4 bytes each in memory).
    public var maximumSamples = 64 << 20
    /// Tracks kept in memory (the oldest upload goes first; the opening track stays).
    public var maximumTracks = 6
    /// Listeners rendering at once (the least recently used goes first).
    public var maximumPlayers = 32
    /// A player unused this long (a closed tab) is dropped.
    public var playerIdleSeconds = 120.0
    /// Where blind-test answers are appended (nil = memory only).
    public var resultsFolder: String?
    /// The secret every request must carry (docs/STUDIO.md, "Who may talk to the studio");
    /// nil: none, which is safe only on a loopback address.
    public var token: String?

    public init() {}
}

/// Everything the studio's requests share: the vocabulary, the tracks and the players.
/// Thread-safe; each player serialises its own renders.
public final class StudioState: @unchecked Sendable {
    public let configuration: StudioConfiguration
    public let map: LatentMap?
    public let blindTest: BlindTestLog
    /// Every English word beyond the learnt ones (docs/VOCABULARY.md); nil: learnt words only.
    let openVocabulary: OpenVocabulary?
    let staticTerms: StaticTermTable?
    /// Rows added while serving (a word or phrase typed into the page, a reference track)
    /// at most; beyond, new words are refused until the studio restarts.
    public static let maximumAddedRows = 256
    /// Samples before the equaliser's first response to an impulse (measured at start-up).
    public let measuredLatencySamples: Int
    /// Server-named folder for uploads and exports, removed with the state.
    public let temporaryFolder: String

    let lock = NSLock()
    private var tracks: [StudioTrack] = []
    private var players: [String: StudioPlayer] = [:]
    var words: WordRows
    /// Long-term spectra of the reference rows (by word index) and of tracks (by id), and
    /// matching EQs with their detail at intensity 1 (by "track-id word-index").
    var referenceLevels: [Int: [Double]] = [:]
    /// The reference row of each track id that has one.
    var referenceRows: [String: Int] = [:]
    var trackLevels: [String: [Double]?] = [:]
    var fits: [String: (eq: EQSettings, detail: MatchingDetail)] = [:]

    /// The words the page offers: the learnt vocabulary, then any added rows.
    public var vocabulary: HostVocabulary {
        lock.lock()
        defer { lock.unlock() }
        return words.vocabulary
    }

    /// The words with their support and map position (JSON-ready), in vocabulary order.
    var wordRows: [[String: Any]] {
        lock.lock()
        defer { lock.unlock() }
        return words.rows
    }

    public init(configuration: StudioConfiguration, vocabulary: HostVocabulary, staticTerms: StaticTermTable?,
                openVocabulary: OpenVocabulary? = nil, openingTrack: StudioTrack) throws(StudioError) {
        self.configuration = configuration
        let map = vocabulary.model.map { LatentMap(terms: $0.terms) }
        self.map = map
        self.staticTerms = staticTerms
        self.openVocabulary = vocabulary.model == nil ? nil : openVocabulary
        blindTest = BlindTestLog(folder: configuration.resultsFolder)
        let open = vocabulary.model == nil ? nil : openVocabulary
        words = WordRows(vocabulary: vocabulary, staticTerms: staticTerms, map: map,
                         descriptive: { i in open?.isDescriptive(i) ?? true })
        measuredLatencySamples = Self.measureLatency(vocabulary.settings)
        var template = Array((NSTemporaryDirectory() + "/adaptive-eq-studio-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw .server("cannot create a temporary folder") }
        temporaryFolder = String(cString: made)
        tracks = [openingTrack]
    }

    deinit { try? FileManager.default.removeItem(atPath: temporaryFolder) }

    // MARK: tracks

    public var trackList: [StudioTrack] {
        lock.lock()
        defer { lock.unlock() }
        return tracks
    }

    public func track(_ id: String) -> StudioTrack? { trackList.first { $0.id == id } }

    /// Decodes an upload and keeps it (dropping the oldest upload beyond the limit).
    public func addUpload(_ bytes: UnsafeRawBufferPointer, name: String) throws(StudioError) -> StudioTrack {
        guard bytes.count > 0 else { throw .badAudio("the upload is empty") }
        let id = Self.newID()
        let track = try StudioTrack.decode(bytes: bytes, id: id, name: StudioTrack.displayName(name),
                                           maximumSamples: configuration.maximumSamples,
                                           temporaryFolder: temporaryFolder)
        lock.lock()
        defer { lock.unlock() }
        tracks.append(track)
        while tracks.count > max(configuration.maximumTracks, 2) { tracks.remove(at: 1) }
        return track
    }

    // MARK: players

    /// The player named `id` (made on first use); players idle too long, or beyond the
    /// limit, are dropped.
    public func player(_ id: String) throws(StudioError) -> StudioPlayer {
        guard (8...64).contains(id.count), id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw .badRequest("player: expected 8–64 letters, digits or '-'")
        }
        lock.lock()
        defer { lock.unlock() }
        // A player made before words were added cannot address them: it starts afresh.
        if let p = players[id], p.wordCount == words.vocabulary.words.count { return p }
        let now = ContinuousClock.now
        players = players.filter { now - $0.value.lastUse < .seconds(configuration.playerIdleSeconds) }
        if players.count >= configuration.maximumPlayers,
           let oldest = players.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            players[oldest.key] = nil
        }
        let p = StudioPlayer(vocabulary: words.vocabulary, map: map)
        players[id] = p
        return p
    }

    public var playerCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return players.count
    }

    static func newID() -> String {
        (0..<4).map { _ in String(UInt32.random(in: .min ... .max), radix: 16) }.joined()
    }

    /// Renders an impulse through the equaliser (static mode, first word, full intensity)
    /// and returns the index of the first output sample that responds.
    static func measureLatency(_ words: [EQSettings]) -> Int {
        var eq = HostEqualiser(vocabulary: words)
        eq.prepare(sampleRateHz: 44_100, channelCount: 1)
        var controls = HostControls()
        controls.mode = .static
        controls.intensity = 1
        let n = 256
        let samples = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { samples.deallocate() }
        samples.initialize(repeating: 0, count: n)
        samples[0] = 1
        var input = UnsafePointer(samples)
        var output = samples
        withUnsafePointer(to: &input) { i in
            withUnsafePointer(to: &output) { o in eq.process(inputs: i, outputs: o, frameCount: n, controls: controls) }
        }
        return (0..<n).first { abs(samples[$0]) > 1e-9 } ?? n
    }
}
