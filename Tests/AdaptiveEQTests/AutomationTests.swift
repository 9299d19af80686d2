import AdaptiveEQ
import Testing

/// Parsing automation files (CSV and JSON) and turning them into host controls.
struct AutomationTests {
    let vocabulary = HostVocabulary(staticTerms: try! StaticTermTable(tsv: """
        warm	5	3	3	100	0	300	1	0	1000	1	0	3000	1	-3	8000
        bright	5	3	-3	100	0	300	1	0	1000	1	0	3000	1	3	8000
        """))

    @Test func csvAndJSONGiveTheSameSteps() throws {
        let csv = """
            # a comment, then the header
            time, term, intensity, mode, enabled, output_gain_db, g1
            0, warm, 0.5, adaptive, on, 0,
            1.5, bright, , static, , -6, 4

            1.5, , 1, , off, ,
            """
        let json = """
            [{"time": 0, "term": "warm", "intensity": 0.5, "mode": "adaptive", "enabled": true, "output_gain_db": 0},
             {"time": 1.5, "term": "bright", "mode": "static", "output_gain_db": -6, "g1": 4},
             {"time": 1.5, "intensity": 1, "enabled": "off"}]
            """
        let a = try Automation(text: csv), b = try Automation(text: json)
        #expect(a.points.map(\.timeSeconds) == b.points.map(\.timeSeconds))
        let stepsA = try a.controlSteps(from: HostControls(), vocabulary: vocabulary)
        let stepsB = try b.controlSteps(from: HostControls(), vocabulary: vocabulary)
        #expect(stepsA.count == 2 && stepsB.count == 2, "points at the same time merge")
        #expect(stepsA.map(\.controls) == stepsB.map(\.controls))
        let last = stepsA[1].controls
        #expect(last.term == 1 && last.intensity == 1 && last.mode == .static && !last.enabled)
        #expect(last.outputGainDecibels == -6 && last.manual.g1 == 4 && stepsA[1].timeSeconds == 1.5)
        #expect(stepsA[0].controls.term == 0 && stepsA[0].controls.intensity == 0.5 && stepsA[0].controls.enabled)
        // Saved with Windows line endings (a spreadsheet's CSV): the same steps, the same line numbers.
        let crlf = try Automation(text: csv.replacing("\n", with: "\r\n"))
        #expect(try crlf.controlSteps(from: HostControls(), vocabulary: vocabulary).map(\.controls) == stepsA.map(\.controls))
        do {
            _ = try Automation(text: "time,term\r\n0,warm\r\n1,wram\r\n").controlSteps(from: HostControls(), vocabulary: vocabulary)
            Issue.record("an unknown word in a CRLF file was accepted")
        } catch {
            #expect(error.description.contains("line 3") && !error.description.contains("\r"), "\(error.description)")
        }
    }

    /// Every kind of mistake is reported with the line it is on.
    @Test(arguments: [
        ("time,term\n0,warm\n1,wram\n", 3, "unknown word 'wram'"),
        ("# c\n\ntime,intensty\n0,1\n", 3, "unknown control 'intensty'"),
        ("time,intensity\n0,0.5\n2,1.5\n", 3, "intensity must be a number in 0.0 … 1.0"),
        ("time,intensity\n2,0.5\n1,1\n", 3, "comes before"),
        ("time,intensity\n-1,0.5\n", 2, "time must be"),
        ("time,intensity\nnan,0.5\n", 2, "time must be"),
        ("time,intensity\n0,0.5,3\n", 2, "3 cells"),
        ("time,intensity,intensity\n", 1, "appears twice"),
        ("term,time\n", 1, "header"),
        ("", 1, "no header"),
        ("time,mode\n0,loud\n", 2, "mode must be one of adaptive, static, manual"),
        ("time,enabled\n0,maybe\n", 2, "enabled must be on or off"),
        ("time,f5\n0,30000\n", 2, "f5 (High shelf frequency)"),
        ("time,smoothing_ms\n0,inf\n", 2, "smoothing_ms must be"),
        ("[{\"time\": 0, \"term\": \"warm\"},\n {\"time\": 1,\n  \"term\": \"wram\"}]", 2, "unknown word 'wram'"),
        ("[{\"time\": 0},\n {\"term\": \"warm\"}]", 2, "has no 'time'"),
        ("[{\"time\": 0},\n 3]", 2, "is a number, not an object"),
        ("[{\"time\": 0},\n {\"time\": 1, \"blend\": null}]", 2, "'blend' is a null"),
        ("[{\"time\": 0},\n {\"time\": 1,, }]", 2, "invalid JSON"),
        ("[{\"time\": 0, \"time\": 1}]", 1, "'time' appears twice"),
        ("{\"time\": 0}", 1, "header"),
    ])
    func errorsNameTheLine(text: String, line: Int, message: String) {
        do {
            _ = try Automation(text: text).controlSteps(from: HostControls(), vocabulary: vocabulary)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }
}
