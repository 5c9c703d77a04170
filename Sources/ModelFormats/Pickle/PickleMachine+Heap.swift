/// Objects the pickle builds: allocation caps and in-place container updates.
extension PickleRun {
    // MARK: - Heap

    mutating func charge(_ bytes: Int) throws(ModelFormatsError) {
        allocated += bytes
        guard allocated <= limits.maxAllocationBytes else {
            throw ModelFormatsError.limitExceeded(
                what: "pickle allocations (bytes)", limit: limits.maxAllocationBytes, offset: offset)
        }
    }

    mutating func allocate(_ object: consuming PickleObject) throws(ModelFormatsError) -> PickleValue {
        guard heap.objects.count < limits.maxObjects else {
            throw ModelFormatsError.limitExceeded(what: "pickle objects", limit: limits.maxObjects, offset: offset)
        }
        let elements = Self.elementCount(object)
        try checkContainer(elements)
        try charge(PickleLimits.valueCost * (1 + elements))
        heap.objects.append(object)
        return .object(PickleObjectID(index: heap.objects.count - 1))
    }

    /// What an object holds, for the allocation caps (read in place, not copied out).
    static func elementCount(_ object: borrowing PickleObject) -> Int {
        switch object {
        case .list(let items), .tuple(let items), .set(let items), .frozenSet(let items): items.count
        case .dict(let dict): dict.count * 2
        case .byteArray(let bytes): bytes.count / PickleLimits.valueCost
        default: 0
        }
    }

    func checkContainer(_ elements: Int) throws(ModelFormatsError) {
        guard elements <= limits.maxContainerElements else {
            throw ModelFormatsError.limitExceeded(
                what: "pickle container elements", limit: limits.maxContainerElements, offset: offset)
        }
    }

    /// Mutates a heap object in place (taking it out first so its storage is uniquely referenced).
    mutating func mutate(_ id: PickleObjectID, _ body: (inout PickleObject) throws(ModelFormatsError) -> Void)
        throws(ModelFormatsError)
    {
        var object = heap.objects[id.index]
        heap.objects[id.index] = .extensionCode(0)
        defer { heap.objects[id.index] = object }
        try body(&object)
    }

    func describe(_ value: PickleValue) -> String {
        switch heap.object(value) {
        case .list?: "list"
        case .tuple?: "tuple"
        case .dict?: "dict"
        case .set?: "set"
        case .frozenSet?: "frozenset"
        case .byteArray?: "bytearray"
        case let .global(reference)?: "global \(reference.fullName)"
        case .instance?: "object"
        case .persistent?: "persistent reference"
        case .extensionCode?: "extension"
        case nil: "scalar"
        }
    }

    /// Adds `items` to the object `target` refers to (APPEND(S), ADDITEMS, SETITEM(S)), after charging
    /// them and checking the container cap: `update` changes the object in place and returns false
    /// for an object of another kind, which is refused as "`verb` a `kind`".
    mutating func updateContainer(
        _ target: PickleValue, adding items: [PickleValue], verb: String,
        _ update: (inout PickleObject, _ cap: Int, _ tooMany: ModelFormatsError) throws(ModelFormatsError) -> Bool
    ) throws(ModelFormatsError) {
        guard case let .object(id) = target else { throw fail("\(verb) a \(describe(target))") }
        try charge(PickleLimits.valueCost * items.count)
        let cap = limits.maxContainerElements
        let tooMany = ModelFormatsError.limitExceeded(what: "pickle container elements", limit: cap, offset: offset)
        var matched = true  // the message is built only when needed: it costs more than the update
        try mutate(id) { object throws(ModelFormatsError) in matched = try update(&object, cap, tooMany) }
        if !matched { throw fail("\(verb) a \(describe(target))") }
    }

    mutating func extend(_ target: PickleValue, with items: [PickleValue]) throws(ModelFormatsError) {
        try updateContainer(target, adding: items, verb: "cannot append to") {
            object, cap, tooMany throws(ModelFormatsError) -> Bool in
            switch object {
            case var .list(existing):
                guard existing.count + items.count <= cap else { throw tooMany }
                object = .tuple([])
                existing.append(contentsOf: items)
                object = .list(existing)
            case var .byteArray(existing):
                // bytearray.extend: every item an int in 0...255, as CPython's fallback to extend() needs.
                guard existing.count + items.count <= cap * PickleLimits.valueCost else { throw tooMany }
                var added: [UInt8] = []
                for item in items {
                    guard let value = item.intValue, (0...255).contains(value) else { return false }
                    added.append(UInt8(value))
                }
                object = .tuple([])
                existing.append(contentsOf: added)
                object = .byteArray(existing)
            case .instance: try Self.appendToInstance(&object, items, cap: cap, tooMany: tooMany)
            default: return false
            }
            return true
        }
    }

    /// CPython raises "unhashable type" for a list, dict, set or bytearray (or a tuple holding one) used as
    /// a dict key or a set member. What a call, persistent_load or an extension code made may be hashable.
    func requireHashable(_ values: [PickleValue], _ code: PickleOpcode) throws(ModelFormatsError) {
        for value in values where !isHashable(value, depth: 0) {
            throw fail("\(code.name) uses an unhashable \(describe(value)) as a key or member")
        }
    }

    func isHashable(_ value: PickleValue, depth: Int) -> Bool {
        switch heap.object(value) {
        case .list?, .dict?, .set?, .byteArray?: return false
        case let .tuple(items)?:
            // Deeper than this, assume hashable: the lenient reading goes on (reads more, never less).
            return depth > 32 || items.allSatisfy { isHashable($0, depth: depth + 1) }
        default: return true
        }
    }

    mutating func addToSet(_ target: PickleValue, _ items: [PickleValue]) throws(ModelFormatsError) {
        guard case let .object(id) = target, case .set = heap.objects[id.index] else {
            try updateContainer(target, adding: items, verb: "cannot add items to") {
                object, cap, tooMany throws(ModelFormatsError) -> Bool in
                guard case .instance = object else { return false }
                try Self.appendToInstance(&object, items, cap: cap, tooMany: tooMany)
                return true
            }
            return
        }
        try requireHashable(items, .addItems)
        try charge(PickleLimits.valueCost * items.count)
        guard case var .set(existing) = heap.objects[id.index] else { return }
        heap.objects[id.index] = .extensionCode(0)
        guard existing.count + items.count <= limits.maxContainerElements else {
            heap.objects[id.index] = .set(existing)
            throw ModelFormatsError.limitExceeded(
                what: "pickle container elements", limit: limits.maxContainerElements, offset: offset)
        }
        // Membership through a hash index kept beside the set: O(1) per item, as in CPython.
        var index = setIndexes.removeValue(forKey: id) ?? Set(existing)
        for item in items where index.insert(item).inserted { existing.append(item) }
        setIndexes[id] = index
        heap.objects[id.index] = .set(existing)
    }

    /// APPENDS or ADDITEMS on an object a call made: the items join its list-like state.
    static func appendToInstance(
        _ object: inout PickleObject, _ items: [PickleValue], cap: Int, tooMany: ModelFormatsError
    ) throws(ModelFormatsError) {
        guard case var .instance(instance) = object else { return }
        guard instance.items.count + items.count <= cap else { throw tooMany }
        object = .tuple([])
        instance.items.append(contentsOf: items)
        object = .instance(instance)
    }

    mutating func setItems(_ target: PickleValue, _ items: [PickleValue]) throws(ModelFormatsError) {
        if case .dict? = heap.object(target) {
            try requireHashable(stride(from: 0, to: items.count, by: 2).map { items[$0] }, .setItems)
        }
        try updateContainer(target, adding: items, verb: "cannot set items on") {
            object, cap, tooMany throws(ModelFormatsError) -> Bool in
            switch object {
            case .list, .byteArray:
                // CPython falls back to obj[key] = value: an int index in range (a bytearray takes 0...255).
                return Self.assignByIndex(&object, items)
            case var .dict(dict):
                guard dict.count + items.count / 2 <= cap else { throw tooMany }
                object = .tuple([])
                dict.reserveCapacity(dict.count + items.count / 2)
                for index in stride(from: 0, to: items.count, by: 2) { dict.set(items[index], items[index + 1]) }
                object = .dict(dict)
            case var .instance(instance):
                guard instance.entries.count + items.count / 2 <= cap else { throw tooMany }
                object = .tuple([])
                for index in stride(from: 0, to: items.count, by: 2) {
                    instance.setEntry(items[index], items[index + 1])
                }
                object = .instance(instance)
            default: return false
            }
            return true
        }
    }

    /// `list[i] = v` / `bytearray[i] = v` for each key/value pair; false where Python raises.
    static func assignByIndex(_ object: inout PickleObject, _ items: [PickleValue]) -> Bool {
        for index in stride(from: 0, to: items.count, by: 2) {
            guard let key = items[index].intValue else { return false }
            switch object {
            case var .list(existing):
                let position = key < 0 ? Int(key) + existing.count : Int(key)
                guard position >= 0, position < existing.count else { return false }
                object = .tuple([])
                existing[position] = items[index + 1]
                object = .list(existing)
            case var .byteArray(existing):
                let position = key < 0 ? Int(key) + existing.count : Int(key)
                guard position >= 0, position < existing.count, let value = items[index + 1].intValue,
                    (0...255).contains(value)
                else { return false }
                object = .tuple([])
                existing[position] = UInt8(value)
                object = .byteArray(existing)
            default: return false
            }
        }
        return true
    }
}
