/// Header view of sealed files. Stub in branch `formats`: the container issue provides the real one.
enum SealedFileInspection {
    static func render(path: String, json: Bool) throws -> String {
        json
            ? "{\"schema\": \"modelseal.inspect/1\", \"file\": \"\(path)\", \"format\": \"sealed\"}"
            : "\(path): sealed ModelSeal file (header view not available in this build)"
    }
}
