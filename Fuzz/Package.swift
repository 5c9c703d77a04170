// swift-tools-version:6.1
// Fuzz targets (libFuzzer) for every parser of untrusted bytes. Built and run by scripts/fuzz.sh:
//   swift build -c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let package = Package(
    name: "ModelSealFuzz",
    dependencies: [.package(name: "ModelSeal", path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzSealedFile",
            dependencies: [
                .product(name: "ModelSealFormat", package: "ModelSeal"),
                .product(name: "ModelSealCrypto", package: "ModelSeal"),
            ]),
        .executableTarget(
            name: "FuzzKeyText",
            dependencies: [.product(name: "ModelSealKeys", package: "ModelSeal")]),
        .executableTarget(
            name: "FuzzBundleReader",
            dependencies: [
                .product(name: "ModelSealBundle", package: "ModelSeal"),
                .product(name: "ModelSealCrypto", package: "ModelSeal"),
            ]),
        .executableTarget(
            name: "FuzzEnvironmentLock",
            dependencies: [.product(name: "ModelSealEnvironment", package: "ModelSeal")]),
        .executableTarget(
            name: "FuzzEnvironmentYAML",
            dependencies: [.product(name: "ModelSealEnvironment", package: "ModelSeal")]),
    ]
)
