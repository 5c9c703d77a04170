/// The subset of YAML that `conda env export` writes (and people write by hand for conda):
///
/// ```yaml
/// name: pytorch-crypto
/// channels:
///   - pytorch
///   - defaults
/// dependencies:
///   - python=3.10.13=h955ad1f_0
///   - pip:
///       - numpy==1.26.2
/// variables:
///   MKL_NUM_THREADS: "1"
/// prefix: /opt/conda/envs/pytorch-crypto
/// ```
///
/// A small strict parser instead of a general YAML library: block mappings and sequences of
/// scalars only, at most two levels (the `pip:` list), plain / single- / double-quoted scalars,
/// `#` comments, an optional leading `---`. Anchors, aliases, tags, flow collections (except an
/// empty `[]`), block scalars, tabs and multi-document streams are refused with the line number,
/// so nothing a general parser would read differently (the "Norway problem", alias bombs) gets in.
public enum EnvironmentYAML {
    /// Largest file accepted.
    public static let maximumLength = 1 << 20
    /// Top-level keys conda reads.
    public static let knownKeys: Set<String> = ["name", "channels", "dependencies", "variables", "prefix"]

    struct Line {
        let number: Int
        let indent: Int
        let text: Substring
    }

    /// Parses an environment.yml.
    public static func parse(_ bytes: [UInt8]) throws(EnvironmentError) -> EnvironmentLock.CondaSpec {
        guard bytes.count <= maximumLength else {
            throw .malformedYAML(line: 0, reason: "larger than \(maximumLength) bytes")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw .malformedYAML(line: 0, reason: "not UTF-8")
        }
        let lines = try significantLines(bytes)
        var spec = EnvironmentLock.CondaSpec(
            source: "environment.yml", name: nil, channels: [], dependencies: [], pip: [], packages: [], subdir: nil)
        var seen = Set<String>()
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard line.indent == 0 else { throw .malformedYAML(line: line.number, reason: "unexpected indentation") }
            guard let (key, value) = try splitKey(line.text, line: line.number) else {
                throw .malformedYAML(line: line.number, reason: "expected 'key: value' at the top level")
            }
            guard knownKeys.contains(key) else {
                throw .malformedYAML(
                    line: line.number,
                    reason: "unknown key '\(key)' (conda reads: \(knownKeys.sorted().joined(separator: ", ")))")
            }
            guard seen.insert(key).inserted else {
                throw .malformedYAML(line: line.number, reason: "duplicate key '\(key)'")
            }
            index += 1
            switch key {
            case "name", "prefix":
                guard let value, !value.isEmpty else {
                    throw .malformedYAML(line: line.number, reason: "'\(key)' needs a value")
                }
                let scalar = try self.scalar(value, line: line.number)
                if key == "name" { spec.name = scalar }
            case "channels":
                spec.channels = try sequence(
                    after: value, lines: lines, index: &index, parentIndent: 0, line: line.number)
            case "dependencies":
                try parseDependencies(after: value, lines: lines, index: &index, line: line.number, into: &spec)
            case "variables":
                try skipVariables(after: value, lines: lines, index: &index, line: line.number)
            default: break
            }
            for (count, field) in [
                (spec.channels.count, "channels"), (spec.dependencies.count, "dependencies"), (spec.pip.count, "pip"),
            ]
            where count > EnvironmentLock.maximumEntries {
                throw .malformedYAML(line: line.number, reason: "more than \(EnvironmentLock.maximumEntries) \(field)")
            }
        }
        guard seen.contains("dependencies") else { throw .malformedYAML(line: 0, reason: "no 'dependencies' list") }
        return spec
    }

    /// The lines that carry content: comments and blank lines dropped, one document only, no tabs.
    static func significantLines(_ bytes: [UInt8]) throws(EnvironmentError) -> [Line] {
        var lines: [Line] = []
        for (index, raw) in TextLines.split(bytes).enumerated() {
            let number = index + 1
            let content = Substring(raw)
            let indent = content.prefix(while: { $0 == " " }).count
            let rest = content.dropFirst(indent)
            if rest.first == "\t" { throw .malformedYAML(line: number, reason: "tab in indentation: use spaces") }
            let stripped = try stripComment(rest, line: number)
            if stripped.isEmpty { continue }
            if stripped == "---" && lines.isEmpty && indent == 0 { continue }
            if stripped == "---" || stripped == "..." {
                throw .malformedYAML(line: number, reason: "only one YAML document is allowed")
            }
            if stripped.hasPrefix("%") {
                throw .malformedYAML(line: number, reason: "YAML directives are not supported")
            }
            lines.append(Line(number: number, indent: indent, text: stripped))
        }
        return lines
    }

    /// The `dependencies:` block list: conda specs, and at most one nested `pip:` list.
    static func parseDependencies(
        after value: String?, lines: [Line], index: inout Int, line: Int, into spec: inout EnvironmentLock.CondaSpec
    ) throws(EnvironmentError) {
        if let value {
            guard value == "[]" else {
                throw .malformedYAML(line: line, reason: "'dependencies' must be a block list")
            }
            return
        }
        var itemIndent: Int? = nil
        while index < lines.count {
            let item = lines[index]
            guard item.text.hasPrefix("- ") || item.text == "-" else { break }
            if let itemIndent, item.indent != itemIndent {
                if item.indent < itemIndent { break }
                throw .malformedYAML(line: item.number, reason: "inconsistent indentation")
            }
            itemIndent = item.indent
            let body = try itemBody(item)
            index += 1
            if let (subkey, subvalue) = try splitKey(body, line: item.number) {
                guard subkey == "pip" else {
                    throw .malformedYAML(
                        line: item.number, reason: "only a 'pip:' list may nest under dependencies")
                }
                guard spec.pip.isEmpty else {
                    throw .malformedYAML(line: item.number, reason: "a second 'pip:' list")
                }
                spec.pip = try sequence(
                    after: subvalue, lines: lines, index: &index, parentIndent: item.indent + 1,
                    line: item.number)
            } else {
                spec.dependencies.append(try scalar(body, line: item.number))
            }
        }
    }

    /// The `variables:` block mapping: checked for well-formed scalars, not recorded.
    static func skipVariables(after value: String?, lines: [Line], index: inout Int, line: Int)
        throws(EnvironmentError)
    {
        if let value, value != "{}" {
            throw .malformedYAML(line: line, reason: "'variables' must be a block mapping")
        }
        while index < lines.count, lines[index].indent > 0 {
            guard let (_, variable) = try splitKey(lines[index].text, line: lines[index].number), let variable
            else {
                throw .malformedYAML(
                    line: lines[index].number, reason: "expected 'NAME: value' under variables")
            }
            _ = try scalar(variable, line: lines[index].number)
            index += 1
        }
    }

    /// A block sequence of scalars following a `key:` line (items more indented than the parent,
    /// or at the parent's indentation for top-level keys, as YAML allows).
    static func sequence(
        after value: String?, lines: [Line], index: inout Int, parentIndent: Int, line: Int
    ) throws(EnvironmentError) -> [String] {
        if let value {
            guard value == "[]" else {
                throw .malformedYAML(line: line, reason: "expected a block list ('- item' lines)")
            }
            return []
        }
        var items: [String] = []
        var itemIndent: Int? = nil
        while index < lines.count {
            let item = lines[index]
            guard item.text.hasPrefix("- ") || item.text == "-", item.indent >= parentIndent else { break }
            if let itemIndent, item.indent != itemIndent {
                if item.indent < itemIndent { break }
                throw .malformedYAML(line: item.number, reason: "inconsistent indentation")
            }
            itemIndent = item.indent
            let body = try itemBody(item)
            if try splitKey(body, line: item.number) != nil {
                throw .malformedYAML(line: item.number, reason: "expected a plain item, found a mapping")
            }
            items.append(try scalar(body, line: item.number))
            index += 1
        }
        return items
    }

    static func itemBody(_ line: Line) throws(EnvironmentError) -> Substring {
        let body = line.text.dropFirst().drop(while: { $0 == " " })
        guard !body.isEmpty else { throw .malformedYAML(line: line.number, reason: "empty list item") }
        guard !body.hasPrefix("- ") else {
            throw .malformedYAML(line: line.number, reason: "nested lists are not supported")
        }
        return body
    }

    /// `key: value` (value `nil` when the line ends after the colon); `nil` when the line is not a mapping entry.
    static func splitKey(_ text: Substring, line: Int) throws(EnvironmentError) -> (String, String?)? {
        guard let first = text.first, first != "\"", first != "'" else { return nil }
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == ":" {
                let next = text.index(after: index)
                if next == text.endIndex || text[next] == " " {
                    let key = String(text[..<index])
                    guard !key.isEmpty,
                        key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." })
                    else {
                        throw .malformedYAML(line: line, reason: "unsupported key '\(key.prefix(40))'")
                    }
                    let value = text[next...].drop(while: { $0 == " " })
                    return (key, value.isEmpty ? nil : String(value))
                }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// A plain, single-quoted or double-quoted scalar.
    static func scalar<S: StringProtocol>(_ text: S, line: Int) throws(EnvironmentError) -> String {
        let value = String(text)
        guard let first = value.first else { throw .malformedYAML(line: line, reason: "empty value") }
        if first == "'" {
            guard value.count >= 2, value.last == "'" else {
                throw .malformedYAML(line: line, reason: "unterminated quoted value")
            }
            let inner = String(value.dropFirst().dropLast())
            var output = ""
            var iterator = inner.makeIterator()
            while let character = iterator.next() {
                if character == "'" {
                    guard iterator.next() == "'" else {
                        throw .malformedYAML(line: line, reason: "stray quote in a single-quoted value")
                    }
                }
                output.append(character)
            }
            return output
        }
        if first == "\"" {
            guard value.count >= 2, value.last == "\"" else {
                throw .malformedYAML(line: line, reason: "unterminated quoted value")
            }
            var output = ""
            var iterator = value.dropFirst().dropLast().makeIterator()
            while let character = iterator.next() {
                if character == "\"" {
                    throw .malformedYAML(line: line, reason: "stray quote in a double-quoted value")
                }
                guard character == "\\" else {
                    output.append(character)
                    continue
                }
                switch iterator.next() {
                case "\"": output.append("\"")
                case "\\": output.append("\\")
                case "/": output.append("/")
                case "n": output.append("\n")
                case "t": output.append("\t")
                default: throw .malformedYAML(line: line, reason: "unsupported escape in a double-quoted value")
                }
            }
            return output
        }
        if "&*!|>[]{}%@`,".contains(first) {
            throw .malformedYAML(
                line: line, reason: "'\(first)' starts an anchor, alias, tag, block or flow value: not supported")
        }
        if value.contains(": ") { throw .malformedYAML(line: line, reason: "unexpected ': ' in a value (quote it)") }
        guard value.utf8.count <= EnvironmentLock.maximumStringLength else {
            throw .malformedYAML(line: line, reason: "value longer than \(EnvironmentLock.maximumStringLength) bytes")
        }
        return value
    }

    /// The line without a trailing comment (`#` at the start or after a space, outside quotes).
    static func stripComment(_ text: Substring, line: Int) throws(EnvironmentError) -> Substring {
        var quote: Character? = nil
        var previous: Character = " "
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                if previous == " " || previous == "-" || previous == ":" { quote = character }
            } else if character == "#" && previous == " " {
                break
            } else if character == "\t" {
                throw .malformedYAML(line: line, reason: "tab character: use spaces")
            }
            previous = character
            index = text.index(after: index)
        }
        var result = text[..<index]
        while result.last == " " { result = result.dropLast() }
        return result
    }
}
