// JS wrappers of dht::crypto::PrivateKey, PublicKey and Certificate (each owns a shared_ptr),
// plus the module-level crypto functions (generation, import, AES, hashing).
#pragma once

#include "common.h"

#include <memory>

namespace odn {

class PrivateKeyWrap : public Napi::ObjectWrap<PrivateKeyWrap> {
public:
    using Native = dht::crypto::PrivateKey;
    static Napi::Function Define(Napi::Env env);
    static Napi::Object New(Napi::Env env, std::shared_ptr<Native> key);
    // The wrapped key of `v`, or EINVAL naming `name` if `v` is not a NativePrivateKey.
    static std::shared_ptr<Native> From(Napi::Env env, Napi::Value v, const char* name);

    explicit PrivateKeyWrap(const Napi::CallbackInfo& info);

private:
    Napi::Value ExportPem(const Napi::CallbackInfo& info);
    Napi::Value ExportDer(const Napi::CallbackInfo& info);
    Napi::Value GetPublicKey(const Napi::CallbackInfo& info);
    Napi::Value Sign(const Napi::CallbackInfo& info);
    Napi::Value Decrypt(const Napi::CallbackInfo& info);
    Napi::Value KeyInfo(const Napi::CallbackInfo& info);

    std::shared_ptr<Native> key_;
};

class PublicKeyWrap : public Napi::ObjectWrap<PublicKeyWrap> {
public:
    using Native = dht::crypto::PublicKey;
    static Napi::Function Define(Napi::Env env);
    static Napi::Object New(Napi::Env env, std::shared_ptr<Native> key);
    static std::shared_ptr<Native> From(Napi::Env env, Napi::Value v, const char* name);

    explicit PublicKeyWrap(const Napi::CallbackInfo& info);

private:
    Napi::Value Id(const Napi::CallbackInfo& info);
    Napi::Value LongId(const Napi::CallbackInfo& info);
    Napi::Value ExportPem(const Napi::CallbackInfo& info);
    Napi::Value ExportDer(const Napi::CallbackInfo& info);
    Napi::Value Verify(const Napi::CallbackInfo& info);
    Napi::Value Encrypt(const Napi::CallbackInfo& info);
    Napi::Value KeyInfo(const Napi::CallbackInfo& info);

    std::shared_ptr<Native> key_;
};

class CertificateWrap : public Napi::ObjectWrap<CertificateWrap> {
public:
    using Native = dht::crypto::Certificate;
    static Napi::Function Define(Napi::Env env);
    static Napi::Object New(Napi::Env env, std::shared_ptr<Native> cert);
    static std::shared_ptr<Native> From(Napi::Env env, Napi::Value v, const char* name);

    explicit CertificateWrap(const Napi::CallbackInfo& info);

private:
    Napi::Value ToPem(const Napi::CallbackInfo& info);
    Napi::Value ToDer(const Napi::CallbackInfo& info);
    Napi::Value Details(const Napi::CallbackInfo& info);
    Napi::Value GetIssuer(const Napi::CallbackInfo& info);
    Napi::Value GetPublicKey(const Napi::CallbackInfo& info);
    Napi::Value IsSignedBy(const Napi::CallbackInfo& info);

    std::shared_ptr<Native> cert_;
};

// Adds the classes and the crypto functions to `exports`.
void initCrypto(Napi::Env env, Napi::Object exports);

}  // namespace odn
