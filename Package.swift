// swift-tools-version: 6.1
import PackageDescription

// Engine modules (EQDSP, EQAnalysis, EQInference, AdaptiveEQ) import no Foundation so the
// LV2 plugin can link them with -static-stdlib and stay small. Foundation is used only by
// the front ends (CLI, resources, file I/O helpers).
let package = Package(
    name: "AdaptiveEQ",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "AdaptiveEQ", targets: ["AdaptiveEQ"]),
        .library(name: "EQDSP", targets: ["EQDSP"]),
        .library(name: "AudioFile", targets: ["AudioFile"]),
        .executable(name: "adaptive-eq", targets: ["AdaptiveEQCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .target(name: "EQDSP"),
        .target(name: "EQAnalysis"),
        .target(name: "EQInference"),
        .target(name: "AdaptiveEQ", dependencies: ["EQDSP", "EQAnalysis", "EQInference"]),
        .target(name: "AdaptiveEQResources", resources: [.copy("Resources")]),
        .target(name: "AudioFile", dependencies: ["CSndfile"]),
        .executableTarget(
            name: "AdaptiveEQCLI",
            dependencies: [
                "AdaptiveEQ", "AdaptiveEQResources", "AudioFile", "EQDSP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Counts malloc/free process-wide so tests can prove the render path allocates nothing.
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .testTarget(name: "EQDSPTests", dependencies: ["EQDSP", "CMallocCounter"]),
        .testTarget(name: "EQAnalysisTests", dependencies: ["EQAnalysis", "EQInference"], path: "Tests/EQAnalysisTests"),
        .testTarget(name: "EQInferenceTests", dependencies: ["EQInference"]),
        .testTarget(name: "AdaptiveEQTests", dependencies: ["AdaptiveEQ", "AdaptiveEQResources", "CMallocCounter"]),
        .testTarget(name: "AudioFileTests", dependencies: ["AudioFile"]),
        .testTarget(name: "CLITests", dependencies: ["AudioFile", "EQDSP"]),
    ]
)
