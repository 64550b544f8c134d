// Thin wrappers of OpenDHT's GnuTLS-based crypto types. Slow operations (key generation,
// RSA encryption/decryption, argon2-stretched AES) run on the libuv thread pool.
#include "crypto_wrap.h"

#include <opendht/value.h>

#include <cctype>
#include <chrono>

namespace odn {

namespace {

// As OpenDHT's aesEncrypt(data, password) uses them: a 16-byte salt (PASSWORD_SALT_LENGTH) and an AES-256 key.
constexpr size_t kPasswordSaltLength = 16;
constexpr size_t kAesKeyLength = 256 / 8;

// Ownership transfer from a factory to a constructor: the constructor copies the shared_ptr.
template <typename T>
Napi::Object newWrapped(Napi::Env env, Napi::FunctionReference& ctor, std::shared_ptr<T> ptr) {
    if (!ptr)
        throw makeError(env, "null native object", "ENATIVE");
    return ctor.New({Napi::External<std::shared_ptr<T>>::New(env, &ptr)});
}

template <typename T>
std::shared_ptr<T> fromExternal(const Napi::CallbackInfo& info, const char* cls) {
    if (info.Length() != 1 || !info[0].IsExternal())
        throw makeError(info.Env(), std::string(cls) + " cannot be constructed from JavaScript", "EINVAL");
    return *info[0].As<Napi::External<std::shared_ptr<T>>>().Data();
}

std::string algorithmName(int algo) {
    switch (algo) {
    case GNUTLS_PK_RSA: return "rsa";
    case GNUTLS_PK_ECDSA: return "ec";
    default: {
        const char* name = gnutls_pk_algorithm_get_name(static_cast<gnutls_pk_algorithm_t>(algo));
        std::string s = name ? name : "unknown";
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    }
    }
}

Napi::Object keyInfo(Napi::Env env, int algo, unsigned bits) {
    if (algo < 0)
        throw makeError(env, gnutls_strerror(algo), "ECRYPTO");
    auto o = Napi::Object::New(env);
    o.Set("algorithm", algorithmName(algo));
    o.Set("bits", Napi::Number::New(env, bits));
    return o;
}

std::string hexOf(const uint8_t* data, size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string out(size * 2, '0');
    for (size_t i = 0; i < size; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0xf];
    }
    return out;
}

double toEpochMs(std::chrono::system_clock::time_point t) {
    return static_cast<double>(
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

// gnutls export with the usual "ask for the size, then export" dance.
template <typename ExportFn>
std::vector<uint8_t> exportWith(ExportFn fn) {
    size_t size = 4096;
    std::vector<uint8_t> out(size);
    int err = fn(out.data(), &size);
    if (err == GNUTLS_E_SHORT_MEMORY_BUFFER) {
        out.resize(size);
        err = fn(out.data(), &size);
    }
    if (err != GNUTLS_E_SUCCESS)
        throw dht::crypto::CryptoException(std::string("export failed: ") + gnutls_strerror(err));
    out.resize(size);
    return out;
}

dht::crypto::Identity optionalIdentity(Napi::Env env, Napi::Value key, Napi::Value cert) {
    if (key.IsNull() || key.IsUndefined())
        return {};
    return {PrivateKeyWrap::From(env, key, "ca.key"), CertificateWrap::From(env, cert, "ca.certificate")};
}

}  // namespace

// ---------------------------------------------------------------- PrivateKey

Napi::Function PrivateKeyWrap::Define(Napi::Env env) {
    return DefineClass(env, "NativePrivateKey", {
        InstanceMethod<&PrivateKeyWrap::ExportPem>("exportPem"),
        InstanceMethod<&PrivateKeyWrap::ExportDer>("exportDer"),
        InstanceMethod<&PrivateKeyWrap::GetPublicKey>("publicKey"),
        InstanceMethod<&PrivateKeyWrap::Sign>("sign"),
        InstanceMethod<&PrivateKeyWrap::Decrypt>("decrypt"),
        InstanceMethod<&PrivateKeyWrap::KeyInfo>("keyInfo"),
    });
}

Napi::Object PrivateKeyWrap::New(Napi::Env env, std::shared_ptr<Native> key) {
    return newWrapped(env, addonData(env).privateKeyCtor, std::move(key));
}

std::shared_ptr<PrivateKeyWrap::Native> PrivateKeyWrap::From(Napi::Env env, Napi::Value v, const char* name) {
    if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(addonData(env).privateKeyCtor.Value()))
        throw makeError(env, std::string(name) + " must be a PrivateKey", "EINVAL");
    return Unwrap(v.As<Napi::Object>())->key_;
}

PrivateKeyWrap::PrivateKeyWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<PrivateKeyWrap>(info), key_(fromExternal<Native>(info, "NativePrivateKey")) {}

Napi::Value PrivateKeyWrap::ExportPem(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto password = argOptString(info, 0);
        auto pem = exportWith([&](uint8_t* out, size_t* len) { return key_->serialize(out, len, password); });
        return Napi::String::New(info.Env(), reinterpret_cast<const char*>(pem.data()), pem.size());
    });
}

Napi::Value PrivateKeyWrap::ExportDer(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto password = argOptString(info, 0);
        // Same PKCS#8 parameters as PrivateKey::serialize, DER instead of PEM.
        auto der = exportWith([&](uint8_t* out, size_t* len) {
            return password.empty()
                ? gnutls_x509_privkey_export_pkcs8(key_->x509_key, GNUTLS_X509_FMT_DER, nullptr, GNUTLS_PKCS_PLAIN, out, len)
                : gnutls_x509_privkey_export_pkcs8(key_->x509_key, GNUTLS_X509_FMT_DER, password.c_str(), GNUTLS_PKCS_PBES2_AES_256, out, len);
        });
        return toBuffer(info.Env(), der);
    });
}

Napi::Value PrivateKeyWrap::GetPublicKey(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        return PublicKeyWrap::New(info.Env(), key_->getSharedPublicKey());
    });
}

Napi::Value PrivateKeyWrap::Sign(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = argBytes(info, 0, "data");
        return toBuffer(info.Env(), key_->sign(data));
    });
}

Napi::Value PrivateKeyWrap::Decrypt(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = std::make_shared<dht::Blob>(argBytes(info, 0, "data"));
        auto out = std::make_shared<dht::Blob>();
        auto key = key_;
        return PromiseWorker::run(info.Env(), "opendht:decrypt",
            [=] { *out = key->decrypt(*data); },
            [=](Napi::Env env) -> Napi::Value { return toBuffer(env, *out); });
    });
}

Napi::Value PrivateKeyWrap::KeyInfo(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        unsigned bits = 0;
        int algo = gnutls_privkey_get_pk_algorithm(key_->key, &bits);
        return keyInfo(info.Env(), algo, bits);
    });
}

// ---------------------------------------------------------------- PublicKey

Napi::Function PublicKeyWrap::Define(Napi::Env env) {
    return DefineClass(env, "NativePublicKey", {
        InstanceMethod<&PublicKeyWrap::Id>("id"),
        InstanceMethod<&PublicKeyWrap::LongId>("longId"),
        InstanceMethod<&PublicKeyWrap::ExportPem>("exportPem"),
        InstanceMethod<&PublicKeyWrap::ExportDer>("exportDer"),
        InstanceMethod<&PublicKeyWrap::Verify>("verify"),
        InstanceMethod<&PublicKeyWrap::Encrypt>("encrypt"),
        InstanceMethod<&PublicKeyWrap::KeyInfo>("keyInfo"),
    });
}

Napi::Object PublicKeyWrap::New(Napi::Env env, std::shared_ptr<Native> key) {
    return newWrapped(env, addonData(env).publicKeyCtor, std::move(key));
}

std::shared_ptr<PublicKeyWrap::Native> PublicKeyWrap::From(Napi::Env env, Napi::Value v, const char* name) {
    if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(addonData(env).publicKeyCtor.Value()))
        throw makeError(env, std::string(name) + " must be a PublicKey", "EINVAL");
    return Unwrap(v.As<Napi::Object>())->key_;
}

PublicKeyWrap::PublicKeyWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<PublicKeyWrap>(info), key_(fromExternal<Native>(info, "NativePublicKey")) {}

Napi::Value PublicKeyWrap::Id(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        return Napi::String::New(info.Env(), key_->getId().toString());
    });
}

Napi::Value PublicKeyWrap::LongId(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        return Napi::String::New(info.Env(), key_->getLongId().toString());
    });
}

Napi::Value PublicKeyWrap::ExportPem(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        return Napi::String::New(info.Env(), key_->toString());
    });
}

Napi::Value PublicKeyWrap::ExportDer(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        dht::Blob der;
        key_->pack(der);
        return toBuffer(info.Env(), der);
    });
}

Napi::Value PublicKeyWrap::Verify(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = argBytes(info, 0, "data");
        auto signature = argBytes(info, 1, "signature");
        return Napi::Boolean::New(info.Env(), key_->checkSignature(data, signature));
    });
}

Napi::Value PublicKeyWrap::Encrypt(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = std::make_shared<dht::Blob>(argBytes(info, 0, "data"));
        auto out = std::make_shared<dht::Blob>();
        auto key = key_;
        return PromiseWorker::run(info.Env(), "opendht:encrypt",
            [=] { *out = key->encrypt(*data); },
            [=](Napi::Env env) -> Napi::Value { return toBuffer(env, *out); });
    });
}

Napi::Value PublicKeyWrap::KeyInfo(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        unsigned bits = 0;
        int algo = gnutls_pubkey_get_pk_algorithm(key_->pk, &bits);
        return keyInfo(info.Env(), algo, bits);
    });
}

// ---------------------------------------------------------------- Certificate

Napi::Function CertificateWrap::Define(Napi::Env env) {
    return DefineClass(env, "NativeCertificate", {
        InstanceMethod<&CertificateWrap::ToPem>("toPem"),
        InstanceMethod<&CertificateWrap::ToDer>("toDer"),
        InstanceMethod<&CertificateWrap::Details>("details"),
        InstanceMethod<&CertificateWrap::GetIssuer>("issuer"),
        InstanceMethod<&CertificateWrap::GetPublicKey>("publicKey"),
        InstanceMethod<&CertificateWrap::IsSignedBy>("isSignedBy"),
    });
}

Napi::Object CertificateWrap::New(Napi::Env env, std::shared_ptr<Native> cert) {
    return newWrapped(env, addonData(env).certificateCtor, std::move(cert));
}

std::shared_ptr<CertificateWrap::Native> CertificateWrap::From(Napi::Env env, Napi::Value v, const char* name) {
    if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(addonData(env).certificateCtor.Value()))
        throw makeError(env, std::string(name) + " must be a Certificate", "EINVAL");
    return Unwrap(v.As<Napi::Object>())->cert_;
}

CertificateWrap::CertificateWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<CertificateWrap>(info), cert_(fromExternal<Native>(info, "NativeCertificate")) {}

Napi::Value CertificateWrap::ToPem(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto pem = cert_->toString(argBool(info, 0, true));
        if (pem.empty())
            throw dht::crypto::CryptoException("could not export certificate");
        return Napi::String::New(info.Env(), pem);
    });
}

Napi::Value CertificateWrap::ToDer(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto der = exportWith([&](uint8_t* out, size_t* len) {
            return gnutls_x509_crt_export(cert_->cert, GNUTLS_X509_FMT_DER, out, len);
        });
        return toBuffer(info.Env(), der);
    });
}

Napi::Value CertificateWrap::Details(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        auto o = Napi::Object::New(env);
        o.Set("id", cert_->getId().toString());
        o.Set("longId", cert_->getLongId().toString());
        o.Set("subjectName", cert_->getName());
        o.Set("subjectUid", cert_->getUID());
        o.Set("issuerName", cert_->getIssuerName());
        o.Set("issuerUid", cert_->getIssuerUID());
        o.Set("isCA", Napi::Boolean::New(env, cert_->isCA()));
        o.Set("notBefore", Napi::Number::New(env, toEpochMs(cert_->getActivation())));
        o.Set("notAfter", Napi::Number::New(env, toEpochMs(cert_->getExpiration())));
        auto serial = cert_->getSerialNumber();
        o.Set("serialNumber", hexOf(serial.data(), serial.size()));
        return o;
    });
}

Napi::Value CertificateWrap::GetIssuer(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        if (!cert_->issuer)
            return info.Env().Undefined();
        return CertificateWrap::New(info.Env(), cert_->issuer);
    });
}

Napi::Value CertificateWrap::GetPublicKey(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        return PublicKeyWrap::New(info.Env(), std::make_shared<dht::crypto::PublicKey>(cert_->getPublicKey()));
    });
}

Napi::Value CertificateWrap::IsSignedBy(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto issuer = CertificateWrap::From(info.Env(), info[0], "issuer");
        // Signature, issuer name and CA constraints are checked; validity dates are not (exposed
        // separately as notBefore/notAfter). DO_NOT_ALLOW_SAME: a certificate is not "signed by"
        // itself merely because it is the trusted one, only if it really is self-signed.
        gnutls_x509_crt_t ca = issuer->cert;
        unsigned status = 0;
        int rc = gnutls_x509_crt_verify(cert_->cert, &ca, 1,
            GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS | GNUTLS_VERIFY_DO_NOT_ALLOW_SAME,
            &status);
        return Napi::Boolean::New(info.Env(), rc == GNUTLS_E_SUCCESS && status == 0);
    });
}

// ---------------------------------------------------------------- module functions

namespace {

Napi::Value privateKeyGenerate(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto bits = argUint(info, 0, "bits");
        auto ec = argBool(info, 1, false);
        auto out = std::make_shared<std::shared_ptr<dht::crypto::PrivateKey>>();
        return PromiseWorker::run(info.Env(), "opendht:generateKey",
            [=] {
                *out = std::make_shared<dht::crypto::PrivateKey>(
                    ec ? dht::crypto::PrivateKey::generateEC() : dht::crypto::PrivateKey::generate(bits));
            },
            [=](Napi::Env env) -> Napi::Value { return PrivateKeyWrap::New(env, *out); });
    });
}

Napi::Value privateKeyImport(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = argBytes(info, 0, "data");
        auto password = argOptString(info, 1);
        if (password.empty())
            return PrivateKeyWrap::New(info.Env(), std::make_shared<dht::crypto::PrivateKey>(data.data(), data.size()));
        // OpenDHT 2.4's PrivateKey(data, password) passes GNUTLS_PKCS_PLAIN along with the
        // password, so encrypted PKCS#8 never imports: decode with GnuTLS, then hand it over.
        gnutls_x509_privkey_t x509;
        if (gnutls_x509_privkey_init(&x509) != GNUTLS_E_SUCCESS)
            throw dht::crypto::CryptoException("can't initialize private key");
        const gnutls_datum_t dt {data.data(), static_cast<unsigned>(data.size())};
        int err = gnutls_x509_privkey_import2(x509, &dt, GNUTLS_X509_FMT_PEM, password.c_str(), 0);
        if (err != GNUTLS_E_SUCCESS) {
            int errDer = gnutls_x509_privkey_import2(x509, &dt, GNUTLS_X509_FMT_DER, password.c_str(), 0);
            if (errDer != GNUTLS_E_SUCCESS) {
                gnutls_x509_privkey_deinit(x509);
                if (err == GNUTLS_E_DECRYPTION_FAILED || errDer == GNUTLS_E_DECRYPTION_FAILED)
                    throw dht::crypto::DecryptError("Can't decrypt private key");
                throw dht::crypto::CryptoException(std::string("Can't load private key: PEM: ") + gnutls_strerror(err)
                                                   + " DER: " + gnutls_strerror(errDer));
            }
        }
        return PrivateKeyWrap::New(info.Env(), std::make_shared<dht::crypto::PrivateKey>(x509));
    });
}

Napi::Value publicKeyImport(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = argBytes(info, 0, "data");
        return PublicKeyWrap::New(info.Env(), std::make_shared<dht::crypto::PublicKey>(data.data(), data.size()));
    });
}

Napi::Value certificateImport(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = argBytes(info, 0, "data");
        if (data.empty())
            throw dht::crypto::CryptoException("empty certificate data");
        return CertificateWrap::New(info.Env(), std::make_shared<dht::crypto::Certificate>(data.data(), data.size()));
    });
}

// certificateGenerate(key, name, caKey|null, caCert|null, isCA)
Napi::Value certificateGenerate(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        auto key = PrivateKeyWrap::From(env, info[0], "key");
        auto name = argString(info, 1, "name");
        auto ca = optionalIdentity(env, info[2], info[3]);
        auto isCA = argBool(info, 4, false);
        auto out = std::make_shared<std::shared_ptr<dht::crypto::Certificate>>();
        return PromiseWorker::run(env, "opendht:generateCertificate",
            [=] {
                *out = std::make_shared<dht::crypto::Certificate>(
                    dht::crypto::Certificate::generate(*key, name, ca, isCA));
            },
            [=](Napi::Env env) -> Napi::Value { return CertificateWrap::New(env, *out); });
    });
}

// identityGenerate(name, caKey|null, caCert|null, bits, ec, isCA) -> { key, certificate }
Napi::Value identityGenerate(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        auto name = argString(info, 0, "name");
        auto ca = optionalIdentity(env, info[1], info[2]);
        auto bits = argUint(info, 3, "bits");
        auto ec = argBool(info, 4, false);
        auto isCA = argBool(info, 5, false);
        auto out = std::make_shared<dht::crypto::Identity>();
        return PromiseWorker::run(env, "opendht:generateIdentity",
            [=] {
                *out = ec ? dht::crypto::generateEcIdentity(name, ca, isCA)
                          : dht::crypto::generateIdentity(name, ca, bits, isCA);
            },
            [=](Napi::Env env) -> Napi::Value {
                auto o = Napi::Object::New(env);
                o.Set("key", PrivateKeyWrap::New(env, out->first));
                o.Set("certificate", CertificateWrap::New(env, out->second));
                return o;
            });
    });
}

Napi::Value aesEncrypt(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = std::make_shared<dht::Blob>(argBytes(info, 0, "data"));
        auto password = std::make_shared<std::string>(argString(info, 1, "password"));
        auto out = std::make_shared<dht::Blob>();
        return PromiseWorker::run(info.Env(), "opendht:aesEncrypt",
            [=] { *out = dht::crypto::aesEncrypt(*data, *password); },
            [=](Napi::Env env) -> Napi::Value { return toBuffer(env, *out); });
    });
}

Napi::Value aesDecrypt(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = std::make_shared<dht::Blob>(argBytes(info, 0, "data"));
        auto password = std::make_shared<std::string>(argString(info, 1, "password"));
        auto out = std::make_shared<dht::Blob>();
        return PromiseWorker::run(info.Env(), "opendht:aesDecrypt",
            [=] { *out = dht::crypto::aesDecrypt(*data, *password); },
            [=](Napi::Env env) -> Napi::Value { return toBuffer(env, *out); });
    });
}

// OpenDHT's password key derivation alone (what aesEncrypt(data, password) does first): a caller that stretched
// the password once, ahead of time, encrypts with the key at AES speed. An empty salt gets a random one.
Napi::Value stretchKey(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto password = std::make_shared<std::string>(argString(info, 0, "password"));
        auto salt = std::make_shared<dht::Blob>();
        if (!info[1].IsUndefined() && !info[1].IsNull()) {
            *salt = argBytes(info, 1, "salt");
            if (salt->size() != kPasswordSaltLength)
                throw makeError(info.Env(), "salt must be 16 bytes", "EINVAL");
        }
        auto key = std::make_shared<dht::Blob>();
        return PromiseWorker::run(info.Env(), "opendht:stretchKey",
            [=] { *key = dht::crypto::stretchKey(*password, *salt, kAesKeyLength); },
            [=](Napi::Env env) -> Napi::Value {
                auto o = Napi::Object::New(env);
                o.Set("key", toBuffer(env, *key));
                o.Set("salt", toBuffer(env, *salt));
                return o;
            });
    });
}

// AES-GCM with a key from stretchKey: IV, ciphertext and tag, as the part of aesEncrypt(data, password) after its salt.
Napi::Value aesEncryptWithKey(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = std::make_shared<dht::Blob>(argBytes(info, 0, "data"));
        auto key = std::make_shared<dht::Blob>(argBytes(info, 1, "key"));
        if (key->size() != kAesKeyLength)
            throw makeError(info.Env(), "key must be 32 bytes", "EINVAL");
        auto out = std::make_shared<dht::Blob>();
        return PromiseWorker::run(info.Env(), "opendht:aesEncryptWithKey",
            [=] { *out = dht::crypto::aesEncrypt(*data, *key); },
            [=](Napi::Env env) -> Napi::Value { return toBuffer(env, *out); });
    });
}

Napi::Value infoHashGet(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = argBytes(info, 0, "data");
        auto h = dht::InfoHash::get(data.data(), data.size());
        return toBuffer(info.Env(), h.data(), h.size());
    });
}

}  // namespace

void initCrypto(Napi::Env env, Napi::Object exports) {
    auto& data = addonData(env);
    auto privateKey = PrivateKeyWrap::Define(env);
    auto publicKey = PublicKeyWrap::Define(env);
    auto certificate = CertificateWrap::Define(env);
    data.privateKeyCtor = Napi::Persistent(privateKey);
    data.publicKeyCtor = Napi::Persistent(publicKey);
    data.certificateCtor = Napi::Persistent(certificate);
    exports.Set("NativePrivateKey", privateKey);
    exports.Set("NativePublicKey", publicKey);
    exports.Set("NativeCertificate", certificate);

    exports.Set("privateKeyGenerate", Napi::Function::New<privateKeyGenerate>(env, "privateKeyGenerate"));
    exports.Set("privateKeyImport", Napi::Function::New<privateKeyImport>(env, "privateKeyImport"));
    exports.Set("publicKeyImport", Napi::Function::New<publicKeyImport>(env, "publicKeyImport"));
    exports.Set("certificateImport", Napi::Function::New<certificateImport>(env, "certificateImport"));
    exports.Set("certificateGenerate", Napi::Function::New<certificateGenerate>(env, "certificateGenerate"));
    exports.Set("identityGenerate", Napi::Function::New<identityGenerate>(env, "identityGenerate"));
    exports.Set("aesEncrypt", Napi::Function::New<aesEncrypt>(env, "aesEncrypt"));
    exports.Set("aesDecrypt", Napi::Function::New<aesDecrypt>(env, "aesDecrypt"));
    exports.Set("stretchKey", Napi::Function::New<stretchKey>(env, "stretchKey"));
    exports.Set("aesEncryptWithKey", Napi::Function::New<aesEncryptWithKey>(env, "aesEncryptWithKey"));
    exports.Set("infoHashGet", Napi::Function::New<infoHashGet>(env, "infoHashGet"));
}

}  // namespace odn
