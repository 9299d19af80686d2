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

    /// Keeps every `count`-th item starting at `index` (a batch system's array task).
    mutating func keepSlice(index: Int, count: Int) {
        items = items.enumerated().filter { $0.offset % count == index }.map(\.element)
        if index != 0 { problems = [] }  // reported once, by the first slice
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

/// Parses `--slice I/N` (0 ≤ I < N).
func parseSlice(_ text: String) throws -> (index: Int, count: Int) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (0..<n).contains(i) else {
        throw CLIError("--slice must be INDEX/COUNT with 0 ≤ INDEX < COUNT (e.g. 0/4), got '\(text)'")
    }
    return (i, n)
}

/// Renders a catalogue on `jobs` threads, each taking the next file from a shared list. A file
/// whose output exists is skipped (unless `overwrite`), so a stopped run resumes where it
/// left off; outputs appear only when complete, and hidden partial files a killed run left
/// beside an output are removed before that output is rendered. Prints one line per file
/// and a summary; returns the number of files that failed.
final class CatalogueRun: @unchecked Sendable {
    enum Outcome { case rendered, skipped, failed }

    private let items: [CatalogueItem]
    private let overwrite: Bool
    private let render: @Sendable (CatalogueItem) throws -> (seconds: Double, note: String?)
    private let lock = NSLock()
    private var next = 0
    private var counts: [Outcome: Int] = [:]
    private var audioSeconds = 0.0

    init(items: [CatalogueItem], overwrite: Bool,
         render: @escaping @Sendable (CatalogueItem) throws -> (seconds: Double, note: String?)) {
        self.items = items
        self.overwrite = overwrite
        self.render = render
    }

    /// Runs everything; `earlyFailures` are reported first and counted as failed.
    func run(jobs: Int, earlyFailures: [(input: String, reason: String)]) -> Int {
        let start = Date()
        for problem in earlyFailures { report(.failed, "FAIL \(problem.input): \(problem.reason)") }
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
        let wall = Date().timeIntervalSince(start)
        let failed = counts[.failed, default: 0]
        let total = items.count + earlyFailures.count
        let speed = wall > 0 && audioSeconds > 0 ? String(format: ", %.0f× real time", audioSeconds / wall) : ""
        emit("\(total) files: \(counts[.rendered, default: 0]) rendered, \(counts[.skipped, default: 0]) skipped (output exists), \(failed) failed; \(String(format: "%.1f", audioSeconds)) s of audio in \(String(format: "%.1f", wall)) s on \(workers) job\(workers == 1 ? "" : "s")\(speed)")
        return failed
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
                report(.failed, "FAIL \(item.input): the output is the input file")
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
            let message = (error as? CustomStringConvertible)?.description ?? "\(error)"
            report(.failed, "FAIL \(item.input): \(message)")
        }
    }

    /// Deletes `.NAME.partial-PID` files a killed run left beside `output` (the writer's own
    /// temporary name; never a file this process is writing, as each output has one job).
    private func removeStalePartials(of output: String) {
        let folder = (output as NSString).deletingLastPathComponent
        let prefix = ".\((output as NSString).lastPathComponent).partial-"
        let dir = folder.isEmpty ? "." : folder
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: (dir as NSString).appendingPathComponent(name))
        }
    }

    private func report(_ outcome: Outcome, _ line: String, seconds: Double = 0) {
        lock.lock()
        defer { lock.unlock() }
        counts[outcome, default: 0] += 1
        audioSeconds += seconds
        emit(line)
    }

    /// Writes one line to stdout at once (unbuffered, so lines of a killed run are not lost).
    private func emit(_ line: String) {
        FileHandle.standardOutput.write((line + "\n").data(using: .utf8)!)
    }
}
