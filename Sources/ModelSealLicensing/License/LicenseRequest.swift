import ContainerFormat
import Crypto
import ModelSealCore

/// What a customer machine sends the vendor to get a license (`license request`, spec/LICENSING.md §5).
///
/// It holds the machine's public key and, per fingerprint component, the salted hash and the
/// component's public key. No raw identifier and no private key is in it.
public struct LicenseRequest: Sendable, Equatable {
    /// One component as the vendor sees it.
    public struct Component: Sendable, Equatable {
        /// Its name.
        public let name: String
        /// Salted hash (32 bytes).
        public let hash: [UInt8]
        /// X25519 public key derived from the component (32 bytes).
        public let publicKey: [UInt8]
    }

    /// Format version: 2 from license v2 on (scrypt-stretched components, `kem`); 1 from earlier versions.
    public let version: Int
    /// How the license key is wrapped to the machine key (version 2; version 1 is always X25519).
    public let kem: MachineKEM
    /// Key id of the vendor signing key the request is for.
    public let vendorKeyID: [UInt8]
    /// The machine's X25519 public key (32 bytes).
    public let machineKey: [UInt8]
    /// Components present when the request was made, in name order.
    public let components: [Component]
    /// How many components the machine key file needs to open (the license's `match` cannot usefully be lower).
    public let threshold: Int
    /// When the request was made (Unix seconds, UTC).
    public let createdAt: Int64
    /// A label the customer chose (host name, site); free text, not verified.
    public let label: String
    /// The TPM's EK certificate and the machine key's public area (`kem` `p256-tpm` from a TPM that has an EK
    /// certificate): what `license issue --require-tpm --ek-ca` attests the machine key with.
    public let attestation: TPMEvidence?

    /// Makes a machine identity for the vendor on this machine (replacing any earlier one) and the request for it.
    ///
    /// - Parameters:
    ///   - tolerance: how many components may change before the machine key no longer opens.
    ///   - tpm: make the machine key in this TPM (`kem` `p256-tpm`); nil: a software key.
    public static func create(
        vendorKeyID: [UInt8], tolerance: Int, label: String, directory: LicensingDirectory, tpm: TPMConnection? = nil
    ) throws -> LicenseRequest {
        try create(
            vendorKeyID: vendorKeyID, tolerance: tolerance, label: label, directory: directory,
            probe: FilesystemProbe.system, now: LicenseClock.now(), tpm: tpm)
    }

    static func create(
        vendorKeyID: [UInt8], tolerance: Int, label: String, directory: LicensingDirectory, probe: MachineProbe,
        now: Int64, tpm: TPMConnection? = nil
    ) throws -> LicenseRequest {
        let fingerprint = Fingerprint(probe: probe, vendorKeyID: vendorKeyID, version: .v2)
        guard !fingerprint.components.isEmpty else { throw LicenseError.noFingerprint }
        let count = fingerprint.components.count
        let threshold = max(1, count - max(0, tolerance))
        let file: MachineKeyFile
        var attestation: TPMEvidence? = nil
        if let tpm {
            let (identity, publicArea) = try TPMMachineIdentity.create(
                connection: tpm, vendorKeyID: vendorKeyID, componentNames: fingerprint.components.map(\.name),
                threshold: threshold)
            file = .tpm(identity)
            // A TPM without an EK certificate in NV (some firmware TPMs fetch theirs online) still binds; the
            // vendor cannot attest it (`license request` says so).
            attestation = (try? tpm.endorsementCertificate()).map {
                TPMEvidence(ekCertificate: $0, machineKeyPublic: publicArea)
            }
        } else {
            file = .software(
                try MachineIdentity.create(fingerprint: fingerprint, vendorKeyID: vendorKeyID, threshold: threshold).0)
        }
        try directory.save(file)
        return LicenseRequest(
            version: 2, kem: tpm == nil ? .x25519 : .p256TPM, vendorKeyID: vendorKeyID, machineKey: file.machineKey,
            components: fingerprint.components.map {
                Component(
                    name: $0.name, hash: fingerprint.hash(of: $0),
                    publicKey: Array(fingerprint.privateKey(of: $0).publicKey.rawRepresentation))
            }, threshold: threshold, createdAt: now, label: label, attestation: attestation)
    }

    init(
        version: Int, kem: MachineKEM = .x25519, vendorKeyID: [UInt8], machineKey: [UInt8], components: [Component],
        threshold: Int, createdAt: Int64, label: String, attestation: TPMEvidence? = nil
    ) {
        self.attestation = attestation
        self.version = version
        self.kem = kem
        self.vendorKeyID = vendorKeyID
        self.machineKey = machineKey
        self.components = components
        self.threshold = threshold
        self.createdAt = createdAt
        self.label = label
    }

    /// The request file: canonical JSON and one line feed.
    public var encoded: [UInt8] { json.canonicalBytes + [0x0A] }

    var json: JSONValue {
        var members: JSONObject = [
            "type": .string("modelseal-license-request"),
            "version": .integer(Int64(version)),
            "vendor_key_id": .string(Hex.encode(vendorKeyID)),
            "machine_key": .string(Codec.base64(machineKey)),
            "components": .array(
                components.map {
                    .object([
                        "name": .string($0.name), "hash": .string(Hex.encode($0.hash)),
                        "key": .string(Codec.base64($0.publicKey)),
                    ])
                }),
            "threshold": .integer(Int64(threshold)),
            "created_at": .integer(createdAt),
            "label": .string(label),
        ]
        if version >= 2 { members["kem"] = .string(kem.rawValue) }
        if let attestation { members["tpm_attestation"] = attestation.json }
        return .object(members)
    }

    /// Parses a request file (canonical JSON only).
    public init(encoded bytes: [UInt8]) throws(LicenseError) {
        let what = "license request"
        let document = bytes.last == 0x0A ? Array(bytes.dropLast()) : bytes
        var fields = try JSONFields(try JSONValue.parseCanonical(document, what: what), what: what)
        guard try fields.string("type") == "modelseal-license-request" else {
            throw .malformed(what, "not a license request")
        }
        let version = try fields.integer("version")
        guard version == 1 || version == 2 else { throw .unsupported("license request version \(version)") }
        self.version = Int(version)
        kem = version == 2 ? try MachineKEM.parse(try fields.string("kem"), what: "the request") : .x25519
        vendorKeyID = try fields.hex("vendor_key_id", length: 32)
        machineKey = try fields.base64("machine_key", length: kem.publicKeyLength)
        components = try Self.components(
            try fields.array("components", count: 1...ComponentLock.maximumComponents), what: what)
        threshold = Int(try fields.integer("threshold", in: 1...Int64(components.count)))
        createdAt = try fields.integer("created_at")
        label = try fields.string("label", maxLength: 256)
        if fields.optional("tpm_attestation") != nil {
            guard kem == .p256TPM else { throw .malformed(what, "tpm_attestation needs kem p256-tpm") }
            var evidence = try fields.object("tpm_attestation")
            attestation = try TPMEvidence(fields: &evidence)
        } else {
            attestation = nil
        }
        try fields.finish()
    }

    static func components(_ values: [JSONValue], what: String, withKeys: Bool = true) throws(LicenseError)
        -> [Component]
    {
        var result: [Component] = []
        for value in values {
            var fields = try JSONFields(value, what: "\(what) component")
            let name = try fields.string("name", maxLength: 64)
            guard result.last.map({ $0.name < name }) ?? true else {
                throw .malformed(what, "components must be in strictly increasing name order")
            }
            let hash = try fields.hex("hash", length: 32)
            let publicKey = withKeys ? try fields.base64("key", length: 32) : []
            result.append(Component(name: name, hash: hash, publicKey: publicKey))
            try fields.finish()
        }
        return result
    }
}
