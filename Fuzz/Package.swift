// swift-tools-version:6.1
// libFuzzer targets, one per parser of untrusted bytes. Build and run with scripts/fuzz.sh:
//   swift build -c release --scratch-path ../.build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// Each target's file is named after the target (not main.swift), as -parse-as-library requires;
// each defines <Target>_main and calls FuzzSupport.runFuzzer (docs/FUZZING.md).
import PackageDescription

let modelFormatTargets = ["FuzzPickle", "FuzzZip", "FuzzTorch", "FuzzSafetensors", "FuzzNpy"]

let package = Package(
    name: "ModelSealFuzz",
    dependencies: [.package(name: "ModelSeal", path: "..")],
    targets: modelFormatTargets.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                .product(name: "ModelSealCore", package: "ModelSeal"),
                .product(name: "ModelFormats", package: "ModelSeal"),
            ])
    } + [
        .executableTarget(
            name: "FuzzSealedFile",
            dependencies: [
                .product(name: "ModelSealCore", package: "ModelSeal"),
                .product(name: "ContainerFormat", package: "ModelSeal"),
                .product(name: "ContainerEngine", package: "ModelSeal"),
            ]),
        .executableTarget(
            name: "FuzzScan",
            dependencies: [
                .product(name: "ModelSealCore", package: "ModelSeal"),
                .product(name: "ModelFormats", package: "ModelSeal"),
                .product(name: "ModelSealScan", package: "ModelSeal"),
            ]),
        .executableTarget(
            name: "FuzzCABI",
            dependencies: [.product(name: "CModelSeal", package: "ModelSeal")]),
        .executableTarget(
            name: "FuzzFernet",
            dependencies: [
                .product(name: "ModelSealCore", package: "ModelSeal"),
                .product(name: "ArticleCompat", package: "ModelSeal"),
            ]),
        .executableTarget(
            name: "FuzzKeyText",
            dependencies: [.product(name: "ModelSealKeys", package: "ModelSeal")]),
        .executableTarget(
            name: "FuzzPKCS11URI",
            dependencies: [.product(name: "ModelSealPKCS11", package: "ModelSeal")]),
        .executableTarget(
            name: "FuzzLicense",
            dependencies: [
                .product(name: "ModelSealCore", package: "ModelSeal"),
                .product(name: "ModelSealLicensing", package: "ModelSeal"),
                .product(name: "ModelSealAttestation", package: "ModelSeal"),
            ]),
        .executableTarget(
            name: "FuzzOMSBundle",
            dependencies: [.product(name: "ModelSealSigning", package: "ModelSeal")]),
        .executableTarget(
            name: "FuzzBundleReader",
            dependencies: [
                .product(name: "ModelSealCore", package: "ModelSeal"),
                .product(name: "ModelSealBundle", package: "ModelSeal"),
                .product(name: "ContainerEngine", package: "ModelSeal"),
            ]),
        .executableTarget(
            name: "FuzzFolderManifest",
            dependencies: [.product(name: "ModelSealBundle", package: "ModelSeal")]),
        .executableTarget(
            name: "FuzzEnvironmentLock",
            dependencies: [.product(name: "ModelSealEnvironment", package: "ModelSeal")]),
        .executableTarget(
            name: "FuzzEnvironmentYAML",
            dependencies: [.product(name: "ModelSealEnvironment", package: "ModelSeal")]),
        .executableTarget(
            name: "FuzzMark",
            dependencies: [
                .product(name: "ModelSealCore", package: "ModelSeal"),
                .product(name: "ModelFormats", package: "ModelSeal"),
                .product(name: "ModelSealMark", package: "ModelSeal"),
            ]),
    ]
)

// Every target hands control to libFuzzer through the one driver shim in FuzzSupport.
package.targets.append(.target(name: "FuzzSupport"))
for target in package.targets where target.type == .executable {
    target.dependencies.append("FuzzSupport")
}
