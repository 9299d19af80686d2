import AdaptiveEQ
import ArgumentParser
import AudioFile
import EQAnalysis
import EQDSP
import EQInference
import Foundation

/// Runs the adaptive engine over a file exactly as `process` would and reports what it
/// heard and what it would do.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Show an audio file's semantic profile and the EQ a word would apply.",
        discussion: """
            Prints the words nearest to the audio's own colouration (latent distance; smaller
            is closer), the EQ that --term at --intensity applies (averaged over the file and
            at the end), a suggested intensity (the one whose applied EQ peaks at about 6 dB,
            a clear but not drastic change), and optionally a plot.

            With --reference, prints instead the matching EQ that `process --reference` would
            apply (its 13 parameters, as --eq takes them, and its response), the loudness-matching
            gain, and the tonal-balance distance to the reference before and after (RMS dB over
            100 Hz–10 kHz, level removed, predicted from the long-term spectra and the EQ's response).

            Examples:
              adaptive-eq analyze mix.wav
              adaptive-eq analyze mix.wav --reference ref.flac --intensity 1
              adaptive-eq analyze mix.wav --term bright --intensity 0.5 --json
              adaptive-eq analyze mix.wav --term warm --plot warm.svg
            """)

    @Argument(help: "Input audio file.")
    var input: String

    @Option(name: .customLong("term"), help: "Word whose EQ to show (default: warm).")
    var termChoice: String?
    var term: String { termChoice ?? "warm" }

    @Option(help: "A reference recording: show the matching EQ towards it instead of a word's EQ.")
    var reference: String?

    @Option(name: .customLong(ControlParameter.intensity.flagName), parsing: .unconditional,
            help: ControlParameter.intensity.flagHelp)
    var intensity: Float = ControlParameter.intensity.defaultValue

    @Option(help: "How many nearest words to list.")
    var top = 5

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Write a plot of the EQ curves and spectra (.svg, or .png when rsvg-convert is installed).")
    var plot: String?

    @Flag(help: "Replace the --plot file if it exists.")
    var force = false

    @Option(name: .customLong(ControlParameter.correctionLimit.flagName), parsing: .unconditional,
            help: ControlParameter.correctionLimit.flagHelp)
    var correctionLimitDecibels: Float = ControlParameter.correctionLimit.defaultValue

    @Option(name: .customLong(ControlParameter.loudnessMatch.flagName), help: ControlParameter.loudnessMatch.flagHelpChoice)
    var loudnessMatch: Toggle = ControlParameter.loudnessMatch.defaultValue >= 0.5 ? .on : .off

    @Option(help: "Model file to use instead of the bundled one.")
    var model: String?

    func validate() throws {
        _ = try ControlParameter.intensity.checked(intensity)
        guard (1...50).contains(top) else { throw CLIError("--top must be 1…50") }
        _ = try ControlParameter.correctionLimit.checked(correctionLimitDecibels)
        if let plot, !(plot.hasSuffix(".svg") || plot.hasSuffix(".png")) { throw CLIError("--plot must end in .svg or .png") }
        if let plot, pathsReferToSameFile(plot, input) { throw CLIError("--plot '\(plot)' is the input file") }
        if let plot, !force, FileManager.default.fileExists(atPath: plot) {
            throw CLIError("'\(plot)' exists; add --force to replace it")
        }
        if reference != nil && termChoice != nil { throw CLIError("--term and --reference cannot be combined") }
    }

    func run() throws {
        if let reference { return try analyzeReference(reference) }
        let base = try loadModel(path: model)
        var vocabulary: OpenVocabulary?? = .some(try loadOpenVocabulary(for: base))
        let resolved = try base.resolve(term, vocabulary: &vocabulary)
        let (model, termIndex) = (resolved.model, resolved.term)
        let intensity = min(max(self.intensity * resolved.answer.intensityScale, 0), 1)
        let (wordLine, learnt) = (resolved.answer.provenance, resolved.answer.isLearnt)
        let label = term
        let reader = try AudioFileReader(path: input)
        let fs = Double(reader.sampleRate), channels = reader.channelCount
        let chunk = 4096
        var engine = StreamingAdaptiveEQ(model: model, target: AdaptiveTarget(term: termIndex, intensity: intensity))
        engine.prepare(ProcessSpec(sampleRateHz: fs, maximumBlockFrames: chunk, channelCount: channels))
        engine.correctionLimitDecibels = correctionLimitDecibels
        engine.matchesLoudness = loudnessMatch == .on
        let inputSpectrum = MeanLogMel(model: model, sampleRate: fs)
        let outputSpectrum = MeanLogMel(model: model, sampleRate: fs)

        let interleaved = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
        let planar = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: channels)
        let z = UnsafeMutablePointer<Float>.allocate(capacity: model.latentCount)
        defer { interleaved.deallocate(); planar.deallocate(); pointers.deallocate(); z.deallocate() }
        var zSum = [Double](repeating: 0, count: model.latentCount)
        var latents = 0
        var timeline: [(seconds: Double, audio: EQSettings, correction: EQSettings, target: EQSettings, gain: Float)] = []
        var seen = 0, framesDone = 0
        // The applied EQ as the filters hold it after each block (`StreamingAdaptiveEQ.applied`,
        // what `HostEqualiser.applied` reads in adaptive mode), averaged over the file in dB.
        let grid = (0..<96).map { 20 * pow(1000.0, Double($0) / 95) }
        var applied = [Double](repeating: 0, count: grid.count)
        var appliedBlocks = 0
        var heard = false
        while true {
            let got = reader.readPlanar(into: planar, channelStride: chunk, frames: chunk, scratch: interleaved)
            if got <= 0 { break }
            for c in 0..<channels { pointers[c] = planar + c * chunk }
            inputSpectrum.add(pointers, channels: channels, frames: got)
            if !heard {
                heard = (0..<channels).contains { c in (0..<got).contains { let x = planar[c * chunk + $0]; return x != 0 && x.isFinite } }
            }
            var offset = 0
            while offset < got {
                let n = min(512, got - offset)
                for c in 0..<channels { pointers[c] = planar + c * chunk + offset }
                engine.process(pointers, frameCount: n)
                if engine.analysisCount > 0 {
                    let now = engine.applied
                    for (i, f) in grid.enumerated() { applied[i] += now.magnitudeDecibels(atFrequency: f, sampleRateHz: fs) }
                    appliedBlocks += 1
                }
                offset += n
                framesDone += n
                if engine.analysisCount != seen {
                    seen = engine.analysisCount
                    engine.copyAudioLatent(into: z)
                    for i in 0..<model.latentCount { zSum[i] += Double(z[i]) }
                    latents += 1
                    timeline.append((Double(framesDone) / fs, engine.audioSettings, engine.correctionSettings,
                                     engine.targetSettings, engine.loudnessGainTargetDecibels))
                }
            }
            for c in 0..<channels { pointers[c] = planar + c * chunk }
            outputSpectrum.add(pointers, channels: channels, frames: got)
        }
        guard heard else { throw CLIError("'\(input)' is silent (every sample zero or not a number): there is no colouration to analyse") }
        guard latents > 0 else { throw CLIError("'\(input)' is too short to analyse (needs about 0.1 s)") }
        let zMean = zSum.map { Float($0 / Double(latents)) }

        // Nearest learnt words to a colouration, among those that describe timbre with enough
        // support (docs/VOCABULARY.md).
        let open = vocabulary.flatMap { $0 }
        func nearestWords(_ z: [Float]) -> ArraySlice<(String, Float)> {
            var distances: [(String, Float)] = []
            for t in 0..<base.terms.count {
                if let open, let r = open.row(of: base.terms.names[t]), !open.isDescriptive(r) { continue }
                let zt = model.terms.latent(at: t)
                var d: Float = 0
                for i in 0..<model.latentCount { d += (z[i] - zt[i]) * (z[i] - zt[i]) }
                distances.append((model.terms.names[t], d.squareRoot()))
            }
            return distances.sorted { $0.1 < $1.1 }.prefix(top)
        }
        let nearest = nearestWords(zMean)

        func response(_ s: EQSettings) -> [Double] { grid.map { s.magnitudeDecibels(atFrequency: $0, sampleRateHz: fs) } }
        applied = applied.map { $0 / Double(max(appliedBlocks, 1)) }
        let last = timeline.last!
        let meanGain = timeline.reduce(0) { $0 + Double($1.gain) } / Double(timeline.count)
        let suggested = suggestIntensity(model: model, zAudio: zMean, term: termIndex, sampleRate: fs)

        if let plot {
            try writePlot(plot, grid: grid, curves: [("applied EQ (mean)", applied, "#d62728"),
                                                     ("target EQ (last)", response(last.target), "#2ca02c"),
                                                     ("correction, applied inverted (last)", response(last.correction), "#7f7f7f"),
                                                     ("colouration heard (last)", response(last.audio), "#1f77b4")],
                          spectra: [("input", inputSpectrum.centresHz, inputSpectrum.meanDecibels),
                                    ("output", outputSpectrum.centresHz, outputSpectrum.meanDecibels)],
                          title: "\((input as NSString).lastPathComponent): \(label) at intensity \(intensity)")
        }

        if json {
            let step = max(1, timeline.count / 200)
            let object: [String: Any] = [
                "file": input, "sample_rate": reader.sampleRate, "channels": channels,
                "analyses": timeline.count,
                "nearest_words": nearest.map { ["word": $0.0, "distance": $0.1] },
                "term": term, "intensity": intensity, "suggested_intensity": suggested,
                "term_source": wordLine, "term_learnt": learnt,
                "audio_eq_last": last.audio.values, "correction_eq_last": last.correction.values,
                "target_eq_last": last.target.values,
                "correction_limit_db": correctionLimitDecibels,
                "loudness_gain_db": ["mean": meanGain, "last": Double(last.gain)],
                "applied_response_db": ["frequencies_hz": grid, "mean": applied],
                "timeline": stride(from: 0, to: timeline.count, by: step).map {
                    ["time_s": timeline[$0].seconds, "audio_eq": timeline[$0].audio.values, "target_eq": timeline[$0].target.values,
                     "correction_eq": timeline[$0].correction.values, "loudness_gain_db": Double(timeline[$0].gain)]
                },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("\(input): \(timeline.count) analyses over \(String(format: "%.1f", Double(framesDone) / fs)) s")
        print("sounds closest to: " + nearest.map { String(format: "%@ (%.2f)", $0.0, $0.1) }.joined(separator: ", "))
        print("its colouration now:  " + describe(last.audio))
        print(String(format: "of which undone (within ±%g dB): ", correctionLimitDecibels) + describe(last.correction))
        print("target: " + wordLine)
        print("\(label) at \(intensity) aims for: " + describe(last.target))
        let marks = [63.0, 125, 250, 500, 1000, 2000, 4000, 8000, 16000]
        let appliedAt = marks.map { m in applied[grid.enumerated().min { abs(log($0.element / m)) < abs(log($1.element / m)) }!.offset] }
        print("applied EQ (mean, dB): " + zip(marks, appliedAt).map { String(format: "%g Hz %+.1f", $0.0, $0.1) }.joined(separator: "  "))
        print(loudnessMatch == .on
              ? String(format: "loudness-matching gain: %+.1f dB mean, %+.1f dB at the end", meanGain, last.gain)
              : "loudness matching: off")
        print(String(format: "suggested intensity: %.2f", suggested))
        if let plot { print("plot: \(plot)") }
    }

    func describe(_ s: EQSettings) -> String {
        (0..<5).map { b in
            let band = s.band(b)
            return String(format: "%.0f Hz %+.1f dB", band.frequencyHz, band.gainDecibels)
        }.joined(separator: ", ")
    }
}

/// The intensity at which the applied EQ's largest deviation reaches about 6 dB (1 when it
/// never does), found by bisection on the decoder.
func suggestIntensity(model: AdaptiveEQModel, zAudio: [Float], term: Int, sampleRate: Double) -> Float {
    let decoder = EQDecoder(weights: model.decoder)
    let latent = model.latentCount
    var zFinal = [Float](repeating: 0, count: latent)
    var params = [Float](repeating: 0, count: 13)
    let zt = model.terms.latent(at: term)
    decoder.decode(zAudio, into: &params)
    let current = EQSettings(values: params)!
    let grid = (0..<48).map { 20 * pow(1000.0, Double($0) / 47) }
    func peak(_ intensity: Float) -> Double {
        for i in 0..<latent { zFinal[i] = zAudio[i] + intensity * (zt[i] - zAudio[i]) }
        decoder.decode(zFinal, into: &params)
        let target = EQSettings(values: params)!
        return grid.map { abs(target.magnitudeDecibels(atFrequency: $0, sampleRateHz: sampleRate)
                              - current.magnitudeDecibels(atFrequency: $0, sampleRateHz: sampleRate)) }.max()!
    }
    if peak(1) <= 6 { return 1 }
    var lo: Float = 0, hi: Float = 1
    for _ in 0..<20 {
        let mid = (lo + hi) / 2
        if peak(mid) < 6 { lo = mid } else { hi = mid }
    }
    return (lo + hi) / 2
}

/// Long-term mean log-mel spectrum (dB) of a stream, for plots.
final class MeanLogMel {
    let ring: MelRing
    let centresHz: [Double]
    private var sums: [Double]
    private var counted = 0
    private let mono: UnsafeMutablePointer<Float>

    init(model: AdaptiveEQModel, sampleRate: Double) {
        let analyzer = LogMelAnalyzer(configuration: model.melConfiguration, sampleRateHz: sampleRate)
        ring = MelRing(analyzer: analyzer, capacity: 256)
        // Band centres: the middle points of the HTK mel scale between fmin and fmax.
        let mel = { (f: Double) in 2595 * log10(1 + f / 700) }
        let lo = mel(model.minimumFrequencyHz), hi = mel(model.maximumFrequencyHz)
        centresHz = (1...model.melBandCount).map { m in
            700 * (pow(10, (lo + (hi - lo) * Double(m) / Double(model.melBandCount + 1)) / 2595) - 1)
        }
        sums = [Double](repeating: 0, count: model.melBandCount)
        mono = .allocate(capacity: 4096)
    }

    deinit { mono.deallocate() }

    func add(_ channels: UnsafeMutablePointer<UnsafeMutablePointer<Float>>, channels count: Int, frames: Int) {
        var done = 0
        while done < frames {
            let n = min(4096, frames - done)
            for i in 0..<n {
                var s: Float = 0
                for c in 0..<count { let v = channels[c][done + i]; s += v.isFinite ? v : 0 }
                mono[i] = s / Float(count)
            }
            let before = ring.framesProduced
            ring.push(mono, count: n)
            for f in before..<ring.framesProduced {
                let column = ring.column(frame: f)
                for m in sums.indices { sums[m] += Double(column[m]) }
                counted += 1
            }
            done += n
        }
    }

    var meanDecibels: [Double] { sums.map { $0 / Double(max(counted, 1)) } }
}

/// Writes an SVG (converted to PNG with rsvg-convert when the path ends in .png): EQ curves
/// on a ±15 dB axis and the input/output long-term spectra (normalised) beneath.
func writePlot(_ path: String, grid: [Double], curves: [(String, [Double], String)],
               spectra: [(String, [Double], [Double])], title: String) throws {
    let w = 900.0, h = 640.0, left = 70.0, right = 20.0
    func x(_ f: Double) -> Double { left + (w - left - right) * log(f / 20) / log(1000) }
    func panel(top: Double, height: Double, range: ClosedRange<Double>, label: String,
               series: [(String, [Double], [Double], String)]) -> String {
        func y(_ v: Double) -> Double { top + height * (range.upperBound - min(max(v, range.lowerBound), range.upperBound)) / (range.upperBound - range.lowerBound) }
        var s = "<rect x='\(left)' y='\(top)' width='\(w - left - right)' height='\(height)' fill='none' stroke='#888'/>"
        for f in [20.0, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000] {
            s += "<line x1='\(x(f))' y1='\(top)' x2='\(x(f))' y2='\(top + height)' stroke='#ddd'/>"
            s += "<text x='\(x(f))' y='\(top + height + 14)' font-size='11' text-anchor='middle'>\(f >= 1000 ? "\(Int(f / 1000))k" : "\(Int(f))")</text>"
        }
        let step = (range.upperBound - range.lowerBound) / 6
        for v in stride(from: range.lowerBound, through: range.upperBound, by: step) {
            s += "<line x1='\(left)' y1='\(y(v))' x2='\(w - right)' y2='\(y(v))' stroke='#eee'/>"
            s += "<text x='\(left - 6)' y='\(y(v) + 4)' font-size='11' text-anchor='end'>\(Int(v.rounded()))</text>"
        }
        s += "<text x='16' y='\(top + height / 2)' font-size='12' transform='rotate(-90 16 \(top + height / 2))' text-anchor='middle'>\(label)</text>"
        for (i, (name, fs, vs, colour)) in series.enumerated() {
            let points = zip(fs, vs).filter { $0.0 >= 20 && $0.0 <= 20000 }.map { "\(x($0.0)),\(y($0.1))" }.joined(separator: " ")
            s += "<polyline points='\(points)' fill='none' stroke='\(colour)' stroke-width='2'/>"
            s += "<text x='\(left + 10)' y='\(top + 16 + 15 * Double(i))' font-size='12' fill='\(colour)'>\(name)</text>"
        }
        return s
    }
    var svg = "<svg xmlns='http://www.w3.org/2000/svg' width='\(w)' height='\(h)' font-family='sans-serif'>"
    svg += "<rect width='100%' height='100%' fill='white'/>"
    svg += "<text x='\(w / 2)' y='22' font-size='15' text-anchor='middle'>\(title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;"))</text>"
    svg += panel(top: 40, height: 300, range: -15...15, label: "EQ (dB)", series: curves.map { ($0.0, grid, $0.1, $0.2) })
    let colours = ["#7f7f7f", "#9467bd", "#2ca02c"]
    let spectrumSeries = spectra.enumerated().map { i, s -> (String, [Double], [Double], String) in
        let kept = zip(s.1, s.2).filter { $0.1.isFinite }
        let peak = kept.map(\.1).max() ?? 0
        return ("\(s.0) spectrum", kept.map(\.0), kept.map { $0.1 - peak }, colours[i % colours.count])
    }
    svg += panel(top: 380, height: 220, range: -60...0, label: "level (dB)", series: spectrumSeries)
    svg += "<text x='\(w / 2)' y='\(h - 6)' font-size='12' text-anchor='middle'>frequency (Hz)</text></svg>"
    let svgPath = path.hasSuffix(".png") ? path + ".svg" : path
    do { try svg.write(toFile: svgPath, atomically: true, encoding: .utf8) } catch {
        throw CLIError("cannot write plot '\(svgPath)': \(error.localizedDescription)")
    }
    guard path.hasSuffix(".png") else { return }
    defer { try? FileManager.default.removeItem(atPath: svgPath) }
    let converter = Process()
    converter.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    converter.arguments = ["rsvg-convert", "-o", path, svgPath]
    converter.standardError = FileHandle.nullDevice
    do { try converter.run() } catch { throw CLIError("PNG plots need rsvg-convert (apt-get install librsvg2-bin); use .svg instead") }
    converter.waitUntilExit()
    guard converter.terminationStatus == 0 else {
        throw CLIError("PNG plots need rsvg-convert (apt-get install librsvg2-bin); use .svg instead")
    }
}
