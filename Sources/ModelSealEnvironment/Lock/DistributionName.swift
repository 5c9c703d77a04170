/// Names and versions of Python distributions as the contract compares them.
public enum DistributionName {
    /// PEP 503 normalization: lowercase, every run of `-`, `_`, `.` becomes one `-`.
    public static func normalize(_ name: String) -> String {
        var out = ""
        var pendingSeparator = false
        for character in name.lowercased() {
            if character == "-" || character == "_" || character == "." {
                pendingSeparator = true
            } else {
                if pendingSeparator && !out.isEmpty { out.append("-") }
                pendingSeparator = false
                out.append(character)
            }
        }
        return out
    }

    /// True when `name` is already normalized and non-empty, in `[a-z0-9-]`, not starting or ending with `-`.
    public static func isNormalized(_ name: String) -> Bool {
        !name.isEmpty && normalize(name) == name
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }
}

/// The parts of a version string the policies look at (PEP 440: `[N!]N(.N)*[pre][.post][.dev][+local]`).
public struct VersionText: Sendable, Equatable {
    /// The numeric release segment: `2.15.0` of `2.15.0rc1+cu121`.
    public let release: [Int]
    /// The local label after `+` (`cu121`), or `nil`.
    public let local: String?

    /// Splits `text`; a version whose release segment is not numeric gets an empty `release`.
    public init(_ text: String) {
        var body = Substring(text.lowercased())
        if body.hasPrefix("v") { body = body.dropFirst() }
        if let bang = body.firstIndex(of: "!") { body = body[body.index(after: bang)...] }
        if let plus = body.firstIndex(of: "+") {
            local = String(body[body.index(after: plus)...])
            body = body[..<plus]
        } else {
            local = nil
        }
        var numbers: [Int] = []
        for part in body.split(separator: ".", omittingEmptySubsequences: false) {
            let digits = part.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, let number = Int(digits), number <= 1_000_000_000 else { break }
            numbers.append(number)
            if digits.count != part.count { break }
        }
        release = numbers
    }

    /// `major.minor` (`2.15`), or `nil` when the release has fewer than two numbers.
    public var majorMinor: String? {
        release.count >= 2 ? "\(release[0]).\(release[1])" : release.first.map { "\($0)" }
    }

    /// The major number as text.
    public var major: String? { release.first.map { "\($0)" } }
}
