import ContainerEngine
import ContainerFormat
import ModelSealCore
import ModelSealEnvironment

/// Checking a sealed file's environment contract against a Python environment: what
/// `modelseal env check` and the Python package's `load()` share (docs/ENVIRONMENT.md §Python).
public enum EnvironmentContracts {
    /// The outcome of a check.
    public struct Outcome: Sendable {
        /// The contract found (nil: the file has none, nothing was checked).
        public let contract: EnvironmentContract?
        /// The comparison (nil when there is no contract).
        public let report: ContractReport?
    }

    /// The contract in `file`'s header, or `nil`. Unverified unless the caller has unlocked the
    /// file (header MAC) or verified a signature over the header.
    public static func contract(of file: SealedFile) throws(EnvironmentError) -> EnvironmentContract? {
        try EnvironmentContract.find(in: file.header.extensions)
    }

    /// Checks `contract` against the environment of `python` (an interpreter path such as Python's
    /// `sys.executable`, or an environment folder such as `sys.prefix`; `nil` for the active one).
    ///
    /// Throws `EnvironmentError.mismatch` / `.platformMismatch` (status 40 / 41, Python
    /// `EnvironmentMismatchError`) when the contract's policy forbids a difference; returns the
    /// report otherwise (under `warn` it may list differences for the caller to log).
    public static func check(
        _ contract: EnvironmentContract, python: String?,
        environment: [String: String] = ProcessEnvironment.values(of: ProcessEnvironment.probeVariables)
    ) throws(EnvironmentError) -> ContractReport {
        let location = try PythonEnvironmentProbe.locate(python, environment: environment)
        let here = try PythonEnvironmentProbe.capture(location)
        return try ContractCheck.enforce(contract, against: here)
    }

    /// The entry point for the Python package's `load()` and the C ABI: opens the sealed file's
    /// header only (no key needed), and checks its contract, if any, against `python`.
    ///
    /// Call it after the file was unlocked or its signature verified, so the contract is authentic.
    public static func checkSealedFile(path: String, python: String?) throws -> Outcome {
        let file = try SealedFile(try InputFile(path: path))
        guard let contract = try contract(of: file) else { return Outcome(contract: nil, report: nil) }
        return Outcome(contract: contract, report: try check(contract, python: python))
    }
}

extension ProcessEnvironment {
    /// The variables the environment probe reads (`VIRTUAL_ENV`, `CONDA_PREFIX`, `PATH`).
    public static let probeVariables = ["VIRTUAL_ENV", "CONDA_PREFIX", "PATH"]
}
