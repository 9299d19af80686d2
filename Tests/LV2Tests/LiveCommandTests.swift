import AdaptiveEQ
import AdaptiveEQLive
import EQDSP
import Testing

@Suite struct LiveCommandTests {
    @Test func commandsChangeTheControls() throws {
        let words = try staticTerms().terms.map(\.word)
        let parser = LiveCommandParser(words: words)
        var c = HostControls()
        #expect(parser.apply("term bright", to: &c) == .changed("term = bright"))
        #expect(c.term == words.firstIndex(of: "bright"))
        _ = parser.apply("intensity 0.25", to: &c)
        #expect(c.intensity == 0.25)
        _ = parser.apply("mode static", to: &c)
        #expect(c.mode == .static)
        _ = parser.apply("enabled off", to: &c)
        #expect(!c.enabled)
        _ = parser.apply("eq -6,100,0,300,0.71,0,1000,0.71,0,3000,0.71,2,8000", to: &c)
        #expect(c.mode == .manual && c.manual.g1 == -6 && c.manual.g5 == 2)
        _ = parser.apply("g2 3.5", to: &c)
        #expect(c.manual.g2 == 3.5)
        #expect(parser.apply("status", to: &c) == .status)
        #expect(parser.apply("quit", to: &c) == .quit)
        guard case .error(let message) = parser.apply("term brigth", to: &c) else { Issue.record("no error"); return }
        #expect(message.contains("bright"))
        guard case .error = parser.apply("intensity 2", to: &c) else { Issue.record("no error"); return }
        #expect(c.intensity == 0.25)
    }
}
