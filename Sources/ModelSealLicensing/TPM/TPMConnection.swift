import ModelSealCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One connection to a TPM 2.0 through the TCTI named by `MODELSEAL_TPM_TCTI` (for example
/// `swtpm:path=/run/swtpm.sock` or `device:/dev/tpmrm0`; unset: the stack's default, the system's
/// TPM device). No resource manager is assumed: every object this type creates is flushed before
/// the call that created it returns, on every path (`withObject`), because a bare TPM (and swtpm)
/// holds only a few objects and answers 0x902 once they are used up.
public final class TPMConnection: @unchecked Sendable {
    /// Environment variable naming the TCTI.
    public static let variable = "MODELSEAL_TPM_TCTI"

    /// ESYS handles (`tss2_esys.h`).
    enum Handle {
        static let none: UInt32 = 0xFFF
        static let password: UInt32 = 0x0FF
        static let owner: UInt32 = 0x101
        static let null: UInt32 = 0x107
        static let endorsement: UInt32 = 0x10B
    }

    let library: TSS2Library
    private var tcti: OpaquePointer?
    /// The ESYS context (also used by `TPMConnection+Endorsement.swift`).
    private(set) var context: OpaquePointer?
    /// The HMAC session salted to the machine key (`startSession`): every answer the licensing checks rely
    /// on comes through it, and the TSS verifies each answer's HMAC. Flushed when the connection goes.
    private(set) var session: UInt32?
    /// The session's TPM handle, to flush it without ESYS (`deinit`).
    private var sessionTPMHandle: UInt32?
    /// ESYS handles of NV indices (`withNV`).
    private var nvHandles: [UInt32: UInt32] = [:]

    /// Connects to the TPM named by `tcti` (nil: `systemTCTI`).
    public init(tcti: String? = nil) throws(TPMError) {
        guard let name = tcti ?? Self.systemTCTI else {
            throw .unavailable("no TPM: /dev/tpmrm0 and /dev/tpm0 are missing and \(Self.variable) is not set")
        }
        library = try TSS2Library.shared.get()
        var tctiContext: OpaquePointer?
        let rc = library.tctiInitialize(name, &tctiContext)
        guard rc == 0, let tctiContext else {
            throw .unavailable(
                "cannot open the TPM through '\(name)' (response code 0x\(String(rc, radix: 16))): check \(Self.variable)"
            )
        }
        self.tcti = tctiContext
        var esys: OpaquePointer?
        let initialized = library.initialize(&esys, tctiContext, nil)
        guard initialized == 0, let esys else {
            library.tctiFinalize(&self.tcti)
            throw .command("Esys_Initialize", initialized)
        }
        context = esys
    }

    deinit {
        if let session, library.flushContext(context, session) != 0, let sessionTPMHandle {
            library.flushThroughTCTI(tcti, sessionTPMHandle)
        }
        library.finalize(&context)
        library.tctiFinalize(&tcti)
    }

    /// The TCTI to use when none is given: `$MODELSEAL_TPM_TCTI`, else the system's TPM device
    /// (`/dev/tpmrm0`, else `/dev/tpm0`), else nil (no TPM). Network simulators are never guessed.
    public static var systemTCTI: String? {
        if let named = ProcessEnvironment.value(variable), !named.isEmpty { return named }
        for device in ["/dev/tpmrm0", "/dev/tpm0"] where access(device, F_OK) == 0 { return "device:" + device }
        return nil
    }

    /// The TPM `systemTCTI` names.
    public static func system() throws(TPMError) -> TPMConnection { try TPMConnection() }

    /// Runs `body` with a TPM object handle that `make` created, and flushes it afterwards, also on errors.
    func withObject<T>(
        _ make: () throws(TPMError) -> UInt32, _ body: (UInt32) throws(TPMError) -> T
    ) throws(TPMError) -> T {
        let handle = try make()
        defer { flush(handle) }
        return try body(handle)
    }

    /// Unmarshals `bytes` as a `type` structure into a scratch buffer for the duration of `body`.
    func withStructure<T>(
        _ type: String, _ bytes: [UInt8], _ body: (UnsafeRawPointer) throws(TPMError) -> T
    ) throws(TPMError) -> T {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8192, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 8192)
        defer {
            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 8192)  // may hold a private scalar
            buffer.deallocate()
        }
        var offset = 0
        let rc = bytes.withUnsafeBufferPointer { library.unmarshal[type]?($0.baseAddress, $0.count, &offset, buffer) }
        guard rc == 0, offset == bytes.count else { throw .malformed("\(type) does not unmarshal") }
        return try body(UnsafeRawPointer(buffer))
    }

    /// Marshals a structure the library returned (and frees it).
    func take(_ type: String, _ pointer: UnsafeMutableRawPointer?) throws(TPMError) -> [UInt8] {
        guard let pointer else { throw .malformed("no \(type) in the answer") }
        defer { library.free(pointer) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        var offset = 0
        let rc = bytes.withUnsafeMutableBufferPointer {
            library.marshal[type]?(UnsafeRawPointer(pointer), $0.baseAddress, $0.count, &offset)
        }
        guard rc == 0 else { throw .malformed("\(type) does not marshal") }
        return Array(bytes.prefix(offset))
    }

    /// Flushes a transient object.
    /// Flushes a transient object or session; when ESYS refuses (after an answer failed its session check it
    /// refuses every call), straight through the TCTI, so nothing outlives the process in a TPM without a
    /// resource manager.
    func flush(_ handle: UInt32) {
        guard library.flushContext(context, handle) != 0 else { return }
        var tpmHandle: UInt32 = 0
        if library.tpmHandle(context, handle, &tpmHandle) == 0 { library.flushThroughTCTI(tcti, tpmHandle) }
    }

    func check(_ rc: UInt32, _ command: String) throws(TPMError) {
        if rc != 0 { throw .command(command, rc) }
    }

    /// Starts the HMAC session (SHA-256, AES-128-CFB parameter encryption) salted to `key`, a loaded decryption key
    /// whose public part the caller checked against the one recorded in the machine key file: the salt is
    /// encrypted to that key, so only the TPM holding it knows the session key, and a proxy on the TCTI can
    /// neither answer for the TPM nor replay an earlier answer (each answer's HMAC covers fresh nonces).
    /// The session continues across commands and is also an audit session, so answers to commands without
    /// authorization (`TPM2_ReadClock`) carry the HMAC too. Secrets the TPM answers with (the ECDH point, the
    /// state HMAC, the counter) come back encrypted under the session key (`encrypting`).
    func startSession(saltedTo key: UInt32) throws(TPMError) {
        guard session == nil else { return }
        var handle: UInt32 = 0
        let aes128CFB = TPMWire.u16(0x0006) + TPMWire.u16(128) + TPMWire.u16(0x0043)
        try withStructure("TPMT_SYM_DEF", aes128CFB) { (symmetric) throws(TPMError) in
            try check(
                library.startAuthSession(
                    context, key, Handle.none, Handle.none, Handle.none, Handle.none, nil, 0x00, symmetric,
                    TPMWire.algorithmSHA256, &handle),
                "TPM2_StartAuthSession (salted)")
        }
        let continueAndAudit: UInt8 = 0x01 | 0x80  // TPMA_SESSION continueSession | audit
        let rc = library.setSessionAttributes(context, handle, continueAndAudit, 0xFF)
        guard rc == 0 else {
            flush(handle)
            throw .command("Esys_TRSess_SetAttributes", rc)
        }
        session = handle
        var tpmHandle: UInt32 = 0
        if library.tpmHandle(context, handle, &tpmHandle) == 0 { sessionTPMHandle = tpmHandle }
    }

    /// The salted session, which every answer the licensing checks rely on must come through. `encrypting`:
    /// the command's first answer parameter (a sized buffer) comes back encrypted under the session key.
    func verifiedSession(encrypting: Bool = false) throws(TPMError) -> UInt32 {
        guard let session else {
            throw .unavailable("no salted session with the machine key: refusing an answer the TPM did not sign")
        }
        let rc = library.setSessionAttributes(context, session, encrypting ? 0x40 : 0, 0x40)  // TPMA_SESSION encrypt
        guard rc == 0 else { throw .command("Esys_TRSess_SetAttributes", rc) }
        return session
    }

    /// Loads a P-256 key pair from outside the TPM into the NULL hierarchy (tests: the RFC 9180 vectors).
    func loadExternalP256(scalar: [UInt8], point x963: [UInt8]) throws(TPMError) -> UInt32 {
        let publicArea = TPMWire.eccDecryptionPublic(
            attributes: TPMWire.Attribute.userWithAuth | TPMWire.Attribute.decrypt,
            x: Array(x963.dropFirst().prefix(32)), y: Array(x963.suffix(32)))
        var handle: UInt32 = 0
        try withStructure("TPM2B_SENSITIVE", TPMWire.eccSensitive(scalar)) { (sensitive) throws(TPMError) in
            try withStructure("TPM2B_PUBLIC", publicArea) { (area) throws(TPMError) in
                try check(
                    library.loadExternal(
                        context, Handle.none, Handle.none, Handle.none, sensitive, area, Handle.null, &handle),
                    "TPM2_LoadExternal")
            }
        }
        return handle
    }

    /// `TPM2_CreatePrimary` under `hierarchy` (default the storage (owner) hierarchy) with `template` (a
    /// `TPM2B_PUBLIC`), empty authorization. Returns the object's handle (the caller flushes it) and its marshaled
    /// `TPM2B_PUBLIC`.
    func createPrimary(template: [UInt8], hierarchy: UInt32 = Handle.owner) throws(TPMError) -> (
        handle: UInt32, public: [UInt8]
    ) {
        let empty = [UInt8](repeating: 0, count: 512)  // TPM2B_DATA and TPML_PCR_SELECTION: size/count 0
        var handle: UInt32 = 0
        var outPublic: UnsafeMutableRawPointer?
        var creationData: UnsafeMutableRawPointer?
        var creationHash: UnsafeMutableRawPointer?
        var ticket: UnsafeMutableRawPointer?
        try withStructure("TPM2B_SENSITIVE_CREATE", TPMWire.emptySensitiveCreate) { (sensitive) throws(TPMError) in
            try withStructure("TPM2B_PUBLIC", template) { (area) throws(TPMError) in
                let rc = empty.withUnsafeBytes { zero in
                    library.createPrimary(
                        context, hierarchy, Handle.password, Handle.none, Handle.none, sensitive, area,
                        zero.baseAddress, zero.baseAddress, &handle, &outPublic, &creationData, &creationHash,
                        &ticket)
                }
                try check(rc, "TPM2_CreatePrimary")
            }
        }
        library.free(creationData)
        library.free(creationHash)
        library.free(ticket)
        do {
            return (handle, try take("TPM2B_PUBLIC", outPublic))
        } catch {
            flush(handle)
            throw error
        }
    }

    /// Creates the machine key: a primary, non-exportable P-256 decryption key under the storage (owner)
    /// hierarchy, derived from the TPM's owner seed and `unique` (so the same `unique` gives the same key
    /// until the TPM is cleared). Returns its handle, its public point `04 || x || y` and its `TPM2B_PUBLIC` (from
    /// which a vendor computes the key's name when it attests the key: `license issue --require-tpm`).
    func createMachineKey(unique: [UInt8]) throws(TPMError) -> (handle: UInt32, point: [UInt8], public: [UInt8]) {
        let attributes =
            TPMWire.Attribute.fixedTPM | TPMWire.Attribute.fixedParent | TPMWire.Attribute.sensitiveDataOrigin
            | TPMWire.Attribute.userWithAuth | TPMWire.Attribute.noDA | TPMWire.Attribute.decrypt
        let (handle, publicArea) = try createPrimary(
            template: TPMWire.eccDecryptionPublic(attributes: attributes, x: unique, y: []))
        do {
            return (handle, try TPMWire.point(ofPublic: publicArea), publicArea)
        } catch {
            flush(handle)
            throw error
        }
    }

    /// `TPM2_HMAC` (SHA-256) of each of `messages` under the machine key's state key: a primary keyed-hash
    /// key under the storage hierarchy made from the owner seed and `unique` (the machine key's), flushed
    /// after. The key never leaves the TPM, so the results are a function only this TPM computes.
    func stateHMACs(unique: [UInt8], messages: [[UInt8]]) throws(TPMError) -> [[UInt8]] {
        let session = try verifiedSession(encrypting: true)
        let attributes =
            TPMWire.Attribute.fixedTPM | TPMWire.Attribute.fixedParent | TPMWire.Attribute.sensitiveDataOrigin
            | TPMWire.Attribute.userWithAuth | TPMWire.Attribute.noDA | TPMWire.Attribute.sign
        let template = TPMWire.hmacKeyPublic(attributes: attributes, unique: unique)
        return try withObject({ () throws(TPMError) in
            let (handle, made) = try createPrimary(template: template)
            // The answer to CreatePrimary is not authenticated: a key made from another template (one whose
            // value a proxy chose) is refused here; a forged public area changes the key's name, which the
            // TPM then refuses in the session's HMAC of TPM2_HMAC.
            guard made.count == template.count, made.prefix(template.count - 32) == template.prefix(template.count - 32)
            else {
                flush(handle)
                throw .malformed("the TPM made the state key from another template")
            }
            return handle
        }) { (key) throws(TPMError) in
            var results: [[UInt8]] = []
            for message in messages {
                var output: UnsafeMutableRawPointer?
                try withStructure("TPM2B_MAX_BUFFER", TPMWire.sized(message)) { (buffer) throws(TPMError) in
                    try check(
                        library.hmac(
                            context, key, session, Handle.none, Handle.none, buffer, TPMWire.algorithmSHA256,
                            &output),
                        "TPM2_HMAC")
                }
                let digest = try take("TPM2B_DIGEST", output)
                guard digest.count == 34 else { throw .malformed("TPM2_HMAC with SHA-256 answers 32 bytes") }
                results.append(Array(digest.dropFirst(2)))
            }
            return results
        }
    }

    /// `TPM2_ECDH_ZGen`: the x-coordinate of `key`'s private scalar times `point` (`04 || x || y`).
    func ecdhZGen(key: UInt32, point x963: [UInt8]) throws(TPMError) -> [UInt8] {
        var output: UnsafeMutableRawPointer?
        try withStructure("TPM2B_ECC_POINT", try TPMWire.eccPoint(x963: x963)) { (point) throws(TPMError) in
            try check(
                library.ecdhZGen(
                    context, key, session == nil ? Handle.password : try verifiedSession(encrypting: true), Handle.none,
                    Handle.none, point, &output),
                "TPM2_ECDH_ZGen")
        }
        let shared = try TPMWire.point(ofECCPoint: try take("TPM2B_ECC_POINT", output))
        return Array(shared[1..<33])
    }
}

/// A TPM connection made on first use and reused (one per licensed open).
public final class TPMCache: @unchecked Sendable {
    private let lock = Mutex<TPMConnection?>(nil)

    public init() {}

    func connection(_ make: () throws -> TPMConnection) throws -> TPMConnection {
        try lock.withLock { cached in
            if let cached { return cached }
            let made = try make()
            cached = made
            return made
        }
    }
}

extension TPMConnection {
    /// The TPM's clock (`TPM2_ReadClock`): milliseconds the TPM has run since its last clear, which only
    /// moves forward (setting the system clock does not touch it), and its reset count. `verified`: through
    /// the salted session (the licensing checks); false only for tests that move the TPM's clock.
    public func readClock(verified: Bool = true) throws(TPMError) -> (milliseconds: UInt64, resetCount: UInt32) {
        var output: UnsafeMutableRawPointer?
        let audit = verified ? try verifiedSession() : Handle.none
        try check(library.readClock(context, audit, Handle.none, Handle.none, &output), "TPM2_ReadClock")
        let bytes = try take("TPMS_TIME_INFO", output)
        // TPMS_TIME_INFO: time (8), clockInfo: clock (8), resetCount (4), restartCount (4), safe (1).
        guard bytes.count >= 20 else { throw .malformed("TPMS_TIME_INFO") }
        let clock = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let resets = bytes[16..<20].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return (clock, resets)
    }

    /// Defines an orderly NV counter at a free index of the owner range (0x01800000–0x01BFFFFF) with an
    /// empty authorization, increments it once (a counter reads only after its first write) and
    /// returns its index. One per machine key: NV indices are few and counters wear.
    func defineCounter() throws(TPMError) -> UInt32 {
        let attributes: UInt32 = (1 << 4) | (1 << 2) | (1 << 18) | (1 << 25) | (1 << 26)  // COUNTER, AUTHWRITE,
        // AUTHREAD, NO_DA, ORDERLY
        var lastError = TPMError.unavailable("no free NV index")
        for _ in 0..<8 {
            let index = 0x0180_0000 | (UInt32.random(in: 0...0x003F_FFFF))
            let nvPublic = TPMWire.sized(
                TPMWire.u32(index) + TPMWire.u16(TPMWire.algorithmSHA256) + TPMWire.u32(attributes) + TPMWire.sized([])
                    + TPMWire.u16(8))
            var handle: UInt32 = 0
            let rc = try withStructure("TPM2B_AUTH", TPMWire.sized([])) { (auth) throws(TPMError) in
                try withStructure("TPM2B_NV_PUBLIC", nvPublic) { (area) throws(TPMError) in
                    library.nvDefineSpace(
                        context, Handle.owner, Handle.password, Handle.none, Handle.none, auth, area, &handle)
                }
            }
            guard rc == 0 else {
                lastError = .command("TPM2_NV_DefineSpace", rc)
                if rc & 0xFFF == 0x14C { continue }  // TPM_RC_NV_DEFINED: that index is taken, try another
                throw lastError
            }
            defer { _ = library.closeHandle(context, &handle) }
            try check(
                library.nvIncrement(context, handle, handle, Handle.password, Handle.none, Handle.none),
                "TPM2_NV_Increment")
            return index
        }
        throw lastError
    }

    /// Runs `body` with the ESYS handle of NV index `index`, read once per connection (`TPM2_NV_ReadPublic`)
    /// and kept: a local record of the TSS, not a TPM object, so nothing in the TPM needs flushing. A name
    /// that a proxy forged makes the TPM refuse the session's HMAC of every command that uses it.
    func withNV<T>(_ index: UInt32, _ body: (UInt32) throws(TPMError) -> T) throws(TPMError) -> T {
        if let handle = nvHandles[index] { return try body(handle) }
        var handle: UInt32 = 0
        try check(
            library.fromTPMPublic(context, index, Handle.none, Handle.none, Handle.none, &handle),
            "the NV counter 0x\(String(index, radix: 16)) (TR_FromTPMPublic)")
        nvHandles[index] = handle
        return try body(handle)
    }

    /// The counter at NV index `index`.
    func readCounter(_ index: UInt32) throws(TPMError) -> UInt64 {
        try withNV(index) { (handle) throws(TPMError) in
            var output: UnsafeMutableRawPointer?
            try check(
                library.nvRead(
                    context, handle, handle, try verifiedSession(encrypting: true), Handle.none, Handle.none, 8, 0,
                    &output),
                "TPM2_NV_Read")
            let bytes = try take("TPM2B_MAX_NV_BUFFER", output)
            guard bytes.count == 10 else { throw .malformed("an NV counter reads 8 bytes") }
            return bytes[2..<10].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
    }

    /// Increments the counter at NV index `index`.
    func incrementCounter(_ index: UInt32) throws(TPMError) {
        let session = try verifiedSession()
        try withNV(index) { (handle) throws(TPMError) in
            try check(
                library.nvIncrement(context, handle, handle, session, Handle.none, Handle.none),
                "TPM2_NV_Increment")
        }
    }

    /// Removes the NV index `index` (owner authorization, empty): a retired machine key's counter, so
    /// replaced machine keys do not use up the TPM's few NV indices.
    func undefineCounter(_ index: UInt32) throws(TPMError) {
        try withNV(index) { (handle) throws(TPMError) in
            try check(
                library.nvUndefineSpace(context, Handle.owner, handle, Handle.password, Handle.none, Handle.none),
                "TPM2_NV_UndefineSpace")
        }
        nvHandles[index] = nil  // the TSS deleted its record with the index
    }

    /// `TPM2_ClockSet` (owner authorization, empty): moves the TPM's clock forward (tests: days passing).
    func setClock(milliseconds: UInt64) throws(TPMError) {
        try check(
            library.clockSet(context, Handle.owner, Handle.password, Handle.none, Handle.none, milliseconds),
            "TPM2_ClockSet")
    }

    /// Runs `body` with the machine key for `unique` as an HPKE KEM private key; the key is flushed after.
    /// When `expected` (the public key the machine key file records) is given, a key that differs is refused
    /// with `otherKey`, else the connection's salted session starts with this key (`startSession`) before
    /// `body` runs, so every later answer is verified.
    func withMachineKey<T>(
        unique: [UInt8], expected: [UInt8]? = nil, otherKey: Error? = nil,
        _ body: (TPMP256KEMPrivateKey) throws -> T
    ) throws -> T {
        try withMachineKeyObject(unique: unique, expected: expected, otherKey: otherKey) { key, _ in try body(key) }
    }

    /// `withMachineKey` whose `body` also gets the key's object handle (for `activateCredential`).
    func withMachineKeyObject<T>(
        unique: [UInt8], expected: [UInt8]? = nil, otherKey: Error? = nil,
        _ body: (TPMP256KEMPrivateKey, UInt32) throws -> T
    ) throws -> T {
        let (handle, point, _) = try createMachineKey(unique: unique)
        defer { flush(handle) }
        if let expected {
            guard point == expected else { throw otherKey ?? TPMError.malformed("another machine key") }
            try startSession(saltedTo: handle)
        }
        let key = TPMP256KEMPrivateKey(
            publicKey: TPMP256KEMPublicKey(unchecked: point), zGen: { [self] in try ecdhZGen(key: handle, point: $0) })
        return try body(key, handle)
    }
}
