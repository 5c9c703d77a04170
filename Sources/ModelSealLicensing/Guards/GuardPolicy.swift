import ModelSealCore

/// What a license says to do when a runtime guard finds something.
public enum GuardAction: String, Sendable, CaseIterable {
    /// Refuse the load.
    case deny
    /// Load, and report the finding on standard error.
    case warn
    /// Load silently.
    case allow
}

/// The runtime-guard policy of a license: one action per kind of finding (default: warn for all,
/// since containers, VMs and preloaded allocators are normal in ML serving).
public struct GuardPolicy: Sendable, Equatable {
    /// A tracer or debugger is attached (`TracerPid` in `/proc/self/status`).
    public var tracer: GuardAction = .warn
    /// Libraries are injected (`LD_PRELOAD`, `LD_AUDIT`, `/etc/ld.so.preload`).
    public var preload: GuardAction = .warn
    /// Running in a VM or container.
    public var virtualization: GuardAction = .warn

    /// The default policy.
    public init() {}

    static let keys = ["preload", "tracer", "virtualization"]

    func action(for kind: GuardFinding.Kind) -> GuardAction {
        switch kind {
        case .tracer: tracer
        case .preload: preload
        case .virtualization: virtualization
        }
    }

    var json: JSONValue {
        .object([
            "tracer": .string(tracer.rawValue), "preload": .string(preload.rawValue),
            "virtualization": .string(virtualization.rawValue),
        ])
    }

    init(fields: inout JSONFields) throws(LicenseError) {
        func action(_ key: String) throws(LicenseError) -> GuardAction {
            guard let action = GuardAction(rawValue: try fields.string(key, maxLength: 8)) else {
                throw .malformed(fields.what, "'\(key)' must be deny, warn or allow")
            }
            return action
        }
        tracer = try action("tracer")
        preload = try action("preload")
        virtualization = try action("virtualization")
        try fields.finish()
    }
}
