import ModelSealCore

/// The signature trailer after the payload (spec/SIGNATURES.md §3).
///
/// Byte layout of the body: `version(1) chunk_count(8) leaf_hashes(32·n) signature_count(1)
/// (algorithm(1) key_length(2) key signature_length(2) signature)*`; then `uint32(len(body))`
/// and `MSEALSIG`.
public struct SignatureTrailer: Sendable, Equatable {
    /// One signature over the file's statement.
    public struct Entry: Sendable, Equatable {
        /// Algorithm byte (spec/SIGNATURES.md §2); unknown values are kept so the verifier can name them.
        public var algorithm: UInt8
        /// The signer's SubjectPublicKeyInfo DER.
        public var publicKey: [UInt8]
        /// The signature bytes.
        public var signature: [UInt8]

        /// An entry.
        public init(algorithm: UInt8, publicKey: [UInt8], signature: [UInt8]) {
            self.algorithm = algorithm
            self.publicKey = publicKey
            self.signature = signature
        }

        /// Appends `algorithm(1) || key_length(2) || key || signature_length(2) || signature`, the record
        /// that trailers and bundles (spec/BUNDLE.md §4) share.
        public func write(to writer: inout ByteWriter) {
            writer.writeUInt8(algorithm)
            writer.writeBigEndian(UInt16(publicKey.count))
            writer.writeBytes(publicKey)
            writer.writeBigEndian(UInt16(signature.count))
            writer.writeBytes(signature)
        }

        /// Reads one record; `nil` when it is truncated or a length is outside `1...maximumKeyLength` or
        /// `1...maximumSignatureLength` (the caller names the failure).
        public static func read(from reader: inout ByteReader) -> Entry? {
            guard let algorithm = reader.readUInt8(), let keyLength = reader.readBigEndian(UInt16.self),
                (1...maximumKeyLength).contains(Int(keyLength)), let key = reader.readBytes(Int(keyLength)),
                let signatureLength = reader.readBigEndian(UInt16.self),
                (1...maximumSignatureLength).contains(Int(signatureLength)),
                let signature = reader.readBytes(Int(signatureLength))
            else { return nil }
            return Entry(algorithm: algorithm, publicKey: Array(key), signature: Array(signature))
        }
    }

    public static let version: UInt8 = 1
    public static let maximumSignatures = 16
    public static let maximumKeyLength = 2048
    public static let maximumSignatureLength = 1024

    /// The largest trailer a payload of `chunkCount` chunks can carry: checked before reading one.
    public static func maximumEncodedLength(chunkCount: Int) -> Int {
        10 + 32 * chunkCount + maximumSignatures * (5 + maximumKeyLength + maximumSignatureLength)
            + SealedFormat.trailerFooterLength
    }

    /// `leaf_i = SHA-256(0x00 || chunk_i)` for every chunk, in order.
    public var leafHashes: [[UInt8]]
    /// The signatures, in file order.
    public var entries: [Entry]

    /// A trailer.
    public init(leafHashes: [[UInt8]], entries: [Entry]) {
        self.leafHashes = leafHashes
        self.entries = entries
    }

    /// The trailer bytes: body, its length, the magic.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 9 + 32 * leafHashes.count + 1 + entries.count * 600 + 12)
        writer.writeUInt8(Self.version)
        writer.writeBigEndian(UInt64(leafHashes.count))
        for leaf in leafHashes { writer.writeBytes(leaf) }
        writer.writeUInt8(UInt8(entries.count))
        for entry in entries { entry.write(to: &writer) }
        let bodyLength = writer.count
        writer.writeBigEndian(UInt32(bodyLength))
        writer.writeBytes(SealedFormat.trailerMagic)
        return writer.bytes
    }

    /// Parses complete trailer bytes (body, length, magic) for a payload of `chunkCount` chunks.
    public static func parse(_ bytes: [UInt8], chunkCount: Int) throws(FormatError) -> SignatureTrailer {
        func bad(_ reason: String) -> FormatError { .malformedSignatureTrailer(reason) }
        guard bytes.count >= SealedFormat.trailerFooterLength,
            bytes.suffix(SealedFormat.trailerMagic.count).elementsEqual(SealedFormat.trailerMagic)
        else { throw bad("missing MSEALSIG magic") }
        let bodyLength = bytes.count - SealedFormat.trailerFooterLength
        var footer = ByteReader(Array(bytes[bodyLength..<(bodyLength + 4)]))
        guard footer.readBigEndian(UInt32.self).map(Int.init) == bodyLength else { throw bad("length field mismatch") }
        guard var reader = ByteReader(bytes, range: 0..<bodyLength) else { throw bad("length field mismatch") }
        guard let version = reader.readUInt8(), version == Self.version else {
            throw bad("unsupported trailer version")
        }
        guard let count = reader.readBigEndian(UInt64.self), count == UInt64(chunkCount) else {
            throw bad("chunk count differs from the payload's \(chunkCount) chunks")
        }
        // chunkCount comes from the file length, so 32 * chunkCount bytes are bounded by the file.
        guard reader.remaining >= 32 * chunkCount else { throw bad("leaf hashes truncated") }
        var leaves: [[UInt8]] = []
        leaves.reserveCapacity(chunkCount)
        for _ in 0..<chunkCount {
            guard let leaf = reader.readBytes(32) else { throw bad("leaf hashes truncated") }
            leaves.append(Array(leaf))
        }
        guard let signatureCount = reader.readUInt8(), (1...maximumSignatures).contains(Int(signatureCount)) else {
            throw bad("signature count outside 1...\(maximumSignatures)")
        }
        var entries: [Entry] = []
        for index in 0..<Int(signatureCount) {
            guard let entry = Entry.read(from: &reader) else {
                throw bad("signature \(index) is truncated or over the size caps")
            }
            entries.append(entry)
        }
        guard reader.isAtEnd else { throw bad("\(reader.remaining) bytes after the last signature") }
        return SignatureTrailer(leafHashes: leaves, entries: entries)
    }
}

/// The message every signature signs (spec/SIGNATURES.md §1).
public enum SignedStatement {
    static let prefix = Array("modelseal/v1 signed-file".utf8) + [0]

    /// `prefix || algorithm || SHA-256(header) || L || n || root`.
    public static func bytes(
        algorithm: UInt8, headerHash: [UInt8], payloadLength: Int, chunkCount: Int, merkleRoot: [UInt8]
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: 106)
        writer.writeBytes(prefix)
        writer.writeUInt8(algorithm)
        writer.writeBytes(headerHash)
        writer.writeBigEndian(UInt64(payloadLength))
        writer.writeBigEndian(UInt64(chunkCount))
        writer.writeBytes(merkleRoot)
        return writer.bytes
    }
}

/// The signature-required extension body (spec/SIGNATURES.md §4): `count(1) || key_id(32)*`.
public enum RequiredSigners {
    public static let maximumCount = 16

    /// The extension for `keyIDs` (1...16 ids of 32 bytes).
    public static func `extension`(keyIDs: [[UInt8]]) -> HeaderExtension {
        HeaderExtension(type: .signatureRequired, body: [UInt8(keyIDs.count)] + keyIDs.flatMap { $0 })
    }

    /// The key ids in an extension body.
    public static func keyIDs(in body: [UInt8]) throws(FormatError) -> [[UInt8]] {
        guard let count = body.first.map(Int.init), (1...maximumCount).contains(count), body.count == 1 + 32 * count
        else {
            throw .malformedSignatureTrailer("signature-required extension must hold 1...16 key ids of 32 bytes")
        }
        return (0..<count).map { Array(body[(1 + 32 * $0)..<(33 + 32 * $0)]) }
    }
}
