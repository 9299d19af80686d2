import AdaptiveEQ
import ArgumentParser
import EQDSP
import Foundation

struct TermsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terms",
        abstract: "List the words the equaliser knows, with their support and EQ settings.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let table = try loadStaticTerms()
        if json {
            let items: [[String: Any]] = table.terms.map { t in
                var eq: [String: Float] = [:]
                for p in EQParameter.allCases { eq[p.symbol] = t.settings[p] }
                return ["word": t.word, "rows": t.rowCount, "contributors": t.contributorCount,
                        "source": "SAFE-DB", "eq": eq, "parameters": t.settings.values]
            }
            let data = try JSONSerialization.data(withJSONObject: ["terms": items], options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let header = ["word", "rows"] + EQParameter.allCases.map(\.symbol)
        print(header.map { $0.padding(toLength: $0 == "word" ? 10 : 7, withPad: " ", startingAt: 0) }.joined())
        for t in table.terms {
            let cells = [t.word.padding(toLength: 10, withPad: " ", startingAt: 0),
                         String(t.rowCount).padding(toLength: 7, withPad: " ", startingAt: 0)]
                + t.settings.values.map { String(format: "%-7.4g", $0) }
            print(cells.joined())
        }
        print("\(table.terms.count) words (SAFE-DB user settings; rows = settings behind each word)")
    }
}
