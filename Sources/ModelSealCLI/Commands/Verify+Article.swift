import ArgumentParser
import ContainerEngine
import ModelSealCore
import ModelSealKeys
import ModelSealKit
import ModelSealSigning

extension ModelSeal.Verify {
    /// `verify --rsa-pkcs1v15`: the article's `sign_file` signature, RSASSA-PKCS1-v1_5 SHA-256 over
    /// any file's bytes (usually the Fernet `.enc` file), hashed as it streams.
    func verifyDetachedRSA() throws {
        guard !trust.trustFiles.isEmpty else {
            throw ValidationError("--rsa-pkcs1v15 needs --trust PUB.pem: an RSA signature names no signer")
        }
        guard let signaturePath = trust.signature else {
            throw ValidationError("--rsa-pkcs1v15 needs --signature FILE.sig (the bytes sign_file returned)")
        }
        let keys = try DetachedRSASignature.rsaKeys(try SigningKeys.trustKeys(paths: trust.trustFiles))
        let signatureFile = try KeyFiles.read(signaturePath)
        guard signatureFile.count <= DetachedRSASignature.maximumFileSize else {
            throw SigningError.malformedSignature(
                "\(signaturePath) is \(signatureFile.count) bytes, over \(DetachedRSASignature.maximumFileSize): not a signature"
            )
        }
        let signature = try DetachedRSASignature.decode(signatureFile, for: keys)
        let source: ByteStream = file == "-" ? try InputFile.standardInput() : try InputFile(path: file)
        let signer = try DetachedRSASignature.verify(
            signature, digest: try DetachedRSASignature.digest(of: source), trustedKeys: keys)
        if json {
            try JSONOutput.print(
                VerifyReport(
                    file: file, valid: true,
                    signers: [SignerReport(rsaPKCS1v15: signer)],
                    requiredSignersUnverified: []))
        } else {
            Terminal.writeOutput(
                "valid rsa-pkcs1v15 signature by \(signer.fingerprint) (\(signer.typeName)), trusted\n")
        }
    }
}

extension SignerReport {
    /// A trusted key that verified a detached RSA PKCS#1 v1.5 signature.
    init(rsaPKCS1v15 key: VerifyingKey) {
        fingerprint = key.fingerprint
        algorithm = SignatureAlgorithm.rsaPKCS1v15SHA256.description
        keyType = key.typeName
        trusted = true
    }
}
