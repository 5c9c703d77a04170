import ArgumentParser
import ContainerEngine
import ContainerFormat
import Crypto
import ModelFormats
import ModelSealCore
import ModelSealKeys
import ModelSealKit
import ModelSealSigning

#if canImport(Glibc)
    import Glibc
#endif

extension ModelSeal {
    /// `modelseal demo`: the vendor → customer flow on a generated sample model, with timings.
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "demo",
            abstract: "Run the whole flow on a generated sample model and print timings.",
            discussion: """
                In a temporary directory (removed afterwards): write a sample PyTorch checkpoint (a state_dict \
                in torch's zip format, as torch.save writes it), inspect it without executing its pickle, generate a \
                customer identity, a vendor raw key and a vendor signing key, seal and sign the model for both \
                recipients, open it in memory as the customer after checking the vendor's signature, compare digests \
                and re-read the checkpoint, then show that a flipped byte, a wrong key and an untrusted signer are \
                refused. Nothing is left on disk.

                Examples:
                  modelseal demo
                  modelseal demo --size-mib 16
                """)

        @Option(name: .customLong("size-mib"), help: "Size of the sample model in MiB (4...4096).")
        var sizeMiB = 256

        func validate() throws {
            guard (4...4096).contains(sizeMiB) else { throw ValidationError("--size-mib must be 4...4096") }
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let modelPath = directory.path + "/model.pt"
            let sealedPath = directory.path + "/model.mseal"
            var rows: [(String, String)] = []

            var clock = Stopwatch()
            let model = try SampleModel.checkpoint(sizeMiB: sizeMiB)
            try write(model, to: modelPath)
            let digest = SHA256.hash(data: model)
            rows.append(("write sample PyTorch checkpoint (\(sizeMiB) MiB)", seconds(clock.elapsed)))

            clock = Stopwatch()
            let inspection = try ModelInspection.inspect(InputFile.regular(path: modelPath))
            rows.append(("inspect it (no pickle executed)", seconds(clock.elapsed)))
            if let inspection {
                print(
                    "vendor: \(inspection.tensors.count) tensors, pure tensor data: \(inspection.isPureTensorData ? "yes" : "no")"
                )
            }

            clock = Stopwatch()
            let customer = X25519Identity.generate()
            let vendorKey = RawKey.generate()
            let signer = try SigningKey.generate(.ed25519)
            rows.append(("generate customer identity, vendor key, signing key", seconds(clock.elapsed)))
            print("customer recipient: \(KeyText.encode(customer.recipient))")
            print("vendor key (MODEL_KEY): \(RawKeyText.encode(vendorKey))")
            print("vendor signing key fingerprint: \(signer.verifyingKey.fingerprint)")

            clock = Stopwatch()
            try sealAndSign(modelPath, to: sealedPath, recipients: [customer.recipient, vendorKey], signer: signer)
            let sealTime = clock.elapsed
            rows.append(
                (
                    "seal to 2 recipients + sign",
                    "\(seconds(sealTime))  \(throughput(bytes: model.count, seconds: sealTime))"
                ))

            print(try SealedFileInspection.render(path: sealedPath, json: false), terminator: "")

            clock = Stopwatch()
            var opener = ModelOpener(identities: [customer])
            opener.trustedKeys = [signer.verifyingKey]
            let memory = MemorySink()
            let result = try opener.open(try InputFile(path: sealedPath), to: memory, sinkReleasesImmediately: true)
            let openTime = clock.elapsed
            let matches = SHA256.hash(data: memory.bytes) == digest
            rows.append(
                (
                    "verify signature + open in memory",
                    "\(seconds(openTime))  \(throughput(bytes: model.count, seconds: openTime))"
                ))
            rows.append(("signed by the trusted vendor key", result.signers.contains(where: \.trusted) ? "yes" : "NO"))
            rows.append(("plaintext identical (SHA-256)", matches ? "yes" : "NO"))
            guard matches else { throw CLIError(.internalError, "round trip mismatch") }
            let reread = try ModelInspection.inspect(MemorySource(memory.bytes))
            rows.append(
                ("decrypted checkpoint re-read", reread.map { "\($0.tensors.count) tensors" } ?? "NOT A CHECKPOINT"))

            rows += try refusals(of: sealedPath, opener: opener)

            let width = rows.map(\.0.count).max() ?? 0
            print("\nstep" + String(repeating: " ", count: width - 2) + "result")
            for (step, result) in rows { print(step + String(repeating: " ", count: width - step.count + 2) + result) }
        }

        /// Seals the sample model to the recipients with a signature-required header and a signed trailer.
        private func sealAndSign(
            _ modelPath: String, to sealedPath: String, recipients: [Recipient], signer: SigningKey
        )
            throws
        {
            let output = try OutputFile(.path(sealedPath), mode: 0o644, replace: false)
            var options = SealOptions()
            options.metadata = ["name": "model.pt", "content-type": "pytorch-zip"]
            options.extensions = [RequiredSigners.extension(keyIDs: [signer.verifyingKey.keyID])]
            options.hashingLeaves = true
            let summary = try Sealer.seal(
                try InputFile(path: modelPath), to: output, recipients: recipients,
                options: options)
            let entry = try FileSignatures.entry(
                key: signer, headerBytes: summary.headerBytes, payloadLength: summary.payloadLength,
                leafHashes: summary.leafHashes)
            try output.write(contentsOf: SignatureTrailer(leafHashes: summary.leafHashes, entries: [entry]).encoded())
            try output.commit()
        }

        /// The ways the demo's sealed file must refuse to open: a flipped bit, a wrong key, an untrusted signer.
        private func refusals(of sealedPath: String, opener: ModelOpener) throws -> [(String, String)] {
            var rows: [(String, String)] = []
            var sealed = try InputFile(path: sealedPath).read(at: 0, count: InputFile(path: sealedPath).size)
            sealed[sealed.count / 2] ^= 0x01
            rows.append(
                (
                    "one flipped payload bit",
                    refusal {
                        _ = try opener.open(MemorySource(sealed), to: DiscardingSink(), sinkReleasesImmediately: true)
                    }
                ))
            rows.append(
                (
                    "wrong key",
                    refusal {
                        _ = try ModelOpener(identities: [RawKey.generate()]).open(
                            try InputFile(path: sealedPath), to: DiscardingSink(), sinkReleasesImmediately: true)
                    }
                ))
            var untrusting = opener
            untrusting.trustedKeys = [try SigningKey.generate(.ed25519).verifyingKey]
            rows.append(
                (
                    "untrusted signer",
                    refusal {
                        _ = try untrusting.open(
                            try InputFile(path: sealedPath), to: DiscardingSink(), sinkReleasesImmediately: true)
                    }
                ))
            return rows
        }

        private func refusal(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "ACCEPTED (bug)"
            } catch {
                return "refused: \(error)"
            }
        }

        private func seconds(_ value: Double) -> String { "\(round2(value * 1000)) ms" }

        private func write(_ bytes: [UInt8], to path: String) throws {
            let file = try OutputFile(.path(path), mode: 0o600, replace: false)
            try file.write(contentsOf: bytes)
            try file.commit()
        }
    }
}

/// A sample state_dict in torch's zip format: float32 weights from a fixed-seed generator.
enum SampleModel {
    static func checkpoint(sizeMiB: Int) throws -> [UInt8] {
        let width = 1024
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var tensors: [TorchTensor] = []
        var storages: [TorchCheckpoint.StorageToWrite] = []
        for layer in 0..<max(1, sizeMiB / 4) {
            for (suffix, shape) in [("weight", [width, width]), ("bias", [width])] {
                let key = String(storages.count)
                let count = shape.reduce(1, *)
                var bytes = [UInt8](repeating: 0, count: count * 4)
                bytes.withUnsafeMutableBytes { buffer in
                    for index in 0..<count {
                        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                        let value = Float(Int32(truncatingIfNeeded: state >> 33)) / Float(Int32.max) * 0.05
                        buffer.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
                    }
                }
                tensors.append(
                    .contiguous(name: "layers.\(layer).\(suffix)", dtype: .float32, shape: shape, storageKey: key))
                storages.append(.init(key: key, byteCount: bytes.count, data: .bytes(bytes)))
            }
        }
        let sink = MemorySink()
        try TorchCheckpoint.write(tensors: tensors, storages: storages, to: sink)
        return sink.bytes
    }
}

/// A private temporary directory removed with its contents.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((ProcessEnvironment.value("TMPDIR") ?? "/tmp") + "/modelseal-demo-XXXXXX").map {
            CChar(bitPattern: $0.asciiValue ?? 0x58)
        }
        template.append(0)
        guard let created = mkdtemp(&template) else {
            throw CLIError(.outputError, "cannot create a temporary directory")
        }
        path = String(cString: created)
    }

    func remove() {
        for name in (try? Directory.entries(path)) ?? [] { unlink(path + "/" + name) }
        rmdir(path)
    }
}
