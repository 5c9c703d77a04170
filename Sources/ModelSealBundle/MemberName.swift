/// Rules for member names (spec/BUNDLE.md §3): portable relative paths that cannot leave the target folder.
///
/// A name is 1–255 bytes of segments joined by `/`; each segment is 1–100 characters of
/// `[A-Za-z0-9._+-]`, does not start with `.` (which also rules out `.` and `..`), and there are
/// at most 8 segments. So absolute paths, `..`, backslashes, NUL, empty segments and hidden
/// files cannot be expressed.
public enum MemberName {
    public static let maximumLength = 255
    public static let maximumSegmentLength = 100
    public static let maximumDepth = 8

    /// Throws `unsafeMemberName` unless `name` follows the rules.
    public static func validate(_ name: String) throws(BundleError) {
        guard !name.isEmpty, name.utf8.count <= maximumLength else {
            throw .unsafeMemberName(name, reason: "names are 1 to \(maximumLength) bytes")
        }
        if name.hasPrefix("/") { throw .unsafeMemberName(name, reason: "absolute paths are not allowed") }
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count <= maximumDepth else {
            throw .unsafeMemberName(name, reason: "deeper than \(maximumDepth) folders")
        }
        for segment in segments {
            if segment == ".." || segment == "." {
                throw .unsafeMemberName(name, reason: "path traversal ('\(segment)')")
            }
            guard !segment.isEmpty else { throw .unsafeMemberName(name, reason: "empty path segment") }
            guard segment.utf8.count <= maximumSegmentLength else {
                throw .unsafeMemberName(name, reason: "a segment is too long")
            }
            guard segment.first != "." else {
                throw .unsafeMemberName(name, reason: "hidden names (leading '.') are not allowed")
            }
            guard segment.utf8.allSatisfy({ isAllowed($0) }) else {
                throw .unsafeMemberName(name, reason: "only letters, digits and . _ + - are allowed")
            }
        }
    }

    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "+"),
            UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// Throws when two names collide: equal ignoring ASCII case (case-insensitive file systems),
    /// or one is a folder of the other.
    public static func validateSet(_ names: [String]) throws(BundleError) {
        var folded = Set<String>()
        var folders = Set<String>()
        for name in names {
            let lower = name.lowercased()
            guard folded.insert(lower).inserted else {
                throw .unsafeMemberName(name, reason: "two members with this name (ignoring case)")
            }
            var prefix = ""
            for segment in lower.split(separator: "/").dropLast() {
                prefix += (prefix.isEmpty ? "" : "/") + segment
                folders.insert(prefix)
            }
        }
        for name in names where folders.contains(name.lowercased()) {
            throw .unsafeMemberName(name, reason: "a member is also used as a folder of another member")
        }
    }
}
