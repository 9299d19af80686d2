import AudioFile
import EQDSP
import Foundation

/// Streams a file through a block processor into a new file: constant memory, host-like
/// blocks of `blockSize` frames, the output written to a temporary file and renamed at the
/// end. The input is never opened for writing.
struct FileRenderer {
    var inputPath: String
    var outputPath: String
    var blockSize: Int
    var overwrite: Bool
    var showProgress: Bool

    /// Opens the input and checks the output path before any processing starts.
    func openInput() throws -> AudioFileReader {
        if FileManager.default.fileExists(atPath: outputPath) && pathsReferToSameFile(inputPath, outputPath) {
            throw AudioFileError.outputIsInput(path: outputPath)
        }
        let reader = try AudioFileReader(path: inputPath)
        if FileManager.default.fileExists(atPath: outputPath) && !overwrite {
            throw AudioFileError.outputExists(path: outputPath)
        }
        guard AudioFormat.writableContainer(forPath: outputPath) != nil else {
            throw AudioFileError.writeFailed(path: outputPath, reason: "unknown output type; use .wav, .flac or .aiff")
        }
        return reader
    }

    /// Renders `reader` through `processor`; returns the number of frames written.
    @discardableResult
    func render<P: AudioBlockProcessor & ~Copyable>(_ reader: AudioFileReader, through processor: inout P) throws -> Int {
        let writer = try AudioFileWriter(path: outputPath, sampleRate: reader.sampleRate,
                                         channelCount: reader.channelCount, like: reader.format,
                                         overwrite: overwrite)
        let channels = reader.channelCount
        let chunk = max(blockSize, 4096)
        let interleaved = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
        let planar = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: channels)
        defer { interleaved.deallocate(); planar.deallocate(); pointers.deallocate() }
        var progress = ProgressBar(totalFrames: reader.frameCount, sampleRate: reader.sampleRate,
                                   enabled: showProgress)
        var total = 0
        while true {
            let got = reader.readPlanar(into: planar, channelStride: chunk, frames: chunk, scratch: interleaved)
            if got <= 0 { break }
            var offset = 0
            while offset < got {
                let n = min(blockSize, got - offset)
                for c in 0..<channels { pointers[c] = planar + c * chunk + offset }
                processor.process(pointers, frameCount: n)
                offset += n
            }
            for c in 0..<channels {
                let src = planar + c * chunk
                for i in 0..<got { interleaved[i * channels + c] = src[i] }
            }
            try writer.write(interleaved, frames: got)
            total += got
            progress.update(framesDone: total)
        }
        progress.finish()
        try writer.finish()
        return total
    }
}

/// A one-line progress bar on stderr, shown only on a terminal and for files long enough to
/// be worth it (over 5 s of audio).
struct ProgressBar {
    let totalFrames: Int
    let enabled: Bool
    private var lastPercent = -1

    init(totalFrames: Int, sampleRate: Int, enabled: Bool) {
        self.totalFrames = max(totalFrames, 1)
        self.enabled = enabled && isatty(STDERR_FILENO) == 1 && totalFrames > 5 * sampleRate
    }

    mutating func update(framesDone: Int) {
        guard enabled else { return }
        let percent = min(100, framesDone * 100 / totalFrames)
        guard percent != lastPercent else { return }
        lastPercent = percent
        let width = 30, filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write("\r[\(bar)] \(percent)%".data(using: .utf8)!)
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!)
    }
}
