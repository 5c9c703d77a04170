extension StatusCode {
    /// Codes reserved for later parts, with the Python class every code of the range maps to:
    /// a surface built before a range's codes exist still raises the right class family.
    public static let reservedRanges: [(codes: ClosedRange<Int32>, pythonException: String, meaning: String)] = [
        (20...29, "SignatureError", "signature missing, invalid, or by an untrusted key"),
        (30...39, "LicenseError", "license missing, expired, revoked, or for another machine"),
        (40...49, "EnvironmentMismatchError", "the environment does not match the model's contract"),
        (50...59, "ModelFormatError", "model file refused: malformed, unsupported or not convertible"),
    ]

    /// The Python exception class of any code: a known case, a reserved range, or `Error`.
    public static func pythonException(code: Int32) -> String {
        if let status = StatusCode(rawValue: code) { return status.pythonException }
        return reservedRanges.first { $0.codes.contains(code) }?.pythonException ?? "Error"
    }

    /// One line describing any code.
    public static func meaning(code: Int32) -> String {
        if let status = StatusCode(rawValue: code) { return status.meaning }
        return reservedRanges.first { $0.codes.contains(code) }?.meaning ?? "unknown status \(code)"
    }
}

/// The product's release, reported by every surface.
public enum ProductVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
