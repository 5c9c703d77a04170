import ArgumentParser
import ModelSealBundle
import ModelSealCore
import ModelSealKit
import ModelSealSigning

/// `modelseal verify BUNDLE`: the bundle half of `verify` (Verify.swift dispatches here by magic).
enum BundleVerification {
    /// True when `path` starts with the bundle magic.
    static func recognizes(_ path: String) -> Bool {
        (SmallFile.prefix(path, limit: BundleFormat.magic.count)?.bytes ?? []) == BundleFormat.magic
    }

    /// Verifies signatures and every member's hash without writing anything.
    /// `trust` gives the keys to require once the bundle parsed (so a malformed bundle reports itself first).
    static func verify(_ path: String, trust: () throws -> [VerifyingKey], json: Bool) throws {
        let opened = try OpenedBundle(path: path)
        let trusted = try trust()
        let signers = try opened.verifySignatures(trustedKeys: trusted)
        try opened.readMembers(into: nil)
        if json {
            try JSONOutput.print(
                BundleVerifyReport(
                    file: path, valid: true,
                    signers: signers.map {
                        BundleVerifyReport.Signer(
                            fingerprint: $0.key.fingerprint, algorithm: "\($0.algorithm)", keyType: $0.key.typeName,
                            trusted: $0.trusted)
                    },
                    members: opened.manifest.members.map { .init(name: $0.name, role: $0.role.rawValue, size: $0.size) }
                ))
            return
        }
        for member in opened.manifest.members {
            Terminal.writeOutput("ok  \(member.name)  (\(member.role.rawValue), \(member.size) bytes)\n")
        }
        for signer in signers {
            Terminal.writeOutput(
                "valid \(signer.algorithm) signature by \(signer.key.fingerprint) (\(signer.key.typeName))"
                    + (signer.trusted ? ", trusted\n" : "\n"))
        }
        describe(signers: signers, trusted: !trusted.isEmpty)
    }

    /// Notes on standard error about what the signatures do and do not prove.
    static func describe(signers: [BundleSigner], trusted: Bool) {
        if signers.isEmpty {
            Terminal.writeError("warning: the bundle is UNSIGNED: its manifest proves nothing about who made it")
        } else if !trusted {
            Terminal.writeError(
                "note: --allow-unsigned: the signatures are intact, but nothing says who made them; compare "
                    + "the fingerprints with the vendor's out of band")
        }
    }
}

/// `verify --json` output for a bundle (schema version 1).
struct BundleVerifyReport: Encodable {
    struct Member: Encodable {
        let name: String
        let role: String
        let size: Int
    }
    struct Signer: Encodable {
        let fingerprint: String
        let algorithm: String
        let keyType: String
        let trusted: Bool
    }
    var schema = 1
    let file: String
    let valid: Bool
    let signers: [Signer]
    let members: [Member]
}
