import AdaptiveEQ
import ArgumentParser
import AudioFile
import EQDSP
import EQInference
import Foundation

enum EngineMode: String, ExpressibleByArgument, CaseIterable {
    case adaptive, `static`

    init(_ mode: EqualiserMode) { self = mode == .static ? .static : .adaptive }
    var mode: EqualiserMode { self == .static ? .static : .adaptive }
}

enum Toggle: String, ExpressibleByArgument, CaseIterable {
    case on, off
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
              adaptive-eq process album/ extra.flac --output-dir album-warm --term warm --jobs 2
              adaptive-eq process mix.wav out.wav --reference ref.flac --intensity 0.8

            With --reference, the 5-band EQ is fitted to the difference between the
            long-term spectra of the reference and the input (one-third-octave bands,
            response within ±12 dB; docs/VOCABULARY.md), scaled by --intensity (0 =
            exact null, 1 = full match) and applied as a static EQ, with one
            loudness-matching gain for the whole file unless --loudness-match off.
            Each input is read twice (measure, then render); at most the first 30
            minutes of a file are measured.

            With --output-dir, every input file and every audio file below the input folders
            is rendered into that folder under the same relative name (.mp3/.ogg/.opus become
            .wav), --jobs files at a time. Outputs that exist are skipped (--force renders them
            again), so a stopped run resumes; one line per file, a summary, and exit status 1
            if any file failed. --slice I/N renders every N-th file from the I-th (0-based) of
            the sorted list, for batch arrays; --slice auto takes I and N from a Slurm array
            (auto/N: I from Slurm or a Kubernetes Indexed Job, N as given); --summary FILE
            writes the counts as JSON for adaptive-eq merge-summaries (docs/CATALOGUE.md).

            \(manualEQHelp())
            """)

    @Argument(help: "INPUT OUTPUT (output .wav, .flac or .aiff); with --output-dir, input files and folders.")
    var paths: [String] = []
    var input: String { paths[0] }
    var output: String { paths[1] }

    @Option(name: .customLong("output-dir"),
            help: "Render every input file and every audio file in the input folders into this folder, same names (see below).")
    var outputFolder: String?

    @Option(help: "With --output-dir: files rendered at once (default: the machine's cores).")
    var jobs: Int?

    @Option(help: "With --output-dir: render only slice INDEX/COUNT of the sorted file list (0-based; one slice per batch-array task); auto or auto/COUNT takes the index from Slurm or Kubernetes.")
    var slice: String?

    @Option(help: "With --output-dir: also write the summary to this file as one line of JSON (adaptive-eq merge-summaries adds up a batch array's).")
    var summary: String?

    // Flags, help texts, defaults and ranges come from the parameter table
    // (`ControlParameter`). Unconditional parsing lets negative numbers ("--intensity -0.5")
    // reach the range check and its clear message instead of being taken for a flag.

    @Option(name: .customLong(ControlParameter.term.flagName), help: ControlParameter.term.flagHelpWord)
    var term: String?

    @OptionGroup var word: WordFlags

    @Option(name: .customLong(ControlParameter.mode.flagName),
            help: ArgumentHelp("\(ControlParameter.mode.summary) Default: \(EqualiserMode.wordModes[Int(ControlParameter.mode.defaultValue)].label); with --reference, always static."))
    var modeChoice: EngineMode?
    var mode: EngineMode { modeChoice ?? EngineMode(EqualiserMode.wordModes[Int(ControlParameter.mode.defaultValue)]) }

    @Option(help: "Make it sound like this recording: a static EQ matching the input's long-term spectrum to this one's, scaled by --intensity (instead of --term).")
    var reference: String?

    @Option(parsing: .unconditional, help: "Manual EQ: 13 comma-separated parameters (see below).")
    var eq: String?

    @OptionGroup var engine: EngineFlags

    @Option(help: "Automation file (CSV or JSON): control changes at times in seconds, from the starting controls the other options set (docs/AUTOMATION.md).")
    var automation: String?

    @Option(help: "Model file to use instead of the bundled one.")
    var model: String?

    @Option(name: .customLong("block-size"), parsing: .unconditional, help: "Frames per processing block, 1…65536 (any length renders the same).")
    var blockSize: Int = 512

    @Flag(help: "Overwrite OUTPUT if it exists (with --output-dir: render existing outputs again).")
    var force = false

    func validate() throws {
        if outputFolder == nil {
            guard paths.count == 2 else {
                throw CLIError("give INPUT OUTPUT, or input files and folders with --output-dir FOLDER")
            }
            guard jobs == nil && slice == nil && summary == nil else { throw CLIError("--jobs, --slice and --summary need --output-dir") }
        } else {
            guard !paths.isEmpty else { throw CLIError("give the input files or folders to render into --output-dir") }
            // Caught here, before any work, instead of one file-system error per input or a
            // summary lost after the whole render.
            var isFolder: ObjCBool = false
            if let outputFolder, FileManager.default.fileExists(atPath: outputFolder, isDirectory: &isFolder), !isFolder.boolValue {
                throw CLIError("--output-dir '\(outputFolder)' is a file, not a folder")
            }
            if let summary, FileManager.default.fileExists(atPath: summary, isDirectory: &isFolder), isFolder.boolValue {
                throw CLIError("--summary '\(summary)' is a folder; give a file name")
            }
        }
        if let jobs, !(1...256).contains(jobs) { throw CLIError("--jobs must be 1…256, got \(jobs)") }
        _ = try catalogueSlice()
        let blocks = ProcessSpec.blockFrameRange
        guard blocks.contains(blockSize) else {
            throw CLIError("--block-size must be \(blocks.lowerBound)…\(blocks.upperBound), got \(blockSize)")
        }
        switch (term, eq, reference) {
        case (nil, nil, nil): throw CLIError("give --term WORD, --reference FILE or --eq PARAMETERS")
        case (.some, .some, _), (.some, _, .some), (_, .some, .some):
            throw CLIError("--term, --reference and --eq cannot be combined")
        default: break
        }
        if word.blendGiven != nil && word.secondTerm == nil && automation == nil && eq == nil {
            throw CLIError("--blend mixes in a second word: give it with --term-b")
        }
        if eq != nil && (modeChoice != nil || !word.given.isEmpty) {
            let flags = (modeChoice != nil ? ["--mode"] : []) + word.given
            throw CLIError("--eq applies its 13 parameters as given: \(flags.joined(separator: ", ")) would have no effect")
        }
        if reference != nil && (modeChoice == .adaptive || word.secondTerm != nil || automation != nil) {
            throw CLIError("--reference applies one static matching EQ per file: it takes no --mode adaptive, --term-b or --automation")
        }
    }

    func run() throws {
        // Ctrl-C, a kill or a batch system's time limit leaves no hidden partial files behind.
        removePartialFilesOnStopSignals()
        var controls = HostControls()
        engine.apply(to: &controls)
        let vocabulary: Vocabulary?
        var referenceMatch: ReferenceMatch?
        if let eq {
            controls.mode = .manual
            controls.manual = try parseManualEQ(eq)
            vocabulary = nil
        } else if let reference {
            // Measured once here; each input is measured when it is rendered (`RenderJob`).
            referenceMatch = try ReferenceMatch(path: reference, intensity: word.intensity, showProgress: outputFolder == nil)
            vocabulary = nil
        } else {
            // A learnt word as given is a row of the model; anything else (an inferred word,
            // a phrase) becomes one more row, so every host path below stays the same.
            var open: OpenVocabulary?? = nil
            let first = try loadModel(path: model).resolve(term!, vocabulary: &open)
            let second = try word.secondTerm.map { try first.model.resolve($0, vocabulary: &open) }
            for answer in [first.answer] + (second.map { [$0.answer] } ?? []) where !answer.isVerbatimLearnt {
                FileHandle.standardError.write("adaptive-eq: \(answer.provenance)\n".data(using: .utf8)!)
            }
            controls.mode = mode.mode
            controls.term = first.term
            controls.secondTerm = second?.term ?? first.term
            controls.blend = word.blend
            controls.intensity = min(max(word.intensity * first.answer.intensityScale, 0), 1)
            vocabulary = HostVocabulary(staticTerms: try loadStaticTerms(), model: second?.model ?? first.model)
        }
        var job = RenderJob(controls: controls, vocabulary: vocabulary, blockSize: blockSize, overwrite: force)
        job.reference = referenceMatch
        if let automation {
            // Automated words and modes need the vocabulary even when the render starts on --eq.
            job.vocabulary = try vocabulary ?? loadVocabulary(modelPath: model)
            job.automation = try loadAutomation(path: automation, from: controls, vocabulary: job.vocabulary)
        }
        guard let outputFolder else {
            let summary = try job.render(input: input, output: output, showProgress: true)
            if let warning = summary.headroomWarning {
                FileHandle.standardError.write("adaptive-eq: \(warning)\n".data(using: .utf8)!)
            }
            return
        }
        try renderCatalogue(job, into: outputFolder)
    }

    private func renderCatalogue(_ job: RenderJob, into folder: String) throws {
        var listing = try CatalogueListing(inputs: paths, outputFolder: folder)
        let slice = try catalogueSlice()
        listing.keep(slice)
        let run = CatalogueRun(items: listing.items, overwrite: force, slice: slice) { item in
            let summary = try job.render(input: item.input, output: item.output, showProgress: false)
            return (Double(summary.frames) / Double(summary.sampleRate), summary.headroomWarning)
        }
        let result = run.run(jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                             earlyFailures: listing.problems)
        if let summary { try result.write(to: summary) }
        if result.failed > 0 { throw CLIError("\(result.failed) of \(result.files) files failed (listed above)") }
    }

    /// The slice to render: all of it unless --slice says otherwise.
    private func catalogueSlice() throws -> CatalogueSlice {
        try slice.map { try CatalogueSlice($0, environment: ProcessInfo.processInfo.environment) }
            ?? CatalogueSlice(index: 0, count: 1)
    }
}

/// One file render with fixed settings: what `process` does per file, on any thread.
struct RenderJob: Sendable {
    var controls: HostControls
    var vocabulary: HostVocabulary?
    var blockSize: Int
    var overwrite: Bool
    var automation: [(timeSeconds: Double, controls: HostControls)] = []
    /// With a reference, each input is measured first (a second pass over the file) and
    /// rendered with its own matching EQ.
    var reference: ReferenceMatch?

    func render(input: String, output: String, showProgress: Bool) throws -> FileRenderer.Summary {
        let renderer = FileRenderer(inputPath: input, outputPath: output, blockSize: blockSize,
                                    overwrite: overwrite, showProgress: showProgress)
        let reader = try renderer.openInput()
        let controls = try reference?.controls(self.controls, forInput: input, showProgress: showProgress) ?? self.controls
        var host = vocabulary.map { HostEqualiser(vocabulary: $0) } ?? HostEqualiser(vocabulary: [])
        host.prepare(ProcessSpec(sampleRateHz: Double(reader.sampleRate), maximumBlockFrames: blockSize,
                                 channelCount: reader.channelCount), primingEngine: false)
        return try renderer.render(reader, through: &host, controls: controls, automation: automation)
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

/// Reads and checks an automation file; errors name the file and the line.
func loadAutomation(path: String, from controls: HostControls, vocabulary: HostVocabulary?) throws
    -> [(timeSeconds: Double, controls: HostControls)] {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw CLIError("cannot read automation file '\(path)' (missing, unreadable or not UTF-8 text)")
    }
    do { return try Automation(text: text).controlSteps(from: controls, vocabulary: vocabulary) } catch {
        throw CLIError("automation '\(path)' \(error.description)")
    }
}
