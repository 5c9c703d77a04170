import ContainerFormat
import FoundationEssentials
import ModelSealCore

/// Everything that can go wrong sealing or opening a file: a closed set.
///
/// Decryption failures are deliberately coarse where finer detail would help an attacker
/// (a failed chunk does not say why) and precise where it helps a user (which chunk, which rule).
public enum SealError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes break a rule of the format.
    case malformed(FormatError)
    /// None of the given keys opens any recipient stanza.
    case noMatchingIdentity(stanzaTypes: [String])
    /// A key unwrapped the file key but the header MAC does not match: the header was altered.
    case headerMACMismatch
    /// A chunk failed to authenticate: tampered, corrupted, reordered or truncated file.
    case chunkAuthenticationFailed(index: Int)
    /// A chunk's hash differs from the signed list: altered after signing (its plaintext was never released).
    case chunkNotSigned(index: Int)
    /// A sealed extension failed to authenticate.
    case extensionAuthenticationFailed(ExtensionType)
    /// A sealed extension decrypted but is not well formed.
    case malformedExtension(ExtensionType, reason: String)
    /// scrypt parameters outside the caps of spec/CONTAINER.md §3; refused before any work.
    case unsafeScryptParameters(log2N: Int, r: Int, p: Int)
    /// A key or recipient is not usable (wrong length, bad encoding).
    case invalidKey(String)
    /// Sealing needs at least one recipient.
    case noRecipients
    /// Reading the input failed.
    case inputFailed(String)
    /// Writing the output failed.
    case outputFailed(String)

    public var description: String {
        switch self {
        case .malformed(let error):
            error.description
        case .noMatchingIdentity(let types):
            "no key matches: the file is sealed to \(types.joined(separator: ", ")) and none of the given keys opens it "
                + "(wrong key, or a key for another file)"
        case .headerMACMismatch:
            "header MAC mismatch: the header was altered or corrupted (the key was right)"
        case .chunkAuthenticationFailed(let index):
            "chunk \(index) failed to authenticate: the file is tampered, corrupted, truncated or reordered"
        case .chunkNotSigned(let index):
            "invalid signature: chunk \(index) differs from what was signed: the file was altered after signing"
        case .extensionAuthenticationFailed(let type):
            "sealed extension \(type) failed to authenticate: corrupted file"
        case .malformedExtension(let type, let reason):
            "sealed extension \(type) is malformed: \(reason)"
        case .unsafeScryptParameters(let log2N, let r, let p):
            "unsafe scrypt parameters (log2 N = \(log2N), r = \(r), p = \(p)): over the caps of spec/CONTAINER.md §3 "
                + "(openers allow work N·r·p up to 2^23 unless given --allow-slow-passphrase, which allows the format's "
                + "2^26), refused before deriving anything"
        case .invalidKey(let reason):
            reason
        case .noRecipients:
            "no recipients: give at least one of --key-env, --key-file, --passphrase, -r, -R"
        case .inputFailed(let reason):
            "cannot read input: \(reason)"
        case .outputFailed(let reason):
            "cannot write output: \(reason)"
        }
    }
}

extension SealError {
    /// Runs `body`, reporting an I/O failure as `.inputFailed`.
    @inlinable
    public static func reading<T>(_ body: () throws(IOError) -> T) throws(SealError) -> T {
        do throws(IOError) {
            return try body()
        } catch {
            throw .inputFailed(error.description)
        }
    }

    /// Runs `body`, reporting an I/O failure as `.outputFailed`.
    @inlinable
    public static func writing<T>(_ body: () throws(IOError) -> T) throws(SealError) -> T {
        do throws(IOError) {
            return try body()
        } catch {
            throw .outputFailed(error.description)
        }
    }
}

extension Data: ContiguousBytesView {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try withUnsafeBytes(body) }
}
