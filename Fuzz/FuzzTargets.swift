import AdaptiveEQ
import AudioFile
import EQInference

#if canImport(Glibc)
import Glibc
#endif

// libFuzzer entry point for every parser that takes outside input. One binary, the target
// chosen by $AEQ_FUZZ_TARGET (scripts/fuzz.sh builds it with -sanitize=fuzzer,address):
//   model       safetensors header, JSON, tensor table → AdaptiveEQModel
//   json        the JSON parser alone
//   automation  CSV/JSON automation files → host controls
//   vocabulary  the word look-up every front end uses (phrases, learnt and open vocabulary,
//               "did you mean" suggestions, from the shipped model and vocabulary table),
//               the host vocabulary's look-up, static term table parsing
//   audio       the audio-file reader path (bytes written to a file, read as the CLI reads)
// A crash, a sanitizer report or a broken invariant (trap) is a finding.

private let target: String = {
    guard let raw = getenv("AEQ_FUZZ_TARGET") else { return "" }
    return String(cString: raw)
}()

private let words: HostVocabulary = {
    let tsv = "warm\t5\t3\t3\t100\t0\t300\t1\t0\t1000\t1\t0\t3000\t1\t-3\t8000\n"
        + "bright\t5\t3\t-3\t100\t0\t300\t1\t0\t1000\t1\t0\t3000\t1\t3\t8000\n"
    return HostVocabulary(staticTerms: try! StaticTermTable(tsv: tsv))
}()

/// The shipped model's term table and open vocabulary (scripts/fuzz.sh runs from the repo
/// root), as `adaptive-eq process --term` looks words up.
private let shipped: (terms: TermTable, open: OpenVocabulary) = {
    let folder = "Sources/AdaptiveEQResources/Resources/"
    let model = try! AdaptiveEQModel(path: folder + "AdaptiveEQModel.safetensors")
    return (model.terms, try! OpenVocabulary(path: folder + "AdaptiveEQVocabulary.safetensors"))
}()

private let audioPath: String = "/tmp/aeq-fuzz-audio-\(getpid()).wav"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    switch target {
    case "model": fuzzModel(bytes)
    case "json": _ = try? JSONParser.parse(bytes)
    case "automation": fuzzAutomation(bytes)
    case "vocabulary": fuzzVocabulary(bytes)
    case "audio": fuzzAudio(bytes)
    case "pluginstate": fuzzPluginState(bytes)
    default:
        fputs("set AEQ_FUZZ_TARGET to model, json, automation, vocabulary, audio or pluginstate\n", stderr)
        exit(2)
    }
    return 0
}

private func fuzzModel(_ bytes: [UInt8]) {
    guard let file = try? SafetensorsFile(bytes: bytes) else { return }
    for entry in file.entries { _ = try? file.floats(entry.name) }
    guard let model = try? AdaptiveEQModel(file: file) else { return }
    // A model that loads has a latent row for every word.
    for i in 0..<model.terms.count { _ = model.terms.latent(at: i).pointee }
}

private func fuzzAutomation(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    do {
        let steps = try Automation(text: text).controlSteps(from: HostControls(), vocabulary: words)
        var previous = 0.0
        for step in steps {
            // Accepted automation is in range and in time order.
            precondition(step.timeSeconds >= previous && step.timeSeconds.isFinite)
            previous = step.timeSeconds
            precondition((0...1).contains(step.controls.intensity) && (0...1).contains(step.controls.blend))
            precondition((0..<words.words.count).contains(step.controls.term))
            precondition(step.controls.manual.values.allSatisfy(\.isFinite))
        }
    } catch {
        precondition(error.line >= 1 && !error.message.isEmpty)
    }
}

private func fuzzPluginState(_ bytes: [UInt8]) {
    // Any bytes: refused with a message, or settings whose every value is in its range and
    // that encode to bytes decoding to the same settings.
    do {
        let state = try PluginState(decoding: bytes)
        let c = state.controls
        for p in ControlParameter.allCases where p != .term && p != .secondTerm && p != .mode {
            precondition(p.range.contains(c.rawValue(p)), "\(p.symbol) out of range")
        }
        for p in EQParameter.allCases { precondition(p.range.contains(c.manual[p])) }
        let again = try PluginState(decoding: state.encoded())
        precondition(again.controls == c && again.word == state.word && again.secondWord == state.secondWord)
    } catch {
        precondition(!error.description.isEmpty)
    }
}

private func fuzzVocabulary(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    // Any text: an answer with a finite latent of the model's size and a sane intensity
    // factor, or an error with at most 3 suggestions, each a word of the vocabulary.
    do {
        let answer = try lookUpWord(text, terms: shipped.terms, vocabulary: shipped.open)
        precondition(answer.latent.count == shipped.terms.latentCount && answer.latent.allSatisfy(\.isFinite))
        precondition(answer.intensityScale > 0 && answer.intensityScale.isFinite && !answer.provenance.isEmpty)
        precondition(shipped.open.row(of: answer.word) != nil || shipped.terms.index(of: answer.word) != nil)
    } catch {
        precondition(error.suggestions.count <= 3 && error.suggestions.allSatisfy { shipped.open.row(of: $0) != nil })
        precondition(!error.description.isEmpty)
    }
    if let i = words.index(of: text) { precondition(i < words.words.count) }
    precondition(words.suggestions(for: text).count <= 3)
    _ = try? StaticTermTable(tsv: text)
}

private func fuzzAudio(_ bytes: [UInt8]) {
    guard let f = fopen(audioPath, "wb") else { return }
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, f) }
    fclose(f)
    guard let reader = try? AudioFileReader(path: audioPath) else { return }
    let frames = 256
    let interleaved = UnsafeMutablePointer<Float>.allocate(capacity: frames * reader.channelCount)
    let planar = UnsafeMutablePointer<Float>.allocate(capacity: frames * reader.channelCount)
    defer { interleaved.deallocate(); planar.deallocate() }
    var total = 0
    // Read as `adaptive-eq process` does, with a bound so a huge header cannot stall a run.
    while total < 1 << 20 {
        let got = reader.readPlanar(into: planar, channelStride: frames, frames: frames, scratch: interleaved)
        if got <= 0 { break }
        precondition(got <= frames)
        total += got
    }
}
