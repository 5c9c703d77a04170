import ArgumentParser
import ModelSealKit
import Crypto
import ModelSealCrypto
import ModelSealKeys

#if canImport(Glibc)
import Glibc
#endif

extension ModelSeal {
    /// `modelseal demo`: the vendor → customer flow on a generated sample model, with timings.
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the whole flow on a generated sample model and print timings.",
            discussion: """
                In a temporary directory (removed afterwards): make a sample model file, generate a customer
                identity and a vendor raw key, seal the model to both, inspect it, open it in memory as the customer
                and compare digests, then show that a flipped byte and a wrong key are refused. Nothing is left on
                disk.
                """)

        @Option(name: .customLong("size-mib"), help: "Size of the sample model in MiB (1...4096).")
        var sizeMiB = 256

        func validate() throws {
            guard (1...4096).contains(sizeMiB) else { throw ValidationError("--size-mib must be 1...4096") }
        }

        func run() throws {
            try reportingErrors { try execute() }
        }

        private func execute() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let modelPath = directory.path + "/model.bin"
            let sealedPath = directory.path + "/model.mseal"
            var rows: [(String, String)] = []

            var clock = Stopwatch()
            let model = SampleModel.bytes(size: sizeMiB << 20)
            try write(model, to: modelPath)
            let digest = SHA256.hash(data: model)
            rows.append(("make sample model (\(sizeMiB) MiB)", seconds(clock.elapsed)))

            clock = Stopwatch()
            let customer = X25519Identity.generate()
            let vendorKey = RawKey.generate()
            rows.append(("generate customer identity + vendor key", seconds(clock.elapsed)))
            print("customer recipient: \(KeyText.encode(customer.recipient))")
            print("vendor key (MODEL_KEY): \(RawKeyText.encode(vendorKey))")

            clock = Stopwatch()
            let output = try OutputFile(.path(sealedPath), mode: 0o644, replace: false)
            var options = SealOptions()
            options.metadata = ["name": "model.bin", "content-type": "application/octet-stream"]
            _ = try Sealer.seal(
                try FileInput(path: modelPath), to: output, recipients: [customer.recipient, vendorKey],
                options: options)
            try output.commit()
            let sealTime = clock.elapsed
            rows.append(("seal to 2 recipients", "\(seconds(sealTime))  \(throughput(bytes: model.count, seconds: sealTime))"))

            print(try SealedFileInspection.render(path: sealedPath, json: false), terminator: "")

            clock = Stopwatch()
            let unlocked = try SealedFile(try FileInput(path: sealedPath)).unlock(with: [customer])
            let plaintext = try unlocked.plaintext()
            let openTime = clock.elapsed
            let matches = SHA256.hash(data: plaintext) == digest
            rows.append(("open in memory as customer", "\(seconds(openTime))  \(throughput(bytes: model.count, seconds: openTime))"))
            rows.append(("plaintext identical (SHA-256)", matches ? "yes" : "NO"))
            guard matches else { throw CLIError(.internalError, "round trip mismatch") }

            var sealed = try FileInput(path: sealedPath).bytes(at: 0, count: FileInput(path: sealedPath).size)
            sealed[sealed.count / 2] ^= 0x01
            rows.append(("one flipped payload bit", refusal { try SealedFile(MemorySource(sealed)).unlock(with: [customer]).verify() }))
            rows.append(("wrong key", refusal { _ = try SealedFile(try FileInput(path: sealedPath)).unlock(with: [RawKey.generate()]) }))

            let width = rows.map(\.0.count).max() ?? 0
            print("\nstep" + String(repeating: " ", count: width - 2) + "result")
            for (step, result) in rows { print(step + String(repeating: " ", count: width - step.count + 2) + result) }
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

/// Deterministic sample weights: float32 values from a fixed-seed generator.
enum SampleModel {
    static func bytes(size: Int) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { buffer in
            let floats = buffer.bindMemory(to: Float.self)
            for index in floats.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                floats[index] = Float(Int32(truncatingIfNeeded: state >> 33)) / Float(Int32.max) * 0.05
            }
        }
        return bytes
    }
}

/// A private temporary directory removed with its contents.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((Environment.value("TMPDIR") ?? "/tmp") + "/modelseal-demo-XXXXXX").map { CChar(bitPattern: $0.asciiValue ?? 0x58) }
        template.append(0)
        guard let created = mkdtemp(&template) else {
            throw CLIError(.outputError, "cannot create a temporary directory")
        }
        path = String(cString: created)
    }

    func remove() {
        guard let directory = opendir(path) else { return }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(directory)
        rmdir(path)
    }
}
