import ModelSealCore
import ModelSealMark
import ModelSealServerClient

/// Where issued marks are recorded and read: the local registry file (the default), or the key server's
/// registry when `--registry` is an `http://` URL (docs/MARKING.md §Registry on the key server; the admin
/// token comes from $MODELSEAL_ADMIN_TOKEN). Only the libc HTTP client is linked, never the server.
enum MarkRegistryTarget {
    static func isServer(_ registry: String) -> Bool {
        registry.hasPrefix("http://") || registry.hasPrefix("https://")
    }

    /// Records `entry` (the version is the sealed file's id when sealing, else empty).
    static func record(_ entry: MarkRegistry.Entry, registry: String, version: String = "") throws {
        guard isServer(registry) else { return try MarkRegistry.record(entry, path: registry) }
        let parameters: JSONValue = .object([
            ("alpha", .number(String(entry.alpha))), ("min_elements", .integer(entry.minElements)),
            ("format", .string(entry.format)), ("marked_tensors", .integer(entry.markedTensors)),
            ("marked_weights", .integer(entry.markedWeights)),
            ("self_check_z", .number(String(entry.selfCheckZ.isFinite ? entry.selfCheckZ : 0))),
        ])
        let body: JSONValue = .object([
            ("customer", .string(entry.customer)), ("model_id", .string(entry.modelID)), ("version", .string(version)),
            ("tiers", .string(entry.tier)), ("parameters", parameters),
        ])
        do {
            _ = try ModelSeal.Admin.send(server: registry, "POST", "/v1/admin/marks", body)
        } catch {
            throw ServerKeyRelease.cliError(error)
        }
    }

    /// The registry's entries for `modelID` (all pages of the server's, in issue order).
    static func entries(modelID: String, registry: String) throws -> [MarkRegistry.Entry] {
        guard isServer(registry) else {
            return try MarkRegistry.load(path: registry).entries.filter { $0.modelID == modelID }
        }
        var entries: [MarkRegistry.Entry] = []
        var after: Int64 = 0
        let model = QueryEscape.encode(modelID)
        while true {
            let page: JSONValue
            do {
                page = try ModelSeal.Admin.send(
                    server: registry, "GET", "/v1/admin/marks?model_id=\(model)&after=\(after)&limit=1000", nil)
            } catch {
                throw ServerKeyRelease.cliError(error)
            }
            let items = page["items"]?.arrayValue ?? []
            for item in items {
                let parameters = item["parameters"] ?? .object([:])
                entries.append(
                    MarkRegistry.Entry(
                        customer: item["customer"]?.stringValue ?? "", modelID: modelID,
                        tier: item["tiers"]?.stringValue ?? "B",
                        alpha: MarkRegistry.number(parameters["alpha"]) ?? MarkParameters.defaultAlpha,
                        minElements: parameters["min_elements"]?.intValue ?? MarkParameters.defaultMinElements,
                        format: parameters["format"]?.stringValue ?? "",
                        markedTensors: parameters["marked_tensors"]?.intValue ?? 0,
                        markedWeights: parameters["marked_weights"]?.intValue ?? 0,
                        selfCheckZ: MarkRegistry.number(parameters["self_check_z"]) ?? 0))
                after = max(after, item["seq"]?.int64Value ?? after)
            }
            if items.count < 1000 { return entries }
        }
    }
}
