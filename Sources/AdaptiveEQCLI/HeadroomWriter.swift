import AudioFile
import Foundation

/// Writes the output file so that a fixed-point file never clips.
///
/// Float outputs are written directly (they keep samples over full scale). A fixed-point
/// output is first written as a 32-bit float scratch file beside it while the peak is
/// tracked; `finish` then copies the scratch into the real format, scaled down just enough
/// that the peak lands at `ceiling` (−0.1 dBFS) when it went over full scale, and unchanged
/// (bit for bit the same conversion as a direct write) otherwise. Memory stays one block;
/// the scratch file is deleted whatever happens.
final class HeadroomWriter {
    /// Peak level of a fixed-point output that had to be lowered.
    static let ceiling: Float = 0.988_553  // −0.1 dBFS

    let writesFloat: Bool
    /// Largest absolute sample written so far.
    private(set) var peak: Float = 0
    /// Samples written beyond full scale.
    private(set) var samplesOverFullScale = 0
    private let output: AudioFileWriter
    private let scratch: AudioFileWriter?
    private let scratchPath: String
    private let channelCount: Int

    init(path: String, sampleRate: Int, channelCount: Int, like source: AudioFormat, overwrite: Bool) throws {
        output = try AudioFileWriter(path: path, sampleRate: sampleRate, channelCount: channelCount,
                                     like: source, overwrite: overwrite)
        writesFloat = output.writesFloat
        self.channelCount = channelCount
        let folder = (path as NSString).deletingLastPathComponent
        scratchPath = (folder.isEmpty ? "." : folder) + "/.\((path as NSString).lastPathComponent).float-\(getpid()).w64"
        scratch = writesFloat ? nil
            : try AudioFileWriter(path: scratchPath, sampleRate: sampleRate, channelCount: channelCount,
                                  like: source, overwrite: true, scratch: true)
    }

    deinit { unlink(scratchPath) }

    /// Appends `frames` interleaved frames.
    func write(_ buffer: UnsafePointer<Float>, frames: Int) throws {
        for i in 0..<(frames * channelCount) {
            let magnitude = abs(buffer[i])
            if magnitude > 1 { samplesOverFullScale += 1 }
            peak = max(peak, magnitude)
        }
        try (scratch ?? output).write(buffer, frames: frames)
    }

    /// Completes the output; returns the gain in dB applied to fit a fixed-point file
    /// (0 when nothing was over full scale).
    func finish(blockFrames: Int) throws -> Float {
        guard let scratch else {
            try output.finish()
            return 0
        }
        try scratch.finish()
        let gain: Float = samplesOverFullScale > 0 ? Self.ceiling / peak : 1
        let reader = try AudioFileReader(path: scratchPath)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: blockFrames * channelCount)
        defer { buffer.deallocate() }
        while true {
            let got = reader.read(into: buffer, frames: blockFrames)
            if got <= 0 { break }
            if gain != 1 { for i in 0..<(got * channelCount) { buffer[i] *= gain } }
            try output.write(buffer, frames: got)
        }
        try output.finish()
        return gain == 1 ? 0 : 20 * log10f(gain)
    }
}
