import ModelFormats

/// Renders a `ModelInspection` as the human-readable `inspect` report.
enum InspectionTable {
    static func render(_ inspection: ModelInspection, path: String) -> String {
        var lines: [String] = []
        let version = inspection.formatVersion.map { " (version \($0))" } ?? ""
        lines.append("file:   \(path)")
        lines.append("format: \(inspection.format.rawValue)\(version)")
        lines.append("")
        let header = ["NAME", "DTYPE", "SHAPE", "ELEMENTS", "BYTES"]
        let rows = inspection.tensors.map { tensor in
            [
                tensor.name, tensor.dtype, "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]",
                String(tensor.elements), String(tensor.bytes),
            ]
        }
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        func format(_ row: [String]) -> String {
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column >= 3 ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        lines.append(format(header))
        for row in rows { lines.append(format(row)) }
        lines.append("")
        lines.append(
            "total:  \(inspection.tensors.count) tensor(s), \(inspection.totalElements) elements, \(inspection.totalBytes) bytes (\(humanBytes(inspection.totalBytes)))"
        )
        if !inspection.globals.isEmpty {
            lines.append("globals:")
            for global in inspection.globals { lines.append("  \(global.fullName)  [\(global.status.rawValue)]") }
        }
        if !inspection.sharedStorages.isEmpty {
            lines.append("shared storages:")
            for group in inspection.sharedStorages { lines.append("  " + group.joined(separator: ", ")) }
        }
        let others = inspection.metadata.filter { $0.kind != .attribute }
        if !others.isEmpty {
            lines.append("non-tensor entries:")
            for entry in others.prefix(50) {
                lines.append(
                    "  \(entry.path.isEmpty ? "<root>" : entry.path) = \(entry.summary)  [\(entry.kind.rawValue)]")
            }
            if others.count > 50 { lines.append("  … \(others.count - 50) more") }
        }
        if !inspection.diagnostics.isEmpty {
            lines.append("diagnostics:")
            for diagnostic in inspection.diagnostics { lines.append("  \(diagnostic)") }
        }
        lines.append("pure tensor data: \(inspection.isPureTensorData ? "yes" : "no")")
        return lines.joined(separator: "\n")
    }

    static func humanBytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(count) B" }
        let rounded = (value * 10).rounded() / 10
        return "\(rounded) \(units[unit])"
    }
}
