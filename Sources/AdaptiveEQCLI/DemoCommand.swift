import AdaptiveEQResources
import ArgumentParser
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Render the bundled demo clip towards a word into the current folder.",
        discussion: "Writes demo-original.wav and demo-WORD.wav so you can compare them.")

    @Option(help: "Word to move the clip towards.")
    var term = "warm"

    @Option(help: "Intensity 0…1.")
    var intensity: Float = 0.7

    func run() throws {
        guard let clip = BundledResources.demoClipPath else {
            throw CLIError("the bundled demo clip is missing (resource bundle not found beside the executable)")
        }
        let original = "demo-original.wav"
        let rendered = "demo-\(term.lowercased()).wav"
        let copy = try ProcessCommand.parse([clip, original, "--eq", "0,100,0,300,0.71,0,1000,0.71,0,3000,0.71,0,8000", "--force"])
        try copy.run()
        let process = try ProcessCommand.parse([clip, rendered, "--term", term, "--intensity", String(intensity), "--force"])
        try process.run()
        print("wrote \(original) (the clip as bundled) and \(rendered) (\(term), intensity \(intensity))")
    }
}
