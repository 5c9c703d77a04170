/// Caps that bound the time and memory one pickle can cost, whatever its bytes say.
///
/// Every opcode consumes at least one byte, so run time is linear in the input; these caps
/// bound memory (stack, memo, containers, payload bytes) and nesting.
public struct PickleLimits: Sendable {
    /// Values on the stack at once.
    public var maxStackSize: Int
    /// Open MARKs at once.
    public var maxMarkDepth: Int
    /// Distinct memo keys.
    public var maxMemoEntries: Int
    /// Elements in one list, tuple, dict, set or instance.
    public var maxContainerElements: Int
    /// Objects on the heap (containers, globals, instances).
    public var maxObjects: Int
    /// Total bytes charged: string and bytes payloads plus `valueCost` per element or object.
    public var maxAllocationBytes: Int
    /// Length of one text line (protocol 0 opcodes).
    public var maxLineLength: Int
    /// Decimal digits in a text integer (Python's own default limit).
    public var maxIntegerDigits: Int
    /// Bytes in a LONG1/LONG4 integer.
    public var maxLongBytes: Int
    /// Nesting depth followed when reading the result (tensors, metadata, JSON output).
    public var maxNestingDepth: Int

    /// Conservative defaults: a state_dict with millions of entries fits; a hostile pickle stops early.
    public static let `default` = PickleLimits(
        maxStackSize: 1 << 20, maxMarkDepth: 4096, maxMemoEntries: 1 << 22,
        maxContainerElements: 1 << 24, maxObjects: 1 << 22, maxAllocationBytes: 512 << 20,
        maxLineLength: 1 << 16, maxIntegerDigits: 4300, maxLongBytes: 1 << 16, maxNestingDepth: 256)

    /// Bytes charged per stack value, container element or heap object.
    static let valueCost = 32
}
