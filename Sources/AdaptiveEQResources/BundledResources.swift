import Foundation

/// Files shipped inside the package: the model, the static term table and the demo clip.
/// (Kept apart from the engine modules, which use no Foundation.)
public enum BundledResources {
    /// Path of a bundled file `name` (e.g. "static_terms.tsv"), or nil if the resource bundle
    /// is missing (for example when the executable was copied without its bundle).
    public static func path(_ name: String) -> String? {
        // The copied folder is "Resources"; Foundation on Linux already treats a bundle's
        // "Resources" folder as its resource folder, Darwin does not, so look in both places.
        let bundle = Bundle.module
        let candidates = [bundle.resourceURL?.appendingPathComponent(name),
                          bundle.bundleURL.appendingPathComponent("Resources").appendingPathComponent(name),
                          bundle.resourceURL?.appendingPathComponent("Resources").appendingPathComponent(name)]
        return candidates.compactMap { $0?.path }.first { FileManager.default.fileExists(atPath: $0) }
    }

    public static var modelPath: String? { path("AdaptiveEQModel.safetensors") }
    public static var vocabularyPath: String? { path("AdaptiveEQVocabulary.safetensors") }
    public static var staticTermsPath: String? { path("static_terms.tsv") }
    public static var demoClipPath: String? { path("demo.flac") }
}
