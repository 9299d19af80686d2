import EQInference
import Testing

@Suite struct JSONParserTests {
    @Test func parsesNestedDocument() throws {
        let v = try JSONParser.parse(#" { "a": [1, -2.5e1, true, false, null], "b": {"c": "x"} } "#)
        #expect(v["a"] == .array([.integer(1), .number(-25), .bool(true), .bool(false), .null]))
        #expect(v["b"]?["c"] == .string("x"))
    }

    @Test func keepsLargeIntegersExact() throws {
        #expect(try JSONParser.parse("9007199254740993") == .integer(9_007_199_254_740_993))
    }

    @Test func decodesEscapes() throws {
        let v = try JSONParser.parse(#""q\"b\\s\/n\nt\tu\u00e9\ud83c\udfb5""#)
        #expect(v == .string("q\"b\\s/n\nt\tué🎵"))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "\"abc", "01", "1.", "-", "tru", "\"\\x\"",
                      "\"\\ud800\"", "{} x", "[1 2]", "\"a\u{01}\""])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func limitsNesting() {
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }
}
