import ContainerFormat
import Crypto
import ModelSealCore

/// The load count, last-seen and first-use time of one license on this machine (spec/LICENSING.md §7).
///
/// Three copies, canonical JSON with an HMAC under a key derived from the machine's private key, each
/// replaced atomically (temporary file, fsync, rename) while `<id>.lock` is held with `flock`:
/// `<vendor>/state/<id>.state` and its mirror `<id>.seen` in the licensing folder, and
/// `<id>.record` in the records folder (`LicenseRecords`), outside `MODELSEAL_LICENSE_DIR`. Each
/// update increases `generation` and writes the record first; a copy newer than the one written before
/// it, or more than one update behind it (missing counts as 0), was restored or deleted ("rolled back"). Restoring *every* copy from an old backup is not detectable
/// offline: the documented limit that TPM counters (license v2 with a TPM) are for.
struct LicenseState: Equatable {
    var loads: Int64 = 0
    var lastSeen: Int64 = 0
    var generation: Int64 = 0
    /// The first load's time (0: unknown, state written before license v2).
    var firstUse: Int64 = 0
    /// Version of the copy this was read from (1: written before license v2, without a record).
    var version: Int64 = 2
    /// The TPM's clock (milliseconds) at the last load of a TPM-bound license; nil otherwise.
    var tpmClock: Int64? = nil

    /// Files of one license's state.
    struct Files {
        /// `<licensing folder>/<vendor>/state/<id>`.
        let base: String
        /// `<records folder>/<vendor>/<id>`.
        let record: String
        var state: String { base + ".state" }
        var mirror: String { base + ".seen" }
        var recordCopy: String { record + ".record" }
        var lock: String { base + ".lock" }
    }

    static func key(machinePrivateKey: [UInt8], licenseID: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: machinePrivateKey), salt: Array(licenseID.utf8),
            info: Array("modelseal/v1 license-state".utf8), outputByteCount: 32)
    }

    /// The state keys of a TPM-bound license, one per id in `licenseIDs`: `TPM2_HMAC` under a keyed-hash key
    /// that the TPM makes from its owner seed and the machine key's `unique` and never releases
    /// (spec/LICENSING.md §7), so neither the machine key file nor the public key lets anyone else compute them.
    static func keys(tpm: TPMConnection, identity: TPMMachineIdentity, licenseIDs: [String]) throws -> [SymmetricKey] {
        var macs = try tpm.stateHMACs(
            unique: identity.unique,
            messages: licenseIDs.map { Array("modelseal/v2 license-state-tpm\0".utf8) + Array($0.utf8) })
        defer {
            for index in macs.indices { SecretMemory.wipe(&macs[index]) }
        }
        return macs.map { SymmetricKey(data: $0) }
    }

    /// Reads the state: every present copy must verify, and none may be older than another.
    static func read(_ files: Files, licenseID: String, key: SymmetricKey) throws(LicenseError) -> LicenseState {
        var copies: [(path: String, state: LicenseState?)] = []
        for path in [files.recordCopy, files.state, files.mirror] {
            let state = try AtomicFiles.read(path).map { (bytes) throws(LicenseError) in
                try decode(bytes, path: path, licenseID: licenseID, key: key)
            }
            copies.append((path, state))
        }
        guard let newest = copies.compactMap(\.state).max(by: { $0.generation < $1.generation }) else {
            return LicenseState()
        }
        // Written in this order, so a crash between two writes leaves a later copy one update behind; a
        // missing copy counts as generation 0. A copy newer than the one written before it means that
        // one was restored; a copy more than one update behind was restored or deleted.
        for index in 1..<copies.count {
            // A missing record is allowed only beside version 1 copies, written before records existed.
            if index == 1 && copies[0].state == nil && newest.version == 1 { continue }
            let earlier = copies[index - 1].state?.generation ?? 0
            let later = copies[index].state?.generation ?? 0
            if later > earlier {
                throw .stateRolledBack(path: copies[index - 1].path, found: earlier, expected: later)
            }
            if later < earlier - 1 {
                throw .stateRolledBack(path: copies[index].path, found: later, expected: earlier)
            }
        }
        return newest
    }

    /// Writes the record outside the licensing folder, then the state, then its mirror.
    func write(_ files: Files, licenseID: String, key: SymmetricKey) throws(LicenseError) {
        let bytes = encode(licenseID: licenseID, key: key)
        try AtomicFiles.makeDirectory(
            String(files.record[..<(files.record.lastIndex(of: "/") ?? files.record.endIndex)]))
        try AtomicFiles.write(bytes, to: files.recordCopy)
        try AtomicFiles.write(bytes, to: files.state)
        try AtomicFiles.write(bytes, to: files.mirror)
    }

    private func unsigned(licenseID: String) -> JSONObject {
        var members: JSONObject = [
            "type": .string("modelseal-license-state"), "version": .integer(2), "license_id": .string(licenseID),
            "loads": .integer(loads), "last_seen": .integer(lastSeen), "generation": .integer(generation),
            "first_use": .integer(firstUse),
        ]
        if let tpmClock { members["tpm_clock"] = .integer(tpmClock) }
        return members
    }

    func encode(licenseID: String, key: SymmetricKey) -> [UInt8] {
        var members = unsigned(licenseID: licenseID)
        let mac = HMAC<SHA256>.authenticationCode(for: JSONValue.object(members).canonicalBytes, using: key)
        members["mac"] = .string(Hex.encode(mac))
        return JSONValue.object(members).canonicalBytes
    }

    /// The members of a MACed state document (`mac` removed) once its MAC verified. Any structural or
    /// MAC failure is "edited": the file is ours, written canonically.
    static func verifiedMembers(_ bytes: [UInt8], path: String, key: SymmetricKey) throws(LicenseError) -> JSONObject {
        guard let value = try? JSONValue.parseCanonical(bytes, what: "license state"),
            case .object(var members) = value, case .string(let macText)? = members["mac"],
            let mac = Hex.decode(macText)
        else { throw .stateTampered(path: path) }
        members["mac"] = nil
        guard
            HMAC<SHA256>.isValidAuthenticationCode(
                mac, authenticating: JSONValue.object(members).canonicalBytes, using: key)
        else { throw .stateTampered(path: path) }
        return members
    }

    static func decode(_ bytes: [UInt8], path: String, licenseID: String, key: SymmetricKey) throws(LicenseError)
        -> LicenseState
    {
        let members = try verifiedMembers(bytes, path: path, key: key)
        guard
            var fields = try? JSONFields(.object(members), what: "license state"),
            (try? fields.string("type")) == "modelseal-license-state", let version = try? fields.integer("version"),
            version == 1 || version == 2, (try? fields.string("license_id")) == licenseID,
            let loads = try? fields.integer("loads"), let lastSeen = try? fields.integer("last_seen"),
            let generation = try? fields.integer("generation"),
            let firstUse = version == 2 ? try? fields.integer("first_use") : 0,
            // An optional member: -1 stands for absent inside the guard (valid values are ≥ 0).
            let clock = members["tpm_clock"] == nil ? -1 : try? fields.integer("tpm_clock"),
            (try? fields.finish()) != nil
        else { throw .stateTampered(path: path) }
        let tpmClock: Int64? = clock < 0 ? nil : clock
        return LicenseState(
            loads: loads, lastSeen: lastSeen, generation: generation, firstUse: firstUse, version: version,
            tpmClock: tpmClock)
    }
}
