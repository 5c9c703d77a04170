import ContainerEngine
import ContainerFormat
import ModelSealCore

/// The header view of a sealed file for `modelseal inspect`.
///
/// Without keys every fact is labelled unverified: anyone can forge a header; only the MAC,
/// checked with a key, makes it trustworthy.
enum SealedFileInspection {
    static func report(path: String, identities: [Identity]) throws -> SealedInspectionReport {
        let file = try SealedFile(try InputFile(path: path))
        var metadata: [String: String]? = nil
        var verified = false
        if !identities.isEmpty {
            let unlocked = try file.unlock(with: identities)
            metadata = try unlocked.metadata().entries
            verified = true
        }
        let header = file.header
        return SealedInspectionReport(
            path: path, format: "modelseal-sealed", formatVersion: Int(SealedFormat.version), headerVerified: verified,
            suite: header.suite.description, chunkSize: header.chunkSize, headerBytes: file.headerBytes.count,
            payloadBytes: file.layout.payloadLength, chunks: file.layout.chunkCount,
            plaintextBytes: file.layout.plaintextLength,
            stanzas: header.stanzas.enumerated().map {
                .init(index: $0.offset, type: $0.element.type.description, bytes: $0.element.body.count)
            },
            extensions: header.extensions.map {
                .init(type: $0.type.description, critical: $0.type.isCritical, bytes: $0.body.count)
            },
            signed: file.trailerLength > 0,
            signatureRequired: !((try? file.requiredSignerKeyIDs()) ?? []).isEmpty, metadata: metadata)
    }

    static func render(path: String, json: Bool, identities: [Identity] = []) throws -> String {
        let report = try report(path: path, identities: identities)
        if json { return "" }
        let status =
            report.headerVerified
            ? "verified with the given key" : "UNVERIFIED (no key given: anyone can forge these facts)"
        var lines = [
            "\(report.path): ModelSeal sealed file, format v\(report.formatVersion)",
            "  header:     \(report.headerBytes) bytes, \(status)",
            "  cipher:     \(report.suite), \(report.chunkSize >> 10) KiB chunks",
            "  payload:    \(report.chunks) chunk(s), \(report.plaintextBytes) plaintext bytes",
            "  recipients: \(report.stanzas.count)",
        ]
        lines += report.stanzas.map { "    [\($0.index)] \($0.type)" }
        lines.append("  extensions: \(report.extensions.isEmpty ? "none" : "")")
        lines += report.extensions.map { "    \($0.type), \($0.bytes) bytes\($0.critical ? ", critical" : "")" }
        if report.signed {
            lines.append("  signature:  present")
        } else if report.signatureRequired {
            lines.append(
                "  signature:  MISSING: the header requires one and the file ends without it (stripped, or the file "
                    + "is truncated: compare its size with the sender's)")
        } else {
            lines.append("  signature:  none")
        }
        if let metadata = report.metadata {
            lines.append("  metadata (sealed):")
            lines += metadata.keys.sorted().map { "    \($0): \(metadata[$0] ?? "")" }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `inspect --json` for sealed files (schema version 1).
struct SealedInspectionReport: Encodable {
    struct StanzaInfo: Encodable {
        let index: Int
        let type: String
        let bytes: Int
    }
    struct ExtensionInfo: Encodable {
        let type: String
        let critical: Bool
        let bytes: Int
    }
    var schema = 1
    let path: String
    let format: String
    let formatVersion: Int
    let headerVerified: Bool
    let suite: String
    let chunkSize: Int
    let headerBytes: Int
    let payloadBytes: Int
    let chunks: Int
    let plaintextBytes: Int
    let stanzas: [StanzaInfo]
    let extensions: [ExtensionInfo]
    let signed: Bool
    /// The header's signature-required extension is present (a missing trailer is then an error).
    let signatureRequired: Bool
    let metadata: [String: String]?
}
