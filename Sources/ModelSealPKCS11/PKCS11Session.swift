import CPKCS11
import Synchronization

/// A read-only session with the one token a `pkcs11:` URI selects.
///
/// Every call goes through one lock: a PKCS#11 session runs one operation at a time (§5.6).
final class PKCS11Session: @unchecked Sendable {
    // @unchecked: the handle is only used under `lock`; `module` is Sendable.
    let module: PKCS11Module
    let slot: CK_SLOT_ID
    let tokenLabel: String
    let tokenFlags: CK_FLAGS
    let handle: CK_SESSION_HANDLE
    let lock = Mutex(())

    var functions: CK_FUNCTION_LIST { module.functions.pointee }
    /// Most slots looked at: more than any module has.
    static let maximumSlots: CK_ULONG = 1024

    /// Opens a session with the token `uri` selects among the tokens `module` sees.
    init(module: PKCS11Module, uri: PKCS11URI) throws(PKCS11Error) {
        self.module = module
        let (slot, token) = try Self.slot(in: module, matching: uri)
        self.slot = slot
        tokenLabel = PaddedText.string(token.label)
        tokenFlags = token.flags
        var session = CK_SESSION_HANDLE()
        guard let open = module.functions.pointee.C_OpenSession else {
            throw .moduleUnavailable("\(module.path) has no C_OpenSession")
        }
        try module.check(open(slot, PKCS11Constants.serialSession, nil, nil, &session), "C_OpenSession")
        handle = session
    }

    deinit {
        // Closing the last session also logs the user out (PKCS#11 §5.6).
        _ = functions.C_CloseSession?(handle)
    }

    /// Logs the user in with `pin` (none for a token with a PIN pad); a no-op for tokens that need no login.
    func login(pin: [UInt8]?, userType: CK_USER_TYPE = PKCS11Constants.user) throws(PKCS11Error) {
        guard let login = functions.C_Login else { throw .moduleUnavailable("\(module.path) has no C_Login") }
        var pinBytes = pin ?? []
        let rv = pinBytes.withUnsafeMutableBufferPointer { buffer in
            login(handle, userType, pin == nil ? nil : buffer.baseAddress, CK_ULONG(buffer.count))
        }
        for index in pinBytes.indices { pinBytes[index] = 0 }
        switch rv {
        case PKCS11ReturnCode.ok, PKCS11ReturnCode.userAlreadyLoggedIn: return
        case PKCS11ReturnCode.pinIncorrect, PKCS11ReturnCode.pinInvalid, PKCS11ReturnCode.pinLengthRange:
            throw .loginFailed("wrong PIN for token '\(tokenLabel)' (each failure may count towards locking it)")
        case PKCS11ReturnCode.pinLocked:
            throw .loginFailed("the PIN of token '\(tokenLabel)' is locked: unlock it with the security officer PIN")
        case PKCS11ReturnCode.pinExpired:
            throw .loginFailed("the PIN of token '\(tokenLabel)' has expired: set a new one")
        default:
            throw .tokenFailed(function: "C_Login", code: rv)
        }
    }

    /// The objects of `objectClass` whose label and id match `uri` (at most `limit`).
    func objects(of objectClass: CK_OBJECT_CLASS, matching uri: PKCS11URI, limit: Int = 2) throws(PKCS11Error)
        -> [CK_OBJECT_HANDLE]
    {
        guard let initialize = functions.C_FindObjectsInit, let find = functions.C_FindObjects,
            let final = functions.C_FindObjectsFinal
        else { throw .moduleUnavailable("\(module.path) has no C_FindObjects") }
        var template = AttributeTemplate()
        template.append(PKCS11Constants.attributeClass, value: objectClass)
        if let object = uri.object { template.append(PKCS11Constants.label, bytes: Array(object.utf8)) }
        if let id = uri.id { template.append(PKCS11Constants.id, bytes: id) }
        let started = template.withAttributes { initialize(handle, $0, $1) }
        try module.check(started, "C_FindObjectsInit")
        defer { _ = final(handle) }
        var found = [CK_OBJECT_HANDLE](repeating: 0, count: limit)
        var count: CK_ULONG = 0
        try module.check(find(handle, &found, CK_ULONG(limit), &count), "C_FindObjects")
        return Array(found.prefix(Int(count)))
    }

    /// The value of attribute `type` of `object`, or `nil` when the object has none (or will not reveal it).
    func attribute(_ type: CK_ATTRIBUTE_TYPE, of object: CK_OBJECT_HANDLE) throws(PKCS11Error) -> [UInt8]? {
        guard let get = functions.C_GetAttributeValue else {
            throw .moduleUnavailable("\(module.path) has no C_GetAttributeValue")
        }
        var query = CK_ATTRIBUTE(type: type, pValue: nil, ulValueLen: 0)
        let sized = get(handle, object, &query, 1)
        if sized == PKCS11ReturnCode.attributeTypeInvalid || sized == PKCS11ReturnCode.attributeSensitive
            || query.ulValueLen == PKCS11Constants.unavailableInformation
        {
            return nil
        }
        try module.check(sized, "C_GetAttributeValue")
        guard query.ulValueLen <= 64 * 1024 else { throw .tokenFailed(function: "C_GetAttributeValue", code: 0x150) }
        var value = [UInt8](repeating: 0, count: Int(query.ulValueLen))
        let rv = value.withUnsafeMutableBytes { buffer in
            query.pValue = buffer.baseAddress
            return get(handle, object, &query, 1)
        }
        try module.check(rv, "C_GetAttributeValue")
        return Array(value.prefix(Int(query.ulValueLen)))
    }

    /// One C_SignInit + C_Sign of `data` with `key` (a context-specific login first when `pin` is given).
    func sign(_ data: [UInt8], key: CK_OBJECT_HANDLE, mechanism: CK_MECHANISM_TYPE, contextPIN: [UInt8]?)
        throws(PKCS11Error) -> [UInt8]
    {
        guard let signInit = functions.C_SignInit, let sign = functions.C_Sign else {
            throw .moduleUnavailable("\(module.path) has no C_Sign")
        }
        var mechanismValue = CK_MECHANISM(mechanism: mechanism, pParameter: nil, ulParameterLen: 0)
        try module.check(signInit(handle, &mechanismValue, key), "C_SignInit")
        if let contextPIN { try login(pin: contextPIN, userType: PKCS11Constants.contextSpecific) }
        var input = data
        var signature = [UInt8](repeating: 0, count: 512)
        var length = CK_ULONG(signature.count)
        let rv = input.withUnsafeMutableBufferPointer { inputBuffer in
            signature.withUnsafeMutableBufferPointer { output in
                sign(handle, inputBuffer.baseAddress, CK_ULONG(inputBuffer.count), output.baseAddress, &length)
            }
        }
        try module.check(rv, "C_Sign")
        return Array(signature.prefix(Int(length)))
    }

    /// The one slot whose token matches every token, slot and library attribute of `uri`.
    private static func slot(in module: PKCS11Module, matching uri: PKCS11URI) throws(PKCS11Error)
        -> (CK_SLOT_ID, CK_TOKEN_INFO)
    {
        let functions = module.functions.pointee
        guard let getSlots = functions.C_GetSlotList, let getSlot = functions.C_GetSlotInfo,
            let getToken = functions.C_GetTokenInfo
        else { throw .moduleUnavailable("\(module.path) has no C_GetSlotList") }
        guard TokenMatch.library(module.info, matches: uri) else {
            throw .notFound("the module \(module.path) is not the library the URI names (library-* attributes)")
        }
        var count: CK_ULONG = 0
        try module.check(getSlots(1, nil, &count), "C_GetSlotList")
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(min(count, Self.maximumSlots)))
        count = CK_ULONG(slots.count)  // the buffer's size, not the count the module first reported
        try module.check(getSlots(1, &slots, &count), "C_GetSlotList")
        var matches: [(CK_SLOT_ID, CK_TOKEN_INFO)] = []
        var seen: [String] = []
        for slot in slots.prefix(Int(count)) {
            var slotInfo = CK_SLOT_INFO()
            var tokenInfo = CK_TOKEN_INFO()
            guard getSlot(slot, &slotInfo) == PKCS11ReturnCode.ok, getToken(slot, &tokenInfo) == PKCS11ReturnCode.ok
            else { continue }
            seen.append("'\(PaddedText.string(tokenInfo.label))' (slot-id=\(slot))")
            if TokenMatch.slot(slot, slotInfo, tokenInfo, matches: uri) { matches.append((slot, tokenInfo)) }
        }
        guard matches.count == 1, let match = matches.first else {
            let present = seen.isEmpty ? "no token is present" : "tokens present: " + seen.joined(separator: ", ")
            if matches.isEmpty { throw .notFound("no token matches \(uri) in \(module.path); \(present)") }
            throw .notFound("\(uri) matches \(matches.count) tokens (\(present)): add token= or slot-id=")
        }
        return match
    }
}

/// A CK_ATTRIBUTE template whose values stay alive while it is used.
struct AttributeTemplate {
    private var entries: [(CK_ATTRIBUTE_TYPE, [UInt8])] = []

    mutating func append(_ type: CK_ATTRIBUTE_TYPE, bytes: [UInt8]) { entries.append((type, bytes)) }

    mutating func append(_ type: CK_ATTRIBUTE_TYPE, value: CK_ULONG) {
        entries.append((type, withUnsafeBytes(of: value) { Array($0) }))
    }

    /// Calls `body` with the CK_ATTRIBUTE array and its count; the values live in one buffer for the call.
    func withAttributes<R>(_ body: (UnsafeMutablePointer<CK_ATTRIBUTE>?, CK_ULONG) -> R) -> R {
        let total = entries.reduce(0) { $0 + $1.1.count }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 16)
        defer { storage.deallocate() }
        var attributes: [CK_ATTRIBUTE] = []
        var offset = 0
        for (type, bytes) in entries {
            let slice = UnsafeMutableRawBufferPointer(rebasing: storage[offset..<(offset + bytes.count)])
            slice.copyBytes(from: bytes)
            attributes.append(CK_ATTRIBUTE(type: type, pValue: slice.baseAddress, ulValueLen: CK_ULONG(bytes.count)))
            offset += bytes.count
        }
        return attributes.withUnsafeMutableBufferPointer { body($0.baseAddress, CK_ULONG($0.count)) }
    }
}
