import ModelSealCore

/// Constants of the sealed file format, version 1 (spec/CONTAINER.md §2–§8, spec/SIGNATURES.md).
public enum SealedFormat {
    /// `\x89MSEAL\r\n`: high bit and CR LF make 7-bit or newline-mangling transports visible.
    public static let magic = Magic.sealed
    /// The only version this implementation reads and writes.
    public static let version: UInt8 = 1
    /// Bytes of the fixed part of the header (magic through stanza_count).
    public static let fixedPartLength = 49
    /// Bytes of the random per-file payload salt.
    public static let payloadSaltLength = 32
    /// Bytes of the header MAC (HMAC-SHA256).
    public static let macLength = 32
    /// Bytes of a file key.
    public static let fileKeyLength = 32
    /// Bytes of an AEAD tag on every chunk.
    public static let tagLength = 16
    /// Smallest possible header: fixed part, one empty stanza, extension count, MAC.
    public static let minimumHeaderLength = fixedPartLength + 3 + 1 + macLength
    /// Largest header accepted (4 MiB): bounds memory, leaves room for contracts and indexes.
    public static let maximumHeaderLength = 4 << 20
    /// Most stanzas in one header: bounds trial decryptions.
    public static let maximumStanzaCount = 64
    /// Largest stanza body.
    public static let maximumStanzaBodyLength = 4096
    /// Most extensions in one header.
    public static let maximumExtensionCount = 32
    /// Smallest chunk size exponent (64 KiB).
    public static let minimumChunkLog2: UInt8 = 16
    /// Largest chunk size exponent (16 MiB).
    public static let maximumChunkLog2: UInt8 = 24
    /// Default chunk size exponent (1 MiB), chosen by measurement (spec/CONTAINER.md §2).
    public static let defaultChunkLog2: UInt8 = 20
    /// Magic at the very end of a file that carries a signature trailer (`MSEALSIG`).
    public static let trailerMagic: [UInt8] = Array("MSEALSIG".utf8)
    /// Bytes of the trailer footer: a uint32 body length then the trailer magic.
    public static let trailerFooterLength = 12
}
