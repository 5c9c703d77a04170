import ContainerFormat
import Crypto
import ModelSealCore

/// The load count and last-seen time of one license on this machine (docs/LICENSING.md).
///
/// Two files per license under `<vendor>/state/`: `<id>.state` and its mirror `<id>.seen`, both
/// canonical JSON with an HMAC under a key derived from the machine's private key, both replaced
/// atomically (temporary file, fsync, rename) while `<id>.lock` is held with `flock`. Each update
/// increases `generation`; a state file older than its mirror was restored from a copy
/// ("rolled back"). Restoring *both* files from a copy is not detectable offline: that is the
/// documented limit, and the reason real limits need the online server.
struct LicenseState: Equatable {
    var loads: Int64 = 0
    var lastSeen: Int64 = 0
    var generation: Int64 = 0

    /// Files of one license's state.
    struct Files {
        let base: String
        var state: String { base + ".state" }
        var mirror: String { base + ".seen" }
        var lock: String { base + ".lock" }
    }

    static func key(machinePrivateKey: [UInt8], licenseID: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: machinePrivateKey), salt: Array(licenseID.utf8),
            info: Array("modelseal/v1 license-state".utf8), outputByteCount: 32)
    }

    /// Reads the state, checking both MACs and the generation against the mirror.
    static func read(_ files: Files, licenseID: String, key: SymmetricKey) throws(LicenseError) -> LicenseState {
        let state = try AtomicFiles.read(files.state).map { (bytes) throws(LicenseError) in
            try decode(bytes, path: files.state, licenseID: licenseID, key: key)
        }
        let mirror = try AtomicFiles.read(files.mirror).map { (bytes) throws(LicenseError) in
            try decode(bytes, path: files.mirror, licenseID: licenseID, key: key)
        }
        switch (state, mirror) {
        case (nil, nil): return LicenseState()
        case (nil, let mirror?): throw .stateRolledBack(path: files.state, found: 0, expected: mirror.generation)
        case (let state?, let mirror?) where state.generation < mirror.generation:
            throw .stateRolledBack(path: files.state, found: state.generation, expected: mirror.generation)
        case (let state?, _): return state
        }
    }

    /// Writes the state, then its mirror.
    func write(_ files: Files, licenseID: String, key: SymmetricKey) throws(LicenseError) {
        let bytes = encode(licenseID: licenseID, key: key)
        try AtomicFiles.write(bytes, to: files.state)
        try AtomicFiles.write(bytes, to: files.mirror)
    }

    private func unsigned(licenseID: String) -> JSONObject {
        [
            "type": .string("modelseal-license-state"), "version": .integer(1), "license_id": .string(licenseID),
            "loads": .integer(loads), "last_seen": .integer(lastSeen), "generation": .integer(generation),
        ]
    }

    func encode(licenseID: String, key: SymmetricKey) -> [UInt8] {
        var members = unsigned(licenseID: licenseID)
        let mac = HMAC<SHA256>.authenticationCode(for: JSONValue.object(members).canonicalBytes, using: key)
        members["mac"] = .string(Hex.encode(mac))
        return JSONValue.object(members).canonicalBytes
    }

    static func decode(_ bytes: [UInt8], path: String, licenseID: String, key: SymmetricKey) throws(LicenseError)
        -> LicenseState
    {
        // Any structural or MAC failure is "edited": the file is ours, written canonically.
        guard let value = try? JSONValue.parseCanonical(bytes, what: "license state"),
            case .object(var members) = value, case .string(let macText)? = members["mac"],
            let mac = Hex.decode(macText)
        else { throw .stateTampered(path: path) }
        members["mac"] = nil
        guard
            HMAC<SHA256>.isValidAuthenticationCode(
                mac, authenticating: JSONValue.object(members).canonicalBytes, using: key),
            var fields = try? JSONFields(.object(members), what: "license state"),
            (try? fields.string("type")) == "modelseal-license-state", (try? fields.integer("version")) == 1,
            (try? fields.string("license_id")) == licenseID,
            let loads = try? fields.integer("loads"), let lastSeen = try? fields.integer("last_seen"),
            let generation = try? fields.integer("generation"), (try? fields.finish()) != nil
        else { throw .stateTampered(path: path) }
        return LicenseState(loads: loads, lastSeen: lastSeen, generation: generation)
    }
}
