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
        .target(name: "ModelSealFormat"),
        .target(
            name: "ModelSealCrypto",
            dependencies: [
                "ModelSealFormat",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "ModelFormats", dependencies: ["ModelSealFormat"]),
        .target(name: "ModelSealScan", dependencies: ["ModelFormats"]),
        .target(
            name: "ModelSealKeys",
            dependencies: [
                "ModelSealCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ModelSealSigning",
            dependencies: [
                "ModelSealFormat", "ModelSealCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .target(name: "ModelSealEnvironment", dependencies: ["ModelSealFormat"]),
        .target(
            name: "ModelSealBundle",
            dependencies: [
                "ModelSealFormat", "ModelSealCrypto", "ModelSealSigning", "ModelSealEnvironment",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ModelSealLicensing",
            dependencies: [
                "ModelSealFormat", "ModelSealCrypto", "ModelSealSigning",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ModelSealKit",
            dependencies: [
                "ModelSealFormat", "ModelSealCrypto", "ModelSealKeys", "ModelSealSigning", "ModelSealLicensing",
                "ModelFormats", "ModelSealEnvironment", "ModelSealBundle",
            ]),
        .executableTarget(
            name: "ModelSealCLI",
            dependencies: [
                "ModelSealFormat", "ModelSealCrypto", "ModelSealKeys", "ModelFormats", "ModelSealKit", "ModelSealSigning",
                "ModelSealLicensing", "ModelSealEnvironment", "ModelSealBundle", "ModelSealScan",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CModelSeal",
            dependencies: [
                "ModelSealFormat", "ModelSealCrypto", "ModelSealKeys", "ModelSealKit", "ModelSealSigning",
                "ModelSealEnvironment",
            ],
            exclude: ["include", "exports.map"]
        ),
        .testTarget(name: "ModelSealFormatTests", dependencies: ["ModelSealFormat"]),
        .testTarget(
            name: "ModelSealCryptoTests",
            dependencies: [
                "ModelSealCrypto", "ModelSealFormat", "ModelSealKeys",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "ModelSealKeysTests", dependencies: ["ModelSealKeys"]),
        .testTarget(name: "ModelSealSigningTests", dependencies: ["ModelSealSigning", "ModelSealCrypto", "ModelSealFormat"]),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats"]),
        .testTarget(name: "ModelSealScanTests", dependencies: ["ModelSealScan", "ModelFormats"]),
        .testTarget(name: "ModelSealCLITests", dependencies: ["ModelSealCLI"]),
        .testTarget(name: "ModelSealEnvironmentTests", dependencies: ["ModelSealEnvironment", "ModelSealFormat"]),
        .testTarget(
            name: "ModelSealBundleTests",
            dependencies: ["ModelSealBundle", "ModelSealSigning", "ModelSealEnvironment", "ModelSealCrypto"]),
        .testTarget(
            name: "ModelSealLicensingTests",
            dependencies: [
                "ModelSealLicensing", "ModelSealCrypto", "ModelSealFormat", "ModelSealSigning", "ModelSealKit",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "ModelSealKitTests",
            dependencies: [
                "ModelSealKit", "ModelSealCrypto", "ModelSealFormat", "ModelSealSigning", "ModelSealLicensing",
                "ModelSealEnvironment", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
    ]
)
