import ContainerEngine
import ContainerFormat
import Crypto
import ModelSealCore
import ModelSealSigning

/// What the vendor decides when issuing a license (`license issue` options).
public struct LicenseTerms: Sendable {
    /// The customer's name.
    public var customer: String
    /// Valid from (Unix seconds, UTC); `nil` is the issue time.
    public var notBefore: Int64? = nil
    /// Valid until, exclusive; `nil` never expires.
    public var expiresAt: Int64? = nil
    /// Most loads on the machine; `nil` is unlimited.
    public var maxLoads: Int64? = nil
    /// How many fingerprint components must match; `nil` is the request's own threshold.
    public var match: Int? = nil
    /// Granted features.
    public var features = License.Features()
    /// Runtime-guard policy.
    public var guards = GuardPolicy()

    /// Terms for `customer` with every default.
    public init(customer: String) { self.customer = customer }
}

/// Makes licenses: the vendor side of `license issue` (spec/LICENSING.md).
public enum LicenseIssuer {
    /// Issues a license for the machine of `request`, covering `models` (files the vendor has
    /// unlocked), wrapping `licenseKey` to that machine and signing with `signingKey`. `attested`: the credential
    /// the vendor made after attesting the request's TPM (ModelSealAttestation); its secret joins the wrapping.
    public static func issue(
        request: LicenseRequest, models: [(file: UnlockedFile, name: String)], licenseKey: LicenseKey,
        terms: LicenseTerms, signingKey: SigningKey, algorithm: SignatureAlgorithm, now: Int64 = LicenseClock.now(),
        attested: AttestedCredential? = nil
    ) throws -> SignedLicense {
        guard request.vendorKeyID == signingKey.verifyingKey.keyID else {
            throw LicenseError.malformed(
                "license request",
                "it was made for another vendor key (key id \(Hex.encode(request.vendorKeyID.prefix(8)))…); "
                    + "the customer must run `modelseal license request --vendor` with this key's public half")
        }
        let match = terms.match ?? request.threshold
        guard (1...request.components.count).contains(match) else {
            throw LicenseError.malformed(
                "license terms", "--match \(match): the request has \(request.components.count) component(s)")
        }
        guard terms.customer.utf8.count <= License.Limits.maximumCustomerLength, !terms.customer.isEmpty else {
            throw LicenseError.malformed(
                "license terms", "the customer name must be 1...\(License.Limits.maximumCustomerLength) bytes")
        }
        let notBefore = terms.notBefore ?? now
        if let expiresAt = terms.expiresAt {
            guard expiresAt > notBefore, expiresAt > now else {
                throw LicenseError.malformed(
                    "license terms", "the expiry \(LicenseTime.format(expiresAt)) is not in the future")
            }
        }
        guard models.count <= License.Limits.maximumModels else {
            throw LicenseError.malformed("license terms", "more than \(License.Limits.maximumModels) models")
        }
        let validKey =
            request.kem == .x25519
            ? (try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: request.machineKey)) != nil
            : (try? P256.KeyAgreement.PublicKey(x963Representation: request.machineKey)) != nil
        guard validKey else { throw LicenseError.malformed("license request", "bad machine key") }
        var componentKeys: [Curve25519.KeyAgreement.PublicKey] = []
        for component in request.components {
            guard let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: component.publicKey) else {
                throw LicenseError.malformed("license request", "bad key for component \(component.name)")
            }
            componentKeys.append(key)
        }
        let idBytes = randomBytes(16)
        var entries: [License.Model] = []
        for (file, name) in models {
            let fileID = file.file.fileID
            guard !entries.contains(where: { $0.fileID == fileID }) else { continue }
            entries.append(
                License.Model(fileID: fileID, name: name, wrappedFileKey: try file.wrapFileKey(to: licenseKey).body))
        }
        // The license keeps its request's version: a version 1 machine key derives version 1 components.
        let license = License(
            version: request.version, id: Hex.encode(idBytes), customer: terms.customer, issuedAt: now,
            notBefore: notBefore,
            expiresAt: terms.expiresAt, models: entries,
            machine: License.Machine(
                vendorKeyID: request.vendorKeyID, kem: request.kem, machineKey: request.machineKey,
                components: request.components.map { ($0.name, $0.hash) }, match: match),
            keyWrapping: try License.KeyWrapping.make(
                licenseKey: licenseKey.bytes, licenseID: idBytes, kem: request.kem, machineKey: request.machineKey,
                componentKeys: componentKeys, match: match, attested: attested),
            maxLoads: terms.maxLoads, features: terms.features, guards: terms.guards)
        return try SignedLicense.sign(license, with: signingKey, algorithm: algorithm)
    }
}
