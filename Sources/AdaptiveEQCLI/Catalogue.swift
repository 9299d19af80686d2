import AudioFile
import Foundation

/// One file of a catalogue: where it is read from and where its output goes.
struct CatalogueItem: Equatable {
    var input: String
    var output: String
}

/// Turns the inputs of `adaptive-eq process … --output-dir DIR` into a sorted list of
/// input → output pairs. A folder contributes every audio file below it (hidden files and the
/// output folder itself left out) under the same relative path; a file named directly keeps
/// its name. Outputs keep the input's name and extension when it is writable (.wav, .flac,
/// .aiff); other inputs (.mp3, .ogg, .opus) are written as `.wav`.
struct CatalogueListing {
    /// Extensions a folder scan picks up.
    static let audioExtensions: Set<String> = ["wav", "wave", "aif", "aiff", "aifc", "flac", "ogg", "oga", "opus", "mp3"]

    var items: [CatalogueItem] = []
    /// Inputs that cannot be rendered before anything starts (missing, name collisions), with
    /// the reason; they count as failed.
    var problems: [(input: String, reason: String)] = []

    init(inputs: [String], outputFolder: String) throws {
        let fm = FileManager.default
        let outputRoot = Self.resolved(outputFolder)
        var seen = Set<String>()
        var byOutput: [String: String] = [:]
        var found: [CatalogueItem] = []
        for argument in inputs {
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: argument, isDirectory: &isFolder) else {
                problems.append((argument, "no such file or folder"))
                continue
            }
            guard isFolder.boolValue else {
                found.append(CatalogueItem(input: argument, output: Self.outputPath(relative: (argument as NSString).lastPathComponent, in: outputFolder)))
                continue
            }
            let root = Self.resolved(argument)
            if root == outputRoot { throw CLIError("--output-dir '\(outputFolder)' is the input folder '\(argument)'; choose another folder") }
            guard let walker = fm.enumerator(atPath: argument) else {
                problems.append((argument, "cannot list the folder"))
                continue
            }
            while let relative = walker.nextObject() as? String {
                let path = (argument as NSString).appendingPathComponent(relative)
                let name = (relative as NSString).lastPathComponent
                if name.hasPrefix(".") { walker.skipDescendants(); continue }
                var isDirectory: ObjCBool = false
                _ = fm.fileExists(atPath: path, isDirectory: &isDirectory)
                if isDirectory.boolValue {
                    if Self.resolved(path) == outputRoot { walker.skipDescendants() }
                    continue
                }
                guard Self.audioExtensions.contains((name as NSString).pathExtension.lowercased()) else { continue }
                found.append(CatalogueItem(input: path, output: Self.outputPath(relative: relative, in: outputFolder)))
            }
        }
        for item in found.sorted(by: { $0.output < $1.output }) {
            guard seen.insert(Self.resolved(item.input)).inserted else { continue }
            if let other = byOutput[item.output] {
                problems.append((item.input, "its output '\(item.output)' is also the output of '\(other)'"))
                continue
            }
            byOutput[item.output] = item.input
            items.append(item)
        }
    }

    /// Keeps the items of one slice (a batch system's array task).
    mutating func keep(_ slice: CatalogueSlice) {
        items = items.enumerated().filter { $0.offset % slice.count == slice.index }.map(\.element)
        if slice.index != 0 { problems = [] }  // reported once, by the first slice
    }

    static func outputPath(relative: String, in folder: String) -> String {
        let name = AudioFormat.writableContainer(forPath: relative) == nil
            ? (relative as NSString).deletingPathExtension + ".wav" : relative
        return (folder as NSString).appendingPathComponent(name)
    }

    static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

/// The part of a sorted catalogue one process renders: every `count`-th file from the
/// `index`-th (0-based), one slice per task of a batch array.
struct CatalogueSlice: Equatable, CustomStringConvertible {
    var index: Int
    var count: Int

    var description: String { "\(index)/\(count)" }
}

extension CatalogueSlice {
    /// `--slice I/N`, or `auto` / `auto/N`: the index from the batch system's environment
    /// (Slurm's `SLURM_ARRAY_TASK_ID`, else Kubernetes' `JOB_COMPLETION_INDEX`) and the count
    /// N as given. Plain `auto` takes the count from Slurm, and only from an array numbered
    /// 0…N−1: one index submitted again on its own (`sbatch --array=2`) is an array of one
    /// task whose `SLURM_ARRAY_TASK_COUNT` (1) is not the catalogue's count.
    init(_ text: String, environment: [String: String]) throws {
        guard text == "auto" || text.hasPrefix("auto/") else {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (0..<n).contains(i) else {
                throw CLIError("--slice must be INDEX/COUNT with 0 ≤ INDEX < COUNT (e.g. 0/4), auto or auto/COUNT, got '\(text)'")
            }
            index = i
            count = n
            return
        }
        var givenCount: Int?
        if text != "auto" {
            guard let n = Int(text.dropFirst("auto/".count)), n >= 1 else {
                throw CLIError("--slice auto/COUNT needs a whole COUNT ≥ 1, got '\(text)'")
            }
            givenCount = n
        }
        func number(_ name: String) throws -> Int? {
            guard let value = environment[name] else { return nil }
            guard let n = Int(value), n >= 0 else { throw CLIError("--slice \(text): \(name)='\(value)' is not a task index") }
            return n
        }
        if let task = try number("SLURM_ARRAY_TASK_ID") {
            if let givenCount {
                index = task
                count = givenCount
            } else {
                let n = try number("SLURM_ARRAY_TASK_COUNT") ?? 0
                let first = try number("SLURM_ARRAY_TASK_MIN"), last = try number("SLURM_ARRAY_TASK_MAX")
                guard n >= 1, first == 0, last == n - 1 else {
                    throw CLIError("--slice auto: this Slurm array has tasks \(first.map { "\($0)" } ?? "?")…\(last.map { "\($0)" } ?? "?") (SLURM_ARRAY_TASK_COUNT=\(n)), not 0…COUNT−1, so its count is not the catalogue's; give the count: --slice auto/COUNT")
                }
                index = task
                count = n
            }
        } else if let task = try number("JOB_COMPLETION_INDEX") {
            guard let givenCount else {
                throw CLIError("--slice auto: Kubernetes sets only JOB_COMPLETION_INDEX; give the Job's completions as the count: --slice auto/COUNT")
            }
            index = task
            count = givenCount
        } else {
            throw CLIError("--slice \(text) needs SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) in the environment; elsewhere give --slice INDEX/COUNT")
        }
        guard index < count else {
            throw CLIError("--slice \(text): task index \(index) is not below the count \(count)")
        }
    }
}

/// Renders a catalogue on `jobs` threads, each taking the next file from a shared list. A file
/// whose output exists is skipped (unless `overwrite`), so a stopped run resumes where it
/// left off; outputs appear only when complete, and hidden partial files a killed run left
/// beside an output are removed before that output is rendered. Prints one line per file
/// and a summary line; returns the summary.
final class CatalogueRun: @unchecked Sendable {
    enum Outcome { case rendered, skipped, failed }

    private let items: [CatalogueItem]
    private let overwrite: Bool
    private let render: @Sendable (CatalogueItem) throws -> (seconds: Double, note: String?)
    private let lock = NSLock()
    private var next = 0
    private var summary: CatalogueSummary

    init(items: [CatalogueItem], overwrite: Bool,
         slice: CatalogueSlice, render: @escaping @Sendable (CatalogueItem) throws -> (seconds: Double, note: String?)) {
        self.items = items
        self.overwrite = overwrite
        self.render = render
        summary = CatalogueSummary(slice: slice.description)
    }

    /// Runs everything; `earlyFailures` are reported first and counted as failed.
    func run(jobs: Int, earlyFailures: [(input: String, reason: String)]) -> CatalogueSummary {
        let start = Date(), startCPU = processCPUSeconds()
        for problem in earlyFailures { fail(problem.input, problem.reason) }
        let done = DispatchSemaphore(value: 0)
        let workers = max(1, min(jobs, items.count))
        for _ in 0..<workers {
            let thread = Thread { [self] in
                while let item = take() { handle(item) }
                done.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        for _ in 0..<workers { done.wait() }
        summary.wallSeconds = Date().timeIntervalSince(start)
        summary.cpuSeconds = processCPUSeconds() - startCPU
        summary.files = items.count + earlyFailures.count
        summary.jobs = workers
        emit(summary.line)
        return summary
    }

    private func take() -> CatalogueItem? {
        lock.lock()
        defer { lock.unlock() }
        guard next < items.count else { return nil }
        next += 1
        return items[next - 1]
    }

    private func handle(_ item: CatalogueItem) {
        let fm = FileManager.default
        if !overwrite && fm.fileExists(atPath: item.output) {
            if CatalogueListing.resolved(item.output) == CatalogueListing.resolved(item.input) {
                fail(item.input, "the output is the input file")
            } else {
                report(.skipped, "skip \(item.input) (\(item.output) exists)")
            }
            return
        }
        do {
            let folder = (item.output as NSString).deletingLastPathComponent
            try fm.createDirectory(atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true)
            removeStalePartials(of: item.output)
            let result = try render(item)
            report(.rendered, "ok   \(item.input) -> \(item.output)" + (result.note.map { " (\($0))" } ?? ""),
                   seconds: result.seconds)
        } catch {
            fail(item.input, String(describing: error))
        }
    }

    /// Deletes the files a killed run left beside `output`: the writer's `.NAME.partial-PID`
    /// and, for a fixed-point output, its float scratch `.NAME.float-PID.w64`, itself written
    /// as `..NAME.float-PID.w64.partial-PID` (never files this process is writing, as each
    /// output has one job).
    private func removeStalePartials(of output: String) {
        let folder = (output as NSString).deletingLastPathComponent
        let name = (output as NSString).lastPathComponent
        let prefixes = [".\(name).partial-", ".\(name).float-", "..\(name).float-"]
        let dir = folder.isEmpty ? "." : folder
        for file in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        where prefixes.contains(where: { file.hasPrefix($0) }) {
            try? FileManager.default.removeItem(atPath: (dir as NSString).appendingPathComponent(file))
        }
    }

    private func fail(_ input: String, _ reason: String) {
        report(.failed, "FAIL \(input): \(reason)", failure: .init(input: input, reason: reason))
    }

    private func report(_ outcome: Outcome, _ line: String, seconds: Double = 0,
                        failure: CatalogueSummary.Failure? = nil) {
        lock.lock()
        defer { lock.unlock() }
        switch outcome {
        case .rendered: summary.rendered += 1
        case .skipped: summary.skipped += 1
        case .failed: summary.failed += 1
        }
        summary.audioSeconds += seconds
        if let failure { summary.failures.append(failure) }
        emit(line)
    }

    /// CPU time of every thread of this process so far.
    private func processCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    /// Writes one line to stdout at once (unbuffered, so lines of a killed run are not lost).
    private func emit(_ line: String) {
        FileHandle.standardOutput.write((line + "\n").data(using: .utf8)!)
    }
}
