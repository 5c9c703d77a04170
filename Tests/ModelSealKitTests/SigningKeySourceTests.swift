import ModelSealPKCS11
import Testing

@testable import ModelSealKit

@Suite("Signing key sources: a key file or a pkcs11: token key")
struct SigningKeySourceTests {
    @Test("a pkcs11: URI (any case of the scheme) names a token key; anything else is a file")
    func classification() throws {
        guard
            case .token(let uri, let module, let pin) = try SigningKeySource(
                reference: "PKCS11:token=vendor;object=release", pkcs11Module: "/m.so", pinEnvironment: "PIN")
        else { Issue.record("not a token key"); return }
        #expect(uri.token == "vendor" && uri.object == "release" && module == "/m.so" && pin == "PIN")
        guard
            case .file(let path, let passphrase) = try SigningKeySource(
                reference: "keys/pkcs11:vendor.key", passphraseEnvironment: "PASS")
        else { Issue.record("not a file key"); return }
        #expect(path == "keys/pkcs11:vendor.key" && passphrase == "PASS")
        #expect(throws: PKCS11Error.self) { try SigningKeySource(reference: "pkcs11:token=a b") }
    }

    @Test("the module: --pkcs11-module first, then the URI's module-path")
    func modulePrecedence() throws {
        let uri = try PKCS11URI(parsing: "pkcs11:object=k?module-path=/from/uri.so")
        #expect(try SigningKeySource.modulePath("/explicit.so", uri: uri) == "/explicit.so")
        #expect(try SigningKeySource.modulePath(nil, uri: uri) == "/from/uri.so")
    }

    @Test("a PIN refused before any token sees it: unset --pin-env variable, over-long")
    func pinChecks() {
        let uri = try? PKCS11URI(parsing: "pkcs11:object=k")
        guard let uri else { Issue.record("parse"); return }
        #expect(throws: PKCS11Error.self) {
            try SigningKeySource.pin(for: uri, environment: "MODELSEAL_TEST_UNSET_PIN_VARIABLE", prompt: false)
        }
    }

    @Test("token failures map to their own exit codes")
    func statusCodes() {
        #expect(StatusCode(for: PKCS11Error.moduleUnavailable("x")) == .tokenUnavailable)
        #expect(StatusCode(for: PKCS11Error.tokenFailed(function: "C_Sign", code: 6)) == .tokenUnavailable)
        #expect(StatusCode(for: PKCS11Error.loginFailed("x")) == .tokenLoginFailed)
        #expect(StatusCode(for: PKCS11Error.notFound("x")) == .tokenKeyNotFound)
        #expect(StatusCode(for: PKCS11Error.malformedURI("x")) == .usage)
        #expect(StatusCode(for: PKCS11Error.unsupportedKey("x")) == .signingKeyError)
        #expect([27, 28, 29].allSatisfy { StatusCode.pythonException(code: $0) == "SignatureError" })
    }
}
