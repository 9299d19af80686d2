// swift-tools-version: 6.1
import PackageDescription

// A command that renders an audio file with a word, using only the public API of the
// AdaptiveEQ and AudioFile products. It depends on the library by path, as an app that
// vendors AdaptiveEQ would.
let package = Package(
    name: "RenderWord",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "AdaptiveEQ", path: "../..")],
    targets: [
        .executableTarget(
            name: "render-word",
            dependencies: [
                .product(name: "AdaptiveEQ", package: "AdaptiveEQ"),
                .product(name: "AudioFile", package: "AdaptiveEQ"),
            ]),
    ]
)
