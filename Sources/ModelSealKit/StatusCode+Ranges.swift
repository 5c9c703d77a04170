extension StatusCode {
    /// Codes reserved for later parts, with the Python class every code of the range maps to:
    /// a surface built before a range's codes exist still raises the right class family.
    public static let reservedRanges: [(codes: ClosedRange<Int32>, pythonException: String, meaning: String)] = [
        (20...29, "SignatureError", "signature missing, invalid, or by an untrusted key"),
        (30...39, "LicenseError", "license missing, expired, revoked, or for another machine"),
        (40...49, "EnvironmentMismatchError", "the environment does not match the model's contract"),
        (50...59, "ModelFormatError", "model file refused: malformed, unsupported or not convertible"),
    ]

    /// The exit codes by family, a few lines for the top-level help (docs/CLI.md and the man page
    /// list every code).
    public static var summary: String {
        """
          0 success, 1 internal error, 64 usage error
          10 wrong key, 11 tampered, 12 truncated, 13 not a sealed file, 14 bad key
          15 unsafe scrypt parameters, 16 cannot read input, 17 cannot write output
          20-26 signatures and trust, 27-29 token keys (PKCS#11)
          30-39 licenses, 40-46 environments, bundles
          50-55 models and scans
        """
    }

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
