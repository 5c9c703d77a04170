/// The key server's request-signing key in the TPM (`TPMSigningKey`): a restricted ECDSA P-256 signing key
/// made as a primary key of the storage (owner) hierarchy, like the machine key, and signing only digests the
/// TPM computed itself.
extension TPMConnection {
    /// The most `TPM2_Hash` takes in one command (`TPM2B_MAX_BUFFER`, 1,024 bytes in the TCG's PC Client profile).
    static let maximumHashInput = 1024

    /// Runs `body` with the signing key for `unique` (made again from the owner seed, flushed after) and its
    /// public point `04 || x || y`.
    func withSigningKey<T>(unique: [UInt8], _ body: (UInt32, [UInt8]) throws(TPMError) -> T) throws(TPMError) -> T {
        // restricted: the key signs only a digest with a ticket from TPM2_Hash, which the TPM issues for data
        // that does not start with TPM_GENERATED_VALUE, so it can never forge a quote or certification.
        let attributes =
            TPMWire.Attribute.fixedTPM | TPMWire.Attribute.fixedParent | TPMWire.Attribute.sensitiveDataOrigin
            | TPMWire.Attribute.userWithAuth | TPMWire.Attribute.noDA | TPMWire.Attribute.restricted
            | TPMWire.Attribute.sign
        let (handle, publicArea) = try createPrimary(
            template: TPMWire.eccSigningPublic(attributes: attributes, unique: unique))
        defer { flush(handle) }
        return try body(handle, try TPMWire.point(ofPublic: publicArea))
    }

    /// ECDSA P-256 / SHA-256 of `message` with the signing key `key`: `TPM2_Hash` in the owner hierarchy (the
    /// digest and its ticket), then `TPM2_Sign` with that ticket. Returns `r || s`.
    func sign(_ message: [UInt8], key: UInt32) throws(TPMError) -> [UInt8] {
        guard message.count <= Self.maximumHashInput else {
            throw .malformed(
                "TPM2_Hash takes at most \(Self.maximumHashInput) bytes; this message has \(message.count)")
        }
        var digest: UnsafeMutableRawPointer?
        var ticket: UnsafeMutableRawPointer?
        defer {
            library.free(digest)
            library.free(ticket)
        }
        try withStructure("TPM2B_MAX_BUFFER", TPMWire.sized(message)) { (buffer) throws(TPMError) in
            try check(
                library.hash(
                    context, Handle.none, Handle.none, Handle.none, buffer, TPMWire.algorithmSHA256, Handle.owner,
                    &digest, &ticket),
                "TPM2_Hash")
        }
        var output: UnsafeMutableRawPointer?
        try withStructure("TPMT_SIG_SCHEME", TPMWire.u16(TPMWire.algorithmNull)) { (scheme) throws(TPMError) in
            try check(
                library.sign(
                    context, key, Handle.password, Handle.none, Handle.none, UnsafeRawPointer(digest), scheme,
                    UnsafeRawPointer(ticket), &output),
                "TPM2_Sign")
        }
        return try TPMWire.ecdsaSignature(try take("TPMT_SIGNATURE", output))
    }
}
