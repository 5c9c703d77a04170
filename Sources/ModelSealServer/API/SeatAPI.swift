import Hummingbird
import ModelSealCore

/// The machine's own calls besides release (docs/SERVER.md §Client API): heartbeat (take or renew a
/// floating seat), check-in (free it) and deactivation (free the machine's slot, after the cooldown).
/// Each is signed like a release and rate-limited with it.
extension KeyServer {
    func addSeatRoutes(_ router: Router<BasicRequestContext>) {
        machineRoute(router, "/v1/heartbeat", kind: "heartbeat") { machine, now in
            let renewed = try await self.store.heartbeat(machineID: machine.id, now: now)
            return [("seat_expires_at", renewed.seatExpiresAt.map { .integer($0) } ?? .null)]
        }
        machineRoute(router, "/v1/checkin", kind: "checkin") { machine, now in
            try await self.store.checkIn(machineID: machine.id, now: now)
            return [("checked_in", .bool(true))]
        }
        machineRoute(router, "/v1/deactivate", kind: "deactivation") { machine, now in
            try await self.store.deactivate(machineID: machine.id, now: now)
            return [("deactivated", .bool(true))]
        }
    }

    /// A signed POST of an activated machine answering `{"machine_id", ...members}`, counted in the metrics
    /// as `kind` and in the console's refusal counts.
    func machineRoute(
        _ router: Router<BasicRequestContext>, _ path: RouterPath, kind: String,
        _ handler: @escaping @Sendable (MachineRecord, Int64) async throws -> [(String, JSONValue)]
    ) {
        router.post(path) { request, _ in
            await self.counted(kind) {
                try await self.countingRefusals {
                    let signed = try await self.machineRequest(request)
                    let members = try await handler(signed.machine, signed.now)
                    return APIResponse.json(.object(JSONObject([("machine_id", .string(signed.machine.id))] + members)))
                }
            }
        }
    }
}
