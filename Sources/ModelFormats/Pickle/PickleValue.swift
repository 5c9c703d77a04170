/// A value on the pickle machine's stack or in its memo.
///
/// Scalars are stored inline; containers and everything with identity (lists, dicts, objects
/// built by REDUCE, persistent references) live in a `PickleHeap` and are referred to by index,
/// so aliasing through the memo and cycles are modelled exactly as Python would build them.
public enum PickleValue: Sendable, Hashable {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer outside Int64, as little-endian two's-complement bytes (LONG1/LONG4 layout).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case object(PickleObjectID)

    /// The string payload, if this is a `str`.
    public var stringValue: String? {
        if case let .string(text) = self { return text }
        return nil
    }

    /// The integer payload, if this is an `int` that fits in Int64 (bools count, as in Python).
    public var intValue: Int64? {
        switch self {
        case let .int(value): return value
        case let .bool(flag): return flag ? 1 : 0
        default: return nil
        }
    }
}

/// Index of an object in a `PickleHeap`.
public struct PickleObjectID: Sendable, Hashable {
    public let index: Int
}

/// The opcode family that created an instance.
public enum PickleConstruction: String, Sendable {
    case reduce = "REDUCE"
    case newObj = "NEWOBJ"
    case newObjEx = "NEWOBJ_EX"
    case obj = "OBJ"
    case inst = "INST"
}

/// A call the pickle asked for (`callee(*args)`), recorded and never performed.
public struct PickleInstance: Sendable {
    public var callee: PickleValue
    public var args: PickleValue
    public var kwargs: PickleValue?
    public var construction: PickleConstruction
    /// Byte offset of the opcode that made the call.
    public var offset: Int
    /// The argument of BUILD, when one was applied (`__setstate__`).
    public var state: PickleValue?
    /// Items added by APPEND/APPENDS/ADDITEMS (as `obj.append` / `obj.extend` would).
    public var items: [PickleValue] = []
    /// Items added by SETITEM/SETITEMS (`obj[key] = value`), a repeated key replacing its value in place
    /// (what `dict` and `OrderedDict` do; torch's state dicts are OrderedDicts).
    public var entries: [(key: PickleValue, value: PickleValue)] = []
    /// Positions in `entries` by key (rebuilt if `entries` was changed directly).
    var entryIndex: [PickleValue: Int] = [:]

    /// `obj[key] = value`: replaces the value of an equal key, or appends.
    public mutating func setEntry(_ key: PickleValue, _ value: PickleValue) {
        if entryIndex.count != entries.count {
            entryIndex = [:]
            for (position, entry) in entries.enumerated() { entryIndex[entry.key] = position }
        }
        if let position = entryIndex[key] {
            entries[position].value = value
        } else {
            entryIndex[key] = entries.count
            entries.append((key, value))
        }
    }
}

/// A dict in insertion order with Python's replace-on-equal-key semantics for scalar keys.
public struct PickleDict: Sendable {
    public private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var index: [PickleValue: Int] = [:]

    public init() {}

    /// `dict[key] = value`: replaces in place when the key is already present.
    public mutating func set(_ key: PickleValue, _ value: PickleValue) {
        if let position = index[key] {
            entries[position].value = value
        } else {
            index[key] = entries.count
            entries.append((key, value))
        }
    }

    /// `dict[key]`.
    public subscript(key: PickleValue) -> PickleValue? {
        index[key].map { entries[$0].value }
    }

    public var count: Int { entries.count }

    /// Room for `total` entries without rehashing on the way (SETITEMS knows its size).
    public mutating func reserveCapacity(_ total: Int) {
        entries.reserveCapacity(total)
        index.reserveCapacity(total)
    }
}

/// A reference to a Python global named by GLOBAL, STACK_GLOBAL or INST, after torch's name mapping.
public struct GlobalReference: Sendable, Hashable, CustomStringConvertible {
    public let module: String
    public let name: String
    /// How the allowlist classified it.
    public let status: GlobalStatus

    /// `module.name`, the spelling torch's weights-only unpickler and its error messages use.
    public var fullName: String { "\(module).\(name)" }
    public var description: String { fullName }
}

/// The allowlist's verdict on a global.
public enum GlobalStatus: String, Sendable, Hashable {
    /// In torch's default weights-only allowlist.
    case allowed
    /// Added by the user.
    case userAllowed = "user-allowed"
    /// Kept as an opaque reference: torch's weights-only unpickler would refuse it.
    case unknown
    /// In a module torch blocks even when allowlisted (`os`, `sys`, `posix`, `nt`).
    case blocked
}

/// Everything a pickle built, by identity.
public enum PickleObject: Sendable {
    case list([PickleValue])
    case tuple([PickleValue])
    case dict(PickleDict)
    case set([PickleValue])
    case frozenSet([PickleValue])
    case byteArray([UInt8])
    case global(GlobalReference)
    case instance(PickleInstance)
    /// A persistent id (BINPERSID/PERSID): in torch files, a reference to a storage record.
    case persistent(id: PickleValue, offset: Int)
    /// An EXT1/EXT2/EXT4 extension-registry code; never resolved.
    case extensionCode(Int)
}

/// The objects built by one pickle run.
public struct PickleHeap: Sendable {
    public internal(set) var objects: [PickleObject] = []

    public subscript(id: PickleObjectID) -> PickleObject {
        objects[id.index]
    }

    /// The object a value refers to, or `nil` for scalars.
    public func object(_ value: PickleValue) -> PickleObject? {
        if case let .object(id) = value, id.index >= 0, id.index < objects.count { return objects[id.index] }
        return nil
    }

    /// The global a value names, if it is one.
    public func global(_ value: PickleValue) -> GlobalReference? {
        if case let .global(reference)? = object(value) { return reference }
        return nil
    }

    /// The elements of a tuple or list value.
    public func sequence(_ value: PickleValue) -> [PickleValue]? {
        switch object(value) {
        case let .tuple(items)?, let .list(items)?: return items
        default: return nil
        }
    }
}
