/// The members of a JSON object, in document (or construction) order, names unique.
///
/// Written as a dictionary literal (`["a": .null]`, order kept) or an array of pairs. Two objects
/// are equal when they have the same members, whatever their order: JSON objects are unordered,
/// and the parser refuses duplicate names, so that comparison is exact.
public struct JSONObject: Sendable, Equatable, RandomAccessCollection, ExpressibleByDictionaryLiteral,
    ExpressibleByArrayLiteral
{
    /// The members in order.
    public private(set) var members: [(String, JSONValue)]

    /// An object with `members` in this order. Names must be unique (the parser guarantees it).
    public init(_ members: [(String, JSONValue)] = []) { self.members = members }

    /// An object from a dictionary; members sorted by name so construction is deterministic.
    public init(_ dictionary: [String: JSONValue]) {
        members = dictionary.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) { members = elements }

    public init(arrayLiteral elements: (String, JSONValue)...) { members = elements }

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> (String, JSONValue) { members[position] }

    /// The member named `name`; setting `nil` removes it, setting a new name appends it.
    public subscript(name: String) -> JSONValue? {
        get { members.first(where: { $0.0 == name })?.1 }
        set {
            let index = members.firstIndex(where: { $0.0 == name })
            switch (index, newValue) {
            case (let index?, let value?): members[index].1 = value
            case (let index?, nil): members.remove(at: index)
            case (nil, let value?): members.append((name, value))
            case (nil, nil): break
            }
        }
    }

    /// Appends a member, or replaces the value of a member of that name (names stay unique).
    public mutating func append(_ member: (String, JSONValue)) { self[member.0] = member.1 }

    /// The member names in order.
    public var names: [String] { members.map(\.0) }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if zip(lhs.members, rhs.members).allSatisfy({ $0.0 == $1.0 && $0.1 == $1.1 }) { return true }
        let right = Dictionary(rhs.members, uniquingKeysWith: { first, _ in first })
        return right.count == rhs.count && lhs.members.allSatisfy { right[$0.0] == $0.1 }
    }
}
