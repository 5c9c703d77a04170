import ModelSealCore

/// A leak mark to record: who got a marked copy of which model id, with which tiers and parameters
/// (the fields of a local registry entry, spec/MARK.md §7).
public struct NewMark: Sendable, Equatable {
    /// The customer id the mark encodes (as given to `modelseal mark --customer`).
    public let customer: String
    /// The mark's model id (`--model-id`: part of every customer's pattern).
    public let modelID: String
    /// The delivered version (a sealed file's id, or free text; empty when not said).
    public let version: String
    /// The tiers applied, comma-separated (`B`).
    public let tiers: String
    /// The mark's parameters as a JSON object (alpha, min_elements, format, marked_tensors, ...).
    public let parameters: JSONValue

    public init(customer: String, modelID: String, version: String, tiers: String, parameters: JSONValue) {
        self.customer = customer
        self.modelID = modelID
        self.version = version
        self.tiers = tiers
        self.parameters = parameters
    }
}

/// A recorded mark: its sequence number (the keyset of `GET /v1/admin/marks`), id, who recorded it, when.
public struct MarkRecord: Sendable, Equatable {
    public let seq: Int64
    public let id: String
    public let mark: NewMark
    public let actor: String
    public let createdAt: Int64

    /// `min_elements` from the parameters (what a trace uses), `nil` when absent.
    public var minElements: Int? { mark.parameters["min_elements"]?.intValue }
}
