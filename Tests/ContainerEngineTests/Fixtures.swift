import ContainerEngine
import ContainerFormat
import ModelSealCore

/// Deterministic pseudo-random bytes for plaintexts (not for keys).
func patternBytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

/// Smallest chunk size: keeps multi-chunk tests fast.
let smallChunkLog2: UInt8 = 16
let smallChunk = 1 << 16

/// scrypt at the cheapest cost spec/CONTAINER.md allows, for tests.
func cheapPassphrase(_ text: String = "correct horse battery staple") throws -> Passphrase {
    try Passphrase(text, parameters: ScryptParameters.validated(log2N: 10, r: 8, p: 1))
}

/// Seals `plaintext` in memory.
func sealInMemory(
    _ plaintext: [UInt8], to recipients: [Recipient], chunkLog2: UInt8 = smallChunkLog2,
    suite: CipherSuite = .aes256GCM, metadata: [String: String] = [:]
) throws -> [UInt8] {
    var options = SealOptions()
    options.chunkLog2 = chunkLog2
    options.suite = suite
    options.metadata = metadata
    let sink = MemorySink()
    _ = try Sealer.seal(MemorySource(plaintext), to: sink, recipients: recipients, options: options)
    return sink.bytes
}

/// Opens sealed bytes in memory with `identities`.
func openInMemory(_ sealed: [UInt8], with identities: [Identity]) throws -> [UInt8] {
    try SealedFile(MemorySource(sealed)).unlock(with: identities).plaintext()
}
