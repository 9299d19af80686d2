// swift-tools-version: 6.1
import PackageDescription

// Engine modules (EQCore, EQDSP, EQAnalysis, EQInference, AdaptiveEQ) import no Foundation so the
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
        // The LV2 plugin binary (scripts/build-lv2.sh links it with -static-stdlib and an
        // export list of just lv2_descriptor, then assembles adaptive-eq.lv2).
        .library(name: "AdaptiveEQLV2", type: .dynamic, targets: ["AdaptiveEQLV2"]),
        .executable(name: "adaptive-eq-lv2-ttl", targets: ["AdaptiveEQLV2TTL"]),
        // The VST3 plugin binary (scripts/build-vst3.sh links it with -static-stdlib and an
        // export list of GetPluginFactory, ModuleEntry and ModuleExit, then assembles AdaptiveEQ.vst3).
        .library(name: "AdaptiveEQVST3", type: .dynamic, targets: ["AdaptiveEQVST3"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // The studio's local web server (Sources/Studio only; the engine and plugin never link it).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        // `make docs` only (a command plugin: nothing of it is linked into any product).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        // The parameter table (EQ parameters, controls, modes, units, process spec) below
        // everything else: DSP, inference, engine and every front end read it.
        .target(name: "EQCore"),
        // The render path's float kernels (EQ sample loop, encoder, linear layers), in C so an
        // AVX2 copy is chosen at start-up while every binary still runs on baseline x86-64
        // (both copies compute the same bits).
        .target(name: "CKernels"),
        .target(name: "EQDSP", dependencies: ["EQCore", "CKernels"]),
        .target(name: "EQAnalysis", dependencies: ["CKernels"]),
        .target(name: "EQInference", dependencies: ["EQCore", "CKernels"]),
        .target(name: "AdaptiveEQ", dependencies: ["EQCore", "EQDSP", "EQAnalysis", "EQInference", "CKernels"]),
        .target(name: "AdaptiveEQResources", resources: [.copy("Resources")]),
        .target(name: "AudioFile", dependencies: ["CSndfile", "CKernels", "CFileCleanup"]),
        // Hidden partial files deleted when a render is stopped by a signal.
        .target(name: "CFileCleanup"),
        .systemLibrary(name: "CLV2", pkgConfig: "lv2", providers: [.apt(["lv2-dev"])]),
        .target(name: "AdaptiveEQLV2", dependencies: ["AdaptiveEQ", "EQDSP", "CLV2"]),
        .executableTarget(name: "AdaptiveEQLV2TTL", dependencies: ["AdaptiveEQLV2", "AdaptiveEQ"]),
        // The VST3 binary interface, declared here from its documented definitions (no SDK).
        .target(name: "CVST3", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "AdaptiveEQVST3", dependencies: ["AdaptiveEQ", "EQCore", "EQDSP", "EQInference", "CVST3"]),
        // JACK is loaded with dlopen at run time, so the CLI starts (and builds) without it.
        .target(name: "CJackShim", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "AdaptiveEQLive", dependencies: ["AdaptiveEQ", "EQDSP", "CJackShim"]),
        .executableTarget(
            name: "AdaptiveEQCLI",
            dependencies: [
                "AdaptiveEQ", "AdaptiveEQResources", "AudioFile", "EQDSP", "EQAnalysis", "EQInference",
                "AdaptiveEQLive", "CMallocCounter", "Studio",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // `adaptive-eq studio`: the local web app (page, audio streaming, plots, blind test).
        .target(
            name: "Studio",
            dependencies: [
                "AdaptiveEQ", "AudioFile", "EQAnalysis", "EQCore", "EQDSP", "EQInference",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            resources: [.copy("Web")]),
        // Counts allocations per thread (glibc interposer) so tests and `adaptive-eq bench`
        // can show the render path allocates nothing.
        .target(name: "CMallocCounter"),
        // Counts Swift retain/release calls per thread (test-only interposer).
        .target(name: "CRetainCounter", path: "Tests/CRetainCounter", linkerSettings: [.linkedLibrary("dl")]),
        // Helpers shared by the test targets (seeded RNG, DTFT/FFT, centroid, high-pass).
        .target(name: "AEQTestSupport", path: "Tests/AEQTestSupport"),
        .testTarget(name: "EQDSPTests", dependencies: ["EQDSP", "CKernels", "CMallocCounter", "CRetainCounter", "AEQTestSupport"]),
        .testTarget(name: "EQAnalysisTests", dependencies: ["EQAnalysis", "EQInference", "CKernels", "CMallocCounter"], path: "Tests/EQAnalysisTests"),
        .testTarget(name: "EQInferenceTests", dependencies: ["EQInference", "CKernels"]),
        .testTarget(name: "AdaptiveEQTests", dependencies: ["AdaptiveEQ", "AdaptiveEQResources", "AudioFile", "EQAnalysis", "EQInference", "CKernels", "CMallocCounter", "CRetainCounter", "AEQTestSupport"]),
        .testTarget(name: "AudioFileTests", dependencies: ["AudioFile", "CSndfile", "AEQTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["AudioFile", "EQDSP", "AEQTestSupport"]),
        // Runs the studio server on a loopback port and talks to it over HTTP.
        .testTarget(name: "StudioTests", dependencies: [
            "Studio", "AdaptiveEQ", "AdaptiveEQResources", "AudioFile", "EQAnalysis", "EQInference", "AEQTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        // Starts real hosts (lv2apply, jackd -d dummy, jalv, adaptive-eq live) via scripts/.
        // Drives the VST3 plugin through its vtables in-process, as a host does.
        .testTarget(name: "VST3Tests", dependencies: ["AdaptiveEQVST3", "AdaptiveEQ", "CVST3", "EQDSP", "CMallocCounter", "CRetainCounter", "AEQTestSupport"]),
        .testTarget(name: "LV2Tests", dependencies: ["AudioFile", "EQDSP", "AdaptiveEQ", "AdaptiveEQLV2", "AdaptiveEQLive", "CMallocCounter", "AEQTestSupport"]),
    ]
)
