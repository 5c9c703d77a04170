// swift-tools-version:6.1
import PackageDescription

// Layout: dependencies flow upwards only.
//   ModelSealFormat  — wire format of sealed files, bounds-checked byte reader, no crypto
//   ModelSealCrypto  — key schedule, STREAM payload, recipients, sealing and opening
//   ModelFormats     — PyTorch / safetensors / NumPy readers and writers, restricted pickle machine
//   ModelSealKeys    — text encodings of keys, identity and recipient files, key sources
//   ModelSealSigning — signature keys (PEM, OpenSSH), signed trailers, Merkle roots over chunks
//   ModelSealEnvironment — environment locks and contracts: probe, conda formats, policies (no crypto)
//   ModelSealBundle  — the delivery bundle (.mspkg): signed manifest, strict streaming pack/unpack
//   ModelSealLicensing — machine fingerprint, machine key, signed licenses, load-count state, runtime guards
//   ModelSealScan    — model-file safety scanner: verdicts, danger list, reports (on ModelFormats)
//   ModelSealKit     — what every surface shares: the status-code table, key options → keys
//   ModelSealCLI     — the `modelseal` command (a surface: it only calls the libraries)
//   CModelSeal       — the C ABI (libmodelseal_c.so, include/modelseal.h) the Python package loads (a surface)
let package = Package(
    name: "ModelSeal",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "modelseal", targets: ["ModelSealCLI"]),
        .library(name: "ModelSealFormat", targets: ["ModelSealFormat"]),
        .library(name: "ModelSealCrypto", targets: ["ModelSealCrypto"]),
        .library(name: "ModelSealKeys", targets: ["ModelSealKeys"]),
        .library(name: "ModelSealSigning", targets: ["ModelSealSigning"]),
        .library(name: "ModelFormats", targets: ["ModelFormats"]),
        .library(name: "ModelSealEnvironment", targets: ["ModelSealEnvironment"]),
        .library(name: "ModelSealBundle", targets: ["ModelSealBundle"]),
        .library(name: "ModelSealLicensing", targets: ["ModelSealLicensing"]),
        .library(name: "ModelSealKit", targets: ["ModelSealKit"]),
        .library(name: "ModelSealScan", targets: ["ModelSealScan"]),
        .library(name: "CModelSeal", targets: ["CModelSeal"]),  // for the Fuzz package
        // Built with the Swift standard library linked in statically (scripts/build-python.sh) so that
        // the Python wheel runs where no Swift toolchain is installed.
        .library(name: "modelseal_c", type: .dynamic, targets: ["CModelSeal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        .target(name: "ModelSealCore"),
        .target(name: "ModelSealFormat", dependencies: ["ModelSealCore"]),
        .target(
            name: "ModelSealCrypto",
            dependencies: [
                "ModelSealCore", "ModelSealFormat",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "ModelFormats", dependencies: ["ModelSealCore"]),
        .target(name: "ModelSealScan", dependencies: ["ModelSealCore", "ModelFormats"]),
        .target(
            name: "ModelSealKeys",
            dependencies: [
                "ModelSealCore", "ModelSealCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ModelSealSigning",
            dependencies: [
                "ModelSealCore", "ModelSealFormat", "ModelSealCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .target(name: "ModelSealEnvironment", dependencies: ["ModelSealCore", "ModelSealFormat"]),
        .target(
            name: "ModelSealBundle",
            dependencies: [
                "ModelSealCore", "ModelSealFormat", "ModelSealCrypto", "ModelSealSigning",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ModelSealLicensing",
            dependencies: [
                "ModelSealCore", "ModelSealFormat", "ModelSealCrypto", "ModelSealSigning",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ModelSealKit",
            dependencies: [
                "ModelSealCore", "ModelSealFormat", "ModelSealCrypto", "ModelSealKeys", "ModelSealSigning",
                "ModelSealLicensing", "ModelFormats", "ModelSealEnvironment", "ModelSealBundle",
            ]),
        .executableTarget(
            name: "ModelSealCLI",
            dependencies: [
                "ModelSealCore", "ModelSealFormat", "ModelSealCrypto", "ModelSealKeys", "ModelFormats", "ModelSealKit",
                "ModelSealSigning",
                "ModelSealLicensing", "ModelSealEnvironment", "ModelSealBundle", "ModelSealScan",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CModelSeal",
            dependencies: [
                "ModelSealCore", "ModelSealFormat", "ModelSealCrypto", "ModelSealKeys", "ModelSealKit",
                "ModelSealSigning", "ModelSealEnvironment",
            ],
            exclude: ["include", "exports.map"]
        ),
        .testTarget(name: "ModelSealCoreTests", dependencies: ["ModelSealCore"]),
        .testTarget(name: "ModelSealFormatTests", dependencies: ["ModelSealCore", "ModelSealFormat"]),
        .testTarget(
            name: "ModelSealCryptoTests",
            dependencies: [
                "ModelSealCore", "ModelSealCrypto", "ModelSealFormat", "ModelSealKeys",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "ModelSealKeysTests", dependencies: ["ModelSealCore", "ModelSealKeys"]),
        .testTarget(name: "ModelSealSigningTests", dependencies: ["ModelSealCore", "ModelSealSigning", "ModelSealCrypto", "ModelSealFormat"]),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelSealCore", "ModelFormats"]),
        .testTarget(name: "ModelSealScanTests", dependencies: ["ModelSealCore", "ModelSealScan", "ModelFormats"]),
        .testTarget(name: "ModelSealCLITests", dependencies: ["ModelSealCore", "ModelSealCLI"]),
        .testTarget(name: "ModelSealEnvironmentTests", dependencies: ["ModelSealCore", "ModelSealEnvironment"]),
        .testTarget(
            name: "ModelSealBundleTests",
            dependencies: ["ModelSealCore", "ModelSealBundle", "ModelSealSigning", "ModelSealEnvironment", "ModelSealCrypto"]),
        .testTarget(
            name: "ModelSealLicensingTests",
            dependencies: [
                "ModelSealCore", "ModelSealLicensing", "ModelSealCrypto", "ModelSealFormat", "ModelSealSigning",
                "ModelSealKit",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "ModelSealKitTests",
            dependencies: [
                "ModelSealCore", "ModelSealKit", "ModelSealCrypto", "ModelSealFormat", "ModelSealSigning", "ModelSealLicensing",
                "ModelSealEnvironment", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
    ]
)
