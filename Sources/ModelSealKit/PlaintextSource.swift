import ContainerEngine
import ModelSealCore
import Synchronization

/// The plaintext of a prepared sealed file as a `ByteSource`, every read served by verified random access
/// (`ModelOpener.Prepared.read(at:into:)`): parsers read only the parts they need, and only verified bytes.
///
/// `ByteSource` reads throw `IOError`; the verification error behind a failed read is kept in `failure`
/// so callers can report it with its own status (tampered, not signed) rather than as an I/O error.
public final class PlaintextSource: ByteSource, @unchecked Sendable {
    let prepared: ModelOpener.Prepared
    private let lastFailure = Mutex<(any Error)?>(nil)

    /// A source over `prepared` (call `checkLastChunk()` on it first).
    public init(_ prepared: ModelOpener.Prepared) { self.prepared = prepared }

    public var size: Int { prepared.plaintextLength }

    /// The verification error of the last failed read, if any.
    public var failure: (any Error)? { lastFailure.withLock { $0 } }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) {
        do {
            try prepared.read(at: offset, into: buffer)
        } catch {
            lastFailure.withLock { $0 = error }
            throw .refused(path: "sealed plaintext", reason: "\(error)")
        }
    }

    /// Runs `body` (a parser reading this source); a read that failed verification is rethrown as its own error.
    public func parsing<T>(_ body: (PlaintextSource) throws -> T) throws -> T {
        do {
            return try body(self)
        } catch {
            if let failure { throw failure }
            throw error
        }
    }
}
