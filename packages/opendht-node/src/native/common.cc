// Error conversion, argument readers and PromiseWorker.
#include "common.h"

namespace odn {

Napi::Error makeError(Napi::Env env, const std::string& message, const char* code) {
    auto err = Napi::Error::New(env, message);
    err.Set("code", Napi::String::New(env, code));
    return err;
}

static Napi::Error argError(Napi::Env env, const std::string& what) {
    return makeError(env, what, "EINVAL");
}

std::vector<uint8_t> argBytes(const Napi::CallbackInfo& info, size_t i, const char* name) {
    auto v = info[i];
    if (v.IsBuffer() || v.IsTypedArray()) {
        auto arr = v.As<Napi::TypedArray>();
        auto bytes = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
        return {bytes, bytes + arr.ByteLength()};
    }
    if (v.IsString()) {
        auto s = v.As<Napi::String>().Utf8Value();
        return {s.begin(), s.end()};
    }
    throw argError(info.Env(), std::string(name) + " must be a Buffer, Uint8Array or string");
}

std::string argString(const Napi::CallbackInfo& info, size_t i, const char* name) {
    if (!info[i].IsString())
        throw argError(info.Env(), std::string(name) + " must be a string");
    return info[i].As<Napi::String>().Utf8Value();
}

std::string argOptString(const Napi::CallbackInfo& info, size_t i) {
    if (info[i].IsUndefined() || info[i].IsNull())
        return {};
    if (!info[i].IsString())
        throw argError(info.Env(), "expected a string");
    return info[i].As<Napi::String>().Utf8Value();
}

bool argBool(const Napi::CallbackInfo& info, size_t i, bool dflt) {
    if (info[i].IsUndefined() || info[i].IsNull())
        return dflt;
    return info[i].ToBoolean().Value();
}

uint32_t argUint(const Napi::CallbackInfo& info, size_t i, const char* name) {
    if (!info[i].IsNumber())
        throw argError(info.Env(), std::string(name) + " must be a number");
    auto d = info[i].As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d)))
        throw argError(info.Env(), std::string(name) + " must be an unsigned 32-bit integer");
    return static_cast<uint32_t>(d);
}

dht::InfoHash argHash(const Napi::CallbackInfo& info, size_t i, const char* name) {
    auto hex = argString(info, i, name);
    if (hex.size() != dht::InfoHash::size() * 2)
        throw argError(info.Env(), std::string(name) + " must be 40 hex characters");
    for (char c : hex)
        if (!std::isxdigit(static_cast<unsigned char>(c)))
            throw argError(info.Env(), std::string(name) + " must be 40 hex characters");
    return dht::InfoHash(hex);
}

Napi::Buffer<uint8_t> toBuffer(Napi::Env env, const uint8_t* data, size_t size) {
    return Napi::Buffer<uint8_t>::Copy(env, data, size);
}

Napi::Promise PromiseWorker::run(Napi::Env env, const char* name, Work work, Done done) {
    auto* worker = new PromiseWorker(env, name, std::move(work), std::move(done));
    auto promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
}

PromiseWorker::PromiseWorker(Napi::Env env, const char* name, Work work, Done done)
    : Napi::AsyncWorker(env, name),
      deferred_(Napi::Promise::Deferred::New(env)),
      work_(std::move(work)),
      done_(std::move(done)) {}

void PromiseWorker::Execute() {
    try {
        work_();
    } catch (const dht::crypto::DecryptError& e) {
        errorCode_ = "EDECRYPT";
        errorMessage_ = e.what();
    } catch (const dht::crypto::CryptoException& e) {
        errorCode_ = "ECRYPTO";
        errorMessage_ = e.what();
    } catch (const std::exception& e) {
        errorCode_ = "ENATIVE";
        errorMessage_ = e.what();
    } catch (...) {
        errorCode_ = "ENATIVE";
        errorMessage_ = "unknown native error";
    }
}

void PromiseWorker::OnOK() {
    Napi::Env env = Env();
    if (errorCode_) {
        deferred_.Reject(makeError(env, errorMessage_, errorCode_).Value());
        return;
    }
    try {
        deferred_.Resolve(guard(env, [&] { return done_(env); }));
    } catch (const Napi::Error& e) {
        deferred_.Reject(e.Value());
    }
}

void PromiseWorker::OnError(const Napi::Error& e) {
    deferred_.Reject(e.Value());
}

}  // namespace odn
