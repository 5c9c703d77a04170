import ContainerEngine
import Crypto
import ModelSealCore

/// The article's `sign_file` signatures: RSASSA-PKCS1-v1_5 with SHA-256 over a whole file, detached.
///
/// `sign_file` returns the raw signature bytes (as long as the RSA modulus); saved with
/// `open(path, "wb").write(signature)` that is the signature file. Base64 text of it (standard or
/// url alphabet, one trailing newline) is accepted too, since people paste signatures into mail.
/// The file is hashed as it streams, so any size verifies in constant memory.
public enum DetachedRSASignature {
    /// Largest signature file read: base64 of a 4096-bit signature with room for line breaks.
    public static let maximumFileSize = 1024

    /// The RSA keys among `keys`; an error naming the types found when there is none.
    public static func rsaKeys(_ keys: [VerifyingKey]) throws(SigningError) -> [VerifyingKey] {
        let rsa = keys.filter { if case .rsa = $0 { true } else { false } }
        guard !rsa.isEmpty else {
            let types = Set(keys.map(\.typeName)).sorted().joined(separator: ", ")
            throw .unsuitableKey(
                "RSA PKCS#1 v1.5 signatures need an RSA public key; the trusted key file holds \(types.isEmpty ? "no key" : types)"
            )
        }
        return rsa
    }

    /// The signature bytes in a signature file: raw, or base64 text of them.
    ///
    /// Raw bytes are recognised by their length equalling a key's modulus length in `keys`.
    public static func decode(_ file: [UInt8], for keys: [VerifyingKey]) throws(SigningError) -> [UInt8] {
        let lengths = Set(
            keys.compactMap { key -> Int? in if case .rsa(let rsa) = key { rsa.keySizeInBits / 8 } else { nil } })
        if lengths.contains(file.count) { return file }
        var text = file
        if text.last == 0x0A { text.removeLast() }
        if text.last == 0x0D { text.removeLast() }
        let standard = text.map {
            $0 == UInt8(ascii: "-") ? UInt8(ascii: "+") : $0 == UInt8(ascii: "_") ? UInt8(ascii: "/") : $0
        }
        guard let decoded = Base64.decode(String(decoding: standard, as: UTF8.self), padding: .optional) else {
            throw .malformedSignature(
                "\(file.count) bytes: neither a raw RSA signature of \(lengths.sorted().map(String.init).joined(separator: " or ")) bytes "
                    + "(the trusted key's size) nor base64 text of one")
        }
        guard lengths.contains(decoded.count) else {
            throw .malformedSignature(
                "the signature is \(decoded.count) bytes; the trusted RSA key(s) make signatures of "
                    + "\(lengths.sorted().map(String.init).joined(separator: " or ")) bytes (truncated, or made by another key)"
            )
        }
        return decoded
    }

    /// SHA-256 of everything `source` yields, read 1 MiB at a time.
    public static func digest(of source: ByteStream) throws(IOError) -> SHA256Digest {
        var hash = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try source.read(into: buffer)
            if count == 0 { return hash.finalize() }
            hash.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// The trusted RSA key under which `signature` is a valid PKCS#1 v1.5 SHA-256 signature of `digest`.
    public static func verify(_ signature: [UInt8], digest: SHA256Digest, trustedKeys: [VerifyingKey])
        throws(SigningError) -> VerifyingKey
    {
        let keys = try rsaKeys(trustedKeys)
        guard
            let signer = keys.first(where: {
                $0.isValidSignature(signature, forDigest: digest, algorithm: .rsaPKCS1v15SHA256)
            })
        else {
            throw .invalidSignature(
                "the RSA PKCS#1 v1.5 signature does not match: the file was altered after signing, the signature is "
                    + "for another file, or it was made by another key than the trusted one")
        }
        return signer
    }
}
