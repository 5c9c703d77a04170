import ModelFormats
import ModelSealCore

/// `modelseal inspect --json`: the document (schema `modelseal.inspect/1`, docs/FOREIGN-FORMATS.md) for what
/// ModelFormats found; presentation stays out of the library.
extension ModelInspection {
    /// The `--json` document (schema `modelseal.inspect/1`).
    func json(path: String) -> JSONValue {
        var members: JSONObject = [
            ("schema", .string("modelseal.inspect/\(Self.schemaVersion)")),
            ("file", .string(path)),
            ("format", .string(format.rawValue)),
            ("formatVersion", formatVersion.map { .string($0) } ?? .null),
        ]
        members.append(
            (
                "tensors",
                .array(
                    tensors.map { tensor in
                        var fields: JSONObject = [
                            ("name", .string(tensor.name)), ("dtype", .string(tensor.dtype)),
                            ("shape", .array(tensor.shape.map { .integer($0) })),
                            ("elements", .integer(tensor.elements)),
                            ("bytes", .integer(tensor.bytes)),
                        ]
                        if let storage = tensor.storage { fields.append(("storage", .string(storage))) }
                        if let offset = tensor.storageOffset { fields.append(("storageOffset", .integer(offset))) }
                        if let strides = tensor.strides {
                            fields.append(("strides", .array(strides.map { .integer($0) })))
                        }
                        if let quantization = tensor.quantization {
                            fields.append(("quantization", .string(quantization)))
                        }
                        return .object(fields)
                    })
            ))
        members.append(
            (
                "totals",
                .object([
                    ("tensors", .integer(tensors.count)), ("elements", .integer(totalElements)),
                    ("bytes", .integer(totalBytes)),
                ])
            ))
        members.append(
            (
                "globals",
                .array(
                    globals.map {
                        .object([
                            ("module", .string($0.module)), ("name", .string($0.name)),
                            ("status", .string($0.status.rawValue)),
                        ])
                    })
            ))
        members.append(
            (
                "metadata",
                .array(
                    metadata.map {
                        .object([
                            ("path", .string($0.path)), ("kind", .string($0.kind.rawValue)),
                            ("summary", .string($0.summary)),
                        ])
                    })
            ))
        members.append(("sharedStorages", .array(sharedStorages.map { .array($0.map { .string($0) }) })))
        members.append(
            (
                "diagnostics",
                .array(
                    diagnostics.map { diagnostic in
                        .object([
                            ("kind", .string(diagnostic.kind.rawValue)),
                            ("severity", .string(diagnostic.severity.rawValue)),
                            ("offset", .integer(diagnostic.offset)),
                            ("member", diagnostic.member.map { .string($0) } ?? .null),
                            ("message", .string(diagnostic.message)),
                        ])
                    })
            ))
        members.append(("pureTensorData", .bool(isPureTensorData)))
        return .object(members)
    }
}
