import Crypto
import ModelSealCore

/// The audit log's hash chain (docs/SERVER.md §Audit): each entry's hash covers the previous hash and
/// its own fields, so an edit, a deletion or a reordering breaks every later hash. The server signs
/// the head; anyone who can write the database can rebuild an unkeyed chain, not the signature.
public enum AuditChain {
    /// The hash before the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// The hash of an entry that follows `previous`.
    public static func hash(
        previous: String, sequence: Int64, at: Int64, actor: String, action: String, subject: String, detail: String
    ) -> String {
        var bytes = Array("modelseal-audit-v1".utf8)
        for field in [previous, String(sequence), String(at), actor, action, subject, detail] {
            bytes.append(0x0A)
            bytes += Array(String(field.utf8.count).utf8)
            bytes.append(0x3A)
            bytes += Array(field.utf8)
        }
        return Hex.encode(SHA256.hash(data: bytes))
    }

    /// The first entry whose hash does not follow from its predecessor, `nil` when all verify.
    public static func firstBreak(_ entries: [AuditRecord], previous start: String = genesis) -> Int64? {
        var previous = start
        for entry in entries {
            let expected = hash(
                previous: previous, sequence: entry.sequence, at: entry.at, actor: entry.actor, action: entry.action,
                subject: entry.subject, detail: entry.detail)
            guard expected == entry.hash else { return entry.sequence }
            previous = entry.hash
        }
        return nil
    }

    /// Continues a verification that reached `sequence` with `hash` over the `entries` after it: where it
    /// reaches now, or the first entry that breaks the chain or skips a sequence number.
    static func advance(sequence: Int64, hash: String, over entries: [AuditRecord]) -> (
        sequence: Int64, hash: String, broken: Int64?
    ) {
        var broken = firstBreak(entries, previous: hash)
        for (index, entry) in entries.enumerated() where broken == nil && entry.sequence != sequence + 1 + Int64(index)
        {
            broken = entry.sequence
        }
        guard broken == nil, let last = entries.last else { return (sequence, hash, broken) }
        return (last.sequence, last.hash, nil)
    }
}
