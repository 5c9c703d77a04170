import Crypto
import FoundationEssentials
import SwiftASN1
import _CryptoExtras

/// Passphrase-protected PKCS#8 (`ENCRYPTED PRIVATE KEY`, RFC 5958 / RFC 8018 PBES2).
///
/// Reads PBKDF2 with HMAC-SHA-1/256/512 and AES-128/192/256-CBC, which covers what OpenSSL and
/// Python `cryptography` write; writes PBKDF2-HMAC-SHA-256 (600,000 rounds) with AES-256-CBC.
enum EncryptedPrivateKey {
    static let pbes2: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 5, 13]
    static let pbkdf2: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 5, 12]
    static let prfs: [ASN1ObjectIdentifier: KDF.Insecure.PBKDF2.HashFunction] = [
        [1, 2, 840, 113_549, 2, 7]: .insecureSHA1, [1, 2, 840, 113_549, 2, 9]: .sha256,
        [1, 2, 840, 113_549, 2, 11]: .sha512,
    ]
    static let hmacSHA256: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 2, 9]
    static let ciphers: [ASN1ObjectIdentifier: Int] = [
        [2, 16, 840, 1, 101, 3, 4, 1, 2]: 16, [2, 16, 840, 1, 101, 3, 4, 1, 22]: 24,
        [2, 16, 840, 1, 101, 3, 4, 1, 42]: 32,
    ]
    static let aes256CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 42]
    /// Refuses absurd round counts from a file before any work (denial of service).
    static let maximumRounds = 10_000_000
    /// Rounds used when writing, after OWASP's 2023 advice for PBKDF2-HMAC-SHA-256.
    static let writeRounds = 600_000

    private struct Parameters {
        var salt: [UInt8]
        var rounds: Int
        var prf: KDF.Insecure.PBKDF2.HashFunction
        var keyLength: Int
        var iv: [UInt8]
    }

    static func decrypt(_ der: [UInt8], passphrase: String) throws(SigningError) -> [UInt8] {
        let parameters: Parameters
        let ciphertext: [UInt8]
        do {
            (parameters, ciphertext) = try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                guard let algorithm = nodes.next(), let data = nodes.next() else {
                    throw ASN1Error.invalidASN1Object(reason: "EncryptedPrivateKeyInfo needs two fields")
                }
                return (try parsePBES2(algorithm), Array(try ASN1OctetString(derEncoded: data).bytes))
            }
        } catch let error as SigningError {
            throw error
        } catch {
            throw .unreadableKey("encrypted private key is not PBES2 with PBKDF2 and AES-CBC: \(error)")
        }
        do {
            let key = try KDF.Insecure.PBKDF2.deriveKey(
                from: Array(passphrase.utf8), salt: parameters.salt, using: parameters.prf,
                outputByteCount: parameters.keyLength, unsafeUncheckedRounds: parameters.rounds)
            return Array(try AES._CBC.decrypt(ciphertext, using: key, iv: AES._CBC.IV(ivBytes: parameters.iv)))
        } catch {
            throw .passphraseRequired("cannot decrypt the private key: wrong passphrase, or the key file is corrupted")
        }
    }

    private static func parsePBES2(_ node: ASN1Node) throws -> Parameters {
        try DER.sequence(node, identifier: .sequence) { nodes in
            guard let oid = nodes.next(), let params = nodes.next(), try ASN1ObjectIdentifier(derEncoded: oid) == pbes2
            else {
                throw SigningError.unreadableKey("encrypted private key: only PBES2 is supported")
            }
            return try DER.sequence(params, identifier: .sequence) { nodes in
                guard let kdf = nodes.next(), let scheme = nodes.next() else {
                    throw ASN1Error.invalidASN1Object(reason: "PBES2-params needs two fields")
                }
                var parameters = try parsePBKDF2(kdf)
                try DER.sequence(scheme, identifier: .sequence) { nodes in
                    guard let oid = nodes.next(), let iv = nodes.next(),
                        let keyLength = ciphers[try ASN1ObjectIdentifier(derEncoded: oid)]
                    else { throw SigningError.unreadableKey("encrypted private key: only AES-CBC is supported") }
                    parameters.keyLength = keyLength
                    parameters.iv = Array(try ASN1OctetString(derEncoded: iv).bytes)
                }
                guard parameters.iv.count == 16 else { throw SigningError.unreadableKey("AES-CBC IV is not 16 bytes") }
                return parameters
            }
        }
    }

    private static func parsePBKDF2(_ node: ASN1Node) throws -> Parameters {
        try DER.sequence(node, identifier: .sequence) { nodes in
            guard let oid = nodes.next(), let params = nodes.next(), try ASN1ObjectIdentifier(derEncoded: oid) == pbkdf2
            else {
                throw SigningError.unreadableKey("encrypted private key: only PBKDF2 is supported")
            }
            return try DER.sequence(params, identifier: .sequence) { nodes in
                guard let salt = nodes.next(), let rounds = nodes.next() else {
                    throw ASN1Error.invalidASN1Object(reason: "PBKDF2-params needs salt and rounds")
                }
                var parameters = Parameters(
                    salt: Array(try ASN1OctetString(derEncoded: salt).bytes), rounds: try Int(derEncoded: rounds),
                    prf: .insecureSHA1, keyLength: 0, iv: [])
                guard (1...maximumRounds).contains(parameters.rounds) else {
                    throw SigningError.unreadableKey(
                        "encrypted private key asks for \(parameters.rounds) PBKDF2 rounds (max \(maximumRounds))")
                }
                var next = nodes.next()
                if let node = next, node.identifier == .integer {
                    _ = try Int(derEncoded: node)  // keyLength: implied by the cipher
                    next = nodes.next()
                }
                if let node = next {
                    try DER.sequence(node, identifier: .sequence) { nodes in
                        guard let oid = nodes.next(), let prf = prfs[try ASN1ObjectIdentifier(derEncoded: oid)] else {
                            throw SigningError.unreadableKey(
                                "encrypted private key: PBKDF2 PRF must be HMAC-SHA-1/256/512")
                        }
                        parameters.prf = prf
                        _ = nodes.next()  // NULL parameters
                    }
                }
                return parameters
            }
        }
    }

    static func encrypt(_ pkcs8: [UInt8], passphrase: String) throws(SigningError) -> [UInt8] {
        guard !passphrase.isEmpty else { throw .passphraseRequired("the passphrase is empty") }
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let iv = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        do {
            let key = try KDF.Insecure.PBKDF2.deriveKey(
                from: Array(passphrase.utf8), salt: salt, using: .sha256, outputByteCount: 32, rounds: writeRounds)
            let ciphertext = Array(try AES._CBC.encrypt(pkcs8, using: key, iv: AES._CBC.IV(ivBytes: iv)))
            var serializer = DER.Serializer()
            try serializer.appendConstructedNode(identifier: .sequence) { info in
                try info.appendConstructedNode(identifier: .sequence) { algorithm in
                    try algorithm.serialize(pbes2)
                    try algorithm.appendConstructedNode(identifier: .sequence) { params in
                        try params.appendConstructedNode(identifier: .sequence) { kdf in
                            try kdf.serialize(pbkdf2)
                            try kdf.appendConstructedNode(identifier: .sequence) { kdfParams in
                                try kdfParams.serialize(ASN1OctetString(contentBytes: salt[...]))
                                try kdfParams.serialize(writeRounds)
                                try kdfParams.appendConstructedNode(identifier: .sequence) { prf in
                                    try prf.serialize(hmacSHA256)
                                    try prf.serialize(ASN1Null())
                                }
                            }
                        }
                        try params.appendConstructedNode(identifier: .sequence) { scheme in
                            try scheme.serialize(aes256CBC)
                            try scheme.serialize(ASN1OctetString(contentBytes: iv[...]))
                        }
                    }
                }
                try info.serialize(ASN1OctetString(contentBytes: ciphertext[...]))
            }
            return serializer.serializedBytes
        } catch {
            throw .unsuitableKey("cannot encrypt the private key: \(error)")
        }
    }
}
