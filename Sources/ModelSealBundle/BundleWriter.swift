import ContainerEngine
import Crypto
import ModelSealCore
import ModelSealSigning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a bundle (`modelseal pack`): hashes every input, writes the signed manifest, then
/// streams the members, re-hashing each to catch an input that changed in between.
public enum BundleWriter {
    /// Where a member's bytes come from.
    public enum Source: Sendable {
        /// A regular file (links, devices, folders and FIFOs are refused).
        case file(String)
        /// Bytes made by the caller (the generated README).
        case bytes([UInt8])
    }

    /// One member to pack.
    public struct Input: Sendable {
        public let name: String
        public let role: BundleManifest.Role
        public let source: Source
        public init(name: String, role: BundleManifest.Role, source: Source) {
            self.name = name
            self.role = role
            self.source = source
        }
    }

    /// Packs `inputs` into `sink` (an `OutputFile`, committed by the caller), signed by `signers`.
    @discardableResult
    public static func write(
        _ inputs: [Input], to sink: ByteSink, createdBy: String, signers: [(SigningKey, SignatureAlgorithm)]
    ) throws -> BundleManifest {
        var members: [BundleManifest.Member] = []
        for input in inputs {
            let (size, hash) = try digest(input, copyingTo: nil)
            members.append(.init(name: input.name, role: input.role, size: size, sha256: hash))
        }
        let manifest = try BundleManifest(createdBy: createdBy, members: members)
        let manifestBytes = manifest.encoded()
        guard manifestBytes.count <= BundleFormat.maximumManifestLength else {
            throw BundleError.malformedManifest("the manifest is over \(BundleFormat.maximumManifestLength) bytes")
        }
        var signatures: [BundleSignature] = []
        for (key, algorithm) in signers {
            signatures.append(try BundleSignature.sign(manifest: manifestBytes, key: key, algorithm: algorithm))
        }
        let block = BundleSignature.encode(signatures)
        var header = BundleFormat.magic + [BundleFormat.version, 0, 0, 0]
        header += bigEndian(UInt32(manifestBytes.count)) + manifestBytes + bigEndian(UInt32(block.count)) + block
        try sink.write(contentsOf: header)
        for (input, member) in zip(inputs, members) {
            let (size, hash) = try digest(input, copyingTo: sink)
            guard size == member.size, hash == member.sha256 else {
                throw BundleError.inputFailed("\(input.name) changed while it was packed: pack again")
            }
        }
        return manifest
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// Size and SHA-256 of a member, streaming it into `sink` when given.
    static func digest(_ input: Input, copyingTo sink: ByteSink?) throws -> (Int, [UInt8]) {
        switch input.source {
        case .bytes(let bytes):
            try sink?.write(contentsOf: bytes)
            return (bytes.count, Array(SHA256.hash(data: bytes)))
        case .file(let path):
            var status = stat()
            guard lstat(path, &status) == 0 else {
                throw BundleError.inputFailed("\(path): \(IOError.text(of: errno))")
            }
            switch status.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFLNK:
                throw BundleError.unsupportedInput(
                    path: path, reason: "it is a symbolic link; give the file it points to")
            case S_IFDIR: throw BundleError.unsupportedInput(path: path, reason: "it is a folder; give files")
            default:
                throw BundleError.unsupportedInput(path: path, reason: "not a regular file (device, FIFO or socket)")
            }
            let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else { throw BundleError.inputFailed("\(path): \(IOError.text(of: errno))") }
            defer { close(descriptor) }
            _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BundleFormat.bufferSize, alignment: 16)
            defer { buffer.deallocate() }
            var hasher = SHA256()
            var size = 0
            while true {
                let count = read(descriptor, buffer.baseAddress, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw BundleError.inputFailed("\(path): \(IOError.text(of: errno))") }
                if count == 0 { break }
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                hasher.update(bufferPointer: chunk)
                try sink?.write(chunk)
                size += count
                guard size <= BundleFormat.maximumSize else {
                    throw BundleError.unsupportedInput(path: path, reason: "larger than 2^53 bytes")
                }
            }
            return (size, Array(hasher.finalize()))
        }
    }
}
