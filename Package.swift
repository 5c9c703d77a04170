// swift-tools-version:6.1
import PackageDescription

// Layout: dependencies flow upwards only.
//   ModelSealFormat  — wire format of sealed files, bounds-checked byte reader, no crypto
//   ModelSealCrypto  — key schedule, STREAM payload, recipients, sealing and opening
//   ModelFormats     — PyTorch / safetensors / NumPy readers and writers, restricted pickle machine
//   ModelSealKeys    — text encodings of keys, identity and recipient files, key sources
//   ModelSealSigning — signature keys (PEM, OpenSSH), signed trailers, Merkle roots over chunks
//   ModelSealKit     — what every surface shares: the status-code table, key options → keys
//   ModelSealCLI     — the `modelseal` command (a surface: it only calls the libraries)
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
        .target(
            name: "ModelSealKit",
            dependencies: ["ModelSealFormat", "ModelSealCrypto", "ModelSealKeys", "ModelSealSigning", "ModelFormats"]),
        .executableTarget(
            name: "ModelSealCLI",
            dependencies: [
                "ModelSealFormat", "ModelSealCrypto", "ModelSealKeys", "ModelFormats", "ModelSealKit", "ModelSealSigning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
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
        .testTarget(name: "ModelSealCLITests", dependencies: ["ModelSealCLI"]),
    ]
)
