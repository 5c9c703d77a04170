import Crypto
import ModelSealCore

/// This machine's license key for one vendor when it lives in a TPM 2.0 (`kem` `p256-tpm`,
/// spec/LICENSING.md §5): a primary P-256 decryption key under the storage (owner) hierarchy, made
/// again on every use from the TPM's owner seed and `unique` (32 random bytes kept in the file). The
/// private key never leaves the TPM, so a copy of the file opens nothing on another machine or after
/// a TPM clear (which changes the seed: the customer makes a new request).
public struct TPMMachineIdentity: Sendable {
    /// Key id of the vendor this identity was made for.
    public let vendorKeyID: [UInt8]
    /// The public key, uncompressed (`04 || x || y`, 65 bytes).
    public let machineKey: [UInt8]
    /// Components covered by the request's component keys, in order.
    public let componentNames: [String]
    /// Components a license needs by default (the request's threshold).
    public let threshold: Int
    /// The template's unique field: which primary key of the owner hierarchy this is.
    let unique: [UInt8]
    /// The NV index of this machine key's load counter (`TPMLedger`).
    let counterIndex: UInt32

    /// Makes the key in the TPM behind `connection`; also returns its `TPM2B_PUBLIC` (for the request's attestation).
    static func create(
        connection: TPMConnection, vendorKeyID: [UInt8], componentNames: [String], threshold: Int
    ) throws(TPMError) -> (TPMMachineIdentity, [UInt8]) {
        let unique = randomBytes(32)
        let (handle, point, publicArea) = try connection.createMachineKey(unique: unique)
        connection.flush(handle)
        let counterIndex = try connection.defineCounter()
        let identity = TPMMachineIdentity(
            vendorKeyID: vendorKeyID, machineKey: point, componentNames: componentNames, threshold: threshold,
            unique: unique, counterIndex: counterIndex)
        return (identity, publicArea)
    }

    /// Releases the NV counter `index` of a retired machine key (`license request --new`) in the TPM behind
    /// `connection` (nil: the system's TPM) and says what happened: a counter already gone (a TPM clear,
    /// another TPM) is not an error, the old key's licenses stop working here either way.
    public static func releaseCounter(_ index: UInt32, connection: TPMConnection?) -> String {
        let name = "NV counter 0x" + String(index, radix: 16)
        do {
            try (connection ?? TPMConnection()).undefineCounter(index)
            return "the old machine key's \(name) was released in the TPM"
        } catch {
            return "the old machine key's \(name) was not released (\(error)); tpm2_nvundefine frees it"
        }
    }

    /// Runs `body` with the TPM key as an HPKE KEM key and its object handle (for `activateCredential`);
    /// refuses when the TPM no longer holds this key.
    func withKey<T>(_ connection: TPMConnection, _ body: (TPMP256KEMPrivateKey, UInt32) throws -> T) throws -> T {
        let otherKey = LicenseError.wrongMachine(
            "this TPM no longer holds the machine key of the request (another TPM, or it was cleared): make "
                + "a new `license request --tpm`")
        return try connection.withMachineKeyObject(unique: unique, expected: machineKey, otherKey: otherKey, body)
    }

    var json: JSONValue {
        .object([
            "type": .string("modelseal-machine-key"), "version": .integer(2),
            "kem": .string(MachineKEM.p256TPM.rawValue),
            "vendor_key_id": .string(Hex.encode(vendorKeyID)), "machine_key": .string(Codec.base64(machineKey)),
            "components": .array(componentNames.map { .string($0) }), "threshold": .integer(Int64(threshold)),
            "tpm_unique": .string(Codec.base64(unique)), "tpm_counter": .integer(Int64(counterIndex)),
        ])
    }

    init(
        vendorKeyID: [UInt8], machineKey: [UInt8], componentNames: [String], threshold: Int, unique: [UInt8],
        counterIndex: UInt32
    ) {
        self.counterIndex = counterIndex
        self.vendorKeyID = vendorKeyID
        self.machineKey = machineKey
        self.componentNames = componentNames
        self.threshold = threshold
        self.unique = unique
    }

    init(json value: JSONValue) throws(LicenseError) {
        let what = "machine key file"
        var fields = try JSONFields(value, what: what)
        guard try fields.string("type") == "modelseal-machine-key", try fields.integer("version") == 2,
            try MachineKEM.parse(try fields.string("kem"), what: what) == .p256TPM
        else { throw .malformed(what, "not a TPM machine key file") }
        vendorKeyID = try fields.hex("vendor_key_id", length: 32)
        machineKey = try fields.base64("machine_key", length: 65)
        guard (try? P256.KeyAgreement.PublicKey(x963Representation: machineKey)) != nil else {
            throw .malformed(what, "bad machine key")
        }
        componentNames = try fields.array("components", count: 1...ComponentLock.maximumComponents).map {
            (value) throws(LicenseError) -> String in
            guard case .string(let name) = value else { throw .malformed(what, "component names are strings") }
            return name
        }
        threshold = Int(try fields.integer("threshold", in: 1...Int64(componentNames.count)))
        unique = try fields.base64("tpm_unique", length: 32)
        counterIndex = UInt32(try fields.integer("tpm_counter", in: 0x0180_0000...0x01BF_FFFF))
        try fields.finish()
    }
}

/// A machine key file of either kind.
enum MachineKeyFile: Sendable {
    case software(MachineIdentity)
    case tpm(TPMMachineIdentity)

    var vendorKeyID: [UInt8] {
        switch self {
        case .software(let identity): identity.vendorKeyID
        case .tpm(let identity): identity.vendorKeyID
        }
    }

    var kem: MachineKEM {
        switch self {
        case .software: .x25519
        case .tpm: .p256TPM
        }
    }

    var machineKey: [UInt8] {
        switch self {
        case .software(let identity): Array(identity.publicKey.rawRepresentation)
        case .tpm(let identity): identity.machineKey
        }
    }

    var json: JSONValue {
        switch self {
        case .software(let identity): identity.json
        case .tpm(let identity): identity.json
        }
    }

    init(json value: JSONValue) throws(LicenseError) {
        self =
            value["kem"]?.stringValue == MachineKEM.p256TPM.rawValue
            ? .tpm(try TPMMachineIdentity(json: value)) : .software(try MachineIdentity(json: value))
    }
}
