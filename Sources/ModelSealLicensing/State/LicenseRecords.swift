import ModelSealCore

#if canImport(Glibc)
    import Glibc
#endif

/// The folder of license records kept outside the licensing folder (spec/LICENSING.md §7): a third
/// copy of every license's load-count state and the mark that a license was seen expired.
///
/// `$XDG_STATE_HOME/modelseal/license-records`, else `$HOME/.local/state/modelseal/license-records`,
/// else the account's home from the password database. Pointing `MODELSEAL_LICENSE_DIR` at a fresh
/// folder with a copy of `machine.json` therefore no longer resets the load count or the expiry; restoring
/// every file of both folders from an old copy still does, which software cannot detect offline.
public struct LicenseRecords: Sendable {
    /// The folder.
    public let path: String

    /// A folder at `path`.
    public init(path: String) { self.path = path }

    /// The folder chosen by the environment.
    public static func fromEnvironment() -> LicenseRecords {
        func value(_ name: String) -> String? {
            guard let text = ProcessEnvironment.value(name) else { return nil }
            return text.isEmpty ? nil : text
        }
        if let state = value("XDG_STATE_HOME") { return LicenseRecords(path: state + "/modelseal/license-records") }
        let home = value("HOME") ?? getpwuid(getuid()).flatMap { $0.pointee.pw_dir.map { String(cString: $0) } } ?? "."
        return LicenseRecords(path: home + "/.local/state/modelseal/license-records")
    }

    /// The base path (without extension) of one license's record files.
    func base(_ vendorKeyID: [UInt8], licenseID: String) -> String {
        path + "/" + Hex.encode(vendorKeyID.prefix(16)) + "/" + licenseID
    }
}

/// The mark that a license was seen expired on this machine: `<base>.expired` in the licensing
/// folder's state and in the records folder, canonical JSON `{"type": "modelseal-license-expired",
/// "version": 1, "license_id", "seen_at"}`. It carries no MAC: forging one only locks its forger
/// out. Once either exists, a clock earlier than the expiry is a rollback.
enum ExpiryMark {
    static func paths(_ files: LicenseState.Files) -> [String] { [files.base + ".expired", files.record + ".expired"] }

    /// The time the license was first seen expired here, when it was.
    static func read(_ files: LicenseState.Files) -> Int64? {
        for path in paths(files) {
            guard let bytes = (try? AtomicFiles.read(path)) ?? nil,
                let value = try? JSONValue.parseCanonical(bytes, what: "expiry mark"),
                var fields = try? JSONFields(value, what: "expiry mark"), let seen = try? fields.integer("seen_at")
            else { continue }
            return seen
        }
        return nil
    }

    /// Writes both marks (best effort: a folder that cannot be written leaves the other).
    static func write(_ files: LicenseState.Files, licenseID: String, now: Int64) {
        let bytes = JSONValue.object([
            "type": .string("modelseal-license-expired"), "version": .integer(1), "license_id": .string(licenseID),
            "seen_at": .integer(now),
        ]).canonicalBytes
        for path in paths(files) where (try? AtomicFiles.read(path)) ?? nil == nil {
            let folder = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
            try? AtomicFiles.makeDirectory(folder)
            try? AtomicFiles.write(bytes, to: path)
        }
    }
}
