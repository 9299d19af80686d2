import CFileCleanup
import CSndfile
import Foundation

/// Errors from reading or writing audio files; `description` is one line for the user.
public enum AudioFileError: Error, CustomStringConvertible, Equatable {
    /// The file at `path` could not be opened or read (missing, a folder, not audio).
    case cannotOpen(path: String, reason: String)
    /// The file opened but its rate, channel count or length is outside what is supported.
    case unsupported(path: String, reason: String)
    /// Writing, finishing or moving the output into place failed.
    case writeFailed(path: String, reason: String)
    /// The output exists and overwriting was not asked for.
    case outputExists(path: String)
    /// The output names the input file (also through links), which is never overwritten.
    case outputIsInput(path: String)

    /// One line for the user, naming the file.
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "cannot read '\(path)': \(reason)"
        case let .unsupported(path, reason): "unsupported audio in '\(path)': \(reason)"
        case let .writeFailed(path, reason): "cannot write '\(path)': \(reason)"
        case let .outputExists(path): "'\(path)' already exists (use --force to overwrite)"
        case let .outputIsInput(path): "output '\(path)' is the input file; choose another output path"
        }
    }
}

/// Container and sample encoding of a file, as libsndfile reports them.
public struct AudioFormat: Sendable, Equatable {
    /// The file type (what the bytes around the samples look like).
    public enum Container: String, Sendable, CaseIterable {
        /// RIFF WAVE (also WAVE_FORMAT_EXTENSIBLE and RF64).
        case wav
        /// AIFF.
        case aiff
        /// FLAC.
        case flac
        /// Ogg (Vorbis or Opus inside).
        case ogg
        /// MPEG audio (MP3).
        case mp3
        /// Any other container libsndfile reads.
        case other
    }
    /// How each sample is stored.
    public enum Encoding: String, Sendable {
        /// 8-bit integer PCM (signed or unsigned).
        case pcm8
        /// 16-bit integer PCM.
        case pcm16
        /// 24-bit integer PCM.
        case pcm24
        /// 32-bit integer PCM.
        case pcm32
        /// 32-bit IEEE float.
        case float32
        /// 64-bit IEEE float.
        case float64
        /// A lossy codec (Vorbis, Opus, MPEG layer I–III); written back as 24-bit PCM.
        case lossy
        /// Any other encoding.
        case other
    }
    /// The file type.
    public var container: Container
    /// The sample encoding.
    public var encoding: Encoding

    /// A format from its two parts.
    public init(container: Container, encoding: Encoding) {
        self.container = container
        self.encoding = encoding
    }

    init(sndfileFormat f: Int32) {
        switch f & Int32(SF_FORMAT_TYPEMASK) {
        case Int32(SF_FORMAT_WAV), Int32(SF_FORMAT_WAVEX), Int32(SF_FORMAT_RF64): container = .wav
        case Int32(SF_FORMAT_AIFF): container = .aiff
        case Int32(SF_FORMAT_FLAC): container = .flac
        case Int32(SF_FORMAT_OGG): container = .ogg
        case Int32(SF_FORMAT_MPEG): container = .mp3
        default: container = .other
        }
        switch f & Int32(SF_FORMAT_SUBMASK) {
        case Int32(SF_FORMAT_PCM_S8), Int32(SF_FORMAT_PCM_U8): encoding = .pcm8
        case Int32(SF_FORMAT_PCM_16): encoding = .pcm16
        case Int32(SF_FORMAT_PCM_24): encoding = .pcm24
        case Int32(SF_FORMAT_PCM_32): encoding = .pcm32
        case Int32(SF_FORMAT_FLOAT): encoding = .float32
        case Int32(SF_FORMAT_DOUBLE): encoding = .float64
        case Int32(SF_FORMAT_VORBIS), Int32(SF_FORMAT_OPUS),
             Int32(SF_FORMAT_MPEG_LAYER_III), Int32(SF_FORMAT_MPEG_LAYER_II),
             Int32(SF_FORMAT_MPEG_LAYER_I): encoding = .lossy
        default: encoding = .other
        }
    }

    /// Container chosen from an output file name's extension (.wav, .flac, .aif/.aiff).
    public static func writableContainer(forPath path: String) -> Container? {
        switch (path as NSString).pathExtension.lowercased() {
        case "wav", "wave": .wav
        case "flac": .flac
        case "aif", "aiff", "aifc": .aiff
        default: nil
        }
    }
}

/// Sample rates the product accepts, in Hz.
public let supportedSampleRates: ClosedRange<Int> = 8_000...192_000
/// Channel counts the product accepts.
public let supportedChannelCounts: ClosedRange<Int> = 1...8

/// Streams a file's samples as interleaved Float frames (libsndfile reads WAV, AIFF, FLAC,
/// Ogg/Vorbis, Opus and MP3). Memory use does not depend on file length.
public final class AudioFileReader {
    /// The path the reader was opened with.
    public let path: String
    /// Frames per second, within `supportedSampleRates`.
    public let sampleRate: Int
    /// Interleaved channels per frame, within `supportedChannelCounts`.
    public let channelCount: Int
    /// Frames the header announces (a truncated file may deliver fewer).
    public let frameCount: Int
    /// Container and encoding, as the header says.
    public let format: AudioFormat
    private let handle: OpaquePointer

    /// Opens `path` for reading. Throws `AudioFileError.cannotOpen` for a missing file, a
    /// folder or something that is not audio, and `.unsupported` for a rate or channel count
    /// outside `supportedSampleRates` and `supportedChannelCounts`.
    public init(path: String) throws(AudioFileError) {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .cannotOpen(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .cannotOpen(path: path, reason: "is a folder") }
        var info = SF_INFO()
        guard let h = sf_open(path, Int32(SFM_READ), &info) else {
            throw .cannotOpen(path: path, reason: Self.libraryReason(String(cString: sf_strerror(nil))))
        }
        handle = h
        sampleRate = Int(info.samplerate)
        channelCount = Int(info.channels)
        frameCount = Int(info.frames)
        format = AudioFormat(sndfileFormat: info.format)
        guard supportedChannelCounts.contains(channelCount) else {
            sf_close(h)
            throw .unsupported(path: path, reason: "\(channelCount) channels (1–8 supported)")
        }
        guard supportedSampleRates.contains(sampleRate) else {
            sf_close(h)
            throw .unsupported(path: path, reason: "sample rate \(sampleRate) Hz (8–192 kHz supported)")
        }
        guard frameCount > 0 else {
            sf_close(h)
            throw .unsupported(path: path, reason: "the file holds no audio frames")
        }
    }

    deinit { sf_close(handle) }

    /// Reads up to `frames` interleaved frames into `buffer`; returns how many were read
    /// (0 at the end of the file).
    public func read(into buffer: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        Int(sf_readf_float(handle, buffer, sf_count_t(frames)))
    }

    static func libraryReason(_ message: String) -> String {
        if message.contains("unknown format") || message.contains("Format not recognised") {
            return "not a recognised audio file (WAV, AIFF, FLAC, Ogg/Vorbis, Opus or MP3)"
        }
        return message.prefix(1).lowercased() + message.dropFirst()
    }
}

/// Writes interleaved Float frames to a temporary file beside the destination and moves it
/// into place only when `finish()` succeeds, so a failed or interrupted run never leaves a
/// half-written output or damages an existing file.
public final class AudioFileWriter {
    /// The destination (written only when `finish()` succeeds).
    public let path: String
    /// Interleaved channels per frame.
    public let channelCount: Int
    /// True when samples are stored as floating point (no clipping at full scale).
    public let writesFloat: Bool
    private let temporaryPath: String
    private var handle: OpaquePointer?
    private var info: SF_INFO
    /// For a float AIFF: the first samples written, as long as they are fewer than the bytes of
    /// the PEAK chunk left out (see `finish`); nil for other files or once the file is longer.
    private var shortAIFF: [Float]?
    private let peakChunkSamples: Int
    /// The temporary file's slot in the list deleted on a stop signal.
    private var cleanupSlot: Int32 = -1

    /// Opens a writer for `path`. The container comes from the extension; the encoding keeps
    /// the source's where the container allows it (float stays float, 16/24-bit stay), and
    /// lossy or otherwise unwritable sources become 24-bit PCM.
    ///
    /// With `scratch`, the file is 32-bit float Sony Wave64 whatever its name (no 4 GB
    /// limit): an intermediate the caller reads back and deletes.
    public init(path: String, sampleRate: Int, channelCount: Int, like source: AudioFormat,
                overwrite: Bool, scratch: Bool = false) throws(AudioFileError) {
        self.path = path
        self.channelCount = channelCount
        guard let container = scratch ? .other : AudioFormat.writableContainer(forPath: path) else {
            throw .writeFailed(path: path, reason: "unknown output type; use .wav, .flac or .aiff")
        }
        if FileManager.default.fileExists(atPath: path) && !overwrite { throw .outputExists(path: path) }
        let major: UInt32
        switch container {
        case .wav: major = UInt32(SF_FORMAT_WAV)
        case .flac: major = UInt32(SF_FORMAT_FLAC)
        case .other: major = UInt32(SF_FORMAT_W64)
        default: major = UInt32(SF_FORMAT_AIFF)
        }
        let minor: UInt32
        switch (source.encoding, container) {
        case (_, .other): minor = UInt32(SF_FORMAT_FLOAT)
        case (.pcm8, .flac), (.pcm16, _): minor = UInt32(SF_FORMAT_PCM_16)
        case (.pcm8, _): minor = container == .wav ? UInt32(SF_FORMAT_PCM_U8) : UInt32(SF_FORMAT_PCM_S8)
        case (.pcm32, .wav), (.pcm32, .aiff): minor = UInt32(SF_FORMAT_PCM_32)
        case (.float32, .wav), (.float32, .aiff): minor = UInt32(SF_FORMAT_FLOAT)
        case (.float64, .wav), (.float64, .aiff): minor = UInt32(SF_FORMAT_DOUBLE)
        default: minor = UInt32(SF_FORMAT_PCM_24)
        }
        writesFloat = minor == UInt32(SF_FORMAT_FLOAT) || minor == UInt32(SF_FORMAT_DOUBLE)
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channelCount)
        info.format = Int32(major | minor)
        guard sf_format_check(&info) != 0 else {
            throw .writeFailed(path: path, reason: "this container cannot hold \(channelCount) channels at \(sampleRate) Hz")
        }
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        temporaryPath = (folder.isEmpty ? "." : folder) + "/.\(name).partial-\(getpid())"
        // Listed before the file exists, so a signal at any moment after finds it.
        let slot = aeq_cleanup_add(temporaryPath)
        guard let h = sf_open(temporaryPath, Int32(SFM_WRITE), &info) else {
            aeq_cleanup_remove(slot)
            let reason = String(cString: sf_strerror(nil))
            throw .writeFailed(path: path, reason: reason.contains("No such file") || reason.contains("ermission")
                ? reason : "cannot create a file in '\(folder.isEmpty ? "." : folder)' (\(reason))")
        }
        handle = h
        self.info = info
        cleanupSlot = slot
        // Integer outputs clip at full scale instead of wrapping around.
        sf_command(h, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        // No PEAK chunk in float files: many readers (scipy among them) warn about it.
        sf_command(h, Int32(SFC_SET_ADD_PEAK_CHUNK), nil, Int32(SF_FALSE))
        // libsndfile's AIFF header is written with the chunk and shrunk at close, which leaves
        // stale bytes when the audio is shorter than the chunk (16 + 8 bytes per channel).
        let sampleBytes = minor == UInt32(SF_FORMAT_DOUBLE) ? 8 : 4
        peakChunkSamples = (16 + 8 * channelCount + sampleBytes - 1) / sampleBytes
        shortAIFF = container == .aiff && writesFloat ? [] : nil
    }

    deinit {
        if let handle {
            sf_close(handle)
            unlink(temporaryPath)
        }
        aeq_cleanup_remove(cleanupSlot)
    }

    /// Appends `frames` interleaved frames.
    public func write(_ buffer: UnsafePointer<Float>, frames: Int) throws(AudioFileError) {
        guard let handle else { throw .writeFailed(path: path, reason: "writer already finished") }
        let written = sf_writef_float(handle, buffer, sf_count_t(frames))
        guard written == frames else {
            throw .writeFailed(path: path, reason: String(cString: sf_strerror(handle)))
        }
        if let kept = shortAIFF {
            let samples = frames * channelCount
            shortAIFF = kept.count + samples < peakChunkSamples
                ? kept + UnsafeBufferPointer(start: buffer, count: samples) : nil
        }
    }

    /// Completes the file and moves it to its destination.
    public func finish() throws(AudioFileError) {
        guard var h = handle else { return }
        handle = nil
        defer { aeq_cleanup_remove(cleanupSlot); cleanupSlot = -1 }
        if let samples = shortAIFF {
            // Too short to leave the PEAK chunk out: written again with it (libsndfile's default).
            sf_close(h)
            guard let again = sf_open(temporaryPath, Int32(SFM_WRITE), &info) else {
                unlink(temporaryPath)
                throw .writeFailed(path: path, reason: String(cString: sf_strerror(nil)))
            }
            h = again
            let frames = samples.count / channelCount
            guard sf_writef_float(h, samples, sf_count_t(frames)) == frames else {
                let reason = String(cString: sf_strerror(h))
                sf_close(h)
                unlink(temporaryPath)
                throw .writeFailed(path: path, reason: reason)
            }
        }
        sf_write_sync(h)
        let status = sf_close(h)
        guard status == 0 else {
            unlink(temporaryPath)
            throw .writeFailed(path: path, reason: "closing failed (\(status))")
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .writeFailed(path: path, reason: reason)
        }
    }
}

/// From now on SIGINT, SIGTERM and SIGHUP delete the hidden partial and scratch files of every
/// output being written before the process stops (as the signal would stop it). For command-line
/// tools; a host that handles these signals itself should not call it.
public func removePartialFilesOnStopSignals() {
    aeq_cleanup_install_handlers()
}

/// True when both paths name the same file (same device and inode), or the same text path.
public func pathsReferToSameFile(_ a: String, _ b: String) -> Bool {
    var sa = stat(), sb = stat()
    if stat(a, &sa) == 0 && stat(b, &sb) == 0 { return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino }
    return (a as NSString).standardizingPath == (b as NSString).standardizingPath
}

extension AudioFileReader {
    /// Reads up to `frames` frames and de-interleaves them: channel `c` goes to
    /// `planar + c * channelStride`. `scratch` must hold `frames * channelCount` samples.
    /// Returns the number of frames read (0 at the end of the file).
    public func readPlanar(into planar: UnsafeMutablePointer<Float>, channelStride: Int, frames: Int,
                           scratch: UnsafeMutablePointer<Float>) -> Int {
        let got = read(into: scratch, frames: frames)
        if channelCount == 2 {
            // Stereo in one pass (the compiler turns it into vector shuffles).
            let left = planar, right = planar + channelStride
            for i in 0..<max(got, 0) { left[i] = scratch[2 &* i]; right[i] = scratch[2 &* i &+ 1] }
            return got
        }
        for c in 0..<channelCount {
            let destination = planar + c * channelStride
            for i in 0..<max(got, 0) { destination[i] = scratch[i * channelCount + c] }
        }
        return got
    }

    /// Reads the rest of the file into memory as planar channels. For short files (tests,
    /// benchmarks, tools); renderers stream instead.
    public func readAllPlanar() -> [[Float]] {
        let chunk = 4096
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channelCount)
        let planar = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channelCount)
        defer { scratch.deallocate(); planar.deallocate() }
        var channels = [[Float]](repeating: [], count: channelCount)
        while true {
            let n = readPlanar(into: planar, channelStride: chunk, frames: chunk, scratch: scratch)
            if n <= 0 { break }
            for c in 0..<channelCount {
                channels[c].append(contentsOf: UnsafeBufferPointer(start: planar + c * chunk, count: n))
            }
        }
        return channels
    }
}
