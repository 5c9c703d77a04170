import ContainerFormat
import ModelSealCore

/// An environment lock with the policy that says how it is enforced: the body of the
/// `environment-contract` header extension (spec/CONTAINER.md §4, type `0x8005`, critical).
///
/// Byte layout:
///
/// | size | field | rule |
/// |---|---|---|
/// | 1 | version | `0x01` |
/// | 1 | policy | `0x01` exact, `0x02` compatible, `0x03` warn |
/// | 1 | key_count | 0..32; 0 unless policy is compatible |
/// | per key: 1 | key_length | 1..64 |
/// | key_length | key | `[a-z0-9-]` (a normalized distribution name, or `python`, `cuda`, `cudnn`); strictly increasing |
/// | 4 | lock_length | 1..1 MiB |
/// | lock_length | lock | canonical JSON (`EnvironmentLock.canonicalBytes()`) |
///
/// The body is consumed exactly; any other value of any field makes the contract malformed.
public struct EnvironmentContract: Sendable, Equatable {
    /// Version byte of the layout above.
    public static let version: UInt8 = 1
    /// Most keys in a compatible set.
    public static let maximumKeys = 32
    /// Longest key.
    public static let maximumKeyLength = 64
    /// The compatible set when none is given.
    public static let defaultCompatibleKeys = ["cuda", "numpy", "python", "torch"]

    /// How the contract is enforced.
    public var policy: ContractPolicy
    /// Under `compatible`: what must keep its `major.minor` (sorted, unique). Empty otherwise.
    public var compatibleKeys: [String]
    /// The environment the vendor tested with.
    public var lock: EnvironmentLock

    /// A contract; `compatibleKeys` defaults to `defaultCompatibleKeys` under `compatible`.
    public init(policy: ContractPolicy, compatibleKeys: [String]? = nil, lock: EnvironmentLock) throws(EnvironmentError)
    {
        self.policy = policy
        self.lock = lock
        if policy == .compatible {
            let keys = Array(Set((compatibleKeys ?? Self.defaultCompatibleKeys).map(DistributionName.normalize)))
                .sorted()
            guard !keys.isEmpty, keys.count <= Self.maximumKeys,
                keys.allSatisfy({ DistributionName.isNormalized($0) && $0.utf8.count <= Self.maximumKeyLength })
            else { throw .malformedContract("the compatible set needs 1 to \(Self.maximumKeys) names") }
            self.compatibleKeys = keys
        } else {
            guard compatibleKeys?.isEmpty ?? true else {
                throw .malformedContract("a compatible set needs the compatible policy")
            }
            self.compatibleKeys = []
        }
    }

    /// The header extension carrying this contract.
    public var headerExtension: HeaderExtension { HeaderExtension(type: .environmentContract, body: encoded()) }

    /// The extension body.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.writeUInt8(Self.version)
        writer.writeUInt8(policy.rawValue)
        writer.writeUInt8(UInt8(compatibleKeys.count))
        for key in compatibleKeys {
            writer.writeUInt8(UInt8(key.utf8.count))
            writer.writeBytes(key.utf8)
        }
        let lockBytes = lock.canonicalBytes()
        writer.writeBigEndian(UInt32(lockBytes.count))
        writer.writeBytes(lockBytes)
        return writer.bytes
    }

    /// Parses an extension body (untrusted until the header MAC or a signature verified).
    public static func parse(_ body: [UInt8]) throws(EnvironmentError) -> EnvironmentContract {
        var reader = ByteReader(body)
        guard let version = reader.readUInt8() else { throw .malformedContract("empty") }
        guard version == Self.version else { throw .malformedContract("version \(version) (this modelseal reads 1)") }
        guard let policyByte = reader.readUInt8(), let policy = ContractPolicy(rawValue: policyByte) else {
            throw .malformedContract("unknown policy")
        }
        guard let keyCount = reader.readUInt8(), Int(keyCount) <= maximumKeys else {
            throw .malformedContract("key count over \(maximumKeys)")
        }
        guard (policy == .compatible) == (keyCount > 0) else {
            throw .malformedContract("a compatible set must be present exactly under the compatible policy")
        }
        var keys: [String] = []
        for _ in 0..<keyCount {
            guard let length = reader.readUInt8(), length >= 1, Int(length) <= maximumKeyLength,
                let bytes = reader.readBytes(Int(length)), let key = String(validating: bytes, as: UTF8.self),
                DistributionName.isNormalized(key)
            else { throw .malformedContract("invalid compatible key at byte \(reader.offset)") }
            if let previous = keys.last, previous >= key {
                throw .malformedContract("compatible keys not strictly increasing")
            }
            keys.append(key)
        }
        guard let length = reader.readBigEndian(UInt32.self), length >= 1,
            Int(length) <= EnvironmentLock.maximumEncodedLength
        else { throw .malformedContract("lock length out of range") }
        guard let lockBytes = reader.readBytes(Int(length)) else {
            throw .malformedContract(
                "lock runs past the extension (\(length) bytes declared, \(reader.remaining) left)")
        }
        guard reader.isAtEnd else { throw .malformedContract("\(reader.remaining) bytes after the lock") }
        let lock = try EnvironmentLock.parseCanonical(Array(lockBytes))
        return try EnvironmentContract(policy: policy, compatibleKeys: policy == .compatible ? keys : nil, lock: lock)
    }

    /// The contract in a sealed header's extensions, or `nil` when it has none.
    public static func find(in extensions: [HeaderExtension]) throws(EnvironmentError) -> EnvironmentContract? {
        guard let body = extensions.first(where: { $0.type == .environmentContract })?.body else { return nil }
        return try parse(body)
    }
}
