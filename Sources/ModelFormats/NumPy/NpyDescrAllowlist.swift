/// Which `.npy` `descr` values are plain data, decided by allowlist: NumPy unpickles the array body of any
/// dtype that can hold Python objects (`dtype.hasobject`), and `np.dtype` accepts many spellings of one
/// (`'O'`, `'<O'`, `'O8'`, `'object'`, `'i4,O'`, `[('a', 'O')]`, `('O', (2,))`). A descr is plain only if it
/// is a scalar code below, a subarray `(plain, shape)`, or a list of `(name, plain[, shape])` fields;
/// anything else may hold objects.
public enum NpyDescrAllowlist {
    /// Whether `descr` (the parsed header's value) is plain data.
    public static func isPlainData(_ descr: NpyHeaderLiteral, depth: Int = 0) -> Bool {
        guard depth < 32 else { return false }
        switch descr {
        case .string(let code): return isPlainScalar(code)
        case .tuple(let items):
            return items.count == 2 && isPlainData(items[0], depth: depth + 1) && isShape(items[1])
        case .list(let fields):
            return fields.allSatisfy { field in
                guard case let .tuple(parts) = field, parts.count == 2 || parts.count == 3, isFieldName(parts[0])
                else { return false }
                return isPlainData(parts[1], depth: depth + 1) && (parts.count == 2 || isShape(parts[2]))
            }
        default: return false
        }
    }

    /// `'<f4'`, `'|b1'`, `'<U5'`, `'|V8'`, `'<M8[ns]'`, `'d'`, …: a byte order and a fixed-size plain type.
    public static func isPlainScalar(_ code: String) -> Bool {
        var rest = Substring(code)
        if let first = rest.first, "<>|=".contains(first) { rest = rest.dropFirst() }
        if plainCodes.contains(String(rest)) { return true }
        if let first = rest.first, "SUVa".contains(first), rest.count > 1, rest.dropFirst().allSatisfy(\.isASCIIDigit) {
            return true
        }
        // Datetimes and timedeltas: M8 / m8, optionally with a unit such as [ns] or [10ms].
        if rest.hasPrefix("M8") || rest.hasPrefix("m8") {
            let unit = rest.dropFirst(2)
            if unit.isEmpty { return true }
            guard unit.first == "[", unit.last == "]", unit.count > 2 else { return false }
            return unit.dropFirst().dropLast().allSatisfy { $0.isASCIIDigit || ($0.isASCII && $0.isLetter) }
        }
        return false
    }

    static let plainCodes: Set<String> = [
        "b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "f16", "c8", "c16", "c32",
        "?", "b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "e", "f", "d", "g", "F", "D", "G",
    ]

    static func isShape(_ value: NpyHeaderLiteral) -> Bool {
        switch value {
        case .integer: true
        case .tuple(let items): items.allSatisfy { $0 == .integer }
        default: false
        }
    }

    static func isFieldName(_ value: NpyHeaderLiteral) -> Bool {
        switch value {
        case .string: true
        case .tuple(let parts): parts.count == 2 && parts.allSatisfy { if case .string = $0 { true } else { false } }
        default: false
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
