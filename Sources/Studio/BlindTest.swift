import Foundation

/// One answer of the blind listening test: the listener heard A and B (which one was
/// processed was drawn at random and not shown) and picked the one that sounded more like
/// the word.
public struct BlindAnswer: Codable, Sendable, Equatable {
    public var word: String
    public var intensity: Float
    public var mode: String
    public var track: String
    /// "A" or "B": which side played the processed audio.
    public var processed: String
    /// "A" or "B": the side the listener chose.
    public var chosen: String
    /// Seconds since 1970 when the answer was stored.
    public var time: Double

    public var correct: Bool { processed == chosen }
}

/// Per-word result of the blind test.
public struct BlindSummaryRow: Codable, Sendable, Equatable {
    public var word: String
    public var trials: Int
    public var correct: Int
    /// One-sided binomial p-value: the chance of at least `correct` right answers out of
    /// `trials` by guessing (p = ½ each).
    public var pValue: Double
}

/// The blind test's answers, kept in memory and appended as JSON lines to a file in the
/// results folder given on the command line (its name is fixed; nothing from a request
/// becomes a path).
public final class BlindTestLog: @unchecked Sendable {
    public static let fileName = "blind-test.jsonl"
    private let lock = NSLock()
    private var answers: [BlindAnswer] = []
    private let path: String?

    /// Reads earlier answers from `folder` (if any) and appends new ones there; nil keeps
    /// answers in memory only.
    public init(folder: String?) {
        path = folder.map { $0 + "/" + Self.fileName }
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        let decoder = JSONDecoder()
        answers = text.split(separator: "\n").compactMap { try? decoder.decode(BlindAnswer.self, from: Data($0.utf8)) }
    }

    /// Stores one answer (memory, then the file).
    public func record(_ answer: BlindAnswer) throws(StudioError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let line = try? encoder.encode(answer) else { throw .server("cannot encode the answer") }
        lock.lock()
        defer { lock.unlock() }
        if let path {
            let folder = (path as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: path) {
                FileManager.default.createFile(atPath: path, contents: nil)
            }
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw .server("cannot write the blind-test results in \(folder)")
            }
            defer { try? handle.close() }
            // The throwing calls: a full disk is a one-line 500, not a trap in the server.
            do {
                _ = try handle.seekToEnd()
                try handle.write(contentsOf: line + Data("\n".utf8))
            } catch {
                throw .server("cannot write the blind-test results in \(folder): \((error as NSError).localizedFailureReason ?? "the write failed")")
            }
        }
        answers.append(answer)
    }

    public var all: [BlindAnswer] {
        lock.lock()
        defer { lock.unlock() }
        return answers
    }

    /// Trials, right answers and the binomial p-value per word, in word order.
    public var summary: [BlindSummaryRow] {
        let grouped = Dictionary(grouping: all, by: \.word)
        return grouped.keys.sorted().map { word in
            let rows = grouped[word]!
            let right = rows.filter(\.correct).count
            return BlindSummaryRow(word: word, trials: rows.count, correct: right,
                                   pValue: Self.binomialTail(successes: right, trials: rows.count))
        }
    }

    /// The answers as CSV (one header line, one line per answer).
    public var csv: String {
        var out = "time,word,intensity,mode,track,processed,chosen,correct\n"
        for a in all {
            let track = a.track.replacingOccurrences(of: "\"", with: "'")
            out += "\(a.time),\(a.word),\(a.intensity),\(a.mode),\"\(track)\",\(a.processed),\(a.chosen),\(a.correct ? 1 : 0)\n"
        }
        return out
    }

    /// P(X ≥ k) for X ~ Binomial(n, ½), summed exactly in log space.
    public static func binomialTail(successes k: Int, trials n: Int) -> Double {
        guard n > 0, k > 0 else { return 1 }
        guard k <= n else { return 0 }
        var total = 0.0
        for i in k...n {
            let logChoose = lgamma(Double(n + 1)) - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1))
            total += exp(logChoose - Double(n) * log(2.0))
        }
        return min(total, 1)
    }
}
