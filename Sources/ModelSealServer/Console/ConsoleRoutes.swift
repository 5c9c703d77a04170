import Hummingbird

/// The vendor console's routes, on the admin listener only (docs/CONSOLE.md).
extension KeyServer {
    func addConsoleRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/console/static/console.css") { _, _ in ConsoleResponse.stylesheet }
        router.get("/console/login") { request, _ in self.loginPage(request) }
        router.post("/console/login") { request, _ in await self.login(request) }
        router.post("/console/logout") { request, _ in await self.logout(request) }
        router.get("/console") { request, _ in await self.consolePage(request) { try await self.overviewPage($0) } }
        router.get("/console/customers") { request, _ in
            await self.consolePage(request) { try await self.customersPage(request, $0) }
        }
        router.post("/console/customers") { request, _ in
            await self.consoleAction(request) { try await self.addCustomerAction($0, $1) }
        }
        router.get("/console/customers/:id") { request, route in
            await self.consolePage(request) {
                try await self.customerPage(route.parameters.get("id") ?? "", request, $0)
            }
        }
        router.get("/console/models") { request, _ in
            await self.consolePage(request) { try await self.modelsPage(request, $0) }
        }
        router.get("/console/models/:id") { request, route in
            await self.consolePage(request) { try await self.modelPage(route.parameters.get("id") ?? "", $0) }
        }
        addConsoleLicenseRoutes(router)
        router.get("/console/audit") { request, _ in
            await self.consolePage(request) { try await self.auditPage(request, $0) }
        }
        router.get("/console/trace") { request, _ in await self.consolePage(request) { self.tracePage($0) } }
        router.post("/console/trace") { request, _ in await self.traceAction(request) }
    }

    func addConsoleLicenseRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/console/licenses") { request, _ in
            await self.consolePage(request) { try await self.licensesPage(request, $0) }
        }
        router.post("/console/licenses") { request, _ in
            await self.consoleAction(request) { try await self.addLicenseAction($0, $1) }
        }
        router.get("/console/licenses/:id") { request, route in
            await self.consolePage(request) {
                try await self.licensePage(route.parameters.get("id") ?? "", request, $0)
            }
        }
        router.get("/console/licenses/:id/revoke") { request, route in
            await self.consolePage(request) { try await self.revokeConfirmPage(route.parameters.get("id") ?? "", $0) }
        }
        router.post("/console/licenses/:id/revoke") { request, route in
            await self.consoleAction(request) { context, _ in
                try await self.revokeAction(route.parameters.get("id") ?? "", context)
            }
        }
        router.post("/console/licenses/:id/limits") { request, route in
            await self.consoleAction(request) { try await self.limitsAction(route.parameters.get("id") ?? "", $0, $1) }
        }
        router.post("/console/machines/:id/deactivate") { request, route in
            await self.consoleAction(request) {
                try await self.deactivateAction(route.parameters.get("id") ?? "", $0, $1)
            }
        }
    }

    /// Counts a store refusal (revoked, expired, over quota…) in the per-day rollup, then passes it on.
    func countingRefusals(_ handler: () async throws -> Response) async throws -> Response {
        do {
            return try await handler()
        } catch StoreError.refused(let code, let message) {
            try? await consoleStore?.countRefusal(code: code, now: clock())
            throw StoreError.refused(code: code, message: message)
        }
    }
}
