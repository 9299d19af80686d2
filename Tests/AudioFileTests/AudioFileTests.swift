import AEQTestSupport
import AudioFile
import CSndfile
import Foundation
import Testing

/// Writes `frames` interleaved frames with libsndfile directly in any format it supports.
func writeRaw(_ path: String, format: Int32, sampleRate: Int, channels: Int, samples: [Float]) throws {
    var info = SF_INFO()
    info.samplerate = Int32(sampleRate)
    info.channels = Int32(channels)
    info.format = format
    let handle = try #require(sf_open(path, Int32(SFM_WRITE), &info), "libsndfile cannot write \(path)")
    _ = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t(samples.count / channels)) }
    sf_close(handle)
}

func readAll(_ path: String) throws -> (AudioFileReader, [Float]) {
    let reader = try AudioFileReader(path: path)
    var out: [Float] = []
    let chunk = 1000
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: chunk * reader.channelCount)
    defer { buffer.deallocate() }
    while true {
        let n = reader.read(into: buffer, frames: chunk)
        if n <= 0 { break }
        out += UnsafeBufferPointer(start: buffer, count: n * reader.channelCount)
    }
    return (reader, out)
}

/// Two channels of a 441 Hz sine, the right one 6 dB lower, interleaved.
let tone: [Float] = {
    var out = [Float](repeating: 0, count: 2 * 4410)
    for frame in 0..<4410 {
        let v: Float = 0.5 * sinf(Float(frame) * 2 * Float.pi * 441 / 44_100)
        out[2 * frame] = v
        out[2 * frame + 1] = 0.5 * v
    }
    return out
}()

@Suite struct AudioFileTests {
    @Test(arguments: [
        ("wav", Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), AudioFormat.Encoding.pcm16, Float(1e-4)),
        ("wav", Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_24), .pcm24, 1e-6),
        ("wav", Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT), .float32, 0),
        ("aiff", Int32(SF_FORMAT_AIFF | SF_FORMAT_PCM_16), .pcm16, 1e-4),
        ("flac", Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_24), .pcm24, 1e-6),
        ("ogg", Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS), .lossy, 0.05),
        ("opus", Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS), .lossy, 0.1),
        ("mp3", Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III), .lossy, 0.1),
    ])
    func readsEveryFormat(ext: String, format: Int32, encoding: AudioFormat.Encoding, tolerance: Float) throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rate = ext == "opus" ? 48_000 : 44_100
        let path = "\(dir)/in.\(ext)"
        try writeRaw(path, format: format, sampleRate: rate, channels: 2, samples: tone)
        let (reader, samples) = try readAll(path)
        #expect(reader.channelCount == 2 && reader.sampleRate == rate)
        #expect(reader.format.encoding == encoding)
        if encoding == .lossy {
            // Lossy codecs add delay and change the waveform; check the level survived.
            let rms = (samples.map { $0 * $0 }.reduce(0, +) / Float(max(samples.count, 1))).squareRoot()
            let expected = (tone.map { $0 * $0 }.reduce(0, +) / Float(tone.count)).squareRoot()
            #expect(abs(rms - expected) / expected < 0.25, "level after \(ext): \(rms) vs \(expected)")
        } else {
            #expect(samples.count == tone.count)
            let err = zip(samples, tone).map { abs($0 - $1) }.max() ?? 1
            #expect(err <= tolerance, "\(ext) round trip error \(err)")
        }
    }

    @Test(arguments: [("wav", AudioFormat.Encoding.float32), ("wav", .pcm16), ("wav", .pcm24), ("flac", .pcm16),
                      ("flac", .pcm24), ("aiff", .pcm24), ("aiff", .float32), ("flac", .float32), ("wav", .lossy)])
    func writerKeepsChannelsRateAndASensibleDepth(ext: String, source: AudioFormat.Encoding) throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/out.\(ext)"
        let writer = try AudioFileWriter(path: path, sampleRate: 96_000, channelCount: 2,
                                         like: AudioFormat(container: .wav, encoding: source), overwrite: false)
        try tone.withUnsafeBufferPointer { try writer.write($0.baseAddress!, frames: tone.count / 2) }
        #expect(!FileManager.default.fileExists(atPath: path), "output must not appear before finish()")
        try writer.finish()
        let (reader, samples) = try readAll(path)
        #expect(reader.sampleRate == 96_000 && reader.channelCount == 2 && samples.count == tone.count)
        let expected: AudioFormat.Encoding
        switch (source, ext) {
        case (.float32, "flac"), (.lossy, _): expected = .pcm24
        default: expected = source
        }
        #expect(reader.format.encoding == expected)
        // Nothing but the output is left in the folder (no temporary files).
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.\(ext)"])
    }

    /// Float and double AIFF files of every short length (fewer bytes than the PEAK chunk the
    /// writer leaves out, and just beyond) read back with their frames and samples, written in
    /// one call or frame by frame.
    @Test(arguments: [AudioFormat.Encoding.float32, .float64])
    func shortFloatAIFFReadsBackExactly(encoding: AudioFormat.Encoding) throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for channels in [1, 2, 8] {
            for frames in 1...12 {
                for byFrame in [false, true] {
                    let path = "\(dir)/short-\(channels)-\(frames)-\(byFrame).aiff"
                    let samples = (0..<frames * channels).map { Float($0 + 1) / 64 }
                    let writer = try AudioFileWriter(path: path, sampleRate: 44_100, channelCount: channels,
                                                     like: AudioFormat(container: .wav, encoding: encoding), overwrite: false)
                    try samples.withUnsafeBufferPointer { b in
                        if byFrame {
                            for f in 0..<frames { try writer.write(b.baseAddress! + f * channels, frames: 1) }
                        } else {
                            try writer.write(b.baseAddress!, frames: frames)
                        }
                    }
                    try writer.finish()
                    let (reader, back) = try readAll(path)
                    #expect(reader.channelCount == channels && back == samples, "\(channels) ch, \(frames) frames: \(back)")
                }
            }
        }
    }

    @Test func abandonedWriterLeavesNothingBehind() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let writer = try AudioFileWriter(path: "\(dir)/x.wav", sampleRate: 44_100, channelCount: 1,
                                             like: AudioFormat(container: .wav, encoding: .pcm16), overwrite: false)
            try tone.withUnsafeBufferPointer { try writer.write($0.baseAddress!, frames: 100) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func writerRefusesExistingFileWithoutOverwrite() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: "\(dir)/x.wav", contents: Data([1, 2, 3]))
        #expect(throws: AudioFileError.outputExists(path: "\(dir)/x.wav")) {
            _ = try AudioFileWriter(path: "\(dir)/x.wav", sampleRate: 44_100, channelCount: 1,
                                    like: AudioFormat(container: .wav, encoding: .pcm16), overwrite: false)
        }
        #expect(FileManager.default.contents(atPath: "\(dir)/x.wav") == Data([1, 2, 3]))
    }

    @Test func badFilesGiveClearErrors() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: "\(dir)/empty.wav", contents: Data())
        FileManager.default.createFile(atPath: "\(dir)/text.wav", contents: Data("hello, not audio\n".utf8))
        // A valid header with no frames.
        try writeRaw("\(dir)/zero.wav", format: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), sampleRate: 44_100,
                     channels: 1, samples: [])
        // 9 channels and a 4 kHz rate are outside what the product supports.
        try writeRaw("\(dir)/nine.wav", format: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), sampleRate: 44_100,
                     channels: 9, samples: [Float](repeating: 0, count: 90))
        try writeRaw("\(dir)/slow.wav", format: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), sampleRate: 4_000,
                     channels: 1, samples: [Float](repeating: 0, count: 90))
        for (name, fragment) in [("empty.wav", "cannot read"), ("text.wav", "not a recognised audio file"),
                                 ("zero.wav", "no audio frames"), ("nine.wav", "9 channels"),
                                 ("slow.wav", "sample rate 4000"), ("missing.wav", "no such file")] {
            do {
                _ = try AudioFileReader(path: "\(dir)/\(name)")
                Issue.record("\(name) was accepted")
            } catch {
                #expect(error.description.contains(fragment), "\(name): \(error.description)")
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test func truncatedFileReadsWhatIsThere() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeRaw("\(dir)/full.wav", format: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), sampleRate: 44_100,
                     channels: 2, samples: tone)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/full.wav"))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: "\(dir)/cut.wav"))
        let (_, samples) = try readAll("\(dir)/cut.wav")
        #expect(samples.count > 0 && samples.count < tone.count)
    }
}
