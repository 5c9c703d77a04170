#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's environment variables (not to be confused with ModelSealEnvironment, which
/// describes Python environments).
public enum ProcessEnvironment {
    /// The value of `name`, or `nil` when unset.
    public static func value(_ name: String) -> String? {
        guard let pointer = getenv(name) else { return nil }
        return String(cString: pointer)
    }

    /// The set variables among `names`.
    public static func values(of names: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for name in names { result[name] = value(name) }
        return result
    }
}
