import ContainerFormat
import ModelSealCore

/// A license document (spec/LICENSING.md §3): who may open which sealed files, on which machine,
/// when, how often, and how. It is only trusted inside a `SignedLicense` whose signature verified.
public struct License: Sendable, Equatable {
    /// A sealed file the license covers, with its file key wrapped under the license key.
    public struct Model: Sendable, Equatable {
        /// The file id (spec/LICENSING.md §1).
        public let fileID: String
        /// A name for people (the sealed file's base name at issue time).
        public let name: String
        /// A `license` stanza body (80 bytes) wrapping the file key under the license key.
        let wrappedFileKey: [UInt8]
    }

    /// The machine binding: the request's machine key and salted component hashes.
    public struct Machine: Sendable, Equatable {
        /// Key id of the vendor key that signs this license (also the fingerprint salt's input).
        public let vendorKeyID: [UInt8]
        /// How the license key is wrapped to the machine: a software X25519 key or a TPM P-256 key.
        public var kem: MachineKEM = .x25519
        /// The machine's public key (X25519: 32 bytes; P-256 in a TPM: 65, uncompressed).
        public let machineKey: [UInt8]
        /// Component names and salted hashes, in name order.
        public let components: [(name: String, hash: [UInt8])]
        /// How many components must match (k of n).
        public let match: Int

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.vendorKeyID == rhs.vendorKeyID && lhs.kem == rhs.kem && lhs.machineKey == rhs.machineKey
                && lhs.match == rhs.match
                && lhs.components.map(\.name) == rhs.components.map(\.name)
                && lhs.components.map(\.hash) == rhs.components.map(\.hash)
        }
    }

    /// The license key-encryption key, wrapped so that only the machine opens it (spec/LICENSING.md §4).
    struct KeyWrapping: Sendable, Equatable {
        /// HPKE of secret A to the machine key: `enc || ct(48)` (enc: 32 bytes X25519, 65 bytes P-256).
        let machineShare: [UInt8]
        /// Secret B split k-of-n over the components.
        let componentLock: ComponentLock
        /// `AES-256-GCM(HKDF(A || B [|| C]), zero nonce, ad = label || id)` of the license key: 48 bytes.
        let wrappedKey: [UInt8]
        /// Attested licenses (`license issue --require-tpm`): the credential whose secret C only the attested
        /// TPM recovers; C is the third input of the wrapping key, so without that TPM the key does not unwrap.
        var credential: EKCredential? = nil
    }

    /// Features a license grants.
    public struct Features: Sendable, Equatable {
        /// `open -o FILE` / `-o -` may write the plaintext model; false allows only in-memory loads.
        public var fileOutput = true
        /// `modelseal run` may hand the decrypted model to another program. Off by default: the program
        /// inherits the plaintext and can do anything with it (resource limits and PR_SET_DUMPABLE reset on
        /// execve), so this is the right to give the model away on the machine. Written only when granted,
        /// so licenses without it stay readable by earlier versions.
        public var run = false
        /// Default features.
        public init() {}
    }

    /// Format version: 2 for licenses issued to version 2 requests, 1 for version 1 requests.
    public let version: Int
    /// The license id: 16 random bytes as 32 hex digits.
    public let id: String
    /// The customer, as the vendor named them.
    public let customer: String
    /// When it was issued (Unix seconds, UTC).
    public let issuedAt: Int64
    /// Not valid before this time (inclusive).
    public let notBefore: Int64
    /// Not valid from this time on (exclusive); `nil` never expires.
    public let expiresAt: Int64?
    /// Files covered by id. Files sealed to the license key (stanza 0x04) are covered too.
    public let models: [Model]
    /// The machine binding.
    public let machine: Machine
    let keyWrapping: KeyWrapping
    /// Most loads allowed on the machine; `nil` is unlimited.
    public let maxLoads: Int64?
    /// Granted features.
    public let features: Features
    /// Runtime-guard policy.
    public let guards: GuardPolicy

    /// Caps (spec/LICENSING.md §3).
    public enum Limits {
        /// Most models listed in one license.
        public static let maximumModels = 256
        /// Longest customer name, in bytes.
        public static let maximumCustomerLength = 256
    }
}

extension License {
    /// How this license's component hashes were derived: its request's version.
    var fingerprintVersion: FingerprintVersion { version == 1 ? .v1 : .v2 }

    var json: JSONValue {
        var machineMembers: JSONObject = [
            "vendor_key_id": .string(Hex.encode(machine.vendorKeyID)),
            "machine_key": .string(Codec.base64(machine.machineKey)),
            "components": .array(
                machine.components.map {
                    .object(["name": .string($0.name), "hash": .string(Hex.encode($0.hash))])
                }),
            "match": .integer(Int64(machine.match)),
        ]
        if version >= 2 { machineMembers["kem"] = .string(machine.kem.rawValue) }
        var keyMembers: JSONObject = [
            "machine_share": .string(Codec.base64(keyWrapping.machineShare)),
            "component_shares": .array(keyWrapping.componentLock.shares.map { .string(Codec.base64($0)) }),
            "wrapped_key": .string(Codec.base64(keyWrapping.wrappedKey)),
        ]
        if let credential = keyWrapping.credential { keyMembers["ek_credential"] = credential.json }
        var members: JSONObject = [
            "type": .string("modelseal-license"),
            "version": .integer(Int64(version)),
            "id": .string(id),
            "customer": .string(customer),
            "issued_at": .integer(issuedAt),
            "not_before": .integer(notBefore),
            "models": .array(
                models.map {
                    .object([
                        "file_id": .string($0.fileID), "name": .string($0.name),
                        "key": .string(Codec.base64($0.wrappedFileKey)),
                    ])
                }),
            "machine": .object(machineMembers),
            "key": .object(keyMembers),
            "features": .object(
                features.run
                    ? ["file_output": .bool(features.fileOutput), "run": .bool(true)]
                    : ["file_output": .bool(features.fileOutput)]),
            "guards": guards.json,
        ]
        if let expiresAt { members["expires_at"] = .integer(expiresAt) }
        if let maxLoads { members["max_loads"] = .integer(maxLoads) }
        return .object(members)
    }

    init(json value: JSONValue) throws(LicenseError) {
        let what = "license"
        var fields = try JSONFields(value, what: what)
        guard try fields.string("type") == "modelseal-license" else { throw .malformed(what, "not a license") }
        let version = try fields.integer("version")
        guard version == 1 || version == 2 else { throw .unsupported("license version \(version)") }
        self.version = Int(version)
        if fields.optional("online") != nil {
            throw .unsupported("online check-in (field 'online' is reserved for the license server)")
        }
        let idBytes = try fields.hex("id", length: 16)
        id = Hex.encode(idBytes)
        customer = try fields.string("customer", maxLength: Limits.maximumCustomerLength)
        issuedAt = try fields.integer("issued_at")
        notBefore = try fields.integer("not_before")
        expiresAt = try fields.optionalInteger("expires_at")
        if let expiresAt, expiresAt <= notBefore { throw .malformed(what, "expires_at is not after not_before") }
        var models: [Model] = []
        for entry in try fields.array("models", count: 0...Limits.maximumModels) {
            var model = try JSONFields(entry, what: "license model")
            let fileID = Hex.encode(try model.hex("file_id", length: 16))
            guard !models.contains(where: { $0.fileID == fileID }) else {
                throw .malformed(what, "model \(fileID) listed twice")
            }
            models.append(
                Model(
                    fileID: fileID, name: try model.string("name", maxLength: 256),
                    wrappedFileKey: try model.base64("key", length: 80)))
            try model.finish()
        }
        self.models = models
        var machineFields = try fields.object("machine")
        let kem = version == 2 ? try MachineKEM.parse(try machineFields.string("kem"), what: "the license") : .x25519
        let components = try LicenseRequest.components(
            try machineFields.array("components", count: 1...ComponentLock.maximumComponents), what: "license machine",
            withKeys: false)
        machine = Machine(
            vendorKeyID: try machineFields.hex("vendor_key_id", length: 32), kem: kem,
            machineKey: try machineFields.base64("machine_key", length: kem.publicKeyLength),
            components: components.map { ($0.name, $0.hash) },
            match: Int(try machineFields.integer("match", in: 1...Int64(components.count))))
        try machineFields.finish()
        var keyFields = try fields.object("key")
        let shares = try keyFields.array("component_shares", count: components.count...components.count).map {
            (share) throws(LicenseError) -> [UInt8] in
            guard case .string(let text) = share else { throw .malformed(what, "component shares are strings") }
            return try Codec.base64(text, length: ComponentLock.shareLength, what: "license component share")
        }
        var credential: EKCredential? = nil
        if keyFields.optional("ek_credential") != nil {
            guard kem == .p256TPM else { throw .malformed(what, "key.ek_credential needs kem p256-tpm") }
            var credentialFields = try keyFields.object("ek_credential")
            credential = try EKCredential(fields: &credentialFields)
        }
        keyWrapping = KeyWrapping(
            machineShare: try keyFields.base64("machine_share", length: kem.machineShareLength),
            componentLock: ComponentLock(threshold: machine.match, shares: shares),
            wrappedKey: try keyFields.base64("wrapped_key", length: 48), credential: credential)
        try keyFields.finish()
        maxLoads = try fields.optionalInteger("max_loads", in: 1...JSONValue.maximumInteger)
        var featureFields = try fields.object("features")
        var features = Features()
        features.fileOutput = try featureFields.bool("file_output")
        if featureFields.optional("run") != nil { features.run = try featureFields.bool("run") }
        try featureFields.finish()
        self.features = features
        var guardFields = try fields.object("guards")
        guards = try GuardPolicy(fields: &guardFields)
        try fields.finish()
    }
}
