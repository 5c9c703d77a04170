import Crypto
import ModelSealCore

/// The load-count state of every TPM-bound license of one machine key, kept in one file whose freshness
/// the TPM proves: `<vendor>/state/tpm-ledger.json` carries `counter`, which must equal the machine key's
/// NV counter (spec/LICENSING.md §7). Each load writes the ledger with `counter + 1` and then increments
/// the NV counter, so a ledger restored from any earlier copy is behind the TPM ("rolled back"); a crash
/// between the two leaves the ledger exactly one ahead, which the next load completes.
struct TPMLedger: Sendable {
    let path: String
    let counterIndex: UInt32
    let key: SymmetricKey
    let tpm: @Sendable () throws -> TPMConnection

    /// Reads the ledger, checks it against the NV counter, and returns it with the connection's counter.
    func read() throws(LicenseError) -> (entries: JSONObject, counter: Int64) {
        let connection: TPMConnection
        var current: Int64
        do {
            connection = try tpm()
            current = Int64(try connection.readCounter(counterIndex))
        } catch {
            throw .tpm("\(error)")
        }
        guard let bytes = try AtomicFiles.read(path) else {
            // The counter starts at 1 (defined and written once at request time): no ledger yet.
            if current == 1 { return ([:], 1) }
            throw .stateRolledBack(path: path, found: 0, expected: current)
        }
        let (entries, counter) = try decode(bytes)
        if counter == current + 1 {  // a crash after the ledger was written: finish the increment
            do { try connection.incrementCounter(counterIndex) } catch { throw .tpm("\(error)") }
            current += 1
        }
        guard counter == current else { throw .stateRolledBack(path: path, found: counter, expected: current) }
        return (entries, counter)
    }

    /// The state of one license in the ledger.
    func state(licenseID: String) throws(LicenseError) -> LicenseState {
        try Self.state(from: try read().entries[licenseID], path: path)
    }

    /// Writes `state` for `licenseID` with `counter + 1`, then increments the NV counter.
    func write(_ state: LicenseState, licenseID: String, entries: JSONObject, counter: Int64) throws(LicenseError) {
        var entries = entries
        var entry: JSONObject = [
            "loads": .integer(state.loads), "last_seen": .integer(state.lastSeen),
            "generation": .integer(state.generation), "first_use": .integer(state.firstUse),
        ]
        if let clock = state.tpmClock { entry["tpm_clock"] = .integer(clock) }
        entries[licenseID] = .object(entry)
        var members: JSONObject = [
            "type": .string("modelseal-tpm-ledger"), "version": .integer(2), "counter": .integer(counter + 1),
            "licenses": .object(entries),
        ]
        members["mac"] = .string(
            Hex.encode(HMAC<SHA256>.authenticationCode(for: JSONValue.object(members).canonicalBytes, using: key)))
        try AtomicFiles.write(JSONValue.object(members).canonicalBytes, to: path)
        do { try tpm().incrementCounter(counterIndex) } catch { throw .tpm("\(error)") }
    }

    private func decode(_ bytes: [UInt8]) throws(LicenseError) -> (JSONObject, Int64) {
        let members = try LicenseState.verifiedMembers(bytes, path: path, key: key)
        guard members["type"] == .string("modelseal-tpm-ledger"), members["version"] == .integer(2),
            case .object(let entries)? = members["licenses"],
            var fields = try? JSONFields(.object(members), what: "ledger"),
            let counter = try? fields.integer("counter")
        else { throw .stateTampered(path: path) }
        return (entries, counter)
    }

    static func state(from entry: JSONValue?, path: String) throws(LicenseError) -> LicenseState {
        guard let entry else { return LicenseState() }
        guard var fields = try? JSONFields(entry, what: "ledger entry"), let loads = try? fields.integer("loads"),
            let lastSeen = try? fields.integer("last_seen"), let generation = try? fields.integer("generation"),
            let firstUse = try? fields.integer("first_use")
        else { throw .stateTampered(path: path) }
        let clock = entry["tpm_clock"] == nil ? nil : try? fields.integer("tpm_clock")
        return LicenseState(
            loads: loads, lastSeen: lastSeen, generation: generation, firstUse: firstUse, version: 2, tpmClock: clock)
    }
}
