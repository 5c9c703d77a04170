import Crypto
import FoundationEssentials

/// A secret that opens only with k of n fingerprint components (spec/LICENSING.md §4).
///
/// The 32-byte secret is split with Shamir (threshold k) into n shares; share i is sealed with
/// HPKE (base mode, X25519 / HKDF-SHA256 / AES-256-GCM) to component i's public key, with
/// `info = "modelseal/v1 component-share"` and the caller's context as additional data. Anyone
/// who can derive the private keys of k components (i.e. a machine where k components still have
/// their old values) recovers the secret; one changed component only loses its own share.
struct ComponentLock: Sendable, Equatable {
    static let info = Data("modelseal/v1 component-share".utf8)
    static let suite = HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256)
    /// Bytes of one sealed share: `enc(32) || ciphertext(32) || tag(16)`.
    static let shareLength = 80
    /// Most components a lock covers (also the cap on components in requests and licenses).
    static let maximumComponents = 16

    /// Shares needed.
    let threshold: Int
    /// One sealed share per component, in the order of the component list.
    let shares: [[UInt8]]

    /// Seals `secret` (32 bytes) to the component public keys with threshold `threshold`.
    static func seal(
        _ secret: [UInt8], to keys: [Curve25519.KeyAgreement.PublicKey], threshold: Int, context: [UInt8]
    ) throws(LicenseError) -> ComponentLock {
        guard (1...keys.count).contains(threshold), keys.count <= maximumComponents else {
            throw .malformed("component lock", "threshold \(threshold) of \(keys.count) components")
        }
        let plainShares = Shamir.split(secret, threshold: threshold, count: keys.count)
        var sealed: [[UInt8]] = []
        for (key, share) in zip(keys, plainShares) {
            do {
                var sender = try HPKE.Sender(recipientKey: key, ciphersuite: suite, info: info)
                let ciphertext = try sender.seal(share, authenticating: context)
                sealed.append(Array(sender.encapsulatedKey) + Array(ciphertext))
            } catch {
                throw .malformed("component lock", "cannot seal a share: \(error)")
            }
        }
        return ComponentLock(threshold: threshold, shares: sealed)
    }

    /// The secret, when at least `threshold` shares open with the given keys (`nil` entries are
    /// missing components); also which shares opened.
    func open(with keys: [Curve25519.KeyAgreement.PrivateKey?], context: [UInt8]) -> (secret: [UInt8]?, opened: [Bool])
    {
        var opened = [Bool](repeating: false, count: shares.count)
        var plain: [(x: UInt8, bytes: [UInt8])] = []
        for (index, share) in shares.enumerated() where index < keys.count && share.count == Self.shareLength {
            guard let key = keys[index],
                var receiver = try? HPKE.Recipient(
                    privateKey: key, ciphersuite: Self.suite, info: Self.info, encapsulatedKey: Data(share.prefix(32))),
                let bytes = try? receiver.open(Data(share.dropFirst(32)), authenticating: context)
            else { continue }
            opened[index] = true
            plain.append((UInt8(index + 1), Array(bytes)))
        }
        defer { for index in plain.indices { SecretMemory.wipe(&plain[index].bytes) } }
        guard plain.count >= threshold else { return (nil, opened) }
        return (Shamir.combine(Array(plain.prefix(threshold))), opened)
    }
}
