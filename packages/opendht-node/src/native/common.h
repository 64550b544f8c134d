// Shared plumbing of the addon: per-env data, error conversion, buffer helpers and the
// promise-returning worker used for every blocking OpenDHT call.
#pragma once

#include <napi.h>
#include <opendht/crypto.h>
#include <opendht/infohash.h>

#include <functional>
#include <string>
#include <vector>

namespace odn {

// Constructors of the wrapped classes, one set per Node environment (worker threads included).
struct AddonData {
    Napi::FunctionReference privateKeyCtor;
    Napi::FunctionReference publicKeyCtor;
    Napi::FunctionReference certificateCtor;
    Napi::FunctionReference dhtRunnerCtor;
};

inline AddonData& addonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

// Stable codes attached to every error thrown by the addon; TypeScript maps them to messages.
//   EDECRYPT   decryption failed (wrong password, wrong key, corrupted data)
//   ECRYPTO    any other OpenDHT/GnuTLS crypto failure
//   EINVAL     bad argument
//   ENATIVE    any other C++ exception
Napi::Error makeError(Napi::Env env, const std::string& message, const char* code);

// Runs `fn` and turns any C++ exception into a JS exception carrying a code.
// Every entry point called from JS goes through this.
template <typename F>
auto guard(Napi::Env env, F&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const Napi::Error&) {
        throw;
    } catch (const dht::crypto::DecryptError& e) {
        throw makeError(env, e.what(), "EDECRYPT");
    } catch (const dht::crypto::CryptoException& e) {
        throw makeError(env, e.what(), "ECRYPTO");
    } catch (const std::invalid_argument& e) {
        throw makeError(env, e.what(), "EINVAL");
    } catch (const std::exception& e) {
        throw makeError(env, e.what(), "ENATIVE");
    } catch (...) {
        throw makeError(env, "unknown native error", "ENATIVE");
    }
}

// Argument readers: throw EINVAL with the argument's name on a type mismatch.
std::vector<uint8_t> argBytes(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string argString(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string argOptString(const Napi::CallbackInfo& info, size_t i);  // undefined/null -> ""
bool argBool(const Napi::CallbackInfo& info, size_t i, bool dflt);
uint32_t argUint(const Napi::CallbackInfo& info, size_t i, const char* name);
dht::InfoHash argHash(const Napi::CallbackInfo& info, size_t i, const char* name);

Napi::Buffer<uint8_t> toBuffer(Napi::Env env, const uint8_t* data, size_t size);
inline Napi::Buffer<uint8_t> toBuffer(Napi::Env env, const std::vector<uint8_t>& blob) {
    return toBuffer(env, blob.data(), blob.size());
}

// A promise settled by a job run on the libuv thread pool.
// `work` runs off the JS thread and may throw; `done` runs on the JS thread and builds the result.
class PromiseWorker : public Napi::AsyncWorker {
public:
    using Work = std::function<void()>;
    using Done = std::function<Napi::Value(Napi::Env)>;

    static Napi::Promise run(Napi::Env env, const char* name, Work work, Done done);

protected:
    PromiseWorker(Napi::Env env, const char* name, Work work, Done done);
    void Execute() override;
    void OnOK() override;
    void OnError(const Napi::Error& e) override;

private:
    Napi::Promise::Deferred deferred_;
    Work work_;
    Done done_;
    std::string errorMessage_;
    const char* errorCode_ {nullptr};
};

}  // namespace odn
