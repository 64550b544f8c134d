// Conversion of OpenDHT values to JS objects, and msgpack packing for the low-level put path.
#include "value_convert.h"
#include "crypto_wrap.h"

#include <limits>

namespace odn {

Napi::Object valueToJs(Napi::Env env, const dht::Value& v) {
    auto o = Napi::Object::New(env);
    o.Set("id", Napi::BigInt::New(env, static_cast<uint64_t>(v.id)));
    o.Set("data", toBuffer(env, v.data));
    o.Set("type", Napi::Number::New(env, v.type));
    o.Set("seq", Napi::Number::New(env, v.seq));
    o.Set("signed", Napi::Boolean::New(env, v.isSigned()));
    // SecureDht hands over encrypted values already decrypted: they carry a recipient.
    o.Set("encrypted", Napi::Boolean::New(env, v.isEncrypted() || static_cast<bool>(v.recipient)));
    if (v.owner && *v.owner) {
        o.Set("owner", PublicKeyWrap::New(env, v.owner));
        o.Set("ownerId", v.owner->getId().toString());
    }
    if (v.recipient)
        o.Set("recipient", v.recipient.toString());
    if (!v.user_type.empty())
        o.Set("userType", v.user_type);
    return o;
}

dht::Value::Id argValueId(const Napi::CallbackInfo& info, size_t i) {
    auto v = info[i];
    if (v.IsUndefined() || v.IsNull())
        return dht::Value::INVALID_ID;
    if (v.IsBigInt()) {
        bool lossless = true;
        auto id = v.As<Napi::BigInt>().Uint64Value(&lossless);
        if (!lossless)
            throw makeError(info.Env(), "value id must fit in 64 unsigned bits", "EINVAL");
        return id;
    }
    if (v.IsNumber()) {
        auto d = v.As<Napi::Number>().DoubleValue();
        if (!(d >= 0 && d <= 9007199254740991.0) || d != static_cast<double>(static_cast<uint64_t>(d)))
            throw makeError(info.Env(), "value id must be a non-negative safe integer or a bigint", "EINVAL");
        return static_cast<uint64_t>(d);
    }
    throw makeError(info.Env(), "value id must be a bigint or a number", "EINVAL");
}

namespace {

size_t signatureBytes(const dht::crypto::PublicKey& key) {
    unsigned bits = 0;
    int algo = gnutls_pubkey_get_pk_algorithm(key.pk, &bits);
    if (algo == GNUTLS_PK_RSA)
        return (bits + 7) / 8;
    return 2 * ((bits + 7) / 8) + 9;  // DER-encoded (r, s) upper bound
}

}  // namespace

size_t maxDataSize(int mode, dht::ValueType::Id type, const std::shared_ptr<dht::crypto::PublicKey>& owner,
                   unsigned recipientBits) {
    // Overheads are constant for data sizes in the msgpack bin16 range, where the limit lies.
    constexpr size_t probe = 60000;
    constexpr size_t receiveLimit = dht::MAX_VALUE_SIZE + 32;
    dht::Value v(type, dht::Blob(probe), std::numeric_limits<dht::Value::Id>::max());
    if (mode >= 1) {
        if (!owner)
            throw dht::crypto::CryptoException("no identity to sign with");
        v.owner = owner;
        v.seq = std::numeric_limits<uint16_t>::max();
        v.signature = dht::Blob(signatureBytes(*owner));
    }
    size_t size = v.size();
    size_t packed = v.getPacked().size();
    if (mode == 2) {
        v.recipient = dht::InfoHash::getRandom();
        auto plain = v.getToEncrypt();
        // PublicKey::encrypt: one RSA block carrying an AES key, then IV + AES-GCM(plain) + tag.
        dht::Value c(std::numeric_limits<dht::Value::Id>::max());
        c.cypher = dht::Blob((recipientBits + 7) / 8 + 12 + plain.size() + 16);
        size = c.size();
        packed = c.getPacked().size();
    }
    size_t sizeOverhead = size - probe;
    size_t packedOverhead = packed - probe;
    size_t bySize = dht::MAX_VALUE_SIZE - sizeOverhead;
    size_t byPacked = receiveLimit - packedOverhead;
    return std::min(bySize, byPacked);
}

namespace {

Napi::Value packValue(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto env = info.Env();
        dht::Value v(static_cast<dht::ValueType::Id>(argUint(info, 1, "type")), argBytes(info, 0, "data"), argValueId(info, 2));
        v.seq = static_cast<uint16_t>(argUint(info, 3, "seq"));
        if (!info[4].IsNull() && !info[4].IsUndefined())
            v.sign(*PrivateKeyWrap::From(env, info[4], "signer"));
        auto packed = v.getPacked();
        return toBuffer(env, packed);
    });
}

Napi::Value unpackValue(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
        auto data = argBytes(info, 0, "packed");
        auto msg = msgpack::unpack(reinterpret_cast<const char*>(data.data()), data.size());
        dht::Value v(msg.get());
        auto o = valueToJs(info.Env(), v);
        o.Set("signatureValid", Napi::Boolean::New(info.Env(), v.isSigned() && v.checkSignature()));
        return o;
    });
}

}  // namespace

void initValue(Napi::Env env, Napi::Object exports) {
    exports.Set("packValue", Napi::Function::New<packValue>(env, "packValue"));
    exports.Set("unpackValue", Napi::Function::New<unpackValue>(env, "unpackValue"));
    exports.Set("MAX_VALUE_SIZE", Napi::Number::New(env, static_cast<double>(dht::MAX_VALUE_SIZE)));
}

}  // namespace odn
