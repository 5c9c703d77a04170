/// The value stack, its MARK fence, and the memo.
extension PickleRun {
    // MARK: - Stack

    var fence: Int { marks.last ?? 0 }

    mutating func push(_ value: PickleValue) throws(ModelFormatsError) {
        guard stack.count < limits.maxStackSize else {
            throw ModelFormatsError.limitExceeded(what: "pickle stack size", limit: limits.maxStackSize, offset: offset)
        }
        stack.append(value)
    }

    mutating func pop() throws(ModelFormatsError) -> PickleValue {
        guard stack.count > fence else { throw fail("stack underflow") }
        return stack.removeLast()
    }

    func top() throws(ModelFormatsError) -> PickleValue {
        guard stack.count > fence, let last = stack.last else { throw fail("stack underflow") }
        return last
    }

    mutating func popMark() throws(ModelFormatsError) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("could not find MARK") }
        let items = Array(stack[mark...])
        stack.removeLast(stack.count - mark)
        return items
    }

    // MARK: - Memo

    func memoValue(_ key: UInt64) throws(ModelFormatsError) -> PickleValue {
        guard let value = memo[key] else { throw fail("memo key \(key) was never stored") }
        return value
    }

    mutating func memoize(_ key: UInt64) throws(ModelFormatsError) {
        let value = try top()
        if memo[key] == nil {
            guard memo.count < limits.maxMemoEntries else {
                throw ModelFormatsError.limitExceeded(
                    what: "pickle memo entries", limit: limits.maxMemoEntries, offset: offset)
            }
            try charge(PickleLimits.valueCost)
        }
        memo.set(key, value)
    }
}
