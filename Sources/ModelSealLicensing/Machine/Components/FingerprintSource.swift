/// One kind of fingerprint component: how to read its raw value and how stable it is.
///
/// Raw values never leave the machine: requests and licenses carry only salted hashes
/// (`Fingerprint.hash`), and keys are derived from them with a different label.
struct FingerprintSource: Sendable {
    /// The component's name in requests and licenses.
    let name: String
    /// Where it tends to break (shown by `machine fingerprint`, docs/LICENSING.md).
    let stability: String
    /// The raw value, or `nil` when this machine does not have the component.
    let read: @Sendable (MachineProbe) -> [UInt8]?

    /// Every source, in name order.
    static let all: [FingerprintSource] = [
        .cpu, .disk, .dmi, .dmiSerial, .hostToken, .machineID, .network, .rootFilesystem,
    ].sorted { $0.name < $1.name }
}
