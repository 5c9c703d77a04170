import Testing

@testable import ModelSealPKCS11

@Suite("RFC 7512 pkcs11: URIs")
struct PKCS11URITests {
    @Test("the examples of RFC 7512 §3.3 parse")
    func rfcExamples() throws {
        let uri = try PKCS11URI(
            parsing: "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;"
                + "model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=")
        #expect(uri.token == "The Software PKCS#11 Softtoken")
        #expect(uri.manufacturer == "Snake Oil, Inc.")
        #expect(uri.model == "1.0")
        #expect(uri.object == "my-certificate")
        #expect(uri.type == .cert)
        #expect(uri.id == [0x69, 0x95, 0x3E, 0x5C, 0xF4, 0xBD, 0xEC, 0x91])
        #expect(uri.serial == "")
        let query = try PKCS11URI(
            parsing: "pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmodule.so&pin-source=file:/etc/token")
        #expect(query.modulePath == "/mnt/libmodule.so")
        #expect(query.pinSource == "file:/etc/token")
        let library = try PKCS11URI(
            parsing: "pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token;"
                + "library-version=1.23")
        #expect(library.libraryVersion == .init(major: 1, minor: 23))
        #expect(try PKCS11URI(parsing: "pkcs11:library-version=7").libraryVersion == .init(major: 7, minor: 0))
        #expect(try PKCS11URI(parsing: "pkcs11:slot-description=Sun%20Metaslot;slot-id=18").slotID == 18)
        #expect(try PKCS11URI(parsing: "pkcs11:").token == nil)
        #expect(try PKCS11URI(parsing: "PKCS11:token=a").token == "a")
        #expect(try PKCS11URI(parsing: "pkcs11:token=A%26B&C").token == "A&B&C")
        #expect(try PKCS11URI(parsing: "pkcs11:token=%c3%a9").token == "é")
    }

    @Test(
        "malformed or unusable URIs are refused",
        arguments: [
            "pkcs12:token=a", "pkcs11", "pkcs11:token", "pkcs11:token=a;token=b", "pkcs11:token=a b",
            "pkcs11:token=%4", "pkcs11:token=%zz", "pkcs11:token=%ff", "pkcs11:object=a/b", "pkcs11:token=a;;object=b",
            "pkcs11:token=a;", "pkcs11:slot-id=x", "pkcs11:slot-id=", "pkcs11:slot-id=99999999999999999999",
            "pkcs11:type=key", "pkcs11:library-version=1.2.3", "pkcs11:library-version=256",
            "pkcs11:x-vendor=1", "pkcs11:=a", "pkcs11:token=a?pin-value=1234", "pkcs11:?module-name=softhsm2",
            "pkcs11:?module-path=/a&module-path=/b", "pkcs11:?unknown=1", "pkcs11:token=é",
        ])
    func refused(_ text: String) {
        #expect(throws: PKCS11Error.self) { try PKCS11URI(parsing: text) }
    }

    @Test("a PIN in the URI is refused with the way to give it")
    func pinValue() {
        #expect {
            try PKCS11URI(parsing: "pkcs11:token=a?pin-value=1234")
        } throws: { error in
            "\(error)".contains("MODELSEAL_PKCS11_PIN")
        }
    }

    @Test("a URI longer than the cap is refused before parsing")
    func tooLong() {
        let text = "pkcs11:object=" + String(repeating: "a", count: PKCS11URI.maximumLength)
        #expect(throws: PKCS11Error.self) { try PKCS11URI(parsing: text) }
    }

    @Test(
        "the canonical form parses back to itself",
        arguments: [
            "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;object=my-key;type=private;id=%01%ff",
            "pkcs11:slot-id=3;library-version=1;token=A&B?module-path=/usr/lib/p11.so&pin-source=file:/etc/pin",
            "pkcs11:", "PKCS11:serial=;model=x:y@z",
        ])
    func canonical(_ text: String) throws {
        let uri = try PKCS11URI(parsing: text)
        let again = try PKCS11URI(parsing: uri.canonicalText)
        #expect(again.canonicalText == uri.canonicalText)
        #expect(again.token == uri.token && again.id == uri.id && again.modulePath == uri.modulePath)
    }
}
