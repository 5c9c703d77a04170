import CPKCS11

/// One-shot CKM_AES_GCM encryption and decryption with a secret key on the token (PKCS #11 Current
/// Mechanisms 2.40 §2.12.3): C_EncryptInit + C_Encrypt, C_DecryptInit + C_Decrypt, a 128-bit tag.
extension PKCS11Session {
    /// Tag bits of every GCM call: the full 16-byte tag, as AES.GCM in swift-crypto.
    static let gcmTagBits: CK_ULONG = 128

    /// `plaintext` encrypted under `key` with `iv` and associated data `aad`: ciphertext ‖ tag.
    func encrypt(_ plaintext: [UInt8], key: CK_OBJECT_HANDLE, iv: [UInt8], aad: [UInt8]) throws(PKCS11Error)
        -> [UInt8]
    {
        guard let start = functions.C_EncryptInit, let encrypt = functions.C_Encrypt else {
            throw .moduleUnavailable("\(module.path) has no C_Encrypt")
        }
        return try gcm(plaintext, iv: iv, aad: aad, outputCount: plaintext.count + 16, name: "C_Encrypt") {
            mechanism, input, output, length throws(PKCS11Error) in
            try module.check(start(handle, mechanism, key), "C_EncryptInit")
            return encrypt(handle, input.baseAddress, CK_ULONG(input.count), output.baseAddress, length)
        }
    }

    /// The plaintext of `sealed` (ciphertext ‖ tag) under `key`, or `nil` when the tag does not verify
    /// (another key, another `aad`, altered bytes). The specification's answer to a wrong tag is
    /// CKR_ENCRYPTED_DATA_INVALID; SoftHSM2 2.6 answers CKR_GENERAL_ERROR, so that counts as "does not open" too.
    func decrypt(_ sealed: [UInt8], key: CK_OBJECT_HANDLE, iv: [UInt8], aad: [UInt8]) throws(PKCS11Error)
        -> [UInt8]?
    {
        guard let start = functions.C_DecryptInit, let decrypt = functions.C_Decrypt else {
            throw .moduleUnavailable("\(module.path) has no C_Decrypt")
        }
        do throws(PKCS11Error) {
            // The output buffer is as long as the input: some modules check against it before the tag is cut.
            return try gcm(sealed, iv: iv, aad: aad, outputCount: sealed.count, name: "C_Decrypt") {
                mechanism, input, output, length throws(PKCS11Error) in
                try module.check(start(handle, mechanism, key), "C_DecryptInit")
                return decrypt(handle, input.baseAddress, CK_ULONG(input.count), output.baseAddress, length)
            }
        } catch .tokenFailed(let function, let code)
            where function == "C_Decrypt"
            && [
                PKCS11ReturnCode.encryptedDataInvalid, PKCS11ReturnCode.encryptedDataLengthRange,
                PKCS11ReturnCode.generalError,
            ].contains(code)
        {
            return nil
        }
    }

    /// Runs `call` with a CK_MECHANISM for CKM_AES_GCM whose parameters point at `iv` and `aad`, the input
    /// and an output buffer of `outputCount` bytes; returns the bytes the module wrote.
    private func gcm(
        _ data: [UInt8], iv: [UInt8], aad: [UInt8], outputCount: Int, name: String,
        _ call: (
            UnsafeMutablePointer<CK_MECHANISM>, UnsafeMutableBufferPointer<UInt8>, UnsafeMutableBufferPointer<UInt8>,
            UnsafeMutablePointer<CK_ULONG>
        ) throws(PKCS11Error) -> CK_RV
    ) throws(PKCS11Error) -> [UInt8] {
        var (ivBytes, aadBytes, input) = (iv, aad, data)
        var output = [UInt8](repeating: 0, count: max(outputCount, 1))
        var length = CK_ULONG(outputCount)
        let rv = try ivBytes.withUnsafeMutableBufferPointer { ivBuffer throws(PKCS11Error) in
            try aadBytes.withUnsafeMutableBufferPointer { aadBuffer throws(PKCS11Error) in
                var parameters = CK_GCM_PARAMS(
                    pIv: ivBuffer.baseAddress, ulIvLen: CK_ULONG(ivBuffer.count),
                    ulIvBits: CK_ULONG(ivBuffer.count * 8),
                    pAAD: aadBuffer.baseAddress, ulAADLen: CK_ULONG(aadBuffer.count), ulTagBits: Self.gcmTagBits)
                return try withUnsafeMutablePointer(to: &parameters) { pointer throws(PKCS11Error) in
                    var mechanism = CK_MECHANISM(
                        mechanism: PKCS11Constants.mechanismAESGCM, pParameter: UnsafeMutableRawPointer(pointer),
                        ulParameterLen: CK_ULONG(MemoryLayout<CK_GCM_PARAMS>.size))
                    return try input.withUnsafeMutableBufferPointer { inputBuffer throws(PKCS11Error) in
                        try output.withUnsafeMutableBufferPointer { outputBuffer throws(PKCS11Error) in
                            try call(&mechanism, inputBuffer, outputBuffer, &length)
                        }
                    }
                }
            }
        }
        try module.check(rv, name)
        guard length <= CK_ULONG(outputCount) else { throw .tokenFailed(function: name, code: 0x150) }
        return Array(output.prefix(Int(length)))
    }
}
