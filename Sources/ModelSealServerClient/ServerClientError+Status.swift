import ModelSealKit

extension ServerClientError {
    /// The shared status code of each client error (docs/SERVER.md §Client), for the CLI's exit status and
    /// the C ABI's return value alike.
    public var statusError: StatusError {
        switch self {
        case .usage(let text): StatusError(.inputError, text)
        case .network: StatusError(.inputError, description)
        case .protocolError: StatusError(.malformed, description)
        case .notActivated: StatusError(.invalidLicense, description)
        case .local: StatusError(.keyError, description)
        case .wrongMachine: StatusError(.wrongMachine, description)
        case .untrusted: StatusError(.untrustedSigner, description)
        case .refused(let status, let code, _):
            switch code {
            case _ where status == 429 || status >= 500: StatusError(.inputError, description)
            case "expired": StatusError(.licenseExpired, description)
            case "over_quota": StatusError(.loadsExhausted, description)
            case "wrong_model", "not_found": StatusError(.wrongModel, description)
            default: StatusError(.invalidLicense, description)
            }
        }
    }

    /// What kind of failure, for callers that tell them apart (the Python exception classes):
    /// `usage`, `unreachable`, `protocol`, `not_activated`, `local`, `untrusted` (the server's keys do not
    /// chain to the pinned ones), or `refused`.
    public var kind: String {
        switch self {
        case .usage: "usage"
        case .network: "unreachable"
        case .protocolError: "protocol"
        case .notActivated: "not_activated"
        case .local, .wrongMachine: "local"
        case .untrusted: "untrusted"
        case .refused: "refused"
        }
    }
}
