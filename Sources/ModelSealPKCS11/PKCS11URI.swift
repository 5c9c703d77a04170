/// An RFC 7512 `pkcs11:` URI: which module, token and object to use.
///
/// Strict: every attribute at most once, values percent-decoded (`%HH`, any case of hex), only the
/// characters RFC 7512 §2.3 allows unencoded, path values valid UTF-8 (except `id`, which is bytes).
/// Attributes ModelSeal cannot honour are refused rather than ignored, since ignoring one that narrows the
/// match could select another key: vendor attributes (`x-...`), `module-name`, and `pin-value` (a PIN in a
/// URI ends up in argv and shell history: use `--pin-env` or `MODELSEAL_PKCS11_PIN`).
public struct PKCS11URI: Equatable, Sendable, CustomStringConvertible {
    /// A `library-version=` value.
    public struct Version: Equatable, Sendable {
        public var major: UInt8
        public var minor: UInt8
    }

    /// Values of `type=`.
    public enum ObjectType: String, Sendable, CaseIterable {
        case `public`, `private`, cert, secretKey = "secret-key", data
    }

    /// Longest URI accepted: a URI names a key, it is not a document.
    public static let maximumLength = 4096
    public static let scheme = "pkcs11:"

    public var token: String?
    public var manufacturer: String?
    public var serial: String?
    public var model: String?
    public var libraryManufacturer: String?
    public var libraryDescription: String?
    /// `library-version=`: major and minor (`3` means 3.0).
    public var libraryVersion: Version?
    public var object: String?
    public var type: ObjectType?
    public var id: [UInt8]?
    public var slotDescription: String?
    public var slotManufacturer: String?
    public var slotID: UInt?
    /// `module-path=`: the module to load when no `--pkcs11-module` is given.
    public var modulePath: String?
    /// `pin-source=`: a file holding the PIN (`file:` URI or plain path).
    public var pinSource: String?
    /// The text as given.
    public let description: String

    /// True when `text` starts with the scheme (case-insensitive, RFC 3986 §3.1): it is meant as a URI.
    public static func isURI(_ text: String) -> Bool { text.utf8.count >= 7 && text.prefix(7).lowercased() == scheme }

    /// Parses `text`, refusing anything RFC 7512 does not allow or ModelSeal cannot honour.
    public init(parsing text: String) throws(PKCS11Error) {
        description = text
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maximumLength else {
            throw .malformedURI("longer than \(Self.maximumLength) bytes")
        }
        guard Self.isURI(text) else { throw .malformedURI("does not start with 'pkcs11:'") }
        let rest = bytes[7...]
        let questionMark = rest.firstIndex(of: UInt8(ascii: "?"))
        let path = rest[..<(questionMark ?? rest.endIndex)]
        let query = questionMark.map { rest[($0 + 1)...] }
        var seen: Set<String> = []
        for attribute in Self.split(path, on: ";") {
            let (name, value) = try Self.attribute(attribute, allowed: URICharacters.pathValue, seen: &seen)
            try setPathAttribute(name, value)
        }
        if let query {
            for attribute in Self.split(query, on: "&") {
                let (name, value) = try Self.attribute(attribute, allowed: URICharacters.queryValue, seen: &seen)
                try setQueryAttribute(name, value)
            }
        }
    }

    private mutating func setPathAttribute(_ name: String, _ value: [UInt8]) throws(PKCS11Error) {
        switch name {
        case "token": token = try Self.text(value, name)
        case "manufacturer": manufacturer = try Self.text(value, name)
        case "serial": serial = try Self.text(value, name)
        case "model": model = try Self.text(value, name)
        case "library-manufacturer": libraryManufacturer = try Self.text(value, name)
        case "library-description": libraryDescription = try Self.text(value, name)
        case "library-version": libraryVersion = try Self.version(value)
        case "object": object = try Self.text(value, name)
        case "id": id = value
        case "slot-description": slotDescription = try Self.text(value, name)
        case "slot-manufacturer": slotManufacturer = try Self.text(value, name)
        case "slot-id": slotID = try Self.number(value, name)
        case "type":
            guard let parsed = ObjectType(rawValue: try Self.text(value, name)) else {
                throw .malformedURI("type= is one of \(ObjectType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            type = parsed
        default:
            throw .malformedURI("unknown path attribute '\(name)' (RFC 7512 §2.3; vendor attributes are not supported)")
        }
    }

    private mutating func setQueryAttribute(_ name: String, _ value: [UInt8]) throws(PKCS11Error) {
        switch name {
        case "module-path": modulePath = try Self.text(value, name)
        case "pin-source": pinSource = try Self.text(value, name)
        case "pin-value":
            throw .malformedURI(
                "pin-value= puts the PIN in the command line and shell history: set MODELSEAL_PKCS11_PIN or use --pin-env VAR"
            )
        case "module-name":
            throw .malformedURI("module-name= is not supported: give the module's path with --pkcs11-module PATH")
        default:
            throw .malformedURI(
                "unknown query attribute '\(name)' (RFC 7512 §2.3; vendor attributes are not supported)")
        }
    }

    private static func split(_ bytes: ArraySlice<UInt8>, on separator: Unicode.Scalar) -> [ArraySlice<UInt8>] {
        guard !bytes.isEmpty else { return [] }
        // An empty attribute (";;" or a trailing ";") is kept, so that `attribute` refuses it.
        return bytes.split(separator: UInt8(ascii: separator), omittingEmptySubsequences: false)
    }

    private static func attribute(
        _ bytes: ArraySlice<UInt8>, allowed: (UInt8) -> Bool, seen: inout Set<String>
    ) throws(PKCS11Error) -> (String, [UInt8]) {
        guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else {
            throw .malformedURI("'\(String(decoding: bytes, as: UTF8.self))' is not NAME=VALUE")
        }
        let nameBytes = bytes[..<equals]
        guard !nameBytes.isEmpty, nameBytes.allSatisfy(URICharacters.isAttributeName) else {
            throw .malformedURI("bad attribute name '\(String(decoding: nameBytes, as: UTF8.self))'")
        }
        let name = String(decoding: nameBytes, as: UTF8.self)
        guard seen.insert(name).inserted else { throw .malformedURI("'\(name)' appears twice") }
        return (name, try PercentEncoding.decode(bytes[(equals + 1)...], allowed: allowed, attribute: name))
    }

    private static func text(_ value: [UInt8], _ name: String) throws(PKCS11Error) -> String {
        guard let text = String(validating: value, as: UTF8.self) else {
            throw .malformedURI("\(name)= is not UTF-8 once percent-decoded")
        }
        return text
    }

    private static func number(_ value: [UInt8], _ name: String) throws(PKCS11Error) -> UInt {
        guard !value.isEmpty, value.count <= 19, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let number = UInt(String(decoding: value, as: UTF8.self))
        else { throw .malformedURI("\(name)= must be a decimal number") }
        return number
    }

    private static func version(_ value: [UInt8]) throws(PKCS11Error) -> Version {
        let parts = value.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count <= 2, let major = try? number(Array(parts[0]), "library-version"), major <= 255 else {
            throw .malformedURI("library-version= is MAJOR or MAJOR.MINOR (0-255 each)")
        }
        let minor = parts.count == 2 ? (try? number(Array(parts[1]), "library-version")) : 0
        guard let minor, minor <= 255 else {
            throw .malformedURI("library-version= is MAJOR or MAJOR.MINOR (0-255 each)")
        }
        return Version(major: UInt8(major), minor: UInt8(minor))
    }
}
