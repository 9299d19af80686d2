import EQInference

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files a plugin bundle carries beside its binary (the LV2 bundle folder, a VST3
/// bundle's `Contents/Resources`), read with plain POSIX calls so the plugins need no
/// Foundation.
public enum PluginResources {
    /// The learnt words' SAFE-DB settings (static mode).
    public static let staticTermsFileName = "static_terms.tsv"
    /// The model (optional: without it adaptive mode applies the static EQ).
    public static let modelFileName = "AdaptiveEQModel.safetensors"
    /// The open vocabulary (optional: without it only learnt words are understood).
    public static let openVocabularyFileName = "AdaptiveEQVocabulary.safetensors"

    /// Reads a whole text file of at most 16 MiB; nil if it cannot be read.
    public static func readTextFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        let chunk = 65_536
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, chunk) }
            if got < 0 { return nil }
            if got == 0 { break }
            bytes.append(contentsOf: buffer[0..<got])
            if bytes.count > 16 << 20 { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The static terms (SAFE-DB settings of the learnt words) of the bundle in `folder`.
    public static func staticTerms(folder: String) throws(PluginStateError) -> StaticTermTable {
        let path = slash(folder) + staticTermsFileName
        guard let text = readTextFile(path) else { throw PluginStateError("cannot read \(path)") }
        do { return try StaticTermTable(tsv: text) } catch { throw PluginStateError("\(path): \(error.description)") }
    }

    /// The model of the bundle in `folder`, or nil when the bundle has none.
    public static func model(folder: String) throws(PluginStateError) -> AdaptiveEQModel? {
        let path = slash(folder) + modelFileName
        guard access(path, F_OK) == 0 else { return nil }
        do { return try AdaptiveEQModel(path: path) } catch { throw PluginStateError("\(path): \(error.description)") }
    }

    /// The words of the bundle in `folder`: its static terms and, when the folder holds a
    /// model, the model (so adaptive mode runs the engine). Errors name the file.
    public static func loadVocabulary(folder: String) throws(PluginStateError) -> Vocabulary {
        Vocabulary(staticTerms: try staticTerms(folder: folder), model: try model(folder: folder))
    }

    /// The open vocabulary in `folder`, when it is there and was built for `model` (its
    /// learnt rows are the model's term table); nil otherwise.
    public static func loadOpenVocabulary(folder: String, for model: AdaptiveEQModel) -> OpenVocabulary? {
        guard let vocabulary = try? OpenVocabulary(path: slash(folder) + openVocabularyFileName) else { return nil }
        return vocabulary.matches(model) ? vocabulary : nil
    }

    private static func slash(_ folder: String) -> String { folder.hasSuffix("/") ? folder : folder + "/" }
}

extension OpenVocabulary {
    /// Whether this vocabulary was built for `model`: its learnt rows are the model's term
    /// table, in order, with the same latents (within 1 %).
    public func matches(_ model: AdaptiveEQModel) -> Bool {
        let terms = model.terms
        guard learntCount == terms.count, latentCount == model.latentCount else { return false }
        for i in 0..<terms.count {
            guard words[i] == terms.names[i] else { return false }
            let z = latent(at: i), zt = terms.latent(at: i)
            for k in 0..<model.latentCount where abs(z[k] - zt[k]) > 1e-2 * max(1, abs(zt[k])) { return false }
        }
        return true
    }
}
