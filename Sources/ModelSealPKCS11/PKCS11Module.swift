import CPKCS11
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A PKCS#11 module (a token vendor's shared library) loaded with `dlopen` and initialised once.
///
/// Loaded at run time so that neither the CLI nor the wheel links against any module. A module stays
/// loaded for the life of the process: it is initialised once per process (PKCS#11 §5.4), and finalising
/// it while another key from it is in use would invalidate that key's session.
final class PKCS11Module: @unchecked Sendable {
    // @unchecked: `functions` points into the module, which is never unloaded; PKCS#11 modules initialised
    // with CKF_OS_LOCKING_OK are safe to call from several threads.
    let path: String
    let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    let info: CK_INFO

    private static let loaded = Mutex<[String: PKCS11Module]>([:])

    private init(path: String, functions: UnsafeMutablePointer<CK_FUNCTION_LIST>, info: CK_INFO) {
        self.path = path
        self.functions = functions
        self.info = info
    }

    /// The module at `path`, loaded and initialised on first use.
    static func load(path: String) throws(PKCS11Error) -> PKCS11Module {
        let result: Result<PKCS11Module, PKCS11Error> = loaded.withLock { modules in
            if let module = modules[path] { return .success(module) }
            do throws(PKCS11Error) {
                let module = try open(path: path)
                modules[path] = module
                return .success(module)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func open(path: String) throws(PKCS11Error) -> PKCS11Module {
        guard access(path, F_OK) == 0 else {
            throw .moduleUnavailable(
                "no module at \(path): install the token's PKCS#11 library (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so) "
                    + "and name it with --pkcs11-module or MODELSEAL_PKCS11_MODULE")
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw .moduleUnavailable("cannot load \(path): \(reason)")
        }
        guard let symbol = dlsym(handle, "C_GetFunctionList") else {
            dlclose(handle)
            throw .moduleUnavailable("\(path) is not a PKCS#11 module (it has no C_GetFunctionList)")
        }
        let getFunctionList = unsafeBitCast(symbol, to: CK_C_GetFunctionList.self)
        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>? = nil
        guard getFunctionList(&list) == PKCS11ReturnCode.ok, let list, let initialize = list.pointee.C_Initialize,
            let getInfo = list.pointee.C_GetInfo
        else {
            throw .moduleUnavailable("\(path): C_GetFunctionList returned no function list")
        }
        var arguments = CK_C_INITIALIZE_ARGS()
        arguments.flags = PKCS11Constants.osLockingOK
        let initialized = initialize(&arguments)
        guard initialized == PKCS11ReturnCode.ok || initialized == PKCS11ReturnCode.alreadyInitialized else {
            throw .moduleUnavailable(
                "\(path): C_Initialize failed with \(PKCS11ReturnCode.name(initialized)) "
                    + "(for SoftHSM2: is SOFTHSM2_CONF set and its tokendir readable?)")
        }
        var info = CK_INFO()
        guard getInfo(&info) == PKCS11ReturnCode.ok else {
            throw .moduleUnavailable("\(path): C_GetInfo failed")
        }
        return PKCS11Module(path: path, functions: list, info: info)
    }

    /// `rv`, or a `.tokenFailed` error naming `function`.
    func check(_ rv: CK_RV, _ function: String) throws(PKCS11Error) {
        guard rv == PKCS11ReturnCode.ok else { throw .tokenFailed(function: function, code: rv) }
    }
}

/// Text fields of PKCS#11 structures: fixed-size, blank-padded, not NUL-terminated.
enum PaddedText {
    /// The field's text without its padding.
    static func string<Field>(_ field: Field) -> String {
        let bytes = withUnsafeBytes(of: field) { Array($0) }
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x20 || bytes[end - 1] == 0 { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
