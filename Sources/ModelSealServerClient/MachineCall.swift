import ModelSealCore
import ModelSealLicensing
import ModelSealServerProtocol

/// An activated machine's calls besides release (docs/SERVER.md §Client): heartbeat (take or renew a
/// floating seat), check-in (free it), deactivation (free the slot; a new machine may take it after the
/// license's cooldown, this machine's key any time).
public enum MachineCall {
    /// Takes or renews the floating seat; returns when it ends (`nil`: a node-locked license, no seat).
    public static func heartbeat(url: ServerURL, directory: LicensingDirectory, now: Int64) throws(ServerClientError)
        -> Int64?
    {
        try call(url, "/v1/heartbeat", directory: directory, now: now)["seat_expires_at"]?.int64Value
    }

    /// Frees the floating seat now.
    public static func checkIn(url: ServerURL, directory: LicensingDirectory, now: Int64) throws(ServerClientError) {
        _ = try call(url, "/v1/checkin", directory: directory, now: now)
    }

    /// Deactivates this machine, then removes its activation and cached releases (the machine key stays, so
    /// activating again later is the same machine).
    public static func deactivate(url: ServerURL, directory: LicensingDirectory, now: Int64)
        throws(ServerClientError) -> String
    {
        let activation = try ServerActivation.load(url, directory: directory)
        _ = try call(url, "/v1/deactivate", directory: directory, now: now)
        let folder = ServerActivation.folder(url, directory: directory)
        for name in (try? Directory.entries(folder + "/leases")) ?? [] {
            ClientFiles.remove(folder + "/leases/" + name)
        }
        ClientFiles.remove(folder + "/activation.json")
        return activation.machineID
    }

    static func call(_ url: ServerURL, _ path: String, directory: LicensingDirectory, now: Int64)
        throws(ServerClientError) -> JSONValue
    {
        let activation = try ServerActivation.load(url, directory: directory)
        return try ServerCall.signed(
            url, path: path, body: .object([:]), key: try activation.signingKey(directory: directory),
            machineID: activation.machineID, now: now, trust: activation.trust
        ).value
    }
}
