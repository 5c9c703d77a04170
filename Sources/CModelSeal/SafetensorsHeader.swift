import ModelFormats
import ModelSealCore
import ModelSealKit

/// `modelseal_file_safetensors_header`: the header of an unlocked sealed safetensors file, parsed and checked
/// by the one safetensors reader (ModelFormats) through verified random access, as JSON for the bindings:
/// `{"data_offset":N,"metadata":{...}|null,"tensors":[{"name","dtype","shape","begin","end"}...]}` with
/// absolute plaintext offsets, tensors in header order.
@_cdecl("modelseal_file_safetensors_header")
public func fileSafetensorsHeader(
    _ file: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt>?
) -> Int32 {
    boundary {
        let header = try openedFile(file).withVerifiedRandomAccess { prepared in
            try PlaintextSource(prepared).parsing { try SafetensorsFile.read(from: $0) }
        }
        try handOut(Array(JSONWriter.serialize(json(of: header)).utf8), out, outLength)
    }
}

private func json(of header: SafetensorsFile) -> JSONValue {
    let tensors: [JSONValue] = header.tensors.map { tensor in
        .object([
            "name": .string(tensor.name), "dtype": .string(tensor.dtypeName),
            "shape": .array(tensor.shape.map { .integer($0) }), "begin": .integer(tensor.dataRange.lowerBound),
            "end": .integer(tensor.dataRange.upperBound),
        ])
    }
    let metadata: JSONValue =
        header.metadata.isEmpty
        ? .null : .object(JSONObject(header.metadata.map { ($0.key, JSONValue.string($0.value)) }))
    return .object([
        "data_offset": .integer(header.dataOffset), "metadata": metadata, "tensors": .array(tensors),
    ])
}
