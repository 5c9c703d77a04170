import ModelSealKit

#if canImport(Glibc)
    import Glibc
#endif

/// C strings that live as long as the process: the version and the status table.
struct StaticStrings: @unchecked Sendable {
    static let shared = StaticStrings()
    private static let empty: StaticString = ""

    let version: UnsafePointer<CChar>
    let names: [Int32: UnsafePointer<CChar>]
    let meanings: [Int32: UnsafePointer<CChar>]
    let unknownName: UnsafePointer<CChar>
    let unknownMeaning: UnsafePointer<CChar>

    private init() {
        // Deliberately never freed: returned pointers stay valid until the process exits.
        func keep(_ text: String) -> UnsafePointer<CChar> {
            if let copy = strdup(text) { return UnsafePointer(copy) }
            return UnsafeRawPointer(Self.empty.utf8Start).assumingMemoryBound(to: CChar.self)
        }
        version = keep(ProductVersion.current)
        var names: [Int32: UnsafePointer<CChar>] = [:]
        var meanings: [Int32: UnsafePointer<CChar>] = [:]
        for code in Int32(0)...255 {
            names[code] = keep(StatusCode.pythonException(code: code))
            meanings[code] = keep(StatusCode.meaning(code: code))
        }
        self.names = names
        self.meanings = meanings
        unknownName = keep("Error")
        unknownMeaning = keep("unknown status")
    }
}

@_cdecl("modelseal_status_name")
public func statusName(_ status: Int32) -> UnsafePointer<CChar> {
    StaticStrings.shared.names[status] ?? StaticStrings.shared.unknownName
}

@_cdecl("modelseal_status_meaning")
public func statusMeaning(_ status: Int32) -> UnsafePointer<CChar> {
    StaticStrings.shared.meanings[status] ?? StaticStrings.shared.unknownMeaning
}
