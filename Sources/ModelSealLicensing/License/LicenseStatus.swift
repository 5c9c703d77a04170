/// What `license show` reports about a license on this machine, without touching any model key.
public struct LicenseStatus: Sendable {
    /// A machine key for the license's vendor exists here.
    public let machineKeyPresent: Bool
    /// That key is the one the license was issued to.
    public let machineKeyMatches: Bool
    /// Fingerprint components that match, and how many are needed.
    public let matchingComponents: Int
    /// Components needed.
    public let requiredComponents: Int
    /// Components whose hash differs (or are missing) here.
    public let differingComponents: [String]
    /// Loads recorded here, when the state could be read.
    public let loadsUsed: Int64?
}

extension LicenseValidator {
    /// The license's standing on this machine (no guard, no date check, nothing counted).
    public func status(of signed: SignedLicense) -> LicenseStatus {
        let license = signed.license
        let vendor = license.machine.vendorKeyID
        let identity = (try? directory.machineIdentity(vendorKeyID: vendor)) ?? nil
        let fingerprint = Fingerprint(probe: probe, vendorKeyID: vendor)
        let matches = fingerprint.matches(license.machine.components)
        let keyMatches = identity.map { Array($0.publicKey.rawRepresentation) == license.machine.machineKey } ?? false
        var loads: Int64? = nil
        if keyMatches, let identity, let machineKey = try? identity.unlock(with: fingerprint) {
            var secret = Array(machineKey.rawRepresentation)
            let files = LicenseState.Files(base: directory.statePath(vendor, licenseID: license.id))
            loads =
                (try? LicenseState.read(
                    files, licenseID: license.id,
                    key: LicenseState.key(machinePrivateKey: secret, licenseID: license.id)))?.loads
            SecretMemory.wipe(&secret)
        }
        return LicenseStatus(
            machineKeyPresent: identity != nil, machineKeyMatches: keyMatches,
            matchingComponents: matches.filter { $0 }.count, requiredComponents: license.machine.match,
            differingComponents: zip(license.machine.components, matches).filter { !$0.1 }.map(\.0.name),
            loadsUsed: loads)
    }
}
