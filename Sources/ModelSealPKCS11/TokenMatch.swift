import CPKCS11

/// Whether a module, slot and token are the ones a URI names (RFC 7512 §3.3: every attribute given must match).
enum TokenMatch {
    /// The library attributes against C_GetInfo.
    static func library(_ info: CK_INFO, matches uri: PKCS11URI) -> Bool {
        equal(uri.libraryManufacturer, info.manufacturerID) && equal(uri.libraryDescription, info.libraryDescription)
            && uri.libraryVersion.map {
                $0.major == info.libraryVersion.major && $0.minor == info.libraryVersion.minor
            } ?? true
    }

    /// The slot and token attributes against C_GetSlotInfo and C_GetTokenInfo.
    static func slot(_ id: CK_SLOT_ID, _ slot: CK_SLOT_INFO, _ token: CK_TOKEN_INFO, matches uri: PKCS11URI) -> Bool {
        (uri.slotID.map { $0 == id } ?? true) && equal(uri.slotDescription, slot.slotDescription)
            && equal(uri.slotManufacturer, slot.manufacturerID) && equal(uri.token, token.label)
            && equal(uri.manufacturer, token.manufacturerID) && equal(uri.serial, token.serialNumber)
            && equal(uri.model, token.model)
    }

    private static func equal<Field>(_ wanted: String?, _ field: Field) -> Bool {
        guard let wanted else { return true }
        return PaddedText.string(field) == wanted
    }
}
