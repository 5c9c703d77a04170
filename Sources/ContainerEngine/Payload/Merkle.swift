import Crypto

/// The Merkle tree over ciphertext chunks that signatures cover (spec/SIGNATURES.md §1, RFC 6962 §2.1).
public enum Merkle {
    /// `SHA-256(0x00 || chunk)`.
    public static func leafHash(_ chunk: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(bufferPointer: chunk)
        return Array(hasher.finalize())
    }

    /// RFC 6962 tree hash over leaf hashes: a lone leaf is the root; otherwise split at the largest
    /// power of two below the count and hash `0x01 || left || right`.
    public static func root(_ leaves: [[UInt8]]) -> [UInt8] {
        guard !leaves.isEmpty else { return Array(SHA256.hash(data: [UInt8]())) }
        return root(leaves[...])
    }

    private static func root(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        if leaves.count == 1, let only = leaves.first { return only }
        var split = 1
        while split << 1 < leaves.count { split <<= 1 }
        let middle = leaves.startIndex + split
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: root(leaves[..<middle]))
        hasher.update(data: root(leaves[middle...]))
        return Array(hasher.finalize())
    }
}
