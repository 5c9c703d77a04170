// swift-tools-version:6.1
import PackageDescription

// Layout: dependencies flow upwards only.
//   ContainerFormat  — wire format of sealed files, bounds-checked byte reader, no crypto
//   ContainerEngine  — key schedule, STREAM payload, recipients, sealing and opening; chunks sealed and opened
//                      in place through swift-crypto's BoringSSL (CBoringAEAD: declarations)
//   ModelFormats     — PyTorch / safetensors / NumPy readers and writers, restricted pickle machine
//   ModelSealKeys    — text encodings of keys, identity and recipient files, key sources
//   ModelSealSigning — signature keys (PEM, OpenSSH), signed trailers, Merkle roots over chunks
//   ModelSealPKCS11  — keys on PKCS#11 tokens (signing keys, the key server's AES master key): RFC 7512 URIs,
//                      the module loaded with dlopen (CPKCS11: declarations)
//   ModelSealEnvironment — environment locks and contracts: probe, conda formats, policies (no crypto)
//   ModelSealBundle  — the delivery bundle (.mspkg): signed manifest, strict streaming pack/unpack
//   ModelSealLicensing — machine fingerprint, machine key, signed licenses, load-count state, runtime guards
//   ModelSealAttestation — the vendor's side of TPM attestation: EK certificate chains (swift-certificates),
//                      TPM2_MakeCredential in software; only `license issue` links it, never the customer's C ABI
//   ModelSealMark    — leak forensics: per-customer Tier B mark on float tensors, tracing, the mark registry
//   ModelSealScan    — model-file safety scanner: verdicts, danger list, reports (on ModelFormats)
//   ModelSealKit     — what every surface shares: the status-code table, key options → keys
//   ModelSealCLI     — the `modelseal` command (a surface: it only calls the libraries)
//   CModelSeal       — the C ABI (libmodelseal_c.so, include/modelseal.h) the Python package loads (a surface)
//   ModelSealServerProtocol — the key server's wire rules shared by server and client: signed requests,
//                      leases, release wrapping (no networking, no database)
//   ModelSealServerClient — the customer side of the key server: activation, key requests, lease cache,
//                      over a libc-only HTTP/1.1 client (so the static `modelseal` stays libc-only); TLS
//                      through the system's OpenSSL loaded with dlopen, the server's key pinned
//   ModelSealServer  — the vendor's key and license server (Hummingbird; SQLite or PostgreSQL): store, admin and client API,
//                      the console (its trace page calls ModelSealMark)
//   ModelSealServerMain — the `modelseal-server` executable (a surface); the customer CLI never links it
// The vendor's server and what only it needs. `MODELSEAL_WITHOUT_SERVER=1` leaves them out of the package
// graph (scripts/test-sanitizers.sh: the customer-side suites under sanitizers, without compiling
// Hummingbird, SwiftNIO and SQLite twice more).
let withServer = Context.environment["MODELSEAL_WITHOUT_SERVER"] != "1"
let serverOnly: Set<String> = ["ModelSealServer", "ModelSealServerMain", "ModelSealServerTests", "modelseal-server"]
let serverDependencies: [Package.Dependency] =
    withServer
    ? [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // The console's trace upload (multipart/form-data, parsed as it streams).
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ] : []

let package = Package(
    name: "ModelSeal",
    // Built and tested on Linux only (Debian, x86_64: scripts/test.sh). The macOS minimum below is only
    // what the code would need there (Swift 6 typed throws, swift-crypto 4); nothing has been built or
    // tested on macOS, and Linux-only parts (memfd, /proc, ELF probes) have no macOS path.
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "modelseal", targets: ["ModelSealCLI"]),
        // The vendor's server: its own product, so the customer's command and the wheel link neither
        // Hummingbird nor a database driver (docs/SERVER.md).
        .executable(name: "modelseal-server", targets: ["ModelSealServerMain"]),
        .library(name: "ModelSealCore", targets: ["ModelSealCore"]),
        .library(name: "ContainerFormat", targets: ["ContainerFormat"]),
        .library(name: "ContainerEngine", targets: ["ContainerEngine"]),
        .library(name: "ArticleCompat", targets: ["ArticleCompat"]),
        .library(name: "ModelSealKeys", targets: ["ModelSealKeys"]),
        .library(name: "ModelSealSigning", targets: ["ModelSealSigning"]),
        .library(name: "ModelFormats", targets: ["ModelFormats"]),
        .library(name: "ModelSealEnvironment", targets: ["ModelSealEnvironment"]),
        .library(name: "ModelSealBundle", targets: ["ModelSealBundle"]),
        .library(name: "ModelSealLicensing", targets: ["ModelSealLicensing"]),
        .library(name: "ModelSealAttestation", targets: ["ModelSealAttestation"]),
        .library(name: "ModelSealPKCS11", targets: ["ModelSealPKCS11"]),
        .library(name: "ModelSealKit", targets: ["ModelSealKit"]),
        .library(name: "ModelSealScan", targets: ["ModelSealScan"]),
        .library(name: "ModelSealMark", targets: ["ModelSealMark"]),
        .library(name: "CModelSeal", targets: ["CModelSeal"]),  // for the Fuzz package
        // Built with the Swift standard library linked in statically (scripts/build-python.sh) so that
        // the Python wheel runs where no Swift toolchain is installed.
        .library(name: "modelseal_c", type: .dynamic, targets: ["CModelSeal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        // EK certificate chains (ModelSealAttestation only).
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    ] + serverDependencies,
    targets: [
        .target(name: "ModelSealCore"),
        .target(name: "ContainerFormat", dependencies: ["ModelSealCore"]),
        .target(
            name: "ContainerEngine",
            dependencies: [
                "ModelSealCore", "ContainerFormat", "CBoringAEAD",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ArticleCompat",
            dependencies: [
                "ModelSealCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "ModelFormats", dependencies: ["ModelSealCore"]),
        .target(name: "ModelSealScan", dependencies: ["ModelSealCore", "ModelFormats"]),
        .target(
            name: "ModelSealMark",
            dependencies: [
                "ModelSealCore", "ModelFormats",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            // Tracing scores every issued id (10,000 in the tests) with bit loops that are many times slower
            // unoptimized: the debug build the test suite uses optimizes this one module (docs/MARKING.md).
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "ModelSealKeys",
            dependencies: [
                "ModelSealCore", "ContainerEngine",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ModelSealSigning",
            dependencies: [
                "ModelSealCore", "ContainerFormat", "ContainerEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // The PKCS#11 types and function list, declared from the specification; no module is linked.
        .target(name: "CBoringAEAD"),
        .target(name: "CPKCS11"),
        .target(
            name: "ModelSealPKCS11",
            dependencies: [
                "CPKCS11", "ModelSealCore", "ModelSealSigning",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .target(name: "ModelSealEnvironment", dependencies: ["ModelSealCore", "ContainerFormat"]),
        .target(
            name: "ModelSealBundle",
            dependencies: [
                "ModelSealCore", "ContainerFormat", "ContainerEngine", "ModelSealSigning",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ModelSealLicensing",
            dependencies: [
                "ModelSealCore", "ContainerFormat", "ContainerEngine", "ModelSealSigning",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ModelSealAttestation",
            dependencies: [
                "ModelSealCore", "ModelSealLicensing",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .target(
            name: "ModelSealKit",
            dependencies: [
                "ModelSealCore", "ArticleCompat", "ContainerFormat", "ContainerEngine", "ModelSealKeys",
                "ModelSealSigning", "ModelSealPKCS11",
                "ModelSealLicensing", "ModelFormats", "ModelSealEnvironment", "ModelSealBundle",
            ]),
        .executableTarget(
            name: "ModelSealCLI",
            dependencies: [
                "ModelSealCore", "ArticleCompat", "ContainerFormat", "ContainerEngine", "ModelSealKeys", "ModelFormats",
                "ModelSealKit",
                "ModelSealSigning", "ModelSealPKCS11",
                "ModelSealLicensing", "ModelSealAttestation", "ModelSealEnvironment", "ModelSealBundle",
                "ModelSealScan", "ModelSealMark", "ModelSealServerProtocol", "ModelSealServerClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CModelSeal",
            dependencies: [
                "ModelSealCore", "ArticleCompat", "ContainerFormat", "ContainerEngine", "ModelSealKeys", "ModelSealKit",
                "ModelSealSigning", "ModelSealEnvironment", "ModelSealBundle", "ModelFormats",
                "ModelSealLicensing", "ModelSealServerProtocol", "ModelSealServerClient", "ModelSealPKCS11",
            ],
            exclude: ["include", "exports.map"]
        ),
        .target(
            name: "ModelSealServerProtocol",
            dependencies: [
                "ModelSealCore", "ContainerEngine", "ModelSealLicensing",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ModelSealServerClient",
            dependencies: [
                "ModelSealCore", "ModelSealLicensing", "ModelSealServerProtocol", "ModelSealKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .target(
            name: "ModelSealServer",
            dependencies: [
                "ModelSealCore", "ContainerFormat", "ContainerEngine", "ModelSealKeys", "ModelSealLicensing",
                "ModelSealServerProtocol", "ModelSealMark", "ModelSealPKCS11", "ModelSealKit", "ModelSealAttestation",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "ModelSealServerMain",
            dependencies: [
                "ModelSealServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers shared by test targets (a seeded generator), never linked into a product.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ModelSealCoreTests", dependencies: ["ModelSealCore", "TestSupport"]),
        .testTarget(name: "ContainerFormatTests", dependencies: ["ModelSealCore", "ContainerFormat"]),
        .testTarget(
            name: "ContainerEngineTests",
            dependencies: [
                "ModelSealCore", "ContainerEngine", "ContainerFormat", "ModelSealKeys",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "ModelSealKeysTests", dependencies: ["ModelSealCore", "ArticleCompat", "ModelSealKeys"]),
        .testTarget(
            name: "ArticleCompatTests",
            dependencies: [
                "ModelSealCore", "ArticleCompat", "ContainerEngine", "ModelSealKeys",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "ModelSealSigningTests",
            dependencies: ["ModelSealCore", "ModelSealSigning", "ContainerEngine", "ContainerFormat", "TestSupport"]),
        .testTarget(name: "ModelSealPKCS11Tests", dependencies: ["ModelSealPKCS11", "ModelSealSigning"]),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelSealCore", "ModelFormats"]),
        .testTarget(
            name: "ModelSealScanTests", dependencies: ["ModelSealCore", "ModelSealScan", "ModelFormats", "TestSupport"]),
        .testTarget(
            name: "ModelSealMarkTests", dependencies: ["ModelSealCore", "ModelFormats", "ModelSealMark", "TestSupport"]),
        .testTarget(name: "ModelSealCLITests", dependencies: ["ModelSealCore", "ModelSealCLI"]),
        .testTarget(
            name: "ModelSealServerTests",
            dependencies: [
                "ModelSealCore", "ModelSealServer", "ModelSealServerProtocol", "ContainerEngine", "ModelSealLicensing",
                .product(name: "Crypto", package: "swift-crypto"),
                // In-process router tests without HummingbirdTesting (which brings AsyncHTTPClient and BoringSSL).
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(name: "ModelSealEnvironmentTests", dependencies: ["ModelSealCore", "ModelSealEnvironment"]),
        .testTarget(
            name: "ModelSealBundleTests",
            dependencies: [
                "ModelSealCore", "ModelSealBundle", "ModelSealSigning", "ModelSealEnvironment", "ContainerEngine",
            ]),
        .testTarget(
            name: "ModelSealLicensingTests",
            dependencies: [
                "ModelSealCore", "ModelSealLicensing", "ContainerEngine", "ContainerFormat", "ModelSealSigning",
                "ModelSealKit", "ModelSealAttestation",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "ModelSealKitTests",
            dependencies: [
                "ModelSealCore", "ArticleCompat", "ModelSealKit", "ContainerEngine", "ContainerFormat",
                "ModelSealSigning", "ModelSealLicensing", "ModelSealPKCS11", "ModelSealBundle",
                "ModelSealEnvironment", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
    ]
)

if !withServer {
    package.targets.removeAll { serverOnly.contains($0.name) }
    package.products.removeAll { serverOnly.contains($0.name) }
}

// `MODELSEAL_SANITIZER_SUITES=1` keeps only what scripts/test-sanitizers.sh runs: the libraries under the
// suites that share memory across threads (parallel map and chunk stream, opener, scanner) and those suites.
// The command line, the C ABI, the mark, the key-server client and every other suite stay out, so each
// instrumented build compiles about a quarter less.
if Context.environment["MODELSEAL_SANITIZER_SUITES"] == "1" {
    let suites: Set<String> = [
        "ModelSealCoreTests", "ContainerEngineTests", "ModelFormatsTests", "ModelSealScanTests", "ModelSealKitTests",
        "TestSupport",
    ]
    let libraries: Set<String> = [
        "ModelSealCore", "ContainerFormat", "CBoringAEAD", "ContainerEngine", "ArticleCompat", "ModelFormats",
        "ModelSealScan", "ModelSealKeys", "ModelSealSigning", "CPKCS11", "ModelSealPKCS11", "ModelSealEnvironment",
        "ModelSealBundle", "ModelSealLicensing", "ModelSealKit",
    ]
    package.targets.removeAll { !suites.contains($0.name) && !libraries.contains($0.name) }
    package.products.removeAll { !libraries.contains($0.name) }
}
