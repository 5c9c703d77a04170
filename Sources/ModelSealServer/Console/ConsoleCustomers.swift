import Hummingbird
import ModelSealCore

/// `/console/customers` (keyset-paged list, add form) and `/console/customers/ID` (the customer's licenses).
extension KeyServer {
    static let pageSize = 50

    func customersPage(_ request: Request, _ context: ConsoleContext) async throws -> HTML {
        let after = request.uri.queryParameters.get("after")
        let customers = try await store.customers(after: after, limit: Self.pageSize)
        let rows: [HTML] = customers.map {
            """
            <tr><td><a href="/console/customers/\($0.id)">\($0.name)</a></td><td><code>\($0.id)</code></td>\
            <td>\(ConsoleFormat.time($0.createdAt))</td></tr>
            """
        }
        let body: HTML = """
            <h2>Add a customer</h2>
            <form class="stack" method="post" action="/console/customers">\(context.csrfField)
            <label for="name">Name<input id="name" name="name" required maxlength="256"></label>
            <button type="submit">Add customer</button></form>
            <h2>Customers</h2>
            <div class="table"><table><thead><tr><th>Name</th><th>Id</th><th>Added</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            \(ConsoleFormat.pager("/console/customers", key: "after", last: customers.last?.id, full: customers.count == Self.pageSize))
            """
        return ConsoleResponse.layout("Customers", context, body)
    }

    func addCustomerAction(_ context: ConsoleContext, _ form: [String: String]) async throws -> Response {
        let customer = try await addCustomer(
            .object(["name": .string(form["name"] ?? "")]), actor: context.session.admin)
        guard let id = customer["customer"]?["id"]?.stringValue else {
            throw ConsoleFailure(status: .internalServerError, message: "Internal error.")
        }
        return ConsoleResponse.redirect("/console/customers/" + id)
    }

    func customerPage(_ id: String, _ request: Request, _ context: ConsoleContext) async throws -> HTML {
        guard let customer = try await context.store.customer(id: id) else {
            throw ConsoleFailure(status: .notFound, message: "No customer \(id).")
        }
        let after = request.uri.queryParameters.get("after")
        let licenses = try await context.store.licenseListings(after: after, customerID: id, limit: Self.pageSize)
        let body: HTML = """
            <p>Id <code>\(customer.id)</code>, added \(ConsoleFormat.time(customer.createdAt)).</p>
            <h2>Licenses</h2>
            \(Self.licenseTable(licenses, now: clock()))
            \(ConsoleFormat.pager("/console/customers/\(id)", key: "after", last: licenses.last?.license.id, full: licenses.count == Self.pageSize))
            <h2>New license for this customer</h2>
            \(try await licenseForm(context, customer: customer.name))
            """
        return ConsoleResponse.layout("Customer " + customer.name, context, body)
    }
}
