/// The endorsement key (EK): what attests the machine key to the vendor (spec/LICENSING.md §5, "Attestation").
///
/// The request carries the EK certificate the TPM's maker stored in NV; the vendor checks it and encrypts a
/// secret to the EK with `TPM2_MakeCredential`, bound to the machine key's name. Only this TPM, holding both
/// the EK and the machine key, gets the secret back (`activateCredential`). No resource manager is assumed:
/// the EK and the policy session are flushed on every path.
extension TPMConnection {
    /// NV index of the RSA 2048 EK certificate (TCG EK Credential Profile 2.0, §2.2.1.4, low range).
    static let rsaEKCertificateIndex: UInt32 = 0x01C0_0002
    /// Longest EK certificate read (DER); real ones are 1–1.5 KiB.
    public static let maximumEKCertificateLength = 4096
    /// Bytes per `TPM2_NV_Read` (below every TPM's MAX_NV_BUFFER_SIZE).
    static let nvReadChunk = 512

    /// The TPM's RSA 2048 EK certificate (DER), from NV index 0x01c00002.
    public func endorsementCertificate() throws(TPMError) -> [UInt8] {
        let index = Self.rsaEKCertificateIndex
        var handle: UInt32 = 0
        // Asked first (TPM2_GetCapability), so that a TPM without the index is not an error the TSS logs.
        guard try hasHandle(index),
            library.fromTPMPublic(context, index, Handle.none, Handle.none, Handle.none, &handle) == 0
        else {
            throw .unavailable(
                "this TPM has no RSA EK certificate at NV index 0x01c00002 (its maker stores it there; swtpm: "
                    + "swtpm_setup --create-ek-cert)")
        }
        defer { _ = library.closeHandle(context, &handle) }
        var nvPublic: UnsafeMutableRawPointer?
        var nvName: UnsafeMutableRawPointer?
        try check(
            library.nvReadPublic(context, handle, Handle.none, Handle.none, Handle.none, &nvPublic, &nvName),
            "TPM2_NV_ReadPublic")
        library.free(nvName)
        let publicArea = try take("TPM2B_NV_PUBLIC", nvPublic)
        // TPM2B_NV_PUBLIC ends with dataSize (UINT16).
        guard publicArea.count >= 2 else { throw .malformed("TPM2B_NV_PUBLIC") }
        let size = Int(publicArea[publicArea.count - 2]) << 8 | Int(publicArea[publicArea.count - 1])
        guard (1...Self.maximumEKCertificateLength).contains(size) else {
            throw .malformed("the EK certificate index holds \(size) bytes")
        }
        var certificate: [UInt8] = []
        while certificate.count < size {
            let count = min(Self.nvReadChunk, size - certificate.count)
            var output: UnsafeMutableRawPointer?
            try check(
                library.nvRead(
                    context, handle, handle, Handle.password, Handle.none, Handle.none, UInt16(count),
                    UInt16(certificate.count), &output),
                "TPM2_NV_Read of the EK certificate")
            let chunk = try take("TPM2B_MAX_NV_BUFFER", output)
            guard chunk.count == count + 2 else { throw .malformed("short NV read of the EK certificate") }
            certificate += chunk.dropFirst(2)
        }
        return certificate
    }

    /// Whether `handle` (an NV index or a persistent object) exists: `TPM2_GetCapability(TPM_CAP_HANDLES)`.
    func hasHandle(_ handle: UInt32) throws(TPMError) -> Bool {
        var more: UInt8 = 0
        var output: UnsafeMutableRawPointer?
        try check(
            library.getCapability(
                context, Handle.none, Handle.none, Handle.none, 0x0000_0001, handle, 1, &more, &output),
            "TPM2_GetCapability")
        // TPMS_CAPABILITY_DATA: capability (4), TPML_HANDLE: count (4), handles (4 each).
        let data = try take("TPMS_CAPABILITY_DATA", output)
        guard data.count >= 12 else { return false }
        return data[8..<12].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } == handle
    }

    /// The persistent handle where the EK is usually kept (TCG TPM v2.0 Provisioning Guidance §7.8; Windows and
    /// `tpm2_createek -c 0x81010001` put it there; so does swtpm_setup).
    static let persistentEKHandle: UInt32 = 0x8101_0001

    /// `TPM2_ActivateCredential`: the credential `idObject`/`encryptedSecret` (made by `TPM2_MakeCredential` for
    /// this TPM's EK and the object `machineKey`) opened with the EK under a `PolicySecret(TPM_RH_ENDORSEMENT)`
    /// session. The EK is the persistent one at 0x81010001 when that opens the credential; else it is made again
    /// from the standard template under the endorsement hierarchy (an RSA key generation: +69 ms CPU on swtpm,
    /// commonly seconds on a hardware TPM) and flushed after. Which EK is tried cannot weaken the check: only the TPM holding
    /// the private key the vendor encrypted to recovers the secret. The machine key is authorized through the
    /// salted session when there is one, so the secret comes back encrypted.
    func activateCredential(
        machineKey: UInt32, idObject: [UInt8], encryptedSecret: [UInt8]
    ) throws(TPMError) -> [UInt8] {
        var persistent: UInt32 = 0
        if (try? hasHandle(Self.persistentEKHandle)) == true,
            library.fromTPMPublic(
                context, Self.persistentEKHandle, Handle.none, Handle.none, Handle.none, &persistent) == 0
        {
            defer { _ = library.closeHandle(context, &persistent) }
            if let secret = try? activateCredential(
                with: persistent, machineKey: machineKey, idObject: idObject, encryptedSecret: encryptedSecret)
            {
                return secret
            }
        }
        return try withObject({ () throws(TPMError) in
            try createPrimary(template: TPMWire.rsaEKTemplate, hierarchy: Handle.endorsement).handle
        }) { (ek) throws(TPMError) in
            try activateCredential(
                with: ek, machineKey: machineKey, idObject: idObject, encryptedSecret: encryptedSecret)
        }
    }

    /// `TPM2_ActivateCredential` with the EK object `ek` (ESYS handle), in a policy session flushed after.
    func activateCredential(
        with ek: UInt32, machineKey: UInt32, idObject: [UInt8], encryptedSecret: [UInt8]
    ) throws(TPMError) -> [UInt8] {
        try withObject({ () throws(TPMError) in try startEKPolicySession() }) { (policy) throws(TPMError) in
            let keyAuthorization = session == nil ? Handle.password : try verifiedSession(encrypting: true)
            var output: UnsafeMutableRawPointer?
            try withStructure("TPM2B_ID_OBJECT", idObject) { (blob) throws(TPMError) in
                try withStructure("TPM2B_ENCRYPTED_SECRET", encryptedSecret) { (secret) throws(TPMError) in
                    try check(
                        library.activateCredential(
                            context, machineKey, ek, keyAuthorization, policy, Handle.none, blob, secret, &output),
                        "TPM2_ActivateCredential")
                }
            }
            let digest = try take("TPM2B_DIGEST", output)
            return Array(digest.dropFirst(2))
        }
    }

    /// A policy session satisfying the EK's policy: `TPM2_PolicySecret` with the endorsement hierarchy's
    /// (empty) authorization. The caller flushes it.
    func startEKPolicySession() throws(TPMError) -> UInt32 {
        var handle: UInt32 = 0
        try withStructure("TPMT_SYM_DEF", TPMWire.u16(TPMWire.algorithmNull)) { (symmetric) throws(TPMError) in
            try check(
                library.startAuthSession(
                    context, Handle.none, Handle.none, Handle.none, Handle.none, Handle.none, nil, 0x01, symmetric,
                    TPMWire.algorithmSHA256, &handle),
                "TPM2_StartAuthSession (policy)")
        }
        var timeout: UnsafeMutableRawPointer?
        var ticket: UnsafeMutableRawPointer?
        let rc = library.policySecret(
            context, Handle.endorsement, handle, Handle.password, Handle.none, Handle.none, nil, nil, nil, 0, &timeout,
            &ticket)
        library.free(timeout)
        library.free(ticket)
        guard rc == 0 else {
            flush(handle)
            throw .command("TPM2_PolicySecret(TPM_RH_ENDORSEMENT)", rc)
        }
        return handle
    }
}
