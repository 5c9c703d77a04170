import ArgumentParser
import ContainerEngine
import ContainerFormat
import ModelSealCore
import ModelSealKeys
import ModelSealKit
import ModelSealSigning

extension ModelSeal {
    /// `modelseal sign`: add a signature to a sealed file, embedded or detached.
    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign",
            abstract: "Sign a sealed file (no file key needed): embedded trailer or detached signature.",
            discussion: """
                The signature covers the header and every ciphertext chunk (a Merkle root, spec/SIGNATURES.md), so it also \
                holds against customers who hold the file key. Existing signatures are verified and kept: several \
                signers can sign one file. Embedded signatures rewrite the file atomically (-o to write elsewhere).

                Examples:
                  modelseal sign --sign-key vendor.key model.mseal
                  modelseal sign --sign-key release.key --signature model.mseal.sig model.mseal

                With --oms, signs a plain model file or directory in the OpenSSF model signing format instead \
                (sigstore/model-transparency, key mode; ECDSA P-256/384/521 keys), which `model_signing verify key` \
                checks:
                  modelseal sign --oms --sign-key ec.key --signature model.sig MODEL_DIR
                """)

        @Flag(name: .customLong("oms"), help: "Sign a plain model file or directory as an OpenSSF model signature.")
        var oms = false

        @OptionGroup(title: "Signing key") var signing: SigningKeyOptions

        @Option(
            name: .customLong("signature"),
            help: ArgumentHelp(
                "Write (or add to) a detached signature FILE instead of embedding.", valueName: "FILE"))
        var signature: String?

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp(
                "Write the signed file to FILE instead of replacing INPUT.",
                valueName: "FILE"))
        var output: String?

        @Argument(help: ArgumentHelp("The sealed file (with --oms: the model file or directory).", valueName: "INPUT"))
        var input: String

        func validate() throws {
            if signing.signKey == nil { throw ValidationError("give the signing key: --sign-key FILE") }
            if signature != nil && output != nil {
                throw ValidationError("--signature writes a detached file: drop -o")
            }
            if oms { try validateOMS() }
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            if oms { return try executeOMS() }
            guard let (key, algorithm) = try signing.resolve() else { return }
            let source = try InputFile(path: input)
            let file = try SealedFile(source)
            let leaves = try file.leafHashes()
            if let signature {
                if let bytes = try? KeyFiles.read(signature) {
                    // Adding to a detached signature: it must verify against this file first.
                    var opener = ModelOpener(identities: [])
                    opener.detachedSignature = Array(bytes)
                    guard let trailer = try opener.signatureTrailer(of: file) else { return }
                    _ = try FileSignatures.verify(
                        file, trailer: trailer, leafHashes: leaves, trustedKeys: [], requiredKeyIDs: [])
                    let updated = try adding(to: trailer, file: file, leaves: leaves, key: key, algorithm: algorithm)
                    try write(updated.encoded(), to: signature, replace: true)
                } else {
                    guard file.trailer == nil else {
                        throw CLIError(
                            .usage, "the file carries an embedded signature: sign it embedded (drop --signature)")
                    }
                    let entry = try FileSignatures.entry(
                        key: key, algorithm: algorithm, headerBytes: file.headerBytes,
                        payloadLength: file.layout.payloadLength, leafHashes: leaves)
                    try write(
                        SignatureTrailer(leafHashes: leaves, entries: [entry]).encoded(), to: signature, replace: false)
                }
            } else {
                let trailer = try FileSignatures.signing(file, leafHashes: leaves, key: key, algorithm: algorithm)
                let target = output ?? input
                let sink = try OutputFile(.path(target), mode: 0o644, replace: output == nil)
                try copy(source, range: 0..<file.payloadRange.upperBound, to: sink)
                try sink.write(contentsOf: trailer.encoded())
                try sink.commit()
            }
            Terminal.writeError(
                "signed by \(key.verifyingKey.fingerprint) (\(algorithm)): \(signature ?? output ?? input)")
        }

        private func adding(
            to trailer: SignatureTrailer, file: SealedFile, leaves: [[UInt8]], key: SigningKey,
            algorithm: SignatureAlgorithm
        ) throws -> SignatureTrailer {
            var updated = trailer
            let entry = try FileSignatures.entry(
                key: key, algorithm: algorithm, headerBytes: file.headerBytes, payloadLength: file.layout.payloadLength,
                leafHashes: leaves)
            if updated.entries.contains(where: { $0.publicKey == entry.publicKey && $0.algorithm == entry.algorithm }) {
                throw SigningError.unsuitableKey(
                    "the signature file already holds a \(algorithm) signature by \(key.verifyingKey.fingerprint)")
            }
            guard updated.entries.count < SignatureTrailer.maximumSignatures else {
                throw SigningError.malformedSignature(
                    "the signature file already holds \(SignatureTrailer.maximumSignatures) signatures")
            }
            updated.entries.append(entry)
            return updated
        }

        private func write(_ bytes: [UInt8], to path: String, replace: Bool) throws {
            let sink = try OutputFile(.path(path), mode: 0o644, replace: replace)
            try sink.write(contentsOf: bytes)
            try sink.commit()
        }

        private func copy(_ source: InputFile, range: Range<Int>, to sink: ByteSink) throws {
            var offset = range.lowerBound
            var buffer = [UInt8](repeating: 0, count: 4 << 20)
            while offset < range.upperBound {
                let count = min(buffer.count, range.upperBound - offset)
                try buffer.withUnsafeMutableBytes { raw in
                    try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]), at: offset)
                    try sink.write(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
                }
                offset += count
            }
        }
    }
}
