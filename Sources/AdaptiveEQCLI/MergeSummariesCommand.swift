import ArgumentParser
import Foundation

/// `adaptive-eq merge-summaries`: the follow-up step of a batch array. Adds up the tasks'
/// `process --summary` files, lists every failed file, and fails when a file failed or a
/// slice has no summary (a task that never finished), so a dependent job can tell.
struct MergeSummariesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-summaries",
        abstract: "Add up the --summary files of a batch array's catalogue tasks.",
        discussion: """
            Prints one FAIL line per failed file and the catalogue's summary line; exits 1
            if a file failed, a slice has no summary or one has several.

            Example (after an array of tasks ran process … --slice auto --summary sums/$SLURM_ARRAY_TASK_ID.json):
              adaptive-eq merge-summaries sums/*.json
            """)

    @Argument(help: "Summary files written by process --output-dir … --summary FILE.")
    var files: [String] = []

    func validate() throws {
        guard !files.isEmpty else { throw CLIError("give the summary files to merge") }
    }

    func run() throws {
        let merged = try MergedSummaries(files.map(CatalogueSummary.read))
        // Written at once, so a batch log that takes stdout and stderr keeps this order.
        var report = merged.total.failures.map { "FAIL \($0.input): \($0.reason)\n" }.joined()
        report += merged.line + "\n"
        FileHandle.standardOutput.write(Data(report.utf8))
        if !merged.missing.isEmpty {
            throw CLIError("slice\(merged.missing.count == 1 ? "" : "s") \(merged.missing.joined(separator: ", ")) \(merged.missing.count == 1 ? "has" : "have") no summary (the task did not finish); run the array again to render what is missing")
        }
        if !merged.repeated.isEmpty {
            throw CLIError("slice\(merged.repeated.count == 1 ? "" : "s") \(merged.repeated.joined(separator: ", ")) \(merged.repeated.count == 1 ? "has" : "have") more than one summary; merge one summary per slice")
        }
        if merged.total.failed > 0 {
            throw CLIError("\(merged.total.failed) of \(merged.total.files) files failed (listed above)")
        }
    }
}
