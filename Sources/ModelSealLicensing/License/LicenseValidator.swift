import ContainerEngine
import ContainerFormat
import Crypto
import ModelSealCore

/// How a licensed open releases the model; the license's features decide which are allowed.
public enum LicenseUse: Sendable {
    /// Verify only (`open --check`): every check runs, no load is counted.
    case verify
    /// Plaintext stays in the process (Python `load`): a load.
    case memory
    /// Plaintext is written out (`open -o FILE` or `-o -`): a load, needs the `file_output` feature.
    case file
    /// Plaintext is handed to another program (`modelseal run`): a load, needs the `run` feature.
    case run
}

/// Checks a license on this machine for one sealed file and, when every check passes, yields the
/// identity that opens it (docs/LICENSING.md "What is checked, in order").
public struct LicenseValidator: Sendable {
    let directory: LicensingDirectory
    let records: LicenseRecords
    let probe: MachineProbe
    /// Connects to the TPM of TPM-bound machine keys (`MODELSEAL_TPM_TCTI`, else the system's device).
    var tpm: @Sendable () throws -> TPMConnection = { try TPMConnection.system() } {
        didSet { tpmCache = TPMCache() }
    }
    /// One connection per validator: an open talks to the TPM several times (key, ledger, counter, clock).
    var tpmCache = TPMCache()

    /// The TPM connection of this validator (made on first use).
    var connectTPM: @Sendable () throws -> TPMConnection {
        { [cache = tpmCache, make = tpm] in try cache.connection(make) }
    }
    let clock: @Sendable () -> Int64

    /// A validator for the real machine, keeping its files in `directory`.
    public init(directory: LicensingDirectory = .fromEnvironment(), records: LicenseRecords = .fromEnvironment()) {
        self.init(directory: directory, records: records, probe: FilesystemProbe.system, clock: { LicenseClock.now() })
    }

    init(
        directory: LicensingDirectory, records: LicenseRecords, probe: MachineProbe,
        clock: @escaping @Sendable () -> Int64
    ) {
        self.directory = directory
        self.records = records
        self.probe = probe
        self.clock = clock
    }

    /// Refuses a use the license's features do not grant.
    static func check(_ use: LicenseUse, against features: License.Features) throws(LicenseError) {
        if use == .file && !features.fileOutput {
            throw .featureNotLicensed(
                "this license allows in-memory loads only (Python modelseal.load), not writing the model to a file or pipe"
            )
        }
        if use == .run && !features.run {
            throw .featureNotLicensed(
                "this license does not grant `modelseal run` (handing the model to another program, which can write "
                    + "it anywhere): load it in the process that uses it (Python modelseal.load), or ask the vendor for "
                    + "a license issued with --allow-run")
        }
    }

    /// The state MAC key and secret A of `license`, from the software machine key (opened with the
    /// fingerprint) or from the TPM that holds it (never a software fallback for a TPM-bound key), and for an
    /// attested license secret C, which only the attested TPM recovers from the license's credential.
    func machineSecrets(
        _ keyFile: MachineKeyFile, license: License, fingerprint: Fingerprint
    ) throws(LicenseError) -> (state: SymmetricKey, a: [UInt8], ledger: SymmetricKey?, c: [UInt8]) {
        let idBytes = Hex.decode(license.id) ?? []
        let noShare = LicenseError.wrongMachine("the license's machine share does not open with this machine's key")
        switch keyFile {
        case .software(let identity):
            let machineKey = try identity.unlock(
                with: identity.fingerprintVersion == fingerprint.version
                    ? fingerprint
                    : Fingerprint(probe: probe, vendorKeyID: identity.vendorKeyID, version: identity.fingerprintVersion)
            )
            var machineSecret = Array(machineKey.rawRepresentation)
            defer { SecretMemory.wipe(&machineSecret) }
            guard let a = license.keyWrapping.openMachineShare(with: machineKey, licenseID: idBytes) else {
                throw noShare
            }
            return (LicenseState.key(machinePrivateKey: machineSecret, licenseID: license.id), a, nil, [])
        case .tpm(let identity):
            do {
                let tpm = try connectTPM()
                return try identity.withKey(tpm) { key, handle in
                    guard let a = license.keyWrapping.openMachineShare(with: key, licenseID: idBytes) else {
                        throw noShare
                    }
                    let c =
                        try license.keyWrapping.credential.map { (credential) throws(LicenseError) in
                            try Self.activate(credential, tpm: tpm, machineKey: handle)
                        } ?? []
                    let keys = try LicenseState.keys(
                        tpm: tpm, identity: identity, licenseIDs: [license.id, "tpm-ledger"])
                    return (keys[0], a, keys[1], c)
                }
            } catch let error as LicenseError {
                throw error
            } catch {
                throw .tpm("\(error)")
            }
        }
    }

    /// Secret C of an attested license: `TPM2_ActivateCredential` of its credential with this TPM's EK and the
    /// machine key. Another TPM (another EK), or a machine key the credential does not name, is refused.
    static func activate(_ credential: EKCredential, tpm: TPMConnection, machineKey: UInt32) throws(LicenseError)
        -> [UInt8]
    {
        do {
            let secret = try tpm.activateCredential(
                machineKey: machineKey, idObject: credential.idObject, encryptedSecret: credential.encryptedSecret)
            guard secret.count == 32 else { throw TPMError.malformed("the credential's secret is 32 bytes") }
            return secret
        } catch {
            throw .wrongMachine(
                "the license's EK credential does not activate in this TPM (\(error)): it was issued, after EK "
                    + "attestation, to the TPM whose EK certificate the request carried, and only that TPM opens it")
        }
    }

    /// The state files of `license` on this machine.
    func stateFiles(_ license: License) -> LicenseState.Files {
        let vendor = license.machine.vendorKeyID
        return LicenseState.Files(
            base: directory.statePath(vendor, licenseID: license.id),
            record: records.base(vendor, licenseID: license.id))
    }

    /// Dates against the clock. An expiry seen here is marked, inside and outside the licensing
    /// folder; once marked, any clock before the expiry is a rollback (spec/LICENSING.md §6).
    func checkTime(_ signed: SignedLicense, now: Int64) throws(LicenseError) {
        let license = signed.license
        try ClockGuard.check(now: now, issuedAt: license.issuedAt)
        if now < license.notBefore { throw .notYetValid(notBefore: license.notBefore, now: now) }
        guard let expiresAt = license.expiresAt else { return }
        let files = stateFiles(license)
        if now >= expiresAt {
            // Only for the vendor's own licenses: anyone can sign a license naming any vendor.
            if signed.signer.keyID == license.machine.vendorKeyID {
                ExpiryMark.write(files, licenseID: license.id, now: now)
            }
            throw .expired(expiresAt: expiresAt, now: now)
        }
        if let seen = ExpiryMark.read(files) {
            throw .clockRollback(now: now, reference: seen, what: "the time this license was seen expired here")
        }
    }

    /// Runs every check that needs no key (guards, dates, features, model, machine, fingerprint),
    /// then unlocks the machine key, checks the load-count state and the clock against it, and
    /// unwraps the license key. Nothing of the model's is unwrapped here; the returned identity
    /// does that, and `recordLoad()` counts the load once the file's header has authenticated.
    public func authorize(
        _ signed: SignedLicense, for file: SealedFile, use: LicenseUse
    ) throws(LicenseError) -> LicenseAuthorization {
        let license = signed.license
        // 1. Runtime guards, under the license's policy.
        let warnings = try RuntimeGuards.apply(license.guards, to: RuntimeGuards.evaluate(probe: probe))
        // 2. Use.
        try Self.check(use, against: license.features)
        // 3. Time, and the mark of an expiry seen earlier (a clock set back after it is a rollback).
        let now = clock()
        try checkTime(signed, now: now)
        // 4. Model: listed by file id, or sealed to the license key (checked again when unwrapping).
        let entry = license.models.first { $0.fileID == file.fileID }
        if entry == nil && !file.header.stanzas.contains(where: { $0.type == .license }) {
            throw .wrongModel(fileID: file.fileID, licensed: license.models.map { "\($0.name) (\($0.fileID))" })
        }
        // 5. Machine: the vendor this machine asked, its machine key, the fingerprint.
        let vendor = license.machine.vendorKeyID
        guard signed.signer.keyID == vendor else {
            throw .untrustedVendor(
                signer: signed.signer.fingerprint, expected: "key id " + Hex.encode(vendor.prefix(8)) + "…")
        }
        guard let keyFile = try directory.machineKeyFile(vendorKeyID: vendor) else {
            throw .noMachineKey(vendor: signed.signer.fingerprint, directory: directory.vendorPath(vendor))
        }
        guard keyFile.machineKey == license.machine.machineKey else {
            throw .wrongMachine(
                "the license was issued to machine key \(Hex.encode(license.machine.machineKey.prefix(8)))…, "
                    + "this machine's is \(Hex.encode(keyFile.machineKey.prefix(8)))… (made by a later `license request`?)"
            )
        }
        let fingerprint = Fingerprint(probe: probe, vendorKeyID: vendor, version: license.fingerprintVersion)
        let matches = fingerprint.matches(license.machine.components)
        let matching = matches.filter { $0 }.count
        let differing = zip(license.machine.components, matches).filter { !$0.1 }.map(\.0.name)
        guard matching >= license.machine.match else {
            throw .tooFewComponents(required: license.machine.match, matching: matching, differing: differing)
        }
        // 6. Keys: machine key (k-of-n store or TPM), then state and clock, then the license key.
        let idBytes = Hex.decode(license.id) ?? []
        var (stateKey, a, ledgerKey, c) = try machineSecrets(keyFile, license: license, fingerprint: fingerprint)
        defer {
            SecretMemory.wipe(&a)
            SecretMemory.wipe(&c)
        }
        var state = LicenseStateStore(
            files: stateFiles(license), licenseID: license.id, key: stateKey, maxLoads: license.maxLoads, clock: clock)
        if case .tpm(let identity) = keyFile, let ledgerKey {
            let tpm = connectTPM
            state.tpmClock = { Int64(try tpm().readClock().milliseconds) }
            state.ledger = TPMLedger(
                path: directory.vendorPath(vendor) + "/state/tpm-ledger.json", counterIndex: identity.counterIndex,
                key: ledgerKey, tpm: tpm)
        }
        try state.check()
        let (opened, openedShares) = license.keyWrapping.componentLock.open(
            with: fingerprint.privateKeys(for: license.machine.components.map(\.name)),
            context: License.KeyWrapping.context(licenseID: idBytes))
        guard var b = opened else {
            throw .tooFewComponents(
                required: license.machine.match, matching: openedShares.filter { $0 }.count,
                differing: zip(license.machine.components, openedShares).filter { !$0.1 }.map(\.0.name))
        }
        defer { SecretMemory.wipe(&b) }
        guard var keyBytes = license.keyWrapping.openKey(a: a, b: b, c: c, licenseID: idBytes),
            let licenseKey = try? LicenseKey(bytes: keyBytes)
        else { throw .tamperedLicense("the license key does not unwrap") }
        SecretMemory.wipe(&keyBytes)
        return LicenseAuthorization(
            license: license, identity: LicensedIdentity(key: licenseKey, entry: entry), fileID: file.fileID,
            warnings: warnings, state: use == .verify ? nil : state)
    }
}

/// The outcome of a passed license check: an identity for the file and the pending load count.
public struct LicenseAuthorization: Sendable {
    /// The license.
    public let license: License
    /// Opens the file's key (from the license's entry for it, or a `license` stanza in the file).
    public let identity: Identity
    let fileID: String
    /// Guard findings the policy says to report.
    public let warnings: [GuardFinding]
    let state: LicenseStateStore?

    /// Counts one load (under the state lock, re-checking the limit and the clock). Call it after
    /// the header authenticated and before any plaintext is released; a no-op for `.verify`.
    public func recordLoad() throws(LicenseError) {
        try state?.recordLoad()
    }

    /// The error for a file the license key does not open although the file has a license stanza.
    public var wrongModel: LicenseError {
        .wrongModel(fileID: fileID, licensed: license.models.map { "\($0.name) (\($0.fileID))" })
    }
}

/// The identity a license yields: its key, tried on the license's own entry for the file and on
/// the file's `license` stanzas.
struct LicensedIdentity: Identity {
    let key: LicenseKey
    let entry: License.Model?

    func unwrap(_ stanzas: [Stanza]) throws(SealError) -> SymmetricKey? {
        let own = entry.map { [Stanza(type: .license, body: $0.wrappedFileKey)] } ?? []
        return try key.unwrap(own + stanzas)
    }
}

/// The state files of one license and the rules applied to them.
struct LicenseStateStore: Sendable {
    let files: LicenseState.Files
    let licenseID: String
    let key: SymmetricKey
    let maxLoads: Int64?
    let clock: @Sendable () -> Int64
    /// The TPM's clock in milliseconds, for TPM-bound licenses.
    var tpmClock: (@Sendable () throws -> Int64)? = nil
    /// The TPM ledger that holds TPM-bound licenses' state (its freshness proven by the NV counter).
    var ledger: TPMLedger? = nil

    /// The TPM clock now, and the clock check against the last load: the TPM counts the time since, and
    /// setting the system clock (or restoring every state file) does not move it back.
    func checkTPMClock(_ state: LicenseState, now: Int64) throws(LicenseError) -> Int64? {
        guard let tpmClock else { return nil }
        let current: Int64
        do {
            current = try tpmClock()
        } catch {
            throw .tpm("\(error)")
        }
        // A TPM clock behind the record means a cleared TPM (the clock restarts); only forward time counts.
        if let recorded = state.tpmClock, current >= recorded {
            let counted = state.lastSeen + (current - recorded) / 1000
            if now < counted - ClockGuard.lastSeenSkew {
                throw .clockRollback(
                    now: now, reference: counted,
                    what: "the time this machine's TPM clock has counted since the last load")
            }
        }
        return current
    }

    /// The current state: from the TPM ledger for TPM-bound licenses, else from the three file copies.
    func read() throws(LicenseError) -> LicenseState {
        if let ledger { return try ledger.state(licenseID: licenseID) }
        return try LicenseState.read(files, licenseID: licenseID, key: key)
    }

    /// Fails fast before decrypting: tampered or rolled-back state, clock behind, loads used up. The state is
    /// read under the writers' lock (held only for the read): read between a concurrent load's writes of its
    /// copies, the record would be one update ahead of the state file and look like a rollback (exit 37).
    func check() throws(LicenseError) {
        let lockPath = ledger.map { $0.path + ".lock" } ?? files.lock
        try AtomicFiles.makeDirectory(
            String(lockPath[..<(lockPath.lastIndex(of: "/") ?? lockPath.endIndex)]))
        let lock = try FileLock.licensing(path: lockPath)
        let state = try read()
        withExtendedLifetime(lock) {}
        try ClockGuard.check(now: clock(), lastSeen: state.lastSeen)
        _ = try checkTPMClock(state, now: clock())
        if let maxLoads, state.loads >= maxLoads { throw .loadsExhausted(maximum: maxLoads, stateFile: files.state) }
    }

    /// The state after one more load now, after every check.
    func advanced(_ state: LicenseState) throws(LicenseError) -> LicenseState {
        var state = state
        let now = clock()
        try ClockGuard.check(now: now, lastSeen: state.lastSeen)
        let tpmNow = try checkTPMClock(state, now: now)
        if let maxLoads, state.loads >= maxLoads { throw .loadsExhausted(maximum: maxLoads, stateFile: files.state) }
        if let tpmNow { state.tpmClock = tpmNow }
        state.loads += 1
        state.lastSeen = max(state.lastSeen, now)
        if state.firstUse == 0 { state.firstUse = now }
        state.generation += 1
        return state
    }

    func recordLoad() throws(LicenseError) {
        let directory = files.base.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(
            separator: "/")
        try AtomicFiles.makeDirectory(directory)
        if let ledger {
            // One ledger for every TPM-bound license of the machine key: one lock for it.
            let lock = try FileLock.licensing(path: ledger.path + ".lock")
            let (entries, counter) = try ledger.read()
            let state = try advanced(try TPMLedger.state(from: entries[licenseID], path: ledger.path))
            try ledger.write(state, licenseID: licenseID, entries: entries, counter: counter)
            withExtendedLifetime(lock) {}
            return
        }
        let lock = try FileLock.licensing(path: files.lock)
        let state = try advanced(try LicenseState.read(files, licenseID: licenseID, key: key))
        try state.write(files, licenseID: licenseID, key: key)
        withExtendedLifetime(lock) {}
    }
}
