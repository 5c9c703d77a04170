/// The unpickler's memo (PUT/GET/MEMOIZE).
///
/// Picklers number memo slots 0, 1, 2, … in order, so those keys live in an array; any other key
/// (a hand-made pickle's) goes to a dictionary. Lookups by key behave exactly like one dictionary.
struct PickleMemo {
    private var dense: [PickleValue?] = []
    private var sparse: [UInt64: PickleValue] = [:]
    /// Distinct keys stored (what MEMOIZE uses as its next key, as in CPython).
    private(set) var count = 0

    subscript(key: UInt64) -> PickleValue? {
        if key < UInt64(dense.count) { return dense[Int(key)] }
        return sparse.isEmpty ? nil : sparse[key]
    }

    mutating func set(_ key: UInt64, _ value: PickleValue) {
        if key < UInt64(dense.count) {
            if dense[Int(key)] == nil { count += 1 }
            dense[Int(key)] = value
        } else if key == UInt64(dense.count), sparse.isEmpty || sparse[key] == nil {
            dense.append(value)
            count += 1
        } else {
            if sparse.updateValue(value, forKey: key) == nil { count += 1 }
        }
    }
}
