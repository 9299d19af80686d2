import AEQTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `adaptive-eq studio` as a process: it stops on SIGINT even while a client holds a request
/// open half-sent, and leaves no temporary folder behind.
@Suite struct StudioCommandTests {
    @Test func stopsOnSIGINTWithARequestHalfSentAndCleansUp() throws {
        let scratch = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cliPath)
        process.arguments = ["studio", "--port", "0"]
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": scratch]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // "adaptive-eq studio: serving http://127.0.0.1:PORT/ (Ctrl-C stops)"
        var text = ""
        let deadline = Date().addingTimeInterval(120)
        while !text.contains("(Ctrl-C stops)") && Date() < deadline && process.isRunning {
            text += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        }
        let port = try #require(text.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) }, "\(text)")

        // A request whose body never comes: the server waits for it.
        let connection = try RawConnection(port: port)
        defer { connection.close() }
        connection.send("POST /api/blind HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: 100\r\n\r\n{")
        usleep(300_000)

        kill(process.processIdentifier, SIGINT)
        let stopBy = Date().addingTimeInterval(30)
        while process.isRunning && Date() < stopBy { usleep(50_000) }
        #expect(!process.isRunning, "the studio did not stop within 30 s of SIGINT")
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch).filter { $0.hasPrefix("adaptive-eq-studio-") }
        #expect(left.isEmpty, "left \(left)")
    }
}
