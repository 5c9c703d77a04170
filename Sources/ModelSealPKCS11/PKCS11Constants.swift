import CPKCS11

/// The PKCS#11 constants ModelSeal uses (PKCS #11 Base Specification 3.0, section 6 and the mechanisms document).
enum PKCS11Constants {
    static let osLockingOK: CK_FLAGS = 0x2
    static let serialSession: CK_FLAGS = 0x4
    static let tokenPresent: CK_FLAGS = 0x1
    static let loginRequired: CK_FLAGS = 0x4
    static let protectedAuthenticationPath: CK_FLAGS = 0x100
    static let tokenInitialized: CK_FLAGS = 0x400

    static let user: CK_USER_TYPE = 1
    static let contextSpecific: CK_USER_TYPE = 2

    static let publicKey: CK_OBJECT_CLASS = 2
    static let privateKey: CK_OBJECT_CLASS = 3
    static let secretKey: CK_OBJECT_CLASS = 4

    static let attributeClass: CK_ATTRIBUTE_TYPE = 0x0
    static let `private`: CK_ATTRIBUTE_TYPE = 0x2
    static let label: CK_ATTRIBUTE_TYPE = 0x3
    static let keyType: CK_ATTRIBUTE_TYPE = 0x100
    static let id: CK_ATTRIBUTE_TYPE = 0x102
    static let sensitive: CK_ATTRIBUTE_TYPE = 0x103
    static let valueLength: CK_ATTRIBUTE_TYPE = 0x161
    static let extractable: CK_ATTRIBUTE_TYPE = 0x162
    static let ecParameters: CK_ATTRIBUTE_TYPE = 0x180
    static let ecPoint: CK_ATTRIBUTE_TYPE = 0x181
    static let alwaysAuthenticate: CK_ATTRIBUTE_TYPE = 0x202

    static let keyTypeEC: CK_KEY_TYPE = 0x3
    static let keyTypeEdwards: CK_KEY_TYPE = 0x40
    static let keyTypeAES: CK_KEY_TYPE = 0x1F

    static let mechanismECDSA: CK_MECHANISM_TYPE = 0x1041
    static let mechanismEdDSA: CK_MECHANISM_TYPE = 0x1057
    static let mechanismAESGCM: CK_MECHANISM_TYPE = 0x1087

    /// `ulValueLen` of an attribute the object does not have or will not reveal.
    static let unavailableInformation = CK_ULONG.max
}

/// PKCS#11 return values (CKR_*) ModelSeal tells apart.
public enum PKCS11ReturnCode {
    static let ok: CK_RV = 0x0
    static let generalError: CK_RV = 0x5
    static let attributeSensitive: CK_RV = 0x11
    static let attributeTypeInvalid: CK_RV = 0x12
    static let encryptedDataInvalid: CK_RV = 0x40
    static let encryptedDataLengthRange: CK_RV = 0x41
    static let pinIncorrect: CK_RV = 0xA0
    static let pinInvalid: CK_RV = 0xA1
    static let pinLengthRange: CK_RV = 0xA2
    static let pinExpired: CK_RV = 0xA3
    static let pinLocked: CK_RV = 0xA4
    static let tokenNotPresent: CK_RV = 0xE0
    static let userAlreadyLoggedIn: CK_RV = 0x100
    static let alreadyInitialized: CK_RV = 0x191

    private static let names: [CK_RV: String] = [
        0x0: "CKR_OK", 0x1: "CKR_CANCEL", 0x2: "CKR_HOST_MEMORY", 0x3: "CKR_SLOT_ID_INVALID",
        0x5: "CKR_GENERAL_ERROR", 0x6: "CKR_FUNCTION_FAILED", 0x7: "CKR_ARGUMENTS_BAD",
        0x11: "CKR_ATTRIBUTE_SENSITIVE", 0x12: "CKR_ATTRIBUTE_TYPE_INVALID", 0x30: "CKR_DEVICE_ERROR",
        0x40: "CKR_ENCRYPTED_DATA_INVALID", 0x41: "CKR_ENCRYPTED_DATA_LEN_RANGE",
        0x31: "CKR_DEVICE_MEMORY", 0x32: "CKR_DEVICE_REMOVED", 0x54: "CKR_FUNCTION_NOT_SUPPORTED",
        0x60: "CKR_KEY_HANDLE_INVALID", 0x63: "CKR_KEY_TYPE_INCONSISTENT", 0x68: "CKR_KEY_FUNCTION_NOT_PERMITTED",
        0x70: "CKR_MECHANISM_INVALID", 0x71: "CKR_MECHANISM_PARAM_INVALID", 0x82: "CKR_OBJECT_HANDLE_INVALID",
        0x90: "CKR_OPERATION_ACTIVE", 0xA0: "CKR_PIN_INCORRECT", 0xA1: "CKR_PIN_INVALID",
        0xA2: "CKR_PIN_LEN_RANGE", 0xA3: "CKR_PIN_EXPIRED", 0xA4: "CKR_PIN_LOCKED", 0xB0: "CKR_SESSION_CLOSED",
        0xB3: "CKR_SESSION_HANDLE_INVALID", 0xE0: "CKR_TOKEN_NOT_PRESENT", 0xE1: "CKR_TOKEN_NOT_RECOGNIZED",
        0x100: "CKR_USER_ALREADY_LOGGED_IN", 0x101: "CKR_USER_NOT_LOGGED_IN", 0x102: "CKR_USER_PIN_NOT_INITIALIZED",
        0x150: "CKR_BUFFER_TOO_SMALL", 0x190: "CKR_CRYPTOKI_NOT_INITIALIZED",
        0x191: "CKR_CRYPTOKI_ALREADY_INITIALIZED",
    ]

    /// `CKR_...` for known codes, else the hexadecimal value.
    public static func name(_ code: UInt) -> String {
        names[CK_RV(code)] ?? "CKR 0x" + String(code, radix: 16, uppercase: true)
    }
}
