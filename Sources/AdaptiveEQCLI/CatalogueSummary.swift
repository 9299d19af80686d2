import Foundation

/// What one catalogue run did, for the summary line and for `--summary FILE` (one line of
/// JSON that a batch array's follow-up step collects and `adaptive-eq merge-summaries`
/// adds up).
struct CatalogueSummary: Codable, Equatable {
    struct Failure: Codable, Equatable {
        var input: String
        var reason: String
    }

    /// The slice this run rendered (`I/N`; `0/1` for a whole catalogue).
    var slice: String
    var files = 0
    var rendered = 0
    /// Outputs that existed already (a resumed or repeated run).
    var skipped = 0
    var failed = 0
    /// Audio rendered by this run (skipped files not counted).
    var audioSeconds = 0.0
    var wallSeconds = 0.0
    /// CPU time of all the run's threads: what the work cost, whatever else the machine ran.
    var cpuSeconds = 0.0
    var jobs = 1
    var failures: [Failure] = []

    var realTimeFactor: Double { wallSeconds > 0 ? audioSeconds / wallSeconds : 0 }

    enum CodingKeys: String, CodingKey {
        case slice, files, rendered, skipped, failed, jobs, failures
        case audioSeconds = "audio_seconds", wallSeconds = "wall_seconds", cpuSeconds = "cpu_seconds"
    }

    /// The line `process --output-dir` ends with.
    var line: String {
        "\(counts); \(String(format: "%.1f", audioSeconds)) s of audio in \(String(format: "%.1f", wallSeconds)) s on \(jobs) job\(jobs == 1 ? "" : "s")\(speed)"
    }

    var counts: String {
        "\(files) files: \(rendered) rendered, \(skipped) skipped (output exists), \(failed) failed"
    }

    var speed: String {
        wallSeconds > 0 && audioSeconds > 0 ? String(format: ", %.0f× real time", realTimeFactor) : ""
    }

    /// One line of JSON (keys sorted, so equal summaries are equal text).
    func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Writes the JSON line to `path` (its folder made if needed), replacing it whole: a
    /// re-run's summary replaces the last one of its slice.
    func write(to path: String) throws {
        do {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            try Data((jsonLine() + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            let reason = (error as NSError).userInfo[NSUnderlyingErrorKey].map { ($0 as! NSError).localizedDescription }
            throw CLIError("cannot write the summary '\(path)'" + (reason.map { ": \($0)" } ?? ""))
        }
    }

    static func read(_ path: String) throws -> CatalogueSummary {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the summary '\(path)'")
        }
        let summary: CatalogueSummary
        do { summary = try JSONDecoder().decode(CatalogueSummary.self, from: data) } catch {
            throw CLIError("'\(path)' is not a catalogue summary (written by process --summary)")
        }
        guard summary.isPlausible else {
            throw CLIError("'\(path)' is not a catalogue summary: its counts or times are negative or impossibly large")
        }
        return summary
    }

    /// Counts and times a run can have written: none negative, counts adding up, none so large
    /// that adding a batch array's summaries could overflow.
    var isPlausible: Bool {
        let limit = 1 << 40
        let counts = [files, rendered, skipped, failed, jobs]
        let times = [audioSeconds, wallSeconds, cpuSeconds]
        return counts.allSatisfy { (0...limit).contains($0) } && rendered + skipped + failed == files
            && failures.count <= failed && times.allSatisfy { $0.isFinite && (0...1e12).contains($0) }
    }
}

/// The summaries of a batch array's tasks added up, and what is missing from them.
struct MergedSummaries {
    var total: CatalogueSummary
    var slices = 0
    /// Slices of the catalogue with no summary (their task never finished or never ran).
    var missing: [String] = []
    /// Slices with more than one summary.
    var repeated: [String] = []

    /// Adds up summaries of slices `I/N` of one catalogue (all with the same N). The wall
    /// time is the tasks' total, so the real-time factor is per task.
    init(_ summaries: [CatalogueSummary]) throws {
        var total = CatalogueSummary(slice: "", jobs: 0)
        var seen: [Int: Int] = [:]
        var sliceCount: Int?
        for summary in summaries {
            let slice = try CatalogueSlice(summary.slice, environment: [:])
            if let sliceCount, sliceCount != slice.count {
                throw CLIError("the summaries are of different splits (slices of \(sliceCount) and of \(slice.count)); merge one array's summaries")
            }
            sliceCount = slice.count
            seen[slice.index, default: 0] += 1
            total.files += summary.files
            total.rendered += summary.rendered
            total.skipped += summary.skipped
            total.failed += summary.failed
            total.audioSeconds += summary.audioSeconds
            total.wallSeconds += summary.wallSeconds
            total.cpuSeconds += summary.cpuSeconds
            total.jobs += summary.jobs
            total.failures += summary.failures
        }
        let count = sliceCount ?? 0
        total.slice = "\(seen.count)/\(count)"
        self.total = total
        slices = count
        missing = (0..<count).filter { seen[$0] == nil }.map { "\($0)/\(count)" }
        repeated = seen.filter { $0.value > 1 }.keys.sorted().map { "\($0)/\(count)" }
    }

    /// `4 of 4 slices: 33 files: … failed; 349.2 s of audio in 8.6 s of task time (7.9 s of CPU), 41× real time per task`
    var line: String {
        "\(slices - missing.count) of \(slices) slices: \(total.counts); \(String(format: "%.1f", total.audioSeconds)) s of audio in \(String(format: "%.1f", total.wallSeconds)) s of task time (\(String(format: "%.1f", total.cpuSeconds)) s of CPU)\(total.speed)\(total.speed.isEmpty ? "" : " per task")"
    }
}
