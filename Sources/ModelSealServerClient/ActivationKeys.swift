import Crypto
import ModelSealCore
import ModelSealLicensing
import ModelSealServerProtocol

/// The two keys an activation registers (docs/SERVER.md §TPM): the machine key (made when missing, kept
/// otherwise) and a new request-signing key. With a software machine key (X25519) the signing key is Ed25519,
/// sealed to the machine key; with a machine key in a TPM (P-256) it is a restricted ECDSA P-256 key in the
/// same TPM. The two are separate keys: a KEM key does not sign, and neither is derived from the other.
struct ActivationKeys {
    let machineKey: [UInt8]
    let kem: ReleaseKEM
    let signer: any RequestSigningKey
    let signingPublicKey: [UInt8]
    let stored: StoredSigner
    /// The TPM the keys are in, and the evidence a server with `--ek-ca` attests the machine key with (nil: a
    /// software key, or a TPM without an EK certificate).
    var connection: TPMConnection? = nil
    var evidence: TPMEvidence? = nil

    /// `tpm` as `ServerActivation.activate` takes it.
    static func make(serverKey: [UInt8], directory: LicensingDirectory, label: String, tpm: Bool?)
        throws(ServerClientError) -> ActivationKeys
    {
        let vendorKeyID = Array(SHA256.hash(data: serverKey))
        let connection = try connection(vendorKeyID: vendorKeyID, directory: directory, tpm: tpm)
        let machine: (key: [UInt8], kem: MachineKEM)
        do {
            machine = try MachineKeyAccess.publicKey(
                vendorKeyID: vendorKeyID, directory: directory, label: label, tpm: connection)
        } catch { throw .local("cannot make this machine's key: \(error)") }
        guard machine.kem == .p256TPM, let connection else {
            let signing = Curve25519.Signing.PrivateKey()
            let sealed: [UInt8]
            do {
                sealed = try ReleaseKEM.x25519.seal(
                    Array(signing.rawRepresentation), to: machine.key, info: ServerActivation.signingInfo,
                    authenticating: serverKey)
            } catch { throw .local("cannot seal the request-signing key: \(error)") }
            return ActivationKeys(
                machineKey: machine.key, kem: .x25519, signer: signing,
                signingPublicKey: Array(signing.publicKey.rawRepresentation), stored: .sealedEd25519(sealed))
        }
        let signing: TPMSigningKey
        let evidence: TPMEvidence?
        do {
            signing = try TPMSigningKey.create(connection: connection)
            evidence = try MachineKeyAccess.tpmEvidence(vendorKeyID: vendorKeyID, directory: directory, tpm: connection)
        } catch { throw .wrongMachine("cannot use this machine's keys in the TPM: \(error)") }
        return ActivationKeys(
            machineKey: machine.key, kem: .p256, signer: TPMRequestSigner(key: signing, connection: connection),
            signingPublicKey: signing.publicKey, stored: .tpm(signing), connection: connection, evidence: evidence)
    }

    /// The activation body's `tpm_attestation`, when there is evidence.
    var attestationJSON: JSONValue? {
        evidence.map {
            .object([
                "ek_certificate": .string(Base64.encode($0.ekCertificate)),
                "machine_key_public": .string(Base64.encode($0.machineKeyPublic)),
            ])
        }
    }

    /// Answers the server's EK credential (`ek_credential` in the activation's answer): its secret, recovered in
    /// this TPM with its EK and the machine key, sent back signed (`POST /v1/attest`). Returns when the server
    /// recorded the machine as attested; nil when the server sent no credential (it attests nothing).
    func attest(
        _ answer: JSONValue, url: ServerURL, machineID: String, serverKey: [UInt8], directory: LicensingDirectory,
        now: Int64, trust: TLSTrust?
    ) throws(ServerClientError) -> Int64? {
        guard let credential = answer["ek_credential"], let connection else { return nil }
        guard let idObject = credential["id_object"]?.stringValue.flatMap({ Base64.decode($0) }),
            let encrypted = credential["encrypted_secret"]?.stringValue.flatMap({ Base64.decode($0) })
        else { throw .protocolError("the activation answer's ek_credential is not {id_object, encrypted_secret}") }
        let secret: [UInt8]
        do {
            secret = try MachineKeyAccess.activateCredential(
                EKCredential(idObject: idObject, encryptedSecret: encrypted),
                vendorKeyID: Array(SHA256.hash(data: serverKey)), directory: directory, tpm: connection)
        } catch { throw .wrongMachine("the server's EK credential does not activate in this TPM: \(error)") }
        let attested = try ServerCall.signed(
            url, path: "/v1/attest", body: .object(["secret": .string(Base64.encode(secret))]), key: signer,
            machineID: machineID, now: now, trust: trust)
        guard let at = attested.value["attested_at"]?.int64Value else {
            throw .protocolError("the attestation answer has no attested_at")
        }
        return at
    }

    /// The TPM to use: the one an existing TPM machine key or `--tpm` needs (an error when it does not answer),
    /// by default the system's when one answers; nil for a software key. An existing key of the other kind than
    /// `--tpm`/`--no-tpm` asks for is refused (it is this machine's identity at the server: a new kind is a new
    /// machine, made after removing the old key).
    static func connection(vendorKeyID: [UInt8], directory: LicensingDirectory, tpm: Bool?)
        throws(ServerClientError) -> TPMConnection?
    {
        let existing: MachineKEM?
        do {
            existing = try MachineKeyAccess.kem(vendorKeyID: vendorKeyID, directory: directory)
        } catch { throw .local("cannot read this machine's key: \(error)") }
        let folder = directory.vendorPath(vendorKeyID)
        if let existing, let tpm, tpm != (existing == .p256TPM) {
            throw .usage(
                "this machine's key for this server is already \(existing == .p256TPM ? "in the TPM" : "a software key") "
                    + "(\(folder)), and activating again keeps it: drop \(tpm ? "--tpm" : "--no-tpm"), or run "
                    + "`modelseal deactivate --server URL`, remove \(folder) and activate again to make a new key")
        }
        let wanted = existing.map { $0 == .p256TPM } ?? tpm
        guard wanted != false else { return nil }
        do {
            return try TPMConnection()
        } catch {
            guard wanted == nil else {
                throw .wrongMachine(
                    "cannot use the TPM for this machine's key (\(error)): it never falls back to software")
            }
            return nil
        }
    }
}

/// How activation.json keeps the request-signing key.
enum StoredSigner: Sendable {
    /// An Ed25519 seed HPKE-sealed to the software machine key (`sealed_signing_key`).
    case sealedEd25519([UInt8])
    /// A TPM signing key: its template's unique value and public key (`tpm_signing_unique`, `tpm_signing_key`).
    case tpm(TPMSigningKey)

    var algorithm: RequestSigningAlgorithm {
        switch self {
        case .sealedEd25519: .ed25519
        case .tpm: .ecdsaP256
        }
    }

    var json: JSONObject {
        switch self {
        case .sealedEd25519(let sealed):
            [
                ("signing_algorithm", .string(algorithm.rawValue)),
                ("sealed_signing_key", .string(Base64.encode(sealed))),
            ]
        case .tpm(let key):
            [
                ("signing_algorithm", .string(algorithm.rawValue)),
                ("tpm_signing_unique", .string(Base64.encode(key.unique))),
                ("tpm_signing_key", .string(Base64.encode(key.publicKey))),
            ]
        }
    }

    /// Reads the fields of an activation file (files before TPM activation: Ed25519, no `signing_algorithm`).
    init?(json value: JSONValue) {
        switch RequestSigningAlgorithm(rawValue: value["signing_algorithm"]?.stringValue ?? "ed25519") {
        case .ed25519?:
            guard let sealed = value["sealed_signing_key"]?.stringValue.flatMap({ Base64.decode($0) }) else {
                return nil
            }
            self = .sealedEd25519(sealed)
        case .ecdsaP256?:
            guard let unique = value["tpm_signing_unique"]?.stringValue.flatMap({ Base64.decode($0) }),
                unique.count == 32,
                let key = value["tpm_signing_key"]?.stringValue.flatMap({ Base64.decode($0) }), key.count == 65
            else { return nil }
            self = .tpm(TPMSigningKey(unique: unique, publicKey: key))
        case nil: return nil
        }
    }
}

/// A request-signing key that stays in the TPM behind `connection`.
struct TPMRequestSigner: RequestSigningKey {
    let key: TPMSigningKey
    let connection: TPMConnection

    var algorithm: RequestSigningAlgorithm { .ecdsaP256 }

    func signature(for message: [UInt8]) throws -> [UInt8] {
        do {
            return try key.sign(message, connection: connection)
        } catch { throw ServerClientError.wrongMachine("cannot sign the request in the TPM: \(error)") }
    }
}
