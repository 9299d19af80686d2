import AEQTestSupport
import Foundation
import Testing

/// `adaptive-eq process … --output-dir`: whole folders, several jobs, resuming, slices.
@Suite(.serialized) struct CatalogueTests {
    /// A small catalogue: three clips (one in a sub-folder, one FLAC), a file that is not
    /// audio, and a text file the folder scan must ignore.
    func makeCatalogue(in dir: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(dir)/in/disc2", withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: 14)
        func noise(_ channels: Int, _ frames: Int) -> Audio {
            Audio(sampleRate: 44_100, channels: (0..<channels).map { _ in (0..<frames).map { _ in Float.random(in: -0.5...0.5, using: &rng) } })
        }
        try writeAudio(noise(2, 30_000), to: "\(dir)/in/a.wav")
        try writeAudio(noise(1, 20_000), to: "\(dir)/in/disc2/b.wav", encoding: .pcm24)
        try writeAudio(noise(2, 10_000), to: "\(dir)/in/c.flac", encoding: .pcm16)
        try "not audio".write(toFile: "\(dir)/in/broken.wav", atomically: true, encoding: .utf8)
        try "notes".write(toFile: "\(dir)/in/notes.txt", atomically: true, encoding: .utf8)
    }

    func hiddenFiles(_ folder: String) -> [String] {
        (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [])
            .filter { ($0 as NSString).lastPathComponent.hasPrefix(".") }
    }

    /// Every good file is rendered exactly as a single-file render would, the bad one fails
    /// without stopping the others, and the exit status says so.
    @Test func rendersAFolderLikeSingleFilesAndReportsFailures() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeCatalogue(in: dir)
        let settings = ["--term", "warm", "--intensity", "0.8"]
        let r = try runCLI(["process", "\(dir)/in", "--output-dir", "\(dir)/out", "--jobs", "2"] + settings)
        #expect(r.status == 1, "a failed file must give a non-zero exit: \(r.stdout) \(r.stderr)")
        #expect(r.stderr.hasPrefix("adaptive-eq: error: 1 of 4 files failed"), "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "one line per file and a summary: \(lines)")
        #expect(lines.filter { $0.hasPrefix("ok ") }.count == 3 && lines.filter { $0.hasPrefix("FAIL ") }.count == 1)
        #expect(lines.contains { $0.hasPrefix("FAIL \(dir)/in/broken.wav: cannot read") }, "\(lines)")
        #expect(lines.last?.hasPrefix("4 files: 3 rendered, 0 skipped (output exists), 1 failed") == true, "\(lines)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out/broken.wav"))
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out/notes.txt"))
        #expect(hiddenFiles("\(dir)/out").isEmpty, "partial files left behind")
        for name in ["a.wav", "disc2/b.wav", "c.flac"] {
            let single = try runCLI(["process", "\(dir)/in/\(name)", "\(dir)/single.\((name as NSString).pathExtension)", "--force"] + settings)
            #expect(single.status == 0, "\(single.stderr)")
            let one = try readAudio("\(dir)/single.\((name as NSString).pathExtension)")
            let many = try readAudio("\(dir)/out/\(name)")
            #expect(one.channels == many.channels && one.sampleRate == many.sampleRate, "\(name) differs from a single render")
        }
    }

    /// A second run skips finished outputs; a killed run's partial file is removed and its
    /// output rendered; --force renders everything again.
    @Test func resumesWhereItStopped() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeCatalogue(in: dir)
        try FileManager.default.removeItem(atPath: "\(dir)/in/broken.wav")
        let base = ["process", "\(dir)/in", "--output-dir", "\(dir)/out", "--term", "bright", "--mode", "static"]
        let first = try runCLI(base)
        #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
        let before = try readAudio("\(dir)/out/a.wav")

        // As a run killed while writing a.wav would leave it.
        try FileManager.default.removeItem(atPath: "\(dir)/out/a.wav")
        try "half a file".write(toFile: "\(dir)/out/.a.wav.partial-999999", atomically: true, encoding: .utf8)
        try "its float scratch".write(toFile: "\(dir)/out/..a.wav.float-999999.w64.partial-999999", atomically: true, encoding: .utf8)
        try "a finished scratch".write(toFile: "\(dir)/out/.a.wav.float-999998.w64", atomically: true, encoding: .utf8)
        let resumed = try runCLI(base + ["--jobs", "1"])
        #expect(resumed.status == 0, "\(resumed.stdout) \(resumed.stderr)")
        #expect(resumed.stdout.contains("ok   \(dir)/in/a.wav -> \(dir)/out/a.wav"), "\(resumed.stdout)")
        #expect(resumed.stdout.split(separator: "\n").filter { $0.hasPrefix("skip ") }.count == 2, "\(resumed.stdout)")
        #expect(resumed.stdout.contains("3 files: 1 rendered, 2 skipped"), "\(resumed.stdout)")
        #expect(hiddenFiles("\(dir)/out").isEmpty, "the stale partial or scratch file is still there")
        #expect(try readAudio("\(dir)/out/a.wav").channels == before.channels)

        let again = try runCLI(base + ["--force"])
        #expect(again.status == 0 && again.stdout.contains("3 files: 3 rendered, 0 skipped"), "\(again.stdout)")
    }

    /// Slices 0/2 and 1/2 together cover the list exactly once (a batch array's tasks).
    @Test func slicesPartitionTheList() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeCatalogue(in: dir)
        try FileManager.default.removeItem(atPath: "\(dir)/in/broken.wav")
        var rendered: [String] = []
        for slice in ["0/2", "1/2"] {
            let r = try runCLI(["process", "\(dir)/in", "--output-dir", "\(dir)/out", "--term", "warm", "--slice", slice])
            #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
            rendered += r.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }.map(String.init)
        }
        #expect(rendered.count == 3 && Set(rendered).count == 3, "\(rendered)")
        for name in ["a.wav", "disc2/b.wav", "c.flac"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/out/\(name)"))
        }
    }

    /// `--slice auto` takes the index from Slurm or Kubernetes; the count from Slurm only when
    /// the array is numbered 0…N−1 (a resubmitted single index is not), else as given.
    @Test func sliceFromTheBatchSystem() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeCatalogue(in: dir)
        try FileManager.default.removeItem(atPath: "\(dir)/in/broken.wav")
        func rendered(_ slice: String, _ environment: [String: String]) throws -> [String] {
            try? FileManager.default.removeItem(atPath: "\(dir)/out")
            let r = try runCLI(["process", "\(dir)/in", "--output-dir", "\(dir)/out", "--term", "warm", "--slice", slice],
                               environment: environment)
            #expect(r.status == 0, "\(slice) \(environment): \(r.stdout) \(r.stderr)")
            return r.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }.map { String($0.split(separator: " ")[1]) }
        }
        let array = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "1"]
        let second = try rendered("1/2", [:])
        #expect(second.count == 1)
        #expect(try rendered("auto", array) == second)
        #expect(try rendered("auto/2", ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "1"]) == second)
        #expect(try rendered("auto/2", ["JOB_COMPLETION_INDEX": "1"]) == second)

        let refused: [([String: String], String, String)] = [
            (["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "1", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_MAX": "2"], "auto", "SLURM_ARRAY_TASK_COUNT=1"),
            (["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"], "auto", "tasks 1…4"),
            (["JOB_COMPLETION_INDEX": "3"], "auto", "give the Job's completions"),
            (["JOB_COMPLETION_INDEX": "3"], "auto/3", "not below the count 3"),
            (["JOB_COMPLETION_INDEX": "x"], "auto/4", "is not a task index"),
            ([:], "auto", "needs SLURM_ARRAY_TASK_ID"),
            ([:], "auto/0", "COUNT ≥ 1"),
        ]
        for (environment, slice, expected) in refused {
            let r = try runCLI(["process", "\(dir)/in", "--output-dir", "\(dir)/refused", "--term", "warm", "--slice", slice],
                               environment: environment)
            #expect(r.status != 0 && r.stderr.contains(expected), "\(slice) \(environment): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/refused"), "a refused slice rendered something")
        }
    }

    /// Each slice's --summary is one JSON line with its counts; merge-summaries adds them up,
    /// lists the failed files and fails while a file failed or a slice has no summary.
    @Test func summariesOfSlicesMerge() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeCatalogue(in: dir)
        for slice in ["0/2", "1/2"] {
            let file = "\(dir)/sums/\(slice.prefix(1)).json"  // the folder is made as needed
            _ = try runCLI(["process", "\(dir)/in", "--output-dir", "\(dir)/out", "--term", "warm", "--slice", slice, "--summary", file])
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.hasSuffix("}\n") && text.split(separator: "\n").count == 1, "\(text)")
            let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
            #expect(json["slice"] as? String == slice)
            #expect((json["files"] as? Int).map { $0 >= 1 } == true, "\(json)")
            #expect((json["audio_seconds"] as? Double).map { $0 > 0 } == true, "\(json)")
            #expect((json["cpu_seconds"] as? Double).map { $0 > 0 } == true, "\(json)")
        }
        let one = try runCLI(["merge-summaries", "\(dir)/sums/0.json"])
        #expect(one.status == 1 && one.stderr.contains("slice 1/2 has no summary"), "\(one.stdout) \(one.stderr)")
        let merged = try runCLI(["merge-summaries", "\(dir)/sums/0.json", "\(dir)/sums/1.json"])
        #expect(merged.status == 1 && merged.stderr == "adaptive-eq: error: 1 of 4 files failed (listed above)\n", "\(merged.stderr)")
        let lines = merged.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("FAIL \(dir)/in/broken.wav: cannot read"), "\(merged.stdout)")
        #expect(lines.last?.hasPrefix("2 of 2 slices: 4 files: 3 rendered, 0 skipped (output exists), 1 failed; ") == true, "\(merged.stdout)")
        let twice = try runCLI(["merge-summaries", "\(dir)/sums/0.json", "\(dir)/sums/0.json", "\(dir)/sums/1.json"])
        #expect(twice.status == 1 && twice.stderr.contains("slice 0/2 has more than one summary"), "\(twice.stderr)")
        try "{}".write(toFile: "\(dir)/sums/bad.json", atomically: true, encoding: .utf8)
        let bad = try runCLI(["merge-summaries", "\(dir)/sums/bad.json"])
        #expect(bad.status == 1 && bad.stderr.contains("is not a catalogue summary"), "\(bad.stderr)")
    }

    /// Bad catalogue options end with one clear line and a non-zero status.
    @Test func badCatalogueOptions() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeCatalogue(in: dir)
        let cases: [([String], String)] = [
            (["\(dir)/in", "--output-dir", "\(dir)/o", "--jobs", "0"], "--jobs"),
            (["\(dir)/in", "--output-dir", "\(dir)/o", "--slice", "2/2"], "--slice"),
            (["\(dir)/in", "--output-dir", "\(dir)/o", "--slice", "x"], "--slice"),
            (["\(dir)/in", "--output-dir", "\(dir)/in"], "is the input folder"),
            (["\(dir)/in/a.wav", "\(dir)/x.wav", "\(dir)/y.wav"], "--output-dir"),
            (["\(dir)/in/a.wav", "\(dir)/x.wav", "--jobs", "2"], "--output-dir"),
            (["\(dir)/missing", "--output-dir", "\(dir)/o"], "no such file or folder"),
        ]
        for (arguments, expected) in cases {
            let r = try runCLI(["process"] + arguments + ["--term", "warm"])
            #expect(r.status != 0, "\(arguments) succeeded")
            #expect(r.stderr.contains(expected) || r.stdout.contains(expected), "\(arguments): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
        }
    }
}
