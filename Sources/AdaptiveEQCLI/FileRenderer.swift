import AdaptiveEQ
import AudioFile
import EQDSP
import Foundation

/// Streams a file through the host equaliser into a new file: constant memory, host-like
/// blocks of `blockSize` frames, the output written to a temporary file and renamed at the
/// end, the overs of a fixed-point output limited so it never clips (`HeadroomWriter`). The
/// input is never opened for writing.
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

    /// What a render wrote, for the headroom report.
    struct Summary {
        var frames = 0
        var sampleRate = 44_100
        /// Largest absolute sample written (before any clipping by the file format).
        var peak: Float = 0
        /// Samples beyond full scale before any reduction.
        var samplesOverFullScale = 0
        var writesFloat = false
        /// What was done to the fixed-point file so it does not clip.
        var fit = HeadroomWriter.Fit()

        /// One line when the output went over full scale, else nil.
        var headroomWarning: String? {
            guard samplesOverFullScale > 0 else { return nil }
            let over = 20 * log10(Double(peak))
            return writesFloat
                ? "warning: output peaks at \(String(format: "%+.1f", over)) dBFS (\(samplesOverFullScale) samples over full scale, kept in the float file); lower --output-gain-db by at least \(String(format: "%.1f", (over * 10).rounded(.up) / 10)) dB before converting to fixed point"
                : "output peaked at \(String(format: "%+.2f", over)) dBFS; "
                    + (fit.wholeFileDecibels < 0 ? "lowered by \(String(format: "%.2f", -fit.wholeFileDecibels)) dB and " : "")
                    + "peaks limited by up to \(String(format: "%.2f", fit.largestLimitingDecibels)) dB to -0.1 dBFS so the fixed-point file does not clip"
        }
    }

    /// Renders `reader` through `host` (prepared for the file's rate and channels) with
    /// `controls`, then each automation step's controls from its time on (blocks are cut at
    /// the steps, which does not change the output otherwise: any block length renders the same).
    @discardableResult
    func render(_ reader: AudioFileReader, through host: inout HostEqualiser, controls: HostControls,
                automation: [(timeSeconds: Double, controls: HostControls)] = []) throws -> Summary {
        let stepFrames = automation.map { Int(($0.timeSeconds * Double(reader.sampleRate)).rounded()) }
        var nextStep = 0
        var current = controls
        let writer = try HeadroomWriter(path: outputPath, sampleRate: reader.sampleRate,
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
        var summary = Summary(writesFloat: writer.writesFloat)
        var total = 0
        while true {
            let got = reader.readPlanar(into: planar, channelStride: chunk, frames: chunk, scratch: interleaved)
            if got <= 0 { break }
            var offset = 0
            while offset < got {
                let position = total + offset
                while nextStep < automation.count && stepFrames[nextStep] <= position {
                    current = automation[nextStep].controls
                    nextStep += 1
                }
                var n = min(blockSize, got - offset)
                if nextStep < automation.count { n = min(n, stepFrames[nextStep] - position) }
                for c in 0..<channels { pointers[c] = planar + c * chunk + offset }
                host.process(pointers, frameCount: n, controls: current)
                offset += n
            }
            if channels == 2 {
                // Stereo in one pass (the compiler turns it into vector shuffles).
                let left = planar, right = planar + chunk
                for i in 0..<got { interleaved[2 &* i] = left[i]; interleaved[2 &* i &+ 1] = right[i] }
            } else {
                for c in 0..<channels {
                    let src = planar + c * chunk
                    for i in 0..<got { interleaved[i * channels + c] = src[i] }
                }
            }
            try writer.write(interleaved, frames: got)
            total += got
            progress.update(framesDone: total)
        }
        summary.fit = try writer.finish(blockFrames: chunk)
        progress.finish()
        summary.peak = writer.peak
        summary.samplesOverFullScale = writer.samplesOverFullScale
        summary.frames = total
        summary.sampleRate = reader.sampleRate
        return summary
    }
}

/// A one-line progress bar on stderr, shown only on a terminal and for files long enough to
/// be worth it (over 5 s of audio).
struct ProgressBar {
    let totalFrames: Int
    let enabled: Bool
    /// Printed before the bar (what is being done, when there is more than one pass).
    let label: String
    private var lastPercent = -1

    init(totalFrames: Int, sampleRate: Int, enabled: Bool, label: String = "") {
        self.totalFrames = max(totalFrames, 1)
        self.label = label
        self.enabled = enabled && isatty(STDERR_FILENO) == 1 && totalFrames > 5 * sampleRate
    }

    mutating func update(framesDone: Int) {
        guard enabled else { return }
        let percent = min(100, framesDone * 100 / totalFrames)
        guard percent != lastPercent else { return }
        lastPercent = percent
        let width = 30, filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write("\r\(label)[\(bar)] \(percent)%".data(using: .utf8)!)
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!)
    }
}
