import AdaptiveEQ
import AdaptiveEQResources
import ArgumentParser
import AudioFile
import CMallocCounter
import EQAnalysis
import EQDSP
import EQInference
import Foundation

/// Per-stage timings of the real-time path on this machine, from the shipped model and
/// the bundled demo clip. Times are wall-clock per call, so run it on a quiet machine and
/// compare ratios within one run rather than absolute figures across machines.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the real-time path stage by stage (µs per call, median and p99).",
        discussion: """
            Stages: mel (one STFT frame → 64 log-mel bands), analysis (the 4 new mel frames
            plus one streaming encoder pass), decoder (one 32 → 13 decode), eq (one
            512-frame stereo block through the 10-stage adaptive EQ), block (one 512-frame
            stereo block of the whole engine, analysis included), and offline (real-time
            factor of rendering from memory, by the engine and through the host layer). Allocations are counted on the rendering thread.
            """)

    @Flag(help: "Print JSON.")
    var json = false

    @Option(parsing: .unconditional, help: "Blocks to time for the block and eq stages, 100…1000000.")
    var blocks = 4000

    @Option(help: "Model file to use instead of the bundled one.")
    var model: String?

    func validate() throws {
        // Percentiles need enough calls; the timings are kept in memory.
        guard (100...1_000_000).contains(blocks) else { throw CLIError("--blocks must be 100…1000000, got \(blocks)") }
    }

    func run() throws {
        let model = try loadModel(path: model)
        guard let clipPath = BundledResources.demoClipPath else { throw CLIError("the bundled demo clip is missing") }
        let clip = try AudioFileReader(path: clipPath).readAllPlanar()
        let fs = 44_100.0, frames = 512
        let warm = try model.termIndex("warm")
        var results: [(String, Stats)] = []

        // mel: one frame.
        let analyzer = LogMelAnalyzer(configuration: model.melConfiguration, sampleRateHz: fs)
        let frame = UnsafeMutablePointer<Float>.allocate(capacity: analyzer.fftSize)
        let column = UnsafeMutablePointer<Float>.allocate(capacity: analyzer.melBandCount)
        defer { frame.deallocate(); column.deallocate() }
        var position = 0
        results.append(("mel", measure(count: 2000) {
            for i in 0..<analyzer.fftSize { frame[i] = clip[0][(position + i) % clip[0].count] }
            position += analyzer.hopSize
            return time { analyzer.analyze(frame: frame, into: column) }
        }))

        // analysis: 4 new frames (mel + append) + encode, on a full window.
        let ring = MelRing(analyzer: analyzer, capacity: 64)
        let encoder = StreamingAudioEncoder(weights: model.encoder, frameCount: model.frameCount,
                                            eagerColumnParity: StreamingAdaptiveEQ.eagerColumnParity)
        let z = UnsafeMutablePointer<Float>.allocate(capacity: model.latentCount)
        let hopBuffer = UnsafeMutablePointer<Float>.allocate(capacity: 4 * analyzer.hopSize)
        defer { z.deallocate(); hopBuffer.deallocate() }
        var fed = 0
        func feed() {
            for i in 0..<(4 * analyzer.hopSize) { hopBuffer[i] = clip[0][(position + i) % clip[0].count] }
            position += 4 * analyzer.hopSize
            ring.push(hopBuffer, count: 4 * analyzer.hopSize)
            while fed < ring.framesProduced { encoder.append(logMelColumn: ring.column(frame: fed)); fed += 1 }
        }
        while !encoder.isWindowFull { feed() }
        results.append(("analysis", measure(count: 1000) { time { feed(); encoder.encode(into: z) } }))

        // decoder.
        let decoder = EQDecoder(weights: model.decoder)
        let params = UnsafeMutablePointer<Float>.allocate(capacity: 13)
        defer { params.deallocate() }
        results.append(("decoder", measure(count: 4000) { time { decoder.decode(z, into: params) } }))

        // Stereo blocks of the demo clip.
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: 2 * frames)
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: 2)
        pointers[0] = storage; pointers[1] = storage + frames
        defer { storage.deallocate(); pointers.deallocate() }
        func loadBlock() {
            for c in 0..<2 { for i in 0..<frames { storage[c * frames + i] = clip[c % clip.count][(position + i) % clip[0].count] } }
            position += frames
        }

        // eq: the 10-stage chain with a glide always in progress.
        var eq = EQProcessor(kinds: [.lowShelf, .lowShelf, .peaking, .peaking, .peaking, .peaking,
                                     .peaking, .peaking, .highShelf, .highShelf])
        eq.prepare(sampleRateHz: Float(fs), channelCount: 2)
        let settings = [EQSettings(values: [3, 120, 2, 400, 1, -2, 1200, 0.8, 1, 3000, 1, -3, 8000])!,
                        EQSettings(values: [-3, 150, -2, 300, 1, 2, 900, 0.8, 3, 2500, 1, 4, 6000])!]
        var n = 0
        results.append(("eq", measure(count: blocks) {
            loadBlock()
            if n % 8 == 0 { for s in 0..<10 { eq.setTarget(settings[(n / 8) % 2].band(s / 2), stage: s) } }
            n += 1
            return time { eq.process(pointers, frameCount: frames) }
        }))

        // block: the whole engine (analysis every 4 blocks), after warm-up.
        var engine = StreamingAdaptiveEQ(model: model, target: AdaptiveTarget(term: warm, intensity: 0.7))
        engine.prepare(ProcessSpec(sampleRateHz: fs, maximumBlockFrames: frames, channelCount: 2))
        for _ in 0..<200 { loadBlock(); engine.process(pointers, frameCount: frames) }
        var allocations: UInt64 = 0
        let blockStats = measure(count: blocks) {
            loadBlock()
            let before = aeq_thread_allocation_count()
            let ns = time { engine.process(pointers, frameCount: frames) }
            allocations += aeq_thread_allocation_count() - before
            return ns
        }
        results.append(("block", blockStats))

        // lookup: a word or phrase to its target (open vocabulary), off the render path.
        if let vocabulary = try loadOpenVocabulary(for: model) {
            let phrases = ["hollow", "warmer", "less muddy", "a bit bright", "metallic", "icy", "more air", "warm"]
            var k = 0
            results.append(("lookup", measure(count: 4000) {
                k += 1
                return time { _ = try? lookUpWord(phrases[k % phrases.count], terms: model.terms, vocabulary: vocabulary) }
            }))
        }

        // offline: render 60 s from memory, one thread.
        let seconds = 60.0
        let total = Int(seconds * fs) / frames
        engine.reset()
        let start = now()
        for _ in 0..<total { loadBlock(); engine.process(pointers, frameCount: frames) }
        let realTimeFactor = seconds / ((now() - start) / 1e9)

        // host offline: the same render through the host layer, as `process` runs it.
        var host = HostEqualiser(vocabulary: Vocabulary(staticTerms: try loadStaticTerms(), model: model))
        host.prepare(ProcessSpec(sampleRateHz: fs, maximumBlockFrames: frames, channelCount: 2))
        var controls = HostControls()
        controls.term = warm
        controls.secondTerm = warm
        let hostStart = now()
        for _ in 0..<total { loadBlock(); host.process(pointers, frameCount: frames, controls: controls) }
        let hostRealTimeFactor = seconds / ((now() - hostStart) / 1e9)

        if json {
            var object: [String: Any] = [:]
            for (name, s) in results { object[name] = ["median_us": s.median, "p99_us": s.p99, "max_us": s.max] }
            object["block_allocations"] = allocations
            object["allocation_counting"] = aeq_allocation_counting_available() == 1
            object["offline_realtime_factor"] = realTimeFactor
            object["host_offline_realtime_factor"] = hostRealTimeFactor
            object["block_frames"] = frames
            object["channels"] = 2
            object["sample_rate"] = fs
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("stage      median µs   p99 µs    max µs")
            for (name, s) in results {
                print(name.padding(toLength: 10, withPad: " ", startingAt: 0)
                      + String(format: "%9.2f %9.2f %9.1f", s.median, s.p99, s.max))
            }
            print("allocations in \(blocks) engine blocks: \(aeq_allocation_counting_available() == 1 ? String(allocations) : "not counted on this platform")")
            print(String(format: "offline render: %.0f× real time (stereo 44.1 kHz, one thread)", realTimeFactor))
            print(String(format: "offline render through the host layer (as `process` runs it): %.0f× real time", hostRealTimeFactor))
        }
    }
}

struct Stats {
    var median: Double, p99: Double, max: Double
}

/// Calls `sample` `count` times; each call returns nanoseconds. Returns µs statistics.
func measure(count: Int, _ sample: () -> Double) -> Stats {
    var values = (0..<count).map { _ in sample() / 1000 }
    values.sort()
    return Stats(median: values[values.count / 2], p99: values[min(values.count - 1, values.count * 99 / 100)],
                 max: values.last ?? 0)
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
}

/// Nanoseconds `body` takes.
@inline(__always)
func time(_ body: () -> Void) -> Double {
    let t0 = now()
    body()
    return now() - t0
}
