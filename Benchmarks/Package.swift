// swift-tools-version: 6.1
import PackageDescription

// Micro-benchmarks of the render path (ordo-one/benchmark): wall clock per call and heap
// allocations per call. Run from this folder:
//
//     swift package benchmark
//
// The engine benchmarks read the model from AEQ_MODEL_PATH, or from the package resource
// Sources/AdaptiveEQResources/Resources/AdaptiveEQModel.safetensors of the root package.
let package = Package(
    name: "AdaptiveEQBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        // Named, so the products resolve whatever the checkout folder is called.
        .package(name: "AdaptiveEQ", path: ".."),
        // Only the malloc interposer: the ARC runtime interposer (the package's other default
        // trait) is neither needed here nor available on every machine.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(name: "BenchmarkSupport", path: "Benchmarks/BenchmarkSupport"),
        .executableTarget(
            name: "EQBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EQDSP", package: "AdaptiveEQ"),
            ],
            path: "Benchmarks/EQBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AdaptiveEQ", package: "AdaptiveEQ"),
                .product(name: "EQDSP", package: "AdaptiveEQ"),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
