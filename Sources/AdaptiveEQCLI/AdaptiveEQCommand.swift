import AdaptiveEQ
import AdaptiveEQResources
import ArgumentParser
import AudioFile
import Foundation

@main
struct AdaptiveEQCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adaptive-eq",
        abstract: "Adaptive semantic equaliser: name a sound, set an intensity, get the EQ.",
        discussion: """
            Examples:
              adaptive-eq demo                                   render the bundled clip with "warm"
              adaptive-eq process in.wav out.wav --term warm --intensity 0.7
              adaptive-eq process in.flac out.flac --eq -3,120,2,400,1,0,1000,0.7,1.5,3000,1,2,8000
              adaptive-eq terms                                  list the vocabulary
            """,
        // The package's release (CHANGELOG.md's latest version heading; a test keeps them equal).
        version: "0.1.0",
        subcommands: [ProcessCommand.self, MergeSummariesCommand.self, TermsCommand.self, DemoCommand.self, AnalyzeCommand.self, ParametersCommand.self, BenchCommand.self, LiveCommand.self, StudioCommand.self])

    /// Runs the command line. Errors are reported as one line on stderr
    /// ("adaptive-eq: error: …") with exit code 1 (2 for usage errors); help goes to stdout.
    static func main() {
        // `help NAME` of a subcommand that does not exist printed the overview with status 0.
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.first == "help", let name = arguments.dropFirst().first, !name.hasPrefix("-"),
           !configuration.subcommands.contains(where: { $0._commandName == name }) {
            fail("no subcommand '\(name)'; the subcommands are " + configuration.subcommands.map { $0._commandName }.joined(separator: ", "), code: 2)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CLIError {
            fail(error.description, code: 1)
        } catch let error as AudioFileError {
            fail(error.description, code: 1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            fail(message.replacingOccurrences(of: "Error: ", with: "") + " (see adaptive-eq help)", code: 2)
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        // One line whatever the message quotes (a word typed with a newline in it).
        let line = message.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: "\\n")
        FileHandle.standardError.write("adaptive-eq: error: \(line)\n".data(using: .utf8)!)
        Foundation.exit(code)
    }
}

/// A user-facing failure; `description` is the whole one-line message.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Loads the static term table shipped with the package.
func loadStaticTerms() throws -> StaticTermTable {
    guard let path = BundledResources.staticTermsPath else {
        throw CLIError("the bundled term table is missing (resource bundle not found beside the executable)")
    }
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw CLIError("cannot read the bundled term table at \(path)")
    }
    do { return try StaticTermTable(tsv: text) } catch { throw CLIError(error.description) }
}
