// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets, one per parser. Build and run with scripts/fuzz.sh.
let targets = ["FuzzPickle", "FuzzZip", "FuzzTorch", "FuzzSafetensors", "FuzzNpy"]

let package = Package(
    name: "ModelSealFuzz",
    dependencies: [.package(name: "ModelSeal", path: "..")],
    targets: targets.map { name in
        .executableTarget(name: name, dependencies: [.product(name: "ModelFormats", package: "ModelSeal")])
    }
)
