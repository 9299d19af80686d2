import AdaptiveEQ
import ArgumentParser
import AudioFile
import EQDSP
import Foundation

enum EngineMode: String, ExpressibleByArgument, CaseIterable {
    case `static`, adaptive
}

struct ProcessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Equalise an audio file towards a word, or with explicit EQ parameters.",
        discussion: """
            Reads WAV, AIFF, FLAC, Ogg/Vorbis, Opus or MP3 (1–8 channels, 8–192 kHz); writes
            .wav, .flac or .aiff with the input's channels, rate and bit depth (float stays
            float; lossy input becomes 24-bit). The output appears only when complete.

            Examples:
              adaptive-eq process mix.wav mix-warm.wav --term warm --intensity 0.7
              adaptive-eq process mix.wav mix.flac --term warm --term-b airy --blend 0.3
              adaptive-eq process mix.wav fixed.wav --term warm --mode static
              adaptive-eq process vox.flac vox.flac.wav --term bright --intensity 1 --force
              adaptive-eq process in.wav out.wav --eq -6,100,0,300,0.71,0,1000,0.71,0,3000,0.71,3,8000

            --eq takes the 13 SAFE-DB parameters in order g1,f1,g2,f2,q2,g3,f3,q3,g4,f4,q4,g5,f5:
            low shelf gain dB / frequency Hz, three peaks (gain dB, frequency Hz, Q), high shelf
            gain dB / frequency Hz. Ranges: gains ±12 dB, f1 22–1000, f2 82–3900, f3 180–4700,
            f4 220–10000, f5 580–20000 Hz, Q 0.1–10.
            """)

    @Argument(help: "Input audio file.")
    var input: String

    @Argument(help: "Output file (.wav, .flac or .aiff).")
    var output: String

    @Option(help: "Word to move the sound towards (see `adaptive-eq terms`).")
    var term: String?

    // Unconditional parsing so "--intensity -0.5" reaches the range check (and its clear
    // message) instead of being taken for an unknown flag.
    @Option(parsing: .unconditional, help: "How far to move towards the word, 0 (no change) … 1.")
    var intensity: Float = 0.7

    @Option(parsing: .unconditional, help: "Manual EQ: 13 comma-separated parameters (see below).")
    var eq: String?

    @Option(name: .customLong("term-b"), help: "A second word to blend with the first.")
    var secondTerm: String?

    @Option(help: "Blend towards --term-b, 0 (first word only) … 1 (second word only).")
    var blend: Float = 0

    @Option(help: "adaptive: listen and correct the audio's own colouration towards the word; static: apply the word's fixed EQ (its SAFE-DB setting, else the decoded word).")
    var mode: EngineMode = .adaptive

    @Option(name: .customLong("analysis-ms"), help: "Adaptive mode: time between analyses in ms.")
    var analysisMilliseconds: Float = ControlParameter.analysisInterval.defaultValue

    @Option(name: .customLong("smoothing-ms"), help: "Time constant of EQ glides in ms.")
    var smoothingMilliseconds: Float = ControlParameter.smoothingTime.defaultValue

    @Option(name: .customLong("output-gain-db"), parsing: .unconditional,
            help: "Gain after the EQ in dB (e.g. -6 to keep strong boosts below full scale).")
    var outputGainDecibels: Float = ControlParameter.outputGain.defaultValue

    @Option(help: "Model file to use instead of the bundled one.")
    var model: String?

    @Option(name: .customLong("block-size"), help: "Frames per processing block, 1…65536.")
    var blockSize: Int = 512

    @Flag(help: "Overwrite OUTPUT if it exists.")
    var force = false

    func validate() throws {
        guard (1...65_536).contains(blockSize) else { throw CLIError("--block-size must be 1…65536, got \(blockSize)") }
        guard intensity.isFinite, (0...1).contains(intensity) else {
            throw CLIError("--intensity must be between 0 and 1, got \(intensity)")
        }
        for (parameter, value) in [(ControlParameter.blend, blend), (.analysisInterval, analysisMilliseconds),
                                   (.smoothingTime, smoothingMilliseconds), (.outputGain, outputGainDecibels)] {
            guard value.isFinite, parameter.range.contains(value) else {
                throw CLIError("--\(parameter.symbol.replacingOccurrences(of: "_", with: "-")) must be \(parameter.range.lowerBound)…\(parameter.range.upperBound), got \(value)")
            }
        }
        switch (term, eq) {
        case (nil, nil): throw CLIError("give --term WORD or --eq PARAMETERS")
        case (.some, .some): throw CLIError("--term and --eq cannot be combined")
        default: break
        }
    }

    func run() throws {
        let renderer = FileRenderer(inputPath: input, outputPath: output, blockSize: blockSize,
                                    overwrite: force, showProgress: true)
        var controls = HostControls()
        controls.analysisIntervalMilliseconds = analysisMilliseconds
        controls.smoothingTimeMilliseconds = smoothingMilliseconds
        controls.outputGainDecibels = outputGainDecibels
        let vocabulary: HostVocabulary?
        if let eq {
            controls.mode = .manual
            controls.manual = try parseManualEQ(eq)
            vocabulary = nil
        } else {
            let words = try loadVocabulary(modelPath: model)
            controls.mode = mode == .static ? .static : .adaptive
            controls.term = try words.termIndex(term!)
            controls.secondTerm = try secondTerm.map { try words.termIndex($0) } ?? controls.term
            controls.blend = blend
            controls.intensity = intensity
            vocabulary = words
        }
        let reader = try renderer.openInput()
        var host = vocabulary.map { HostEqualiser(vocabulary: $0) } ?? HostEqualiser(vocabulary: [])
        host.prepare(ProcessSpec(sampleRateHz: Double(reader.sampleRate), maximumBlockFrames: blockSize,
                                 channelCount: reader.channelCount))
        let summary = try renderer.render(reader, through: &host, controls: controls)
        if let warning = summary.headroomWarning {
            FileHandle.standardError.write("adaptive-eq: \(warning)\n".data(using: .utf8)!)
        }
    }
}

/// Parses `g1,f1,…,f5` and checks every value against the parameter table.
func parseManualEQ(_ text: String) throws -> EQSettings {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        .map { $0.trimmingCharacters(in: .whitespaces) }
    guard parts.count == EQSettings.parameterCount else {
        throw CLIError("--eq needs 13 comma-separated values (g1,f1,g2,f2,q2,g3,f3,q3,g4,f4,q4,g5,f5), got \(parts.count)")
    }
    var values: [Float] = []
    for (i, part) in parts.enumerated() {
        let p = EQParameter(rawValue: i)!
        guard let v = Float(part), v.isFinite else {
            throw CLIError("--eq value \(i + 1) (\(p.symbol), \(p.name)) is not a number: '\(part)'")
        }
        guard p.range.contains(v) else {
            throw CLIError("--eq \(p.symbol) (\(p.name)) = \(part) \(p.unit.rawValue) is outside \(p.range.lowerBound)…\(p.range.upperBound) \(p.unit.rawValue)")
        }
        values.append(v)
    }
    return EQSettings(values: values)!
}
