#if canImport(Glibc)
    import Glibc
#endif

/// The TPM Software Stack (tpm2-tss: `libtss2-esys`, `libtss2-tctildr`, `libtss2-mu`), loaded with
/// `dlopen` when a TPM is first used: the CLI, the C library and the wheel do not link it, and run
/// where it is not installed (a TPM-bound license then says what to install).
///
/// Structures cross the boundary as TPM wire bytes: `Tss2_MU_*_Unmarshal` turns them into the
/// library's own C structures in opaque buffers, `_Marshal` turns its answers back. No structure
/// layout is declared here, only the functions' C signatures.
struct TSS2Library: @unchecked Sendable {
    typealias RC = UInt32
    typealias Handle = UInt32
    typealias Context = OpaquePointer
    typealias Output = UnsafeMutablePointer<UnsafeMutableRawPointer?>

    let tctiInitialize: @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?) -> RC
    let tctiFinalize: @convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> Void
    let initialize: @convention(c) (UnsafeMutablePointer<OpaquePointer?>?, OpaquePointer?, UnsafeRawPointer?) -> RC
    let finalize: @convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> Void
    let free: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let flushContext: @convention(c) (Context?, Handle) -> RC
    let createPrimary:
        @convention(c) (
            Context?, Handle, Handle, Handle, Handle, UnsafeRawPointer?, UnsafeRawPointer?, UnsafeRawPointer?,
            UnsafeRawPointer?, UnsafeMutablePointer<Handle>?, Output?, Output?, Output?, Output?
        ) -> RC
    let loadExternal:
        @convention(c) (
            Context?, Handle, Handle, Handle, UnsafeRawPointer?, UnsafeRawPointer?, Handle,
            UnsafeMutablePointer<Handle>?
        ) -> RC
    let ecdhZGen: @convention(c) (Context?, Handle, Handle, Handle, Handle, UnsafeRawPointer?, Output?) -> RC
    let startAuthSession:
        @convention(c) (
            Context?, Handle, Handle, Handle, Handle, Handle, UnsafeRawPointer?, UInt8, UnsafeRawPointer?, UInt16,
            UnsafeMutablePointer<Handle>?
        ) -> RC
    let setSessionAttributes: @convention(c) (Context?, Handle, UInt8, UInt8) -> RC
    let tpmHandle: @convention(c) (Context?, Handle, UnsafeMutablePointer<Handle>?) -> RC
    let sysContextSize: @convention(c) (Int) -> Int
    let sysInitialize: @convention(c) (OpaquePointer?, Int, OpaquePointer?, UnsafeMutableRawPointer?) -> RC
    let sysFlushContext: @convention(c) (OpaquePointer?, Handle) -> RC
    let sysFinalize: @convention(c) (OpaquePointer?) -> Void
    let hmac: @convention(c) (Context?, Handle, Handle, Handle, Handle, UnsafeRawPointer?, UInt16, Output?) -> RC
    let hash:
        @convention(c) (Context?, Handle, Handle, Handle, UnsafeRawPointer?, UInt16, Handle, Output?, Output?) -> RC
    let sign:
        @convention(c) (
            Context?, Handle, Handle, Handle, Handle, UnsafeRawPointer?, UnsafeRawPointer?, UnsafeRawPointer?, Output?
        ) -> RC
    let readClock: @convention(c) (Context?, Handle, Handle, Handle, Output?) -> RC
    let clockSet: @convention(c) (Context?, Handle, Handle, Handle, Handle, UInt64) -> RC
    let nvDefineSpace:
        @convention(c) (
            Context?, Handle, Handle, Handle, Handle, UnsafeRawPointer?, UnsafeRawPointer?,
            UnsafeMutablePointer<Handle>?
        ) -> RC
    let nvIncrement: @convention(c) (Context?, Handle, Handle, Handle, Handle, Handle) -> RC
    let nvUndefineSpace: @convention(c) (Context?, Handle, Handle, Handle, Handle, Handle) -> RC
    let nvRead: @convention(c) (Context?, Handle, Handle, Handle, Handle, Handle, UInt16, UInt16, Output?) -> RC
    let fromTPMPublic: @convention(c) (Context?, UInt32, Handle, Handle, Handle, UnsafeMutablePointer<Handle>?) -> RC
    let closeHandle: @convention(c) (Context?, UnsafeMutablePointer<Handle>?) -> RC
    let nvReadPublic: @convention(c) (Context?, Handle, Handle, Handle, Handle, Output?, Output?) -> RC
    let getCapability:
        @convention(c) (Context?, Handle, Handle, Handle, UInt32, UInt32, UInt32, UnsafeMutablePointer<UInt8>?, Output?)
            -> RC
    let policySecret:
        @convention(c) (
            Context?, Handle, Handle, Handle, Handle, Handle, UnsafeRawPointer?, UnsafeRawPointer?, UnsafeRawPointer?,
            Int32, Output?, Output?
        ) -> RC
    let activateCredential:
        @convention(c) (Context?, Handle, Handle, Handle, Handle, Handle, UnsafeRawPointer?, UnsafeRawPointer?, Output?)
            -> RC
    let unmarshal:
        [String:
            @convention(c) (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<Int>?, UnsafeMutableRawPointer?) -> RC]
    let marshal:
        [String:
            @convention(c) (UnsafeRawPointer?, UnsafeMutablePointer<UInt8>?, Int, UnsafeMutablePointer<Int>?) -> RC]

    /// The library, loaded once per process; the error says what is missing.
    static let shared: Result<TSS2Library, TPMError> = Result { () throws(TPMError) in try TSS2Library() }

    private init() throws(TPMError) {
        func open(_ name: String) throws(TPMError) -> UnsafeMutableRawPointer {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                throw .unavailable(
                    "cannot load \(name) (\(dlerror().map { String(cString: $0) } ?? "not found")): install the TPM "
                        + "software stack (Debian: apt-get install libtss2-esys-3.0.2-0 libtss2-tctildr0 "
                        + "libtss2-tcti-device0)")
            }
            return handle
        }
        let esys = try open("libtss2-esys.so.0")
        let loader = try open("libtss2-tctildr.so.0")
        let mu = try open("libtss2-mu.so.0")
        let sys = try open("libtss2-sys.so.1")
        func symbol<T>(_ library: UnsafeMutableRawPointer, _ name: String, as type: T.Type) throws(TPMError) -> T {
            guard let pointer = dlsym(library, name) else { throw .unavailable("the TPM software stack lacks \(name)") }
            return unsafeBitCast(pointer, to: type)
        }
        tctiInitialize = try symbol(loader, "Tss2_TctiLdr_Initialize", as: type(of: tctiInitialize))
        tctiFinalize = try symbol(loader, "Tss2_TctiLdr_Finalize", as: type(of: tctiFinalize))
        initialize = try symbol(esys, "Esys_Initialize", as: type(of: initialize))
        finalize = try symbol(esys, "Esys_Finalize", as: type(of: finalize))
        free = try symbol(esys, "Esys_Free", as: type(of: free))
        flushContext = try symbol(esys, "Esys_FlushContext", as: type(of: flushContext))
        createPrimary = try symbol(esys, "Esys_CreatePrimary", as: type(of: createPrimary))
        loadExternal = try symbol(esys, "Esys_LoadExternal", as: type(of: loadExternal))
        ecdhZGen = try symbol(esys, "Esys_ECDH_ZGen", as: type(of: ecdhZGen))
        hmac = try symbol(esys, "Esys_HMAC", as: type(of: hmac))
        hash = try symbol(esys, "Esys_Hash", as: type(of: hash))
        sign = try symbol(esys, "Esys_Sign", as: type(of: sign))
        startAuthSession = try symbol(esys, "Esys_StartAuthSession", as: type(of: startAuthSession))
        tpmHandle = try symbol(esys, "Esys_TR_GetTpmHandle", as: type(of: tpmHandle))
        sysContextSize = try symbol(sys, "Tss2_Sys_GetContextSize", as: type(of: sysContextSize))
        sysInitialize = try symbol(sys, "Tss2_Sys_Initialize", as: type(of: sysInitialize))
        sysFlushContext = try symbol(sys, "Tss2_Sys_FlushContext", as: type(of: sysFlushContext))
        sysFinalize = try symbol(sys, "Tss2_Sys_Finalize", as: type(of: sysFinalize))
        setSessionAttributes = try symbol(esys, "Esys_TRSess_SetAttributes", as: type(of: setSessionAttributes))
        readClock = try symbol(esys, "Esys_ReadClock", as: type(of: readClock))
        clockSet = try symbol(esys, "Esys_ClockSet", as: type(of: clockSet))
        nvDefineSpace = try symbol(esys, "Esys_NV_DefineSpace", as: type(of: nvDefineSpace))
        nvIncrement = try symbol(esys, "Esys_NV_Increment", as: type(of: nvIncrement))
        nvRead = try symbol(esys, "Esys_NV_Read", as: type(of: nvRead))
        nvUndefineSpace = try symbol(esys, "Esys_NV_UndefineSpace", as: type(of: nvUndefineSpace))
        fromTPMPublic = try symbol(esys, "Esys_TR_FromTPMPublic", as: type(of: fromTPMPublic))
        closeHandle = try symbol(esys, "Esys_TR_Close", as: type(of: closeHandle))
        nvReadPublic = try symbol(esys, "Esys_NV_ReadPublic", as: type(of: nvReadPublic))
        getCapability = try symbol(esys, "Esys_GetCapability", as: type(of: getCapability))
        policySecret = try symbol(esys, "Esys_PolicySecret", as: type(of: policySecret))
        activateCredential = try symbol(esys, "Esys_ActivateCredential", as: type(of: activateCredential))
        var unmarshal:
            [String:
                @convention(c) (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<Int>?, UnsafeMutableRawPointer?) -> RC] =
                [:]
        var marshal:
            [String:
                @convention(c) (UnsafeRawPointer?, UnsafeMutablePointer<UInt8>?, Int, UnsafeMutablePointer<Int>?) -> RC] =
                [:]
        for type in [
            "TPM2B_PUBLIC", "TPM2B_SENSITIVE", "TPM2B_SENSITIVE_CREATE", "TPM2B_ECC_POINT", "TPMS_TIME_INFO",
            "TPM2B_AUTH", "TPM2B_NV_PUBLIC",
            "TPM2B_MAX_NV_BUFFER", "TPM2B_MAX_BUFFER", "TPM2B_DIGEST", "TPMT_SYM_DEF", "TPM2B_ID_OBJECT",
            "TPM2B_ENCRYPTED_SECRET", "TPMS_CAPABILITY_DATA", "TPMT_SIG_SCHEME", "TPMT_SIGNATURE",
        ] {
            unmarshal[type] = try symbol(
                mu, "Tss2_MU_\(type)_Unmarshal",
                as: (@convention(c) (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<Int>?, UnsafeMutableRawPointer?)
                    -> RC).self)
            marshal[type] = try symbol(
                mu, "Tss2_MU_\(type)_Marshal",
                as: (@convention(c) (UnsafeRawPointer?, UnsafeMutablePointer<UInt8>?, Int, UnsafeMutablePointer<Int>?)
                    -> RC).self)
        }
        self.unmarshal = unmarshal
        self.marshal = marshal
    }
}

extension TSS2Library {
    /// `TPM2_FlushContext` of TPM handle `handle` straight through `tcti` (the SAPI layer), for when the ESYS
    /// context can no longer be used: after an answer fails its session check, ESYS refuses every later call,
    /// and a session left in a TPM without a resource manager outlives the process.
    func flushThroughTCTI(_ tcti: OpaquePointer?, _ handle: Handle) {
        let size = sysContextSize(0)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var abi: (UInt32, UInt32, UInt32, UInt32) = (1, 2, 1, 108)  // TSS2_ABI_VERSION_CURRENT
        let context = OpaquePointer(buffer)
        guard withUnsafeMutableBytes(of: &abi, { sysInitialize(context, size, tcti, $0.baseAddress) }) == 0 else {
            return
        }
        _ = sysFlushContext(context, handle)
        sysFinalize(context)
    }
}

/// Everything the TPM layer can refuse with.
public enum TPMError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The TPM software stack or the TPM itself cannot be reached.
    case unavailable(String)
    /// A TPM command failed with this response code.
    case command(String, UInt32)
    /// A structure the TPM or the caller gave does not parse.
    case malformed(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "TPM unavailable: \(reason)"
        case .command(let name, let code):
            "TPM command \(name) failed with response code 0x\(String(code, radix: 16))"
                + (code & 0xFFFF == 0x902 ? " (out of object memory: something did not flush its objects)" : "")
                + (code == 0x7_001B
                    ? " (the answer failed its HMAC session check: something between modelseal and the TPM, "
                        + "MODELSEAL_TPM_TCTI, altered or replayed it)" : "")
        case .malformed(let reason): "malformed TPM structure: \(reason)"
        }
    }
}
