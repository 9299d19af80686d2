import AdaptiveEQ
import AdaptiveEQResources
import Foundation
import Testing

@Suite struct StaticTermTableTests {
    @Test func shippedTableParsesWithWarmAndBright() throws {
        let text = try String(contentsOfFile: try #require(BundledResources.staticTermsPath), encoding: .utf8)
        let table = try StaticTermTable(tsv: text)
        let warm = try #require(table.term(" Warm "))
        #expect(warm.rowCount >= 500 && warm.contributorCount >= 3)
        #expect(table.term("bright") != nil)
        #expect(table.terms.allSatisfy { $0.settings.firstInvalidParameter == nil && $0.rowCount >= 5 })
    }

    @Test func malformedTablesAreRejectedWithTheLineNumber() {
        let good = "warm\t5\t3\t0\t100\t0\t300\t0.71\t0\t1000\t0.71\t0\t3000\t0.71\t0\t8000"
        let cases: [(String, String)] = [
            ("# header\n" + good.replacingOccurrences(of: "\t8000", with: ""), "line 2"),
            (good.replacingOccurrences(of: "\t5\t", with: "\tfive\t"), "integers"),
            (good.replacingOccurrences(of: "\t100\t", with: "\t5\t"), "f1"),
            ("# only a comment\n", "no words"),
        ]
        for (text, fragment) in cases {
            do {
                _ = try StaticTermTable(tsv: text)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.contains(fragment), "\(error.description)")
            }
        }
    }

    @Test func suggestionsAreTheClosestSpellings() {
        let words = ["warm", "bright", "airy", "muddy", "boomy"]
        #expect(nearestWords(to: "wram", in: words, limit: 1) == ["warm"])
        #expect(nearestWords(to: "BRIGHTT", in: words, limit: 2).first == "bright")
        #expect(nearestWords(to: "", in: words, limit: 1).count == 1)
        #expect(nearestWords(to: "muddy", in: [], limit: 3).isEmpty)
    }
}
