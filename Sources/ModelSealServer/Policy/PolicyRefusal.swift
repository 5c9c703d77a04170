import ModelSealLicensing

/// The policies' refusals (docs/SERVER.md §Errors), the same from both stores.
extension Refusal {
    static let machineDeactivated = StoreError.refused(
        code: "machine_deactivated",
        message: "this machine was deactivated: run `modelseal activate --server URL --token-file FILE` again")

    static func overQuota(_ license: LicenseRecord, limit: Int64, period: UsagePeriod, daily: Bool) -> StoreError {
        .refused(
            code: "over_quota",
            message: "license \(license.id) is over its \(daily ? "daily" : "monthly") quota (\(limit) load(s) per "
                + "UTC \(daily ? "day" : "month")), resets at \(LicenseTime.format(period.resetsAt))")
    }

    static func seatsExhausted(_ license: LicenseRecord, freesAt: Int64?) -> StoreError {
        .refused(
            code: "seats_exhausted",
            message: "all \(license.maxMachines) floating seat(s) of license \(license.id) are in use; a seat frees "
                + "when its machine checks in"
                + (freesAt.map { " or at the latest at \(LicenseTime.format($0))" } ?? ""))
    }

    static func coolingDown(_ license: LicenseRecord, until: Int64) -> StoreError {
        .refused(
            code: "machines_exhausted",
            message: "license \(license.id) allows \(license.maxMachines) machine(s); a machine deactivated recently "
                + "holds its slot until \(LicenseTime.format(until)) (deactivation cooldown): only that machine may "
                + "take it back before then")
    }

    /// The node-locked slot decision both stores make from their count: `held` slots (live machines and
    /// deactivated ones still cooling down, this machine apart) and the earliest cooling deactivation.
    static func checkSlots(_ license: LicenseRecord, held: Int64, earliestCooling: Int64?) throws {
        guard held >= license.maxMachines else { return }
        if let earliestCooling {
            throw coolingDown(license, until: earliestCooling + license.policy.cooldownSeconds)
        }
        throw machinesExhausted(license)
    }

    /// The license's daily and monthly limits at `now`, each with its period, for the meter check.
    static func quotas(_ license: LicenseRecord, now: Int64) -> [(limit: Int64, period: UsagePeriod, daily: Bool)] {
        [
            license.policy.maxLoadsPerDay.map { ($0, UsagePeriod.day(now), true) },
            license.policy.maxLoadsPerMonth.map { ($0, UsagePeriod.month(now), false) },
        ].compactMap { $0 }
    }
}
