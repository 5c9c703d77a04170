/// The license decisions both stores make the same way (docs/SERVER.md §Errors: the `error` codes).
enum Refusal {
    static let invalidToken = StoreError.refused(
        code: "invalid_token", message: "the activation token is not valid: check the token file the vendor sent")
    static let revoked = StoreError.refused(code: "revoked", message: "the license was revoked by the vendor")
    static let machineRevoked = StoreError.refused(
        code: "machine_revoked", message: "this machine was revoked by the vendor")
    static let wrongModel = StoreError.refused(
        code: "wrong_model", message: "the license does not cover this model")
    static let notAttested = StoreError.refused(
        code: "not_attested",
        message: "this machine has not shown that its key is in a TPM whose EK certificate the server trusts: "
            + "activate again with `modelseal activate --tpm` on a machine whose TPM has an EK certificate")
    static let nonceReused = StoreError.refused(
        code: "nonce_reused", message: "this request nonce was already used for another file")

    static func machinesExhausted(_ license: LicenseRecord) -> StoreError {
        .refused(
            code: "machines_exhausted",
            message: "license \(license.id) allows \(license.maxMachines) machine(s) and all are active: "
                + "ask the vendor to revoke one")
    }

    static func loadsExhausted(_ license: LicenseRecord) -> StoreError {
        .refused(
            code: "over_quota",
            message: "license \(license.id) allows \(license.maxLoads ?? 0) load(s) and all were used: ask the vendor")
    }

    /// Refuses a revoked or expired license.
    static func check(_ license: LicenseRecord, now: Int64) throws {
        if license.revokedAt != nil { throw revoked }
        if let expiry = license.expiresAt, now >= expiry {
            throw StoreError.refused(code: "expired", message: "license \(license.id) expired at \(expiry) (Unix time)")
        }
    }
}
